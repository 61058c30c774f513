// The client's copy of the host's submission rules, checked against the cases of
// host/runtime/src/form/tests.rs: same codes, same paths, same words in both languages.

import { describe, expect, it } from 'vitest';
import { compilePattern } from './pattern';
import type { FormField, FormSchema } from './types';
import { plainNumber, validateSubmission } from './validate';

function form(fields: Partial<FormField>[]): FormSchema {
  return { id: 'expense', title: 'Expense', submit_label: 'Submit', value: 'v1', fields: fields as FormField[] };
}

const one = (field: Partial<FormField>) => form([field]);

function ok(f: FormSchema, values: unknown) {
  const r = validateSubmission(f, values);
  expect(r.errors, JSON.stringify(values)).toEqual([]);
  return r.values;
}

/** The single error a submission gets, as [path, code]. */
function err(f: FormSchema, values: unknown): [string, string] {
  const { errors } = validateSubmission(f, values);
  expect(errors.length, JSON.stringify(errors)).toBe(1);
  return [errors[0].field, errors[0].code];
}

const code = (f: FormSchema, values: unknown) => err(f, values)[1];

describe('text', () => {
  const f = one({ name: 'code', label: 'Code', kind: 'text', required: true, min: 3, max: 5, pattern: '[A-Z]+\\d*', pattern_message: 'Use capitals then digits' });

  it('is trimmed, bounded and matched as a whole', () => {
    expect(ok(f, { code: '  AB1 ' })).toEqual({ code: 'AB1' });
    expect(code(f, { code: '   ' })).toBe('required');
    expect(code(f, {})).toBe('required');
    expect(code(f, { code: 'AB' })).toBe('too_short');
    expect(code(f, { code: 'ABCDEF' })).toBe('too_long');
    expect(code(f, { code: 123 })).toBe('type');
    expect(code(f, { code: 'A\nB' })).toBe('type');
    expect(code(f, { code: 'AB1x' })).toBe('pattern');
    const e = validateSubmission(f, { code: 'ab1AB' }).errors[0];
    expect([e.code, e.message_en, e.message_zh]).toEqual(['pattern', 'Use capitals then digits', 'Use capitals then digits']);
  });

  it('has a default cap, and textareas keep their lines', () => {
    const g = form([
      { name: 't', label: 'T', kind: 'text' },
      { name: 'body', label: 'Body', kind: 'textarea' },
    ]);
    expect(code(g, { t: 'x'.repeat(1001) })).toBe('too_long');
    ok(g, { t: 'x'.repeat(1000) });
    expect(ok(g, { body: 'line 1\r\n\tline 2\n' })).toEqual({ t: null, body: 'line 1\r\n\tline 2' });
    expect(code(g, { body: 'nul \u0000 byte' })).toBe('type');
    expect(code(g, { body: 'x'.repeat(10_001) })).toBe('too_long');
  });

  it('counts characters, not UTF-16 units', () => {
    const g = one({ name: 'n', label: '名字', kind: 'text', max: 2 });
    ok(g, { n: '😀😀' });
    const e = validateSubmission(g, { n: '张三丰' }).errors[0];
    expect([e.code, e.message_en, e.message_zh]).toEqual(['too_long', '名字 must be at most 2 characters', '名字不能超过 2 个字符']);
  });
});

