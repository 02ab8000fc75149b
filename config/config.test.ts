import {
  ConfigError,
  readDecimal,
  readInt,
  readOptionalUrl,
  readUrl,
  redactUrl,
} from './env.js';
import { isDeployable, parseSchedule } from './schedule.js';

describe('environment readers', () => {
  it('falls back to the default when the variable is unset or blank', () => {
    expect(readInt({}, 'N', 5, { min: 0, max: 9 })).toBe(5);
    expect(readInt({ N: '  ' }, 'N', 5, { min: 0, max: 9 })).toBe(5);
  });

  it.each([
    ['a word', 'five'],
    ['a fraction', '1.5'],
    ['out of range', '10'],
  ])('names the variable when a number is %s', (_name, value) => {
    expect(() =>
      readInt({ SEED: value }, 'SEED', 5, { min: 0, max: 9 }),
    ).toThrow(/^SEED: /);
  });

  it('refuses a URL of the wrong kind, naming the variable', () => {
    const read = () =>
      readUrl({ AMQP_URL: 'http://x' }, 'AMQP_URL', 'amqp://a', ['amqp:']);

    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/AMQP_URL/);
  });

  it('reads an optional URL as absent, or checks it like any URL', () => {
    const read = (value?: string) =>
      readOptionalUrl({ DYNAMODB_ENDPOINT: value }, 'DYNAMODB_ENDPOINT', [
        'http:',
      ]);

    expect(read()).toBeUndefined();
    expect(read('http://127.0.0.1:8000')).toBe('http://127.0.0.1:8000');
    expect(() => read('ftp://x')).toThrow(/^DYNAMODB_ENDPOINT: /);
  });

  it('does not echo a URL that may hold a password', () => {
    let message = '';
    try {
      readUrl({ AMQP_URL: 'amqp//u:secret@h' }, 'AMQP_URL', 'x', ['amqp:']);
    } catch (error) {
      message = (error as Error).message;
    }

    expect(message).toMatch(/AMQP_URL/);
    expect(message).not.toMatch(/secret/);
  });

  it('hides the password of a URL in logs', () => {
    expect(redactUrl('amqp://guest:secret@127.0.0.1:5672')).toBe(
      'amqp://guest:***@127.0.0.1:5672',
    );
  });

  it.each(['0', '-1.1', 'abc', '1.1.1'])('refuses the factor %j', (value) => {
    expect(() =>
      readDecimal({ PRICE_FACTOR: value }, 'PRICE_FACTOR', '1.10'),
    ).toThrow(/PRICE_FACTOR/);
  });
});

describe('decimal settings with a range', () => {
  it('refuses a factor outside its range, naming the variable', () => {
    const read = (value: string) =>
      readDecimal({ PRICE_FACTOR: value }, 'PRICE_FACTOR', '1.10', {
        min: 0.5,
        max: 2,
      });

    expect(read('1.25')).toBe('1.25');
    expect(() => read('1000')).toThrow(/^PRICE_FACTOR: expected 0.5 to 2/);
    expect(() => read('0.1')).toThrow(/^PRICE_FACTOR: /);
  });
});

describe('schedule expressions', () => {
  it.each([
    ['rate(6 minutes)', 360_000],
    ['rate(1 minute)', 60_000],
    ['rate(5 seconds)', 5_000],
    ['rate(2 hours)', 7_200_000],
  ])('reads %s', (expression, everyMs) => {
    expect(parseSchedule(expression)).toMatchObject({ kind: 'rate', everyMs });
  });

  it('reads a six-field cron expression', () => {
    expect(parseSchedule('cron(0/5 * * * ? *)')).toMatchObject({
      kind: 'cron',
    });
  });

  it.each([
    'rate(0 minutes)',
    'rate(5 fortnights)',
    'cron(* * *)',
    'every minute',
    '',
  ])('refuses %j, naming PRICE_SCHEDULE', (expression) => {
    expect(() => parseSchedule(expression)).toThrow(/PRICE_SCHEDULE/);
  });

  it('tells seconds, which EventBridge refuses, from minutes', () => {
    expect(isDeployable(parseSchedule('rate(30 seconds)'))).toBe(false);
    expect(isDeployable(parseSchedule('rate(6 minutes)'))).toBe(true);
  });
});
