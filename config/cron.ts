/**
 * EventBridge's six-field cron, in UTC:
 *
 *   minutes  hours  day-of-month  month  day-of-week  year
 *   0-59     0-23   1-31 L LW nW  1-12   1-7 (SUN=1)  1970-2199
 *                                 JAN-   SUN-SAT nL
 *                                 DEC    n#k
 *
 * Every field takes `*`, lists `a,b`, ranges `a-b` and steps `a/s` or
 * `a-b/s`. One of day-of-month and day-of-week must be `?`.
 */

export class CronError extends Error {
  override readonly name = 'CronError';
}

type DayMatch = (year: number, month: number, day: number) => boolean;

export interface Cron {
  minutes: readonly number[];
  hours: readonly number[];
  months: ReadonlySet<number>;
  years: ReadonlySet<number>;
  day: DayMatch;
}

const MONTHS = 'JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC'.split(' ');
const DAYS = 'SUN MON TUE WED THU FRI SAT'.split(' ');
const LAST_YEAR = 2199;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

interface Range {
  min: number;
  max: number;
  names?: readonly string[];
}

const RANGES = {
  minutes: { min: 0, max: 59 },
  hours: { min: 0, max: 23 },
  dayOfMonth: { min: 1, max: 31 },
  month: { min: 1, max: 12, names: MONTHS },
  dayOfWeek: { min: 1, max: 7, names: DAYS },
  year: { min: 1970, max: LAST_YEAR },
} satisfies Record<string, Range>;

function value(text: string, range: Range, field: string): number {
  const named = range.names?.indexOf(text.toUpperCase()) ?? -1;
  const number = named >= 0 ? named + range.min : Number(text);
  if (!/^\d+$/.test(text) && named < 0) {
    throw new CronError(`${field}: "${text}" is not a value`);
  }
  if (number < range.min || number > range.max) {
    throw new CronError(
      `${field}: ${text} is outside ${range.min}-${range.max}`,
    );
  }

  return number;
}

/** The values a field's `*`, list, range and step parts allow. */
function values(text: string, range: Range, field: string): Set<number> {
  const allowed = new Set<number>();
  for (const part of text.split(',')) {
    const [span = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) {
      throw new CronError(`${field}: bad step in "${part}"`);
    }
    let from = range.min;
    let to = range.max;
    if (span !== '*') {
      const [start = '', end] = span.split('-');
      from = value(start, range, field);
      to =
        end === undefined
          ? stepText
            ? range.max
            : from
          : value(end, range, field);
    }
    if (from > to) throw new CronError(`${field}: "${part}" runs backwards`);
    for (let v = from; v <= to; v += step) allowed.add(v);
  }

  return allowed;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function weekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

/** The weekday (Mon-Fri) nearest `day` without leaving the month. */
function nearestWeekday(year: number, month: number, day: number): number {
  const last = daysIn(year, month);
  const target = Math.min(day, last);
  const dow = weekday(year, month, target);
  if (dow === 7) return target === 1 ? 3 : target - 1;
  if (dow === 1) return target === last ? target - 2 : target + 1;

  return target;
}

function dayOfMonth(text: string): DayMatch {
  const field = 'day-of-month';
  if (text === 'L') return (y, m, d) => d === daysIn(y, m);
  if (text === 'LW') {
    return (y, m, d) => d === nearestWeekday(y, m, daysIn(y, m));
  }
  const near = /^(\d+)W$/.exec(text);
  if (near) {
    const target = value(near[1] as string, RANGES.dayOfMonth, field);
    return (y, m, d) => d === nearestWeekday(y, m, target);
  }
  const allowed = values(text, RANGES.dayOfMonth, field);

  return (_y, _m, d) => allowed.has(d);
}

function dayOfWeek(text: string): DayMatch {
  const field = 'day-of-week';
  const last = /^(\w+)?L$/.exec(text);
  if (last) {
    const dow = value(last[1] ?? '7', RANGES.dayOfWeek, field);
    return (y, m, d) => weekday(y, m, d) === dow && d + 7 > daysIn(y, m);
  }
  const nth = /^(\w+)#(\d)$/.exec(text);
  if (nth) {
    const dow = value(nth[1] as string, RANGES.dayOfWeek, field);
    const k = Number(nth[2]);
    if (k < 1 || k > 5)
      throw new CronError(`${field}: "${text}" has no such week`);
    return (y, m, d) => weekday(y, m, d) === dow && Math.ceil(d / 7) === k;
  }
  const allowed = values(text, RANGES.dayOfWeek, field);

  return (y, m, d) => allowed.has(weekday(y, m, d));
}

export function parseCron(fields: readonly string[]): Cron {
  if (fields.length !== 6) throw new CronError('a cron() takes six fields');
  const [min, hour, dom, month, dow, year] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if ((dom === '?') === (dow === '?')) {
    throw new CronError(
      'exactly one of day-of-month and day-of-week must be ?',
    );
  }

  return {
    minutes: [...values(min, RANGES.minutes, 'minutes')].sort((a, b) => a - b),
    hours: [...values(hour, RANGES.hours, 'hours')].sort((a, b) => a - b),
    months: values(month, RANGES.month, 'month'),
    years: values(year, RANGES.year, 'year'),
    day: dom === '?' ? dayOfWeek(dow) : dayOfMonth(dom),
  };
}

/** The first time the cron fires strictly after `after`, if any. */
export function nextCronTime(cron: Cron, after: Date): Date | undefined {
  const start = Math.floor(after.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const first = new Date(start);
  let dayStart = Date.UTC(
    first.getUTCFullYear(),
    first.getUTCMonth(),
    first.getUTCDate(),
  );
  for (;;) {
    const date = new Date(dayStart);
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth() + 1;
    const d = date.getUTCDate();
    if (y > LAST_YEAR) return undefined;
    if (cron.years.has(y) && cron.months.has(m) && cron.day(y, m, d)) {
      for (const hour of cron.hours) {
        for (const minute of cron.minutes) {
          const at = dayStart + hour * 3_600_000 + minute * MINUTE_MS;
          if (at >= start) return new Date(at);
        }
      }
    }
    dayStart += DAY_MS;
  }
}