describe('numbers and money', () => {
  it('takes numbers and numeric text', () => {
    const f = one({ name: 'n', label: 'Count', kind: 'number', min: -1, max: 10.5 });
    expect(ok(f, { n: 3 })).toEqual({ n: 3 });
    expect(ok(f, { n: ' 4 ' })).toEqual({ n: 4 });
    expect(ok(f, { n: '2.25' })).toEqual({ n: 2.25 });
    expect(ok(f, { n: '' })).toEqual({ n: null });
    expect(code(f, { n: 10.6 })).toBe('too_large');
    expect(code(f, { n: -2 })).toBe('too_small');
    for (const bad of ['NaN', 'inf', '1e400', 'twelve', true, [1]]) expect(code(f, { n: bad })).toBe('type');
    const e = validateSubmission(f, { n: 11 }).errors[0];
    expect([e.message_en, e.message_zh]).toEqual(['Count must be at most 10.5', 'Count不能大于 10.5']);
  });

  it('keeps money exact and normalised', () => {
    const f = one({ name: 'amount', label: 'Amount', kind: 'money', required: true, min: 0, max: 100000 });
    for (const [input, normal] of [
      ['1234.5', '1234.50'],
      [' 0012 ', '12.00'],
      ['100000.00', '100000.00'],
      [12.25, '12.25'],
      [7, '7.00'],
      ['0.1', '0.10'],
      ['-0', '0.00'],
    ] as const) {
      expect(ok(f, { amount: input }).amount).toBe(normal);
    }
    expect(code(f, { amount: '100000.01' })).toBe('too_large');
    expect(code(f, { amount: '-0.01' })).toBe('too_small');
    expect(code(f, { amount: '1.005' })).toBe('type');
    expect(code(f, { amount: 0.1 + 0.2 })).toBe('type');
    for (const bad of ['1e3', '1,000', '$5', '1.', '.5', '+5', '--1', '1.2.3', 'abc']) expect(code(f, { amount: bad })).toBe('type');
    expect(code(f, { amount: '1234567890123456' })).toBe('too_large');
    expect(code(f, { amount: 1e300 })).toBe('too_large');
    const e = validateSubmission(f, { amount: '200000' }).errors[0];
    expect([e.message_en, e.message_zh]).toEqual(['Amount must be at most 100000', 'Amount不能大于 100000']);
    expect(validateSubmission(f, { amount: '1.005' }).errors[0].message_zh).toBe('Amount最多保留两位小数');
  });

  it('compares fifteen-digit amounts exactly, where a float would not', () => {
    const big = one({ name: 'm', label: 'M', kind: 'money', max: 999999999999999 });
    expect(ok(big, { m: '999999999999999' }).m).toBe('999999999999999.00');
    expect(code(big, { m: '999999999999999.01' })).toBe('too_large');
    expect(ok(big, { m: '-999999999999999.99' }).m).toBe('-999999999999999.99');
    const tight = one({ name: 'm', label: 'M', kind: 'money', min: 0.1 });
    expect(code(tight, { m: '0.09' })).toBe('too_small');
    ok(tight, { m: '0.10' });
    const half = one({ name: 'm', label: 'M', kind: 'money', min: 0.5 });
    expect(validateSubmission(half, { m: '0.2' }).errors[0].message_en).toBe('M must be at least 0.50');
  });
});

describe('dates', () => {
  it('takes real days and local times only', () => {
    const f = form([
      { name: 'd', label: 'Day', kind: 'date' },
      { name: 'at', label: 'At', kind: 'datetime' },
    ]);
    ok(f, { d: '2024-02-29', at: '2024-02-29T23:59' });
    ok(f, { d: '0001-01-01', at: '2000-02-29T00:00' });
    for (const bad of ['2023-02-29', '2024-13-01', '2024-1-01', '24-01-01', '2024/01/01', '0000-01-01', '２０２４-01-01', '1900-02-29']) {
      expect(code(f, { d: bad })).toBe('date');
    }
    for (const bad of ['2024-01-01 10:00', '2024-01-01T24:00', '2024-01-01T10:60', '2024-01-01T10:00:00', '2024-01-01']) {
      expect(code(f, { at: bad })).toBe('date');
    }
    expect(code(f, { d: 20240101 })).toBe('type');
    expect(validateSubmission(f, { at: 'x' }).errors[0].message_en).toBe('At must be a valid date and time (YYYY-MM-DDTHH:MM)');
  });

  it('bounds date ranges by their days, both ends included', () => {
    const f = one({ name: 'leave', label: 'Leave', kind: 'date_range', min: 1, max: 3 });
    expect(ok(f, { leave: { start: ' 2024-12-30', end: '2025-01-01' } })).toEqual({ leave: { start: '2024-12-30', end: '2025-01-01' } });
    ok(f, { leave: { start: '2024-01-01', end: '2024-01-01' } });
    expect(ok(f, { leave: { start: '', end: null } })).toEqual({ leave: null });
    expect(code(f, { leave: { start: '2024-01-02', end: '2024-01-01' } })).toBe('date_order');
    expect(code(f, { leave: { start: '2024-01-01', end: '2024-01-04' } })).toBe('too_large');
    expect(code(f, { leave: { start: '2024-01-01' } })).toBe('date');
    expect(code(f, { leave: { start: '2024-01-01', end: 'nope' } })).toBe('date');
    expect(code(f, { leave: { start: '2024-01-01', end: '2024-01-01', x: 1 } })).toBe('type');
    expect(code(f, { leave: '2024-01-01' })).toBe('type');
    const e = validateSubmission(f, { leave: { start: '2024-01-01', end: '2024-01-04' } }).errors[0];
    expect([e.message_en, e.message_zh]).toEqual(['Leave can span at most 3 days', 'Leave最多为 3 天']);
  });
});

