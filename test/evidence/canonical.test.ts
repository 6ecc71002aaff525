/** Canonical JSON against RFC 8785's own examples and number vectors, and the entry hash built on it. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, entryHash, entryHashOfCanonicalData, GENESIS_HASH } from '../../src/evidence/canonical.js';

/** An IEEE 754 double from its big-endian hex bits, as RFC 8785 Appendix B lists them. */
function double(hex: string): number {
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

describe('canonicalJson (RFC 8785)', () => {
  it('serialises the example of section 3.2.2: sorted keys, no whitespace, ES numbers, minimal escapes', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    ) as unknown;

    const out = canonicalJson(input);

    expect(out).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('sorts keys by UTF-16 code units (section 3.2.3), so a surrogate pair sorts before U+FB33', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };

    const order = canonicalJson(input).match(/"[^"]*":/g)?.map((k) => JSON.parse(k.slice(0, -1)) as string);

    expect(order).toEqual(['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
  });

  it.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('prints the double %s as %s (Appendix B)', (hex, expected) => {
    const out = canonicalJson(double(hex));

    expect(out).toBe(expected);
  });

  it('drops undefined members, keeps array positions as null, and serialises dates through toJSON', () => {
    const out = canonicalJson({ b: undefined, a: [undefined, 1], d: new Date('2026-01-02T03:04:05.000Z'), c: { z: 1, y: [] } });

    expect(out).toBe('{"a":[null,1],"c":{"y":[],"z":1},"d":"2026-01-02T03:04:05.000Z"}');
  });

  it.each([[Number.NaN], [Number.POSITIVE_INFINITY], [10n]])('refuses %s, which has no JSON form', (value) => {
    const attempt = () => canonicalJson({ measure: value });

    expect(attempt).toThrow(/no JSON form/);
  });
});

describe('entryHash', () => {
  it('is the SHA-256 of the canonical entry without its hash, whichever way the data is given', () => {
    const entry = { seq: 7, kind: 'drill' as const, at: '2026-11-24T03:00:00.000Z', actor: 'scheduler', subject: 'drill-1', data: { z: 1, a: 'x' }, prevHash: GENESIS_HASH };
    const expected = createHash('sha256').update(canonicalJson(entry)).digest('hex');

    const fromObject = entryHash(entry);
    const fromText = entryHashOfCanonicalData(entry, '{"a":"x","z":1}');

    expect(fromObject).toBe(expected);
    expect(fromText).toBe(expected);
  });
});
