// The expression language of `formula` fields and columns: a port of the host's reference
// implementation, host/runtime/src/form/formula.rs. The host recomputes every formula on
// submit; the client computes the same while the form is filled in, so both must agree to
// the last digit. formula.rs documents the language; the shared vectors
// (formula_vectors.json, run by formula.test.ts) check this port against it.
//
// Numbers are IEEE doubles in both languages, so the arithmetic is the same. The one subtle
// part, rounding to 15 significant digits, is defined as what `toPrecision(15)` prints,
// which JavaScript has built in.

import { rangeDays } from './dates';

export const MAX_LEN = 1000;
export const MAX_DEPTH = 32;
export const MAX_ROUND_DIGITS = 6;

export type BinOp = 'or' | 'and' | '=' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/';

export type Expr =
  | { t: 'num'; x: number }
  | { t: 'field'; name: string }
  | { t: 'sum'; table: string; column: string }
  | { t: 'count'; table: string }
  | { t: 'neg'; e: Expr }
  | { t: 'not'; e: Expr }
  | { t: 'bin'; op: BinOp; l: Expr; r: Expr }
  | { t: 'min' | 'max'; args: Expr[] }
  | { t: 'round'; e: Expr; digits: number }
  | { t: 'if'; c: Expr; a: Expr; b: Expr };

/** What an expression refers to: a bare name, `count(table)` or `sum(table.column)`. */
export type Reference =
  | { t: 'field'; name: string }
  | { t: 'table'; name: string }
  | { t: 'column'; name: string; column: string };

/** Every field, table and column the expression names, in order, repeats included. */
export function references(e: Expr, out: Reference[] = []): Reference[] {
  switch (e.t) {
    case 'num':
      break;
    case 'field':
      out.push({ t: 'field', name: e.name });
      break;
    case 'sum':
      out.push({ t: 'column', name: e.table, column: e.column });
      break;
    case 'count':
      out.push({ t: 'table', name: e.table });
      break;
    case 'neg':
    case 'not':
    case 'round':
      references(e.e, out);
      break;
    case 'bin':
      references(e.l, out);
      references(e.r, out);
      break;
    case 'min':
    case 'max':
      e.args.forEach((a) => references(a, out));
      break;
    case 'if':
      references(e.c, out);
      references(e.a, out);
      references(e.b, out);
      break;
  }
  return out;
}

// ---- Errors ----

type Expected = 'value' | 'close' | 'comma' | 'comma_or_close' | 'end' | 'table_column' | 'table';

export type ParseErrorKind =
  | { k: 'empty' }
  | { k: 'too_long' }
  | { k: 'too_deep' }
  | { k: 'unexpected_char'; c: string }
  | { k: 'expected'; what: Expected; found: string }
  | { k: 'number_too_large' }
  | { k: 'unknown_function'; name: string }
  | { k: 'round_digits' }
  | { k: 'column_outside_sum' }
  | { k: 'chained_comparison' };

const EXPECTED: Record<Expected, [string, string]> = {
  value: ['a number, a field name or `(`', '数字、字段名或“(”'],
  close: ['`)`', '“)”'],
  comma: ['`,`', '“,”'],
  comma_or_close: ['`,` or `)`', '“,”或“)”'],
  end: ['an operator or the end of the formula', '运算符或公式结尾'],
  table_column: ['table.column', '“表格.列”'],
  table: ['a table name', '表格字段名'],
};

/** Why an expression does not parse; `position` is 1-based, in code points. */
export class FormulaError extends Error {
  constructor(
    public position: number,
    public kind: ParseErrorKind,
  ) {
    super('');
    this.message = this.messageEn();
  }

