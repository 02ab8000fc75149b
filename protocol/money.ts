/**
 * Prices travel as strings with exactly two decimals ("1534.20") and are
 * held as whole cents, so no binary float ever touches a price.
 */

/** The largest price the older schema held: 99,999,999.99. */
export const MAX_CENTS = 9_999_999_999;

const PRICE = /^(\d{1,8})(?:\.(\d{1,2}))?$/;

export class MoneyError extends Error {
  override readonly name = 'MoneyError';
}

export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents) || cents < 0) {
    throw new MoneyError(`not a price in cents: ${cents}`);
  }
  const whole = Math.floor(cents / 100);
  const part = String(cents % 100).padStart(2, '0');

  return `${whole}.${part}`;
}

/** Parses "1534.2", "1534.20" or "1534"; undefined when not a price. */
export function parseCents(text: string): number | undefined {
  const match = PRICE.exec(text.trim());
  if (!match) return undefined;
  const cents = (match[2] ?? '').padEnd(2, '0');

  return Number(match[1]) * 100 + Number(cents);
}

/** A positive decimal factor such as "1.10" as an exact fraction. */
export interface Factor {
  readonly text: string;
  readonly numerator: bigint;
  readonly denominator: bigint;
}

export function parseFactor(text: string): Factor {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) throw new MoneyError(`not a decimal factor: "${text}"`);
  const decimals = match[2] ?? '';
  const numerator = BigInt(`${match[1]}${decimals}`);
  if (numerator === 0n) throw new MoneyError('a factor must be above zero');

  return { text, numerator, denominator: 10n ** BigInt(decimals.length) };
}

/** cents × factor, rounded half up to a whole cent. */
export function multiplyCents(cents: number, factor: Factor): number {
  const scaled = BigInt(cents) * factor.numerator * 2n + factor.denominator;

  return Number(scaled / (2n * factor.denominator));
}
