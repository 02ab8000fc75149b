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

  it.each([
    ['not JSON', '{oops'],
    ['not an object', '42'],
    ['null', 'null'],
    ['an unknown task', JSON.stringify({ ...task, task: 'drop_tables' })],
    ['no tick', JSON.stringify({ ...task, tick: undefined })],
    ['an empty tick', JSON.stringify({ ...task, tick: '' })],
    [
      'a factor that is not a decimal',
      JSON.stringify({ ...task, factor: 'x' }),
    ],
    [
      'a time that is not a time',
      JSON.stringify({ ...task, scheduled_at: 'soon' }),
    ],
  ])('refuses %s', (_name, body) => {
    expect(() => decodeTask(Buffer.from(body))).toThrow(TaskFormatError);
  });
});
