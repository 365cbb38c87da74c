// The `where` language of connection filters: a small, safe expression language over message paths, parsed
// here and compiled to closures (never eval). Grammar, loosest first:
//   expr    := or
//   or      := and ("or" and)*
//   and     := unary ("and" unary)*
//   unary   := "not" unary | "exists" path | compare
//   compare := operand (("==" | "!=" | "<" | "<=" | ">" | ">=") operand | "not"? "in" list)?
//   operand := path | string ('…' or "…") | number | true | false | null | "(" expr ")"
//   path    := name ("." name | "[" string | integer "]")*        e.g. properties.env, context["user agent"]
//   list    := "[" (literal ("," literal)*)? "]"
// A comparison with a missing path is false, except `!=` (true) and `not in` (true). `<` `<=` `>` `>=` compare
// numbers with numbers and strings with strings only. A bare operand is true when its value is truthy.

export type Value = unknown;
type Eval = (m: unknown) => Value;

const MISSING = Symbol('missing');

export class ExpressionError extends Error {}

type Token =
  | { k: 'name'; v: string; at: number }
  | { k: 'str'; v: string; at: number }
  | { k: 'num'; v: number; at: number }
  | { k: 'op'; v: string; at: number }
  | { k: 'end'; at: number };

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'exists', 'true', 'false', 'null']);

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    if (c === "'" || c === '"') {
      let s = '';
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        s += src[i++];
      }
      if (i >= src.length) throw new ExpressionError(`unterminated string starting at column ${at + 1}`);
      i++;
      out.push({ k: 'str', v: s, at });
      continue;
    }
    const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num && (c !== '-' || /\d/.test(src[i + 1] ?? ''))) {
      out.push({ k: 'num', v: Number(num[0]), at });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i));
    if (name) {
      out.push({ k: 'name', v: name[0], at });
      i += name[0].length;
      continue;
    }
    const op = /^(==|!=|<=|>=|<|>|\(|\)|\[|\]|,|\.)/.exec(src.slice(i));
    if (!op) throw new ExpressionError(`unexpected "${c}" at column ${at + 1}`);
    out.push({ k: 'op', v: op[0], at });
    i += op[0].length;
  }
  out.push({ k: 'end', at: src.length });
  return out;
}

function get(m: unknown, path: (string | number)[]): Value {
  let v: unknown = m;
  for (const p of path) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, p)) return MISSING;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v === undefined ? MISSING : v;
}