  messageEn(): string {
    const k = this.kind;
    let what: string;
    switch (k.k) {
      case 'empty':
        return 'the formula is empty';
      case 'too_long':
        return `the formula is longer than ${MAX_LEN} characters`;
      case 'too_deep':
        what = `the formula nests more than ${MAX_DEPTH} levels`;
        break;
      case 'unexpected_char':
        what = /^[A-Z]$/.test(k.c) ? `unexpected character \`${k.c}\` (names are lowercase)` : `unexpected character \`${k.c}\``;
        break;
      case 'expected':
        what = k.found === '' ? `expected ${EXPECTED[k.what][0]}, found the end of the formula` : `expected ${EXPECTED[k.what][0]}, found \`${k.found}\``;
        break;
      case 'number_too_large':
        what = 'the number is too large';
        break;
      case 'unknown_function':
        what = `there is no function \`${k.name}\` (there are sum, count, min, max, round and if)`;
        break;
      case 'round_digits':
        what = `the digits of round must be a whole number from 0 to ${MAX_ROUND_DIGITS}`;
        break;
      case 'column_outside_sum':
        what = 'table.column can only be used inside sum(…)';
        break;
      case 'chained_comparison':
        what = 'comparisons cannot be chained: join them with and';
        break;
    }
    return `at character ${this.position}: ${what}`;
  }

  messageZh(): string {
    const k = this.kind;
    let what: string;
    switch (k.k) {
      case 'empty':
        return '公式为空';
      case 'too_long':
        return `公式不能超过 ${MAX_LEN} 个字符`;
      case 'too_deep':
        what = `公式嵌套超过 ${MAX_DEPTH} 层`;
        break;
      case 'unexpected_char':
        what = /^[A-Z]$/.test(k.c) ? `无法识别的字符“${k.c}”（名称须为小写）` : `无法识别的字符“${k.c}”`;
        break;
      case 'expected':
        what = k.found === '' ? `应为${EXPECTED[k.what][1]}，但公式已结束` : `应为${EXPECTED[k.what][1]}，实际为“${k.found}”`;
        break;
      case 'number_too_large':
        what = '数字过大';
        break;
      case 'unknown_function':
        what = `没有函数“${k.name}”（可用：sum、count、min、max、round、if）`;
        break;
      case 'round_digits':
        what = `round 的位数必须是 0 到 ${MAX_ROUND_DIGITS} 的整数`;
        break;
      case 'column_outside_sum':
        what = '“表格.列”只能用在 sum(…) 中';
        break;
      case 'chained_comparison':
        what = '比较不能连写，请用 and 连接';
        break;
    }
    return `第 ${this.position} 个字符处：${what}`;
  }
}

// ---- Lexer ----

type Tok =
  | { k: 'num'; text: string }
  | { k: 'name'; text: string }
  | { k: 'and' | 'or' | 'not' | 'end' }
  | { k: '+' | '-' | '*' | '/' | '(' | ')' | ',' | '.' | '=' | '!=' | '<' | '<=' | '>' | '>=' };

interface Token {
  tok: Tok;
  /** 1-based code point position of the first character. */
  at: number;
}

/** The token as an error message quotes it; '' for the end. */
function shown(tok: Tok): string {
  if (tok.k === 'num' || tok.k === 'name') {
    const chars = Array.from(tok.text);
    return chars.length > 32 ? chars.slice(0, 32).join('') + '…' : tok.text;
  }
  return tok.k === 'end' ? '' : tok.k;
}

const COMPARISONS = new Set(['=', '!=', '<', '<=', '>', '>=']);
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isNameChar = (c: string | undefined) => c !== undefined && ((c >= 'a' && c <= 'z') || isDigit(c) || c === '_');

/** The tokens of `chars` (code points), ending with `end`. */
function lex(chars: string[]): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < chars.length) {
    const at = i + 1;
    const c = chars[i];
    const start = i;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (isDigit(c)) {
      while (isDigit(chars[i])) i++;
      if (chars[i] === '.' && isDigit(chars[i + 1])) {
        i++;
        while (isDigit(chars[i])) i++;
      }
      out.push({ tok: { k: 'num', text: chars.slice(start, i).join('') }, at });
      continue;
    }
    if ((c >= 'a' && c <= 'z') || c === '_') {
      while (isNameChar(chars[i])) i++;
      const text = chars.slice(start, i).join('');
      const tok: Tok = text === 'and' || text === 'or' || text === 'not' ? { k: text } : { k: 'name', text };
      out.push({ tok, at });
      continue;
    }
    const two = c + (chars[i + 1] ?? '');
    if (two === '!=' || two === '<=' || two === '>=') {
      out.push({ tok: { k: two }, at });
      i += 2;
      continue;
    }
    if ('+-*/(),.=<>'.includes(c)) {
      out.push({ tok: { k: c as '+' }, at });
      i++;
      continue;
    }
    throw new FormulaError(at, { k: 'unexpected_char', c });
  }
  // Every character lexed is ASCII, so the end is the length in code points + 1.
  out.push({ tok: { k: 'end' }, at: chars.length + 1 });
  return out;
}

