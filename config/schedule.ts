/**
 * Schedule expressions as EventBridge writes them: `rate(6 minutes)` or
 * `cron(0/5 * * * ? *)`. The local scheduler also accepts seconds, which
 * EventBridge does not, for demos and tests.
 */
import { CronError, nextCronTime, parseCron } from './cron.js';
import { ConfigError } from './env.js';

export type Schedule =
  | { kind: 'rate'; expression: string; everyMs: number }
  | { kind: 'cron'; expression: string; fields: readonly string[] };

const MINUTE_MS = 60_000;

const UNIT_MS: Record<string, number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

const RATE = /^rate\(\s*(\d+)\s+(second|minute|hour|day)s?\s*\)$/;
const CRON = /^cron\(([^)]*)\)$/;
const CRON_FIELDS = 6;

export function parseSchedule(
  expression: string,
  variable = 'PRICE_SCHEDULE',
): Schedule {
  const text = expression.trim();
  const rate = RATE.exec(text);
  if (rate) {
    const count = Number(rate[1]);
    const unit = rate[2] as string;
    if (count < 1) throw new ConfigError(variable, 'a rate must be 1 or more');
    if (count === 1 && text.includes(`${unit}s`)) {
      throw new ConfigError(variable, `write rate(1 ${unit}), singular`);
    }
    return {
      kind: 'rate',
      expression: text,
      everyMs: count * (UNIT_MS[unit] ?? 0),
    };
  }
  const cron = CRON.exec(text);
  if (cron) {
    const fields = (cron[1] ?? '').trim().split(/\s+/);
    if (fields.length !== CRON_FIELDS) {
      throw new ConfigError(variable, 'a cron() takes six fields');
    }
    try {
      parseCron(fields);
    } catch (error) {
      if (!(error instanceof CronError)) throw error;
      throw new ConfigError(variable, `${error.message} in ${text}`);
    }
    return { kind: 'cron', expression: text, fields };
  }

  throw new ConfigError(
    variable,
    `expected rate(N unit) or cron(...), got "${expression}"`,
  );
}

/** True when EventBridge itself accepts the expression (no seconds). */
export function isDeployable(schedule: Schedule): boolean {
  return schedule.kind === 'cron' || schedule.everyMs % MINUTE_MS === 0;
}

/**
 * When the schedule fires next, strictly after `after`. A rate fires at
 * whole multiples of its period counted from `anchor` (the epoch unless
 * given), so rate(1 minute) fires on the minute. A cron fires in UTC;
 * undefined when it never fires again.
 */
export function nextFireTime(
  schedule: Schedule,
  after: Date,
  anchor = 0,
): Date | undefined {
  if (schedule.kind === 'cron') {
    return nextCronTime(parseCron(schedule.fields), after);
  }
  const periods = Math.floor((after.getTime() - anchor) / schedule.everyMs);

  return new Date(anchor + (periods + 1) * schedule.everyMs);
}
