// The `where` language: every operator, missing paths, precedence and clear errors; never evaluates code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileWhere, ExpressionError } from '../../src/connections/expr.js';

const m = {
  type: 'track',
  event: 'Order Completed',
  properties: { env: 'prod', revenue: 42.5, count: 3, tags: ['a'], 'odd key': 'yes', nothing: null, flag: true },
  context: { ip: '10.0.0.1' },
};
const ok = (src: string) => compileWhere(src)(m);

test('where: comparisons on strings and numbers', () => {
  assert.equal(ok("properties.env == 'prod'"), true);
  assert.equal(ok('properties.env == "test"'), false);
  assert.equal(ok("properties.env != 'test'"), true);
  assert.equal(ok('properties.revenue > 40'), true);
  assert.equal(ok('properties.revenue >= 42.5'), true);
  assert.equal(ok('properties.revenue < 42.5'), false);
  assert.equal(ok('properties.count <= 3'), true);
  assert.equal(ok('properties.count == -3'), false);
  assert.equal(ok("event > 'A'"), true, 'strings compare with strings');
  assert.equal(ok("properties.count > '1'"), false, 'a number never orders against a string');
  assert.equal(ok('properties.flag == true'), true);
  assert.equal(ok('properties.nothing == null'), true);
});

test('where: a missing path makes a comparison false, != and not in true', () => {
  assert.equal(ok("properties.missing == 'x'"), false);
  assert.equal(ok('properties.missing > 1'), false);
  assert.equal(ok('properties.missing < 1'), false);
  assert.equal(ok("properties.missing != 'x'"), true);
  assert.equal(ok("properties.missing in ['x']"), false);
  assert.equal(ok("properties.missing not in ['x']"), true);
  assert.equal(ok("nope.deeper.still == 'x'"), false);
  assert.equal(ok('properties.missing'), false);
});

test('where: and, or, not, parentheses and precedence', () => {
  assert.equal(ok("properties.env == 'prod' and properties.count == 3"), true);
  assert.equal(ok("properties.env == 'test' or properties.count == 3"), true);
  assert.equal(ok("not properties.env == 'test'"), true);
  assert.equal(ok("properties.env == 'test' and properties.count == 3 or true"), true, 'and binds tighter than or');
  assert.equal(ok("properties.env == 'test' and (properties.count == 3 or true)"), false);
  assert.equal(ok('not not properties.flag'), true);
});

test('where: in lists, exists, bracket paths', () => {
  assert.equal(ok("type in ['track', 'page']"), true);
  assert.equal(ok("type not in ['track', 'page']"), false);
  assert.equal(ok('properties.count in [1, 2, 3]'), true);
  assert.equal(ok('properties.count in []'), false);
  assert.equal(ok('exists context.ip'), true);
  assert.equal(ok('exists properties.nothing'), false, 'null does not exist');
  assert.equal(ok('not exists traits.email'), true);
  assert.equal(ok(`properties["odd key"] == 'yes'`), true);
  assert.equal(ok("properties.tags[0] == 'a'"), true);
  assert.equal(ok("properties.tags[1] == 'a'"), false);
});

test('where: paths read own fields only (no prototype, no code)', () => {
  assert.equal(ok('constructor'), false);
  assert.equal(ok('properties.__proto__'), false);
  assert.equal(ok("properties.env.length == 4"), false, 'no properties of primitive values');
});

test('where: syntax errors name the column', () => {
  const bad: [string, RegExp][] = [
    ["properties.env == ", /expected .* at column 19, found the end/],
    ["properties.env = 'x'", /unexpected "=" at column 16/],
    ["properties.env == 'x", /unterminated string/],
    ['(properties.env', /expected "\)"/],
    ["properties.env == 'x' properties.count", /expected "and", "or" or the end/],
    ['exists 3', /a message path/],
    ["type in ('a')", /expected "\["/],
    ["process.exit()", /expected "and", "or" or the end at column 13/],
  ];
  for (const [src, re] of bad) assert.throws(() => compileWhere(src), (e: Error) => e instanceof ExpressionError && re.test(e.message), src);
});
