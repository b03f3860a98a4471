import fc from 'fast-check';
import { compactJson, copyPlain, plainEqual } from '../../src/sync/testing/plain';

describe('memory store plain-data helpers', () => {
  test('compactJson keeps the JSON meaning and escapes wide characters when that is shorter in bytes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, text) => {
        for (const json of [JSON.stringify(value), JSON.stringify([text, value])]) {
          const compact = compactJson(json);
          expect(JSON.parse(compact)).toEqual(JSON.parse(json));
          const wide = json.match(/[\u0100-\uffff]/g)?.length ?? 0;
          // Escaped exactly when six one-byte characters per wide one beat two bytes for every character.
          expect(/[\u0100-\uffff]/.test(compact)).toBe(wide > 0 && wide * 5 >= json.length);
        }
      }),
    );
  });

  test('copyPlain shares nothing mutable and plainEqual ignores key order and undefined values', () => {
    const v = { a: [1, { b: 'x' }], c: undefined, d: null };
    const c = copyPlain(v);
    expect(c).toEqual({ a: [1, { b: 'x' }], d: null });
    expect(Object.keys(c)).not.toContain('c');
    expect(c.a).not.toBe(v.a);
    expect(plainEqual({ d: null, a: [1, { b: 'x' }] }, v)).toBe(true);
    expect(plainEqual({ a: [1, { b: 'y' }], d: null }, v)).toBe(false);
  });
});
