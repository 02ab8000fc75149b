import type { ScheduledEvent } from 'aws-lambda';
import { parseSchedule } from '../config/schedule.js';
import { memoryLogger } from '../functions/shared/logger.js';
import { waitFor } from '../test/price-chain.js';
import { startScheduler } from './scheduler.js';

describe('local scheduler', () => {
  it('emits EventBridge scheduled events with a fresh id per tick', async () => {
    const sent: ScheduledEvent[] = [];
    const scheduler = startScheduler({
      schedule: parseSchedule('rate(1 second)'),
      send: async (event) => {
        sent.push(event);
      },
      logger: memoryLogger(),
    });

    await waitFor(() => (sent.length >= 3 ? sent : undefined), 'three ticks');
    scheduler.stop();

    expect(new Set(sent.map((event) => event.id)).size).toBe(sent.length);
    for (const event of sent) {
      expect(event).toMatchObject({
        version: '0',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        detail: {},
      });
      expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(event.resources[0]).toMatch(/^arn:aws:events:.+:rule\/.+$/);
    }
    const times = sent.map((event) => Date.parse(event.time));
    expect(times.slice(1).map((t, i) => t - (times[i] ?? 0))).toEqual(
      times.slice(1).map(() => 1_000),
    );
  });

  it('fires a cron schedule at its next minute, in UTC', async () => {
    const sent: ScheduledEvent[] = [];
    const base = Date.parse('2026-12-04T10:04:59.700Z');
    const started = Date.now();
    const scheduler = startScheduler({
      schedule: parseSchedule('cron(0/5 * * * ? *)'),
      send: async (event) => {
        sent.push(event);
      },
      logger: memoryLogger(),
      now: () => new Date(base + Date.now() - started),
    });

    const [event] = await waitFor(
      () => (sent.length >= 1 ? sent : undefined),
      'the cron tick',
      3_000,
    );
    scheduler.stop();

    expect(event?.time).toBe('2026-12-04T10:05:00Z');
  });

  it('sends nothing after stop', async () => {
    const sent: ScheduledEvent[] = [];
    const scheduler = startScheduler({
      schedule: parseSchedule('rate(1 second)'),
      send: async (event) => {
        sent.push(event);
      },
      logger: memoryLogger(),
    });
    await waitFor(() => (sent.length >= 1 ? true : undefined), 'one tick');

    scheduler.stop();
    const count = sent.length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    expect(sent).toHaveLength(count);
  });

  it('logs a tick it could not send and keeps its schedule', async () => {
    const logger = memoryLogger();
    let calls = 0;
    const scheduler = startScheduler({
      schedule: parseSchedule('rate(1 second)'),
      send: async () => {
        calls += 1;
        if (calls === 1) throw new Error('queue unreachable');
      },
      logger,
    });

    await waitFor(() => (calls >= 2 ? true : undefined), 'a second tick');
    scheduler.stop();

    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'tick not sent' }),
    );
  });
});