describe('choices, people and ids', () => {
  const options = [
    { value: 'a', label: 'A' },
    { value: 'b', label: 'B' },
    { value: 'c', label: 'C' },
  ];

  it('checks selects against their options', () => {
    const f = form([
      { name: 'one', label: 'One', kind: 'select', options },
      { name: 'many', label: 'Many', kind: 'multi_select', options, min: 1, max: 2 },
    ]);
    expect(ok(f, { one: 'b', many: ['c', 'a'] })).toEqual({ one: 'b', many: ['c', 'a'] });
    expect(ok(f, { one: '', many: [] })).toEqual({ one: null, many: null });
    expect(code(f, { one: 'z' })).toBe('option');
    expect(code(f, { one: 1 })).toBe('type');
    expect(code(f, { many: ['a', 'z'] })).toBe('option');
    expect(code(f, { many: ['a', 'a'] })).toBe('type');
    expect(code(f, { many: ['a', 'b', 'c'] })).toBe('too_many');
    expect(code(f, { many: 'a' })).toBe('type');
    const min2 = one({ name: 'm', label: 'M', kind: 'multi_select', options, min: 2 });
    const e = validateSubmission(min2, { m: ['a'] }).errors[0];
    expect([e.code, e.message_en, e.message_zh]).toEqual(['too_small', 'M needs at least 2 choices', 'M至少需要 2 项']);
  });

  it('takes ids in the host alphabet', () => {
    const f = form([
      { name: 'approver', label: 'Approver', kind: 'person', required: true },
      { name: 'cc', label: 'Copy to', kind: 'people', max: 3 },
      { name: 'team', label: 'Team', kind: 'group' },
      { name: 'receipt', label: 'Receipt', kind: 'file' },
      { name: 'dept', label: 'Department', kind: 'department' },
    ]);
    ok(f, { approver: 'p1', cc: ['p2', 'p1'], team: 'g-1', receipt: 'f_9', dept: 'd-1' });
    expect(code(f, { approver: 'p 1' })).toBe('type');
    expect(code(f, { approver: 'x'.repeat(65) })).toBe('type');
    expect(code(f, { approver: ['p1'] })).toBe('type');
    expect(code(f, { approver: 'p1', cc: ['p2', 'p2'] })).toBe('type');
    expect(code(f, { approver: 'p1', cc: ['a', 'b', 'c', 'd'] })).toBe('too_many');
    expect(code(f, { approver: 'p1', cc: [1] })).toBe('type');
    expect(code(f, { approver: 'p1', dept: 7 })).toBe('type');
    expect(validateSubmission(f, { approver: 'p1', dept: 7 }).errors[0].message_zh).toBe('Department必须选择部门');
    const any = one({ name: 'cc', label: 'CC', kind: 'people' });
    const many = Array.from({ length: 101 }, (_, i) => `p${i}`);
    const e = validateSubmission(any, { cc: many }).errors[0];
    expect([e.code, e.message_en]).toEqual(['too_many', 'CC can have at most 100 people']);
  });

  it('makes a required checkbox a consent', () => {
    const f = form([
      { name: 'agree', label: 'I agree', kind: 'checkbox', required: true },
      { name: 'urgent', label: 'Urgent', kind: 'checkbox' },
    ]);
    expect(ok(f, { agree: true })).toEqual({ agree: true, urgent: false });
    const e = validateSubmission(f, { agree: false }).errors[0];
    expect([e.code, e.message_en, e.message_zh]).toEqual(['required', 'I agree must be checked', '请勾选“I agree”']);
    expect(code(f, {})).toBe('required');
    expect(code(f, { agree: 'true' })).toBe('type');
  });
});

