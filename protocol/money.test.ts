import fc from 'fast-check';
import {
  formatCents,
  MAX_CENTS,
  MoneyError,
  multiplyCents,
  parseCents,
  parseFactor,
} from './money.js';

describe('prices as strings', () => {
  it.each([
    ['whole', 153_420, '1534.20'],
    ['under one', 5, '0.05'],
    ['zero', 0, '0.00'],
    ['largest', MAX_CENTS, '99999999.99'],
  ])('formats %s cents with two decimals', (_name, cents, text) => {
    expect(formatCents(cents)).toBe(text);
  });

  it.each([
    ['1534.20', 153_420],
    ['1534.2', 153_420],
    ['1534', 153_400],
    [' 7.05 ', 705],
  ])('parses %j', (text, cents) => {
    expect(parseCents(text)).toBe(cents);
  });

  it.each(['', 'abc', '1e3', '-1.00', '1.234', '123456789.00', 'NaN', '1,5'])(
    'refuses %j',
    (text) => {
      expect(parseCents(text)).toBeUndefined();
    },
  );

  it('round-trips every price it can format', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_CENTS }), (cents) => {
        expect(parseCents(formatCents(cents))).toBe(cents);
      }),
    );
  });

  it('refuses to format a fraction of a cent or a negative price', () => {
    expect(() => formatCents(1.5)).toThrow(MoneyError);
    expect(() => formatCents(-1)).toThrow(MoneyError);
  });
});

describe('the price factor', () => {
  it.each([
    ['1.10', 100_000, 110_000],
    ['1.10', 5, 6],
    ['1.10', 15, 17],
    ['1.10', 153_420, 168_762],
    ['1.3', 100_005, 130_007],
    ['2', 123, 246],
  ])(
    'multiplies by %s and rounds half up (%i cents)',
    (factor, cents, want) => {
      expect(multiplyCents(cents, parseFactor(factor))).toBe(want);
    },
  );

  it('matches exact decimal arithmetic for any price', () => {
    const factor = parseFactor('1.10');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_CENTS }), (cents) => {
        const exactTimes100 = BigInt(cents) * 110n;
        const whole = exactTimes100 / 100n;
        const rest = exactTimes100 % 100n;
        const want = Number(rest >= 50n ? whole + 1n : whole);
        expect(multiplyCents(cents, factor)).toBe(want);
      }),
    );
  });

  it.each(['', 'x', '-1.1', '0', '0.00', '1e2'])(
    'refuses factor %j',
    (text) => {
      expect(() => parseFactor(text)).toThrow(MoneyError);
    },
  );
});
