/**
 * Typed readers for process configuration. Each reader takes the
 * environment explicitly so start-up code and tests share one path, and
 * each failure names the variable so a bad deployment stops with a
 * message a person can act on. Values are never echoed for secrets.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

export function readString(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

export function readOptional(env: Env, name: string): string | undefined {
  return raw(env, name);
}

export function readInt(
  env: Env,
  name: string,
  fallback: number,
  range: { min: number; max: number },
): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) {
    throw new ConfigError(name, `expected a whole number, got "${value}"`);
  }
  const parsed = Number(value);
  if (parsed < range.min || parsed > range.max) {
    throw new ConfigError(
      name,
      `expected ${range.min} to ${range.max}, got ${parsed}`,
    );
  }

  return parsed;
}

export function readPort(env: Env, name: string, fallback: number): number {
  return readInt(env, name, fallback, { min: 0, max: 65535 });
}

export function readPositiveNumber(
  env: Env,
  name: string,
  fallback: number,
): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    throw new ConfigError(name, `expected a positive number, got "${value}"`);
  }

  return parsed;
}

export function readUrl(
  env: Env,
  name: string,
  fallback: string,
  protocols: readonly string[],
): string {
  const value = raw(env, name) ?? fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, 'expected a URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(
      name,
      `expected a ${protocols.join(' or ')} URL, got ${url.protocol}`,
    );
  }

  return value;
}

/** A URL that may be absent, such as DYNAMODB_ENDPOINT. */
export function readOptionalUrl(
  env: Env,
  name: string,
  protocols: readonly string[],
): string | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;

  return readUrl(env, name, value, protocols);
}

/** A positive decimal such as the price factor "1.10", within a range. */
export function readDecimal(
  env: Env,
  name: string,
  fallback: string,
  range: { min: number; max: number } = { min: 0, max: 999_999 },
): string {
  const value = raw(env, name) ?? fallback;
  if (!/^\d{1,6}(\.\d{1,4})?$/.test(value) || Number(value) <= 0) {
    throw new ConfigError(
      name,
      `expected a positive decimal such as 1.10, got "${value}"`,
    );
  }
  if (Number(value) < range.min || Number(value) > range.max) {
    throw new ConfigError(
      name,
      `expected ${range.min} to ${range.max}, got ${value}`,
    );
  }

  return value;
}

/** Shows a URL without its password, for start-up logs. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparsable URL)';
  }
}