describe('tables', () => {
  const f = one({
    name: 'items',
    label: 'Items',
    kind: 'table',
    required: true,
    max: 3,
    columns: [
      { name: 'what', label: 'What', kind: 'text', required: true },
      { name: 'amount', label: 'Amount', kind: 'money', min: 0 },
      { name: 'who', label: 'Who', kind: 'person' },
    ],
  });

  it('normalises every cell', () => {
    expect(ok(f, { items: [{ what: ' taxi ', amount: 12, who: 'p1' }, { what: 'x' }] })).toEqual({
      items: [
        { what: 'taxi', amount: '12.00', who: 'p1' },
        { what: 'x', amount: null, who: null },
      ],
    });
  });

  it('reports cells by path, in order', () => {
    const { errors } = validateSubmission(f, { items: [{ what: 'a' }, { what: 'b', tip: 1 }, { what: '', amount: '-1' }, 5] });
    expect(errors.map((e) => [e.field, e.code])).toEqual([
      ['items', 'too_many'],
      ['items[1].tip', 'unknown_field'],
      ['items[2].what', 'required'],
      ['items[2].amount', 'too_small'],
      ['items[3]', 'type'],
    ]);
    expect(errors[2].message_en).toBe('Items, row 3: What is required');
    expect(errors[2].message_zh).toBe('Items第 3 行：What不能为空');
    expect(errors[0].message_en).toBe('Items can have at most 3 rows');
    expect(code(f, { items: [] })).toBe('required');
    expect(code(f, { items: { what: 'a' } })).toBe('type');
    expect(code(f, { items: Array.from({ length: 201 }, () => ({ what: 'a' })) })).toBe('too_many');
  });
});

describe('conditions', () => {
  const f = form([
    { name: 'type', label: 'Type', kind: 'select', options: [{ value: 'travel', label: 'Travel' }, { value: 'meal', label: 'Meal' }] },
    { name: 'city', label: 'City', kind: 'text', required: true, visible_when: { field: 'type', values: ['travel'] } },
    { name: 'abroad', label: 'Abroad', kind: 'checkbox', visible_when: { field: 'type', values: ['travel'] } },
    { name: 'passport', label: 'Passport', kind: 'text', required: true, visible_when: { field: 'abroad', values: ['true'] } },
    { name: 'guests', label: 'Guests', kind: 'number' },
    { name: 'names', label: 'Names', kind: 'textarea', required: true, visible_when: { field: 'guests', values: ['2', '3'] } },
    { name: 'why', label: 'Why', kind: 'text', required: true, visible_when: { field: 'type', values: [''] } },
  ]);

  it('hide fields and drop what was sent for them', () => {
    expect(ok(f, { type: 'meal', city: 'Paris', passport: 'X' })).toEqual({ type: 'meal', guests: null });
    expect(code(f, { type: 'travel' })).toBe('required');
    ok(f, { type: 'travel', city: 'Paris' });
    expect(err(f, { type: 'travel', city: 'Paris', abroad: true })[0]).toBe('passport');
    const r = validateSubmission(f, { type: 'meal' });
    expect(r.visible).toMatchObject({ city: false, abroad: false, passport: false, names: false, why: false });
  });

  it('compare numbers by their shortest text, and an empty field as ""', () => {
    expect(err(f, { type: 'meal', guests: '2.0' })[0]).toBe('names');
    expect(err(f, { type: 'meal', guests: 3 })[0]).toBe('names');
    ok(f, { type: 'meal', guests: 4 });
    expect(err(f, {})[0]).toBe('why');
  });

  it('see any choice of a multi-select, and read-only defaults as shown', () => {
    const multi = form([
      { name: 'tags', label: 'Tags', kind: 'multi_select', options: [{ value: 'a', label: 'A' }, { value: 'b', label: 'B' }] },
      { name: 'note', label: 'Note', kind: 'text', required: true, visible_when: { field: 'tags', values: ['b'] } },
    ]);
    ok(multi, { tags: ['a'] });
    expect(code(multi, { tags: ['a', 'b'] })).toBe('required');
    const ro = form([
      { name: 'rate', label: 'Rate', kind: 'money', read_only: true, default: 1.5 },
      { name: 'why', label: 'Why', kind: 'text', required: true, visible_when: { field: 'rate', values: ['1.50'] } },
    ]);
    expect(err(ro, { rate: '9' })[0]).toBe('why');
    expect(ok(ro, { rate: '9', why: 'ok' })).toEqual({ why: 'ok' });
  });
});

