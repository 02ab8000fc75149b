import { ConfigError } from '../../config/env.js';

/**
 * JSON log lines with fixed keys: level, time, service, msg, then fields.
 * Errors become objects with name and message. Only boundaries log.
 */

export type Level = 'debug' | 'info' | 'warn' | 'error';

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

const RANK: Record<Level, number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
};

export type Sink = (line: string) => void;

function serialise(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const error: Fields = { name: value.name, message: value.message };
  if (value.cause !== undefined) error.cause = serialise(value.cause);

  return error;
}

export function createLogger(
  service: string,
  options: { level?: Level; sink?: Sink; base?: Fields } = {},
): Logger {
  const min = RANK[options.level ?? levelFromEnv()];
  const sink = options.sink ?? ((line) => process.stdout.write(`${line}\n`));
  const base = options.base ?? {};
  const write = (level: Level, msg: string, fields: Fields = {}) => {
    if (RANK[level] < min) return;
    const entry: Fields = {
      level,
      time: new Date().toISOString(),
      service,
      msg,
    };
    for (const [key, value] of Object.entries({ ...base, ...fields })) {
      entry[key] = serialise(value);
    }
    sink(JSON.stringify(entry));
  };

  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (fields) =>
      createLogger(service, { ...options, base: { ...base, ...fields } }),
  };
}

const LEVELS = Object.keys(RANK) as Level[];

function isLevel(value: string): value is Level {
  return (LEVELS as string[]).includes(value);
}

/** LOG_LEVEL, checked like every other setting: a typo stops start-up. */
function levelFromEnv(): Level {
  const level = process.env.LOG_LEVEL?.trim() || 'info';
  if (!isLevel(level)) {
    throw new ConfigError(
      'LOG_LEVEL',
      `expected one of ${LEVELS.join(', ')}, got "${level}"`,
    );
  }

  return level;
}

/** A logger that keeps parsed entries, for tests that assert on logs. */
export function memoryLogger(service = 'test'): Logger & { entries: Fields[] } {
  const entries: Fields[] = [];
  const logger = createLogger(service, {
    level: 'debug',
    sink: (line) => entries.push(JSON.parse(line) as Fields),
  });

  return Object.assign(logger, { entries });
}