// ---- Parser ----

/** Parses an expression; throws a FormulaError with the position at fault. */
export function parse(src: string): Expr {
  const chars = Array.from(src);
  if (chars.length > MAX_LEN) throw new FormulaError(MAX_LEN + 1, { k: 'too_long' });
  const tokens = lex(chars);
  if (tokens.length === 1) throw new FormulaError(1, { k: 'empty' });
  const p = new Parser(tokens);
  const e = p.or();
  p.expect('end', 'end');
  return e;
}

/** Parses, or null when the expression is invalid (the host refuses such forms). */
export function tryParse(src: string): Expr | null {
  try {
    return parse(src);
  } catch (e) {
    if (e instanceof FormulaError) return null;
    throw e;
  }
}

const FUNCTIONS = ['sum', 'count', 'min', 'max', 'round', 'if'];

class Parser {
  private next = 0;
  private depth = 0;
  constructor(private tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[Math.min(this.next, this.tokens.length - 1)];
  }

  private peek2(): Tok {
    return this.tokens[this.next + 1]?.tok ?? { k: 'end' };
  }

  private bump(): Token {
    const t = this.peek();
    if (t.tok.k !== 'end') this.next++;
    return t;
  }

  private eat(k: Tok['k']): boolean {
    if (this.peek().tok.k === k) {
      this.bump();
      return true;
    }
    return false;
  }

  private unexpected(what: Expected): FormulaError {
    const t = this.peek();
    return new FormulaError(t.at, { k: 'expected', what, found: shown(t.tok) });
  }

  expect(k: Tok['k'], what: Expected) {
    if (!this.eat(k)) throw this.unexpected(what);
  }

  private name(what: Expected): string {
    const t = this.peek().tok;
    if (t.k !== 'name') throw this.unexpected(what);
    this.bump();
    return t.text;
  }

  private enter(at: number) {
    if (this.depth >= MAX_DEPTH) throw new FormulaError(at, { k: 'too_deep' });
    this.depth++;
  }

  private leave() {
    this.depth--;
  }

