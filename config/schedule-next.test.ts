import { ConfigError } from './env.js';
import { nextFireTime, parseSchedule } from './schedule.js';

const at = (iso: string) => new Date(iso);

function fires(expression: string, from: string, count: number): string[] {
  const schedule = parseSchedule(expression);
  const times: string[] = [];
  let after = at(from);
  for (let i = 0; i < count; i++) {
    const next = nextFireTime(schedule, after);
    if (!next) break;
    times.push(next.toISOString());
    after = next;
  }
  return times;
}

describe('next fire time', () => {
  it('fires a rate on whole periods, strictly after the given time', () => {
    expect(fires('rate(5 seconds)', '2026-12-04T10:00:03.000Z', 3)).toEqual([
      '2026-12-04T10:00:05.000Z',
      '2026-12-04T10:00:10.000Z',
      '2026-12-04T10:00:15.000Z',
    ]);
    expect(fires('rate(1 minute)', '2026-12-04T10:00:00.000Z', 1)).toEqual([
      '2026-12-04T10:01:00.000Z',
    ]);
  });

  it('counts a rate from an anchor when given one', () => {
    const schedule = parseSchedule('rate(6 minutes)');
    const anchor = Date.parse('2026-12-04T10:02:00Z');

    const next = nextFireTime(schedule, at('2026-12-04T10:03:00Z'), anchor);

    expect(next?.toISOString()).toBe('2026-12-04T10:08:00.000Z');
  });

  it.each([
    [
      'every five minutes',
      'cron(0/5 * * * ? *)',
      '2026-12-04T10:02:30Z',
      ['2026-12-04T10:05:00.000Z', '2026-12-04T10:10:00.000Z'],
    ],
    [
      'weekdays at 10:15',
      'cron(15 10 ? * MON-FRI *)',
      '2026-12-04T10:15:00Z',
      ['2026-12-07T10:15:00.000Z', '2026-12-08T10:15:00.000Z'],
    ],
    [
      'the last day of the month',
      'cron(0 0 L * ? *)',
      '2027-01-31T00:00:00Z',
      ['2027-02-28T00:00:00.000Z', '2027-03-31T00:00:00.000Z'],
    ],
    [
      'the last weekday of the month',
      'cron(0 12 LW * ? *)',
      '2027-01-01T00:00:00Z',
      ['2027-01-29T12:00:00.000Z', '2027-02-26T12:00:00.000Z'],
    ],
    [
      'the weekday nearest the 1st, not leaving the month',
      'cron(0 9 1W * ? *)',
      '2026-07-31T00:00:00Z',
      ['2026-08-03T09:00:00.000Z', '2026-09-01T09:00:00.000Z'],
    ],
    [
      'the first Monday of the month',
      'cron(30 8 ? * 2#1 *)',
      '2026-12-04T00:00:00Z',
      ['2026-12-07T08:30:00.000Z', '2027-01-04T08:30:00.000Z'],
    ],
    [
      'the last Friday of the month',
      'cron(0 17 ? * 6L *)',
      '2026-12-01T00:00:00Z',
      ['2026-12-25T17:00:00.000Z', '2027-01-29T17:00:00.000Z'],
    ],
    [
      'listed months and hours, in one year',
      'cron(0 6,18 1 JAN,JUL ? 2027)',
      '2026-12-04T00:00:00Z',
      [
        '2027-01-01T06:00:00.000Z',
        '2027-01-01T18:00:00.000Z',
        '2027-07-01T06:00:00.000Z',
        '2027-07-01T18:00:00.000Z',
      ],
    ],
  ])('fires a cron for %s', (_name, expression, from, expected) => {
    expect(fires(expression, from, expected.length)).toEqual(expected);
  });

  it('gives no time for a cron whose years are past', () => {
    const schedule = parseSchedule('cron(0 0 1 1 ? 2020)');

    expect(nextFireTime(schedule, at('2026-12-04T00:00:00Z'))).toBeUndefined();
    expect(fires('cron(0 0 1 1 ? 2027)', '2026-12-04T00:00:00Z', 3)).toEqual([
      '2027-01-01T00:00:00.000Z',
    ]);
  });

  it.each([
    ['both day fields set', 'cron(0 0 1 * MON *)'],
    ['neither day field set', 'cron(0 0 ? * ? *)'],
    ['a minute out of range', 'cron(60 * * * ? *)'],
    ['an unknown month name', 'cron(0 0 1 FOO ? *)'],
    ['a range that runs backwards', 'cron(0 10-2 * * ? *)'],
    ['a zero step', 'cron(0/0 * * * ? *)'],
    ['a sixth week', 'cron(0 0 ? * 2#6 *)'],
    ['a year past 2199', 'cron(0 0 1 1 ? 2200)'],
  ])('refuses a cron with %s, naming PRICE_SCHEDULE', (_name, expression) => {
    expect(() => parseSchedule(expression)).toThrow(ConfigError);
    expect(() => parseSchedule(expression)).toThrow(/PRICE_SCHEDULE/);
  });
});
