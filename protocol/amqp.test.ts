import { decodeTask, encodeTask, TaskFormatError } from './amqp.js';

const task = {
  task: 'update_prices',
  tick: 'b3f1c1de-1111-4c2b-9f00-000000000001',
  factor: '1.10',
  scheduled_at: '2026-12-04T10:00:00Z',
} as const;

describe('the update_prices task message', () => {
  it('decodes what it encodes', () => {
    expect(decodeTask(encodeTask(task))).toEqual(task);
  });

  it('takes a tick id of 128 visible characters', () => {
    const long = { ...task, tick: `~${'x'.repeat(126)}|` };

    expect(decodeTask(encodeTask(long)).tick).toHaveLength(128);
  });

  it.each([
    ['not JSON', '{oops'],
    ['not an object', '42'],
    ['null', 'null'],
    ['an unknown task', JSON.stringify({ ...task, task: 'drop_tables' })],
    ['no tick', JSON.stringify({ ...task, tick: undefined })],
    ['an empty tick', JSON.stringify({ ...task, tick: '' })],
    [
      'a 129-character tick',
      JSON.stringify({ ...task, tick: 'x'.repeat(129) }),
    ],
    ['a tick with spaces', JSON.stringify({ ...task, tick: 'a tick' })],
    ['a non-ASCII tick', JSON.stringify({ ...task, tick: 'tické' })],
    [
      'a factor that is not a decimal',
      JSON.stringify({ ...task, factor: 'x' }),
    ],
    [
      'a time that is not a time',
      JSON.stringify({ ...task, scheduled_at: 'soon' }),
    ],
    [
      'a factor that wipes prices',
      JSON.stringify({ ...task, factor: '0.0000001' }),
    ],
    ['a factor under 0.5', JSON.stringify({ ...task, factor: '0.3' })],
    ['a factor over 2', JSON.stringify({ ...task, factor: '1000000' })],
    [
      'a date without a time',
      JSON.stringify({ ...task, scheduled_at: '2026-12-04' }),
    ],
    ['a bare number as time', JSON.stringify({ ...task, scheduled_at: '1' })],
    [
      'a six-digit year',
      JSON.stringify({ ...task, scheduled_at: '+275760-09-13T00:00:00.000Z' }),
    ],
  ])('refuses %s', (_name, body) => {
    expect(() => decodeTask(Buffer.from(body))).toThrow(TaskFormatError);
  });
});