  or(): Expr {
    let left = this.and();
    while (this.eat('or')) left = { t: 'bin', op: 'or', l: left, r: this.and() };
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.eat('and')) left = { t: 'bin', op: 'and', l: left, r: this.not() };
    return left;
  }

  private not(): Expr {
    const t = this.peek();
    if (t.tok.k !== 'not') return this.comparison();
    this.enter(t.at);
    this.bump();
    const e = this.not();
    this.leave();
    return { t: 'not', e };
  }

  private comparison(): Expr {
    const left = this.additive();
    const op = this.peek().tok.k;
    if (!COMPARISONS.has(op)) return left;
    this.bump();
    const right = this.additive();
    const t = this.peek();
    if (COMPARISONS.has(t.tok.k)) throw new FormulaError(t.at, { k: 'chained_comparison' });
    return { t: 'bin', op: op as BinOp, l: left, r: right };
  }

  private additive(): Expr {
    let left = this.term();
    for (;;) {
      const op = this.peek().tok.k;
      if (op !== '+' && op !== '-') return left;
      this.bump();
      left = { t: 'bin', op, l: left, r: this.term() };
    }
  }

  private term(): Expr {
    let left = this.unary();
    for (;;) {
      const op = this.peek().tok.k;
      if (op !== '*' && op !== '/') return left;
      this.bump();
      left = { t: 'bin', op, l: left, r: this.unary() };
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.tok.k !== '-') return this.primary();
    this.enter(t.at);
    this.bump();
    const e = this.unary();
    this.leave();
    return { t: 'neg', e };
  }

  private primary(): Expr {
    const t = this.peek();
    const tok = t.tok;
    if (tok.k === 'num') {
      this.bump();
      const x = Number(tok.text);
      if (!Number.isFinite(x)) throw new FormulaError(t.at, { k: 'number_too_large' });
      return { t: 'num', x };
    }
    if (tok.k === 'name') {
      const after = this.peek2().k;
      if (after === '(') return this.call(tok.text, t.at);
      if (after === '.') throw new FormulaError(t.at, { k: 'column_outside_sum' });
      this.bump();
      return { t: 'field', name: tok.text };
    }
    if (tok.k === '(') {
      this.enter(t.at);
      this.bump();
      const e = this.or();
      this.expect(')', 'close');
      this.leave();
      return e;
    }
    throw this.unexpected('value');
  }

  /** A call: the name, then `(`, are next. */
  private call(name: string, at: number): Expr {
    if (!FUNCTIONS.includes(name)) throw new FormulaError(at, { k: 'unknown_function', name });
    this.enter(at);
    this.bump();
    this.bump();
    let e: Expr;
    switch (name) {
      case 'sum': {
        const table = this.name('table_column');
        this.expect('.', 'table_column');
        const column = this.name('table_column');
        e = { t: 'sum', table, column };
        break;
      }
      case 'count':
        e = { t: 'count', table: this.name('table') };
        break;
      case 'min':
      case 'max': {
        const args = [this.or()];
        while (this.eat(',')) args.push(this.or());
        e = { t: name, args };
        break;
      }
      case 'round': {
        const x = this.or();
        this.expect(',', 'comma');
        const d = this.peek();
        const digits = d.tok.k === 'num' && /^[0-9]+$/.test(d.tok.text) ? Number(d.tok.text) : NaN;
        if (!(digits <= MAX_ROUND_DIGITS)) throw new FormulaError(d.at, { k: 'round_digits' });
        this.bump();
        e = { t: 'round', e: x, digits };
        break;
      }
      default: {
        const c = this.or();
        this.expect(',', 'comma');
        const a = this.or();
        this.expect(',', 'comma');
        const b = this.or();
        e = { t: 'if', c, a, b };
      }
    }
    this.expect(')', e.t === 'min' || e.t === 'max' ? 'comma_or_close' : 'close');
    this.leave();
    return e;
  }
}

// ---- Evaluation ----

/** A submission's values (or a table row's), as JSON. */
export type Values = Record<string, unknown>;

const own = (o: object, key: string): unknown => (Object.prototype.hasOwnProperty.call(o, key) ? (o as Values)[key] : undefined);

const isObject = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The number a value stands for (see "Values" in formula.rs). */
export function numberOf(value: unknown): number {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : 0;
    case 'string':
      return decimal(value) ?? 0;
    case 'boolean':
      return value ? 1 : 0;
    default:
      return isObject(value) ? (rangeDays(own(value, 'start'), own(value, 'end')) ?? 0) : 0;
  }
}

/** `-?[0-9]+(\.[0-9]+)?` as the nearest double. */
function decimal(s: string): number | null {
  if (!/^-?[0-9]+(\.[0-9]+)?$/.test(s)) return null;
  const x = Number(s);
  return Number.isFinite(x) ? x : null;
}

function rows(values: Values, table: string): unknown[] {
  const v = own(values, table);
  return Array.isArray(v) ? v : [];
}

const truth = (b: boolean) => (b ? 1 : 0);