function ordered(a: Value, b: Value): boolean {
  return (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
}

const COMPARE: Record<string, (a: never, b: never) => boolean> = {
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

class Parser {
  private pos = 0;
  constructor(
    private readonly src: string,
    private readonly toks: Token[],
  ) {}

  private peek(): Token {
    return this.toks[this.pos];
  }
  private next(): Token {
    return this.toks[this.pos++];
  }
  private isWord(w: string): boolean {
    const t = this.peek();
    return t.k === 'name' && t.v === w;
  }
  private isOp(o: string): boolean {
    const t = this.peek();
    return t.k === 'op' && t.v === o;
  }
  private fail(what: string): never {
    const t = this.peek();
    const found = t.k === 'end' ? 'the end' : `"${this.src.slice(t.at, t.at + 12)}"`;
    throw new ExpressionError(`expected ${what} at column ${t.at + 1}, found ${found}`);
  }
  private expectOp(o: string): void {
    if (!this.isOp(o)) this.fail(`"${o}"`);
    this.pos++;
  }

  parse(): Eval {
    const e = this.or();
    if (this.peek().k !== 'end') this.fail('"and", "or" or the end');
    return e;
  }

  private or(): Eval {
    let left = this.and();
    while (this.isWord('or')) {
      this.pos++;
      const l = left;
      const r = this.and();
      left = (m) => truthy(l(m)) || truthy(r(m));
    }
    return left;
  }

  private and(): Eval {
    let left = this.unary();
    while (this.isWord('and')) {
      this.pos++;
      const l = left;
      const r = this.unary();
      left = (m) => truthy(l(m)) && truthy(r(m));
    }
    return left;
  }

  private unary(): Eval {
    if (this.isWord('not')) {
      this.pos++;
      const e = this.unary();
      return (m) => !truthy(e(m));
    }
    if (this.isWord('exists')) {
      this.pos++;
      const p = this.path();
      return (m) => {
        const v = get(m, p);
        return v !== MISSING && v !== null;
      };
    }
    return this.compare();
  }

  private compare(): Eval {
    const left = this.operand();
    const t = this.peek();
    if (t.k === 'op' && t.v in COMPARE) {
      this.pos++;
      const right = this.operand();
      const op = t.v;
      const f = COMPARE[op] as (a: Value, b: Value) => boolean;
      const needsOrder = op !== '==' && op !== '!=';
      return (m) => {
        const a = left(m);
        const b = right(m);
        if (a === MISSING || b === MISSING) return op === '!=';
        if (needsOrder && !ordered(a, b)) return false;
        return f(a, b);
      };
    }
    let negate = false;
    if (this.isWord('not') && this.toks[this.pos + 1]?.k === 'name' && (this.toks[this.pos + 1] as { v: string }).v === 'in') {
      negate = true;
      this.pos++;
    }
    if (this.isWord('in')) {
      this.pos++;
      const list = new Set(this.list());
      return (m) => {
        const v = left(m);
        if (v === MISSING) return negate;
        return list.has(v) !== negate;
      };
    }
    return (m) => {
      const v = left(m);
      return v !== MISSING && truthy(v);
    };
  }

  private operand(): Eval {
    const t = this.peek();
    if (t.k === 'op' && t.v === '(') {
      this.pos++;
      const e = this.or();
      this.expectOp(')');
      return e;
    }
    if (t.k === 'str' || t.k === 'num') {
      this.pos++;
      const v = t.v;
      return () => v;
    }
    if (t.k === 'name' && (t.v === 'true' || t.v === 'false' || t.v === 'null')) {
      this.pos++;
      const v = t.v === 'null' ? null : t.v === 'true';
      return () => v;
    }
    const p = this.path();
    return (m) => get(m, p);
  }

  private path(): (string | number)[] {
    const t = this.next();
    if (t.k !== 'name' || KEYWORDS.has(t.v)) {
      this.pos--;
      this.fail('a message path such as properties.plan');
    }
    const parts: (string | number)[] = [t.v];
    for (;;) {
      if (this.isOp('.')) {
        this.pos++;
        const n = this.next();
        if (n.k !== 'name') {
          this.pos--;
          this.fail('a field name after "."');
        }
        parts.push(n.v);
      } else if (this.isOp('[')) {
        this.pos++;
        const n = this.next();
        if (n.k === 'str') parts.push(n.v);
        else if (n.k === 'num' && Number.isInteger(n.v) && n.v >= 0) parts.push(n.v);
        else {
          this.pos--;
          this.fail('a quoted field name or an index');
        }
        this.expectOp(']');
      } else return parts;
    }
  }

  private list(): Value[] {
    this.expectOp('[');
    const out: Value[] = [];
    if (this.isOp(']')) {
      this.pos++;
      return out;
    }
    for (;;) {
      const t = this.next();
      if (t.k === 'str' || t.k === 'num') out.push(t.v);
      else if (t.k === 'name' && (t.v === 'true' || t.v === 'false' || t.v === 'null')) out.push(t.v === 'null' ? null : t.v === 'true');
      else {
        this.pos--;
        this.fail('a string, number, true, false or null in the list');
      }
      if (this.isOp(',')) this.pos++;
      else break;
    }
    this.expectOp(']');
    return out;
  }
}

function truthy(v: Value): boolean {
  return v !== MISSING && Boolean(v);
}

/** Compiles a `where` condition into a predicate over a message; throws ExpressionError with the column. */
export function compileWhere(src: string): (message: unknown) => boolean {
  const e = new Parser(src, tokenize(src)).parse();
  return (m) => truthy(e(m));
}
