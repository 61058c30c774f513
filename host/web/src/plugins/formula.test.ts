// The shared vectors of the formula language: every implementation (the host's Rust one
// and this port) must pass them all. Numbers compare by value, everything else exactly.

import { describe, expect, it } from 'vitest';
import vectors from '../../../runtime/src/form/formula_vectors.json';
import { compute, evaluate, FormulaError, parse, references } from './formula';

interface Vector {
  expression: string;
  values: Record<string, unknown>;
  result?: 'number' | 'money';
  expected: unknown;
}

const all = vectors as Vector[];

describe('formula vectors', () => {
  it('has the full set', () => {
    expect(all.length).toBeGreaterThanOrEqual(150);
  });

  for (const [i, v] of all.entries()) {
    const shown = Array.from(v.expression).slice(0, 60).join('');
    it(`#${i} ${JSON.stringify(shown)}`, () => {
      const expected = v.expected as any;
      if (expected !== null && typeof expected === 'object' && 'error_at' in expected) {
        let error: unknown = null;
        try {
          parse(v.expression);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(FormulaError);
        expect((error as FormulaError).position).toBe(expected.error_at);
        return;
      }
      const got = compute(parse(v.expression), v.result ?? 'number', v.values);
      expect(got).toStrictEqual(expected);
    });
  }
});

describe('formula details', () => {
  it('words errors in both languages, as the host does', () => {
    const at = (src: string) => {
      try {
        parse(src);
      } catch (e) {
        return e as FormulaError;
      }
      throw new Error(`${src} parsed`);
    };
    const e = at('1 + )');
    expect(e.position).toBe(5);
    expect(e.messageEn()).toBe('at character 5: expected a number, a field name or `(`, found `)`');
    expect(e.messageZh()).toBe('第 5 个字符处：应为数字、字段名或“(”，实际为“)”');
    expect(at('(1').messageEn()).toBe('at character 3: expected `)`, found the end of the formula');
    expect(at('(1').messageZh()).toBe('第 3 个字符处：应为“)”，但公式已结束');
    expect(at(' ').messageZh()).toBe('公式为空');
    expect(at('1'.repeat(1001)).messageEn()).toBe('the formula is longer than 1000 characters');
    expect(at('Total * 2').messageEn()).toContain('lowercase');
    expect(at('avg(1)').messageEn()).toContain('no function `avg`');
    expect(at('round(1, 9)').messageZh()).toContain('0 到 6');
    expect(at('-'.repeat(40) + '1').position).toBe(33);
    expect(at('1 ' + 'x'.repeat(200)).messageEn()).toContain('…');
  });

  it('lists references in order', () => {
    const refs = references(parse('a + sum(t.c) * count(u) - if(b, min(a, 1), round(c, 2))'));
    expect(refs).toEqual([
      { t: 'field', name: 'a' },
      { t: 'column', name: 't', column: 'c' },
      { t: 'table', name: 'u' },
      { t: 'field', name: 'b' },
      { t: 'field', name: 'a' },
      { t: 'field', name: 'c' },
    ]);
  });

  it('is lazy only where documented', () => {
    const v = { a: 2, t: [{ x: 1 }, { x: '2.5' }, { x: true }] };
    const ev = (s: string) => evaluate(parse(s), v);
    expect(ev('sum(t.x)')).toBe(4.5);
    expect(ev('count(t) * a')).toBe(6);
    expect(ev('if(a > 1, 1, 1 / 0)')).toBe(1);
    expect(ev('if(a < 1, 1, 1 / 0)')).toBeNull();
    expect(ev('min(1, 1 / 0)')).toBeNull();
    expect(ev('0 and x / 0')).toBe(0);
    expect(ev('a or x / 0')).toBe(1);
  });

  it('never reads inherited properties as fields', () => {
    expect(compute(parse('constructor + __proto__ + to_string'), 'number', {})).toBe(0);
    expect(compute(parse('sum(t.constructor)'), 'number', { t: [{}] })).toBe(0);
  });

  it('rounds money as the host does', () => {
    expect(compute(parse('-0.004'), 'money', {})).toBe('0.00');
    expect(compute(parse('a * 2'), 'money', { a: '0.05' })).toBe('0.10');
    expect(compute(parse('999999999999999.4'), 'money', {})).toBe('999999999999999.00');
    expect(compute(parse('999999999999999.49'), 'money', {})).toBeNull();
    expect(compute(parse('-0 * 1'), 'number', {})).toBe(0);
    expect(Object.is(compute(parse('-0 * 1'), 'number', {}), -0)).toBe(false);
  });
});