describe('formulas in forms', () => {
  const formula = (name: string, expression: string, result: 'number' | 'money'): Partial<FormField> => ({
    name,
    label: name.toUpperCase(),
    kind: 'formula',
    formula: { expression, result },
  });
  const claim = form([
    {
      name: 'items',
      label: 'Items',
      kind: 'table',
      columns: [
        { name: 'what', label: 'What', kind: 'text' },
        { name: 'line', label: 'Line', kind: 'formula', formula: { expression: 'qty * price', result: 'money' } },
        { name: 'qty', label: 'Qty', kind: 'number' },
        { name: 'price', label: 'Price', kind: 'money' },
      ],
    },
    formula('subtotal', 'sum(items.line)', 'money'),
    formula('lines', 'count(items)', 'number'),
    { name: 'member', label: 'Member', kind: 'checkbox' },
    { name: 'rate', label: 'Rate', kind: 'number', visible_when: { field: 'member', values: ['true'] } },
    formula('total', 'subtotal - subtotal * rate / 100', 'money'),
    formula('average', 'total / lines', 'number'),
  ]);

  it('are computed from the normalised values', () => {
    const values = ok(claim, {
      items: [
        { what: 'taxi', qty: '2', price: '12.5' },
        { what: 'meal', qty: 1, price: '7.25', line: '999.00' },
        { what: 'tip' },
      ],
      member: true,
      rate: '10',
    });
    expect(values).toEqual({
      items: [
        { what: 'taxi', qty: 2, price: '12.50', line: '25.00' },
        { what: 'meal', qty: 1, price: '7.25', line: '7.25' },
        { what: 'tip', qty: null, price: null, line: '0.00' },
      ],
      subtotal: '32.25',
      lines: 3,
      member: true,
      rate: 10,
      total: '29.03',
      average: 9.67666666666667,
    });
    expect(ok(claim, { member: false, rate: 50 })).toEqual({ items: null, subtotal: '0.00', lines: 0, member: false, total: '0.00', average: null });
  });

  it('use every numeric kind, and read-only defaults', () => {
    const f = form([
      { name: 'stay', label: 'Stay', kind: 'date_range' },
      formula('nights', 'stay - 1', 'number'),
      formula('cost', 'nights * rate * (1 + breakfast / 10) + fee', 'money'),
      { name: 'breakfast', label: 'Breakfast', kind: 'checkbox' },
      { name: 'rate', label: 'Rate', kind: 'money', read_only: true, default: '80' },
      { name: 'fee', label: 'Fee', kind: 'number' },
    ]);
    const v = ok(f, { stay: { start: '2024-02-27', end: '2024-03-01' }, breakfast: true, fee: '4.5', rate: '1' });
    expect([v.nights, v.cost, 'rate' in v]).toEqual([3, '268.50', false]);
    const empty = ok(f, {});
    expect([empty.nights, empty.cost]).toEqual([-1, '-80.00']);
  });

  it('wait for later fields, and errors keep the form order', () => {
    const f = form([
      { name: 'a', label: 'A', kind: 'text', required: true },
      formula('double', 'n * 2', 'number'),
      { name: 'b', label: 'B', kind: 'text', required: true, visible_when: { field: 'double', values: ['0'] } },
      { name: 'n', label: 'N', kind: 'number' },
    ]);
    expect(ok(f, { a: 'x', n: 2 })).toEqual({ a: 'x', double: 4, n: 2 });
    const { errors } = validateSubmission(f, { n: 'x' });
    expect(errors.map((e) => [e.field, e.code])).toEqual([
      ['a', 'required'],
      ['b', 'required'],
      ['n', 'type'],
    ]);
  });

  it('let conditions depend on formulas, and hidden formulas count 0', () => {
    const f = form([
      { name: 'on', label: 'On', kind: 'checkbox' },
      { name: 'bonus', label: 'Bonus', kind: 'formula', formula: { expression: '10', result: 'number' }, visible_when: { field: 'on', values: ['true'] } },
      formula('total', 'bonus + 1', 'number'),
    ]);
    expect(ok(f, { on: false, bonus: 5 })).toEqual({ on: false, total: 1 });
    expect(ok(f, { on: true })).toEqual({ on: true, bonus: 10, total: 11 });
  });
});

