// Long numeric ids keep every digit: the quoting before JSON.parse, and the dry run accepting what ingest accepts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseBody, quoteLongIds, stringifyIds } from '../../src/message/ids.js';
import { transformLine } from '../../src/cli/transform.js';
import { dryRun } from '../../src/destinations/registry.js';

describe('quoteLongIds', () => {
  const rows: [label: string, input: string, expected: string][] = [
    ['a userId beyond 2^53', '{"userId":1234567890123456789}', '{"userId":"1234567890123456789"}'],
    ['spaces around the colon', '{"anonymousId" :  1234567890123456790 , "x":1}', '{"anonymousId" :  "1234567890123456790" , "x":1}'],
    ['previousId, negative', '{"previousId":-12345678901234567}', '{"previousId":"-12345678901234567"}'],
    ['in batch items', '{"batch":[{"userId":1234567890123456789},{"userId":1234567890123456790}]}', '{"batch":[{"userId":"1234567890123456789"},{"userId":"1234567890123456790"}]}'],
    ['last member before ] or }', '[{"userId":99999999999999999}]', '[{"userId":"99999999999999999"}]'],
    ['a short id is left to ingest', '{"userId":123}', '{"userId":123}'],
    ['15 digits are exact as a double', '{"userId":123456789012345}', '{"userId":123456789012345}'],
    ['not an id field', '{"orderId":1234567890123456789}', '{"orderId":1234567890123456789}'],
    ['a fraction is not an id', '{"userId":1234567890123456789.5}', '{"userId":1234567890123456789.5}'],
    ['an exponent is not an id', '{"userId":1234567890123456789e2}', '{"userId":1234567890123456789e2}'],
    ['inside a string value (escaped)', '{"p":"{\\"userId\\":1234567890123456789}"}', '{"p":"{\\"userId\\":1234567890123456789}"}'],
    ['already a string', '{"userId":"1234567890123456789"}', '{"userId":"1234567890123456789"}'],
  ];
  for (const [label, input, expected] of rows) test(label, () => assert.equal(quoteLongIds(input), expected));

  test('two users whose ids differ past the 16th digit stay two users', () => {
    const a = parseBody('{"userId":1234567890123456789}') as { userId: string };
    const b = parseBody('{"userId":1234567890123456790}') as { userId: string };
    assert.equal(a.userId, '1234567890123456789');
    assert.equal(b.userId, '1234567890123456790');
  });
  test('invalid JSON still throws', () => assert.throws(() => parseBody('{"userId":1234567890123456789')));
  test('stringifyIds: numeric userId, anonymousId and previousId become strings', () => {
    const m: Record<string, unknown> = { userId: 42, anonymousId: 7, previousId: 1.5, event: 3 };
    stringifyIds(m);
    assert.deepEqual(m, { userId: '42', anonymousId: '7', previousId: '1.5', event: 3 });
  });
});

describe('taproute transform accepts what the server accepts', () => {
  const ct = dryRun('clevertap', { accountId: 'a', passcode: 'p' });
  test('numeric ids (short and long) are sent as strings', () => {
    const out = JSON.parse(transformLine('{"type":"track","messageId":"m","userId":1234567890123456789,"event":"E"}', ct));
    assert.equal(out.records[0].identity, '1234567890123456789');
    const short = JSON.parse(transformLine('{"type":"alias","messageId":"m","userId":5,"previousId":4}', ct));
    assert.deepEqual([short.records[0].identity, short.records[0].profileData.identity], ['4', '5']);
  });
  test('a write key in the body is not part of the message', () => {
    const out = JSON.parse(transformLine('{"type":"track","writeKey":"wk","userId":"u","event":"E"}', ct));
    assert.ok(out.records);
  });
});