/** Evaluates an expression; null when it has no value. Never throws, whatever the values. */
export function evaluate(expr: Expr, values: Values): number | null {
  let x: number;
  switch (expr.t) {
    case 'num':
      x = expr.x;
      break;
    case 'field':
      x = numberOf(own(values, expr.name));
      break;
    case 'sum':
      x = rows(values, expr.table).reduce<number>((acc, row) => acc + (isObject(row) ? numberOf(own(row, expr.column)) : 0), 0);
      break;
    case 'count':
      x = rows(values, expr.table).length;
      break;
    case 'neg': {
      const v = evaluate(expr.e, values);
      if (v === null) return null;
      x = -v;
      break;
    }
    case 'not': {
      const v = evaluate(expr.e, values);
      if (v === null) return null;
      x = truth(v === 0);
      break;
    }
    case 'bin': {
      const a = evaluate(expr.l, values);
      if (a === null) return null;
      // `and` and `or` do not evaluate their right side when the left decides.
      if (expr.op === 'and' && a === 0) return 0;
      if (expr.op === 'or' && a !== 0) return 1;
      const b = evaluate(expr.r, values);
      if (b === null) return null;
      switch (expr.op) {
        case 'and':
        case 'or':
          x = truth(b !== 0);
          break;
        case '+':
          x = a + b;
          break;
        case '-':
          x = a - b;
          break;
        case '*':
          x = a * b;
          break;
        case '/':
          if (b === 0) return null;
          x = a / b;
          break;
        default: {
          const na = normalise(a);
          const nb = normalise(b);
          const op = expr.op;
          x = truth(op === '=' ? na === nb : op === '!=' ? na !== nb : op === '<' ? na < nb : op === '<=' ? na <= nb : op === '>' ? na > nb : na >= nb);
        }
      }
      break;
    }
    case 'min':
    case 'max': {
      let best: number | null = null;
      for (const arg of expr.args) {
        const v = evaluate(arg, values);
        if (v === null) return null;
        if (best === null || (expr.t === 'min' ? v < best : v > best)) best = v;
      }
      x = best as number;
      break;
    }
    case 'round': {
      const v = evaluate(expr.e, values);
      if (v === null) return null;
      x = round(v, expr.digits);
      break;
    }
    case 'if': {
      const c = evaluate(expr.c, values);
      if (c === null) return null;
      const v = evaluate(c !== 0 ? expr.a : expr.b, values);
      if (v === null) return null;
      x = v;
      break;
    }
  }
  return Number.isFinite(x) ? x : null;
}

/** The value a formula field or column takes: a number, a money string, or null. */
export function compute(expr: Expr, result: 'number' | 'money', values: Values): number | string | null {
  const x = evaluate(expr, values);
  if (x === null) return null;
  return result === 'money' ? money(x) : numberValue(x);
}

/** A number result: normalised; -0 is 0. */
function numberValue(x: number): number | null {
  const n = normalise(x);
  if (!Number.isFinite(n)) return null;
  return n === 0 ? 0 : n;
}

// ---- Decimal rounding ----

/** `±digits × 10^exp`, `digits` below 10^15. */
interface Decimal {
  negative: boolean;
  digits: bigint;
  exp: number;
}

/** `x` rounded to 15 significant digits, ties away from zero: exactly `toPrecision(15)`. */
function significant(x: number): Decimal {
  if (x === 0 || !Number.isFinite(x)) return { negative: false, digits: 0n, exp: 0 };
  const [mantissa, e] = Math.abs(x).toPrecision(15).split('e');
  const dot = mantissa.indexOf('.');
  const fraction = dot < 0 ? 0 : mantissa.length - dot - 1;
  return {
    negative: x < 0,
    digits: BigInt(mantissa.replace('.', '')),
    exp: (e ? parseInt(e, 10) : 0) - fraction,
  };
}

function toNumber(d: Decimal): number {
  const x = Number(`${d.digits}e${d.exp}`);
  return d.negative ? -x : x;
}

/** Rounded to `places` decimals, half away from zero, in units of 10^-places; null when
 *  far too large for any result. */
function units(d: Decimal, places: number): bigint | null {
  const shift = d.exp + places;
  let u: bigint;
  if (shift >= 0) {
    if (shift > 22) return null;
    u = d.digits * 10n ** BigInt(shift);
  } else if (shift < -15) {
    u = 0n;
  } else {
    const unit = 10n ** BigInt(-shift);
    const q = d.digits / unit;
    const r = d.digits % unit;
    u = 2n * r >= unit ? q + 1n : q;
  }
  return d.negative ? -u : u;
}

/** `x` as its 15 significant digits say. */
export function normalise(x: number): number {
  return toNumber(significant(x));
}

function round(x: number, places: number): number {
  const d = significant(x);
  if (d.exp + places >= 0) return toNumber(d);
  const u = units(d, places);
  return u === null ? toNumber(d) : Number(`${u}e-${places}`);
}

/** A money result: two decimals, or null from 10^15 up. */
function money(x: number): string | null {
  const d = significant(x);
  if (d.exp > 0) return null;
  const cents = units(d, 2);
  if (cents === null) return null;
  const abs = cents < 0n ? -cents : cents;
  return `${cents < 0n ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}