describe('the submission as a whole', () => {
  it('reports unknown keys and non-objects', () => {
    const f = one({ name: 'a', label: 'A', kind: 'text' });
    expect(err(f, { a: 'x', b: 1 })).toEqual(['b', 'unknown_field']);
    expect(code(f, ['a'])).toBe('type');
    expect(code(f, null)).toBe('type');
  });

  it('reports every error up to the cap', () => {
    const f = form([
      { name: 'a', label: 'A', kind: 'text', required: true },
      { name: 'b', label: 'B', kind: 'number' },
    ]);
    expect(validateSubmission(f, { b: 'x', c: 1 }).errors.map((e) => e.code)).toEqual(['required', 'type', 'unknown_field']);
    const junk = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    expect(validateSubmission(f, junk).errors.length).toBe(100);
  });
});

describe('patterns', () => {
  it('match as Rust regex does, Unicode classes included', () => {
    const test = (p: string, s: string) => compilePattern(p)!.test(s);
    expect(test('\\w+', '张三')).toBe(true);
    expect(test('\\d{3}', '１２３')).toBe(true);
    expect(test('\\p{Han}{2,20}', '张三')).toBe(true);
    expect(test('\\+?[0-9 -]{7,20}', '+86 138-0000')).toBe(true);
    expect(test('[a-z]+@\\w+\\.\\w{2,}', 'a@b.cn')).toBe(true);
    expect(test('a.b', 'a\rb')).toBe(true);
    expect(test('a.b', 'a\nb')).toBe(false);
    expect(test('x\\-y', 'x-y')).toBe(true);
    expect(test('(?P<d>\\d)', '7')).toBe(true);
    expect(test('ab', 'abc')).toBe(false);
    expect(test('a|b', 'b')).toBe(true);
  });

  it('leave what cannot be translated to the host', () => {
    expect(compilePattern('(?i)abc')).toBeNull();
    expect(compilePattern('\\bword\\b')).toBeNull();
    expect(compilePattern('[[:alpha:]]+')).toBeNull();
    const f = one({ name: 'a', label: 'A', kind: 'text', pattern: '(?i)abc' });
    ok(f, { a: 'anything' });
  });
});

describe('numbers as people read them', () => {
  it('never uses an exponent', () => {
    expect(plainNumber(1e21)).toBe('1000000000000000000000');
    expect(plainNumber(1.5e-7)).toBe('0.00000015');
    expect(plainNumber(-2.5)).toBe('-2.5');
    expect(plainNumber(100000)).toBe('100000');
  });
});
