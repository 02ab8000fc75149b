/**
 * The local stand-in for the EventBridge rule: fires on the schedule the
 * CDK rule uses and emits scheduled events shaped as EventBridge sends
 * them, each with a fresh id, `time` = the moment the tick was due.
 */
import { randomUUID } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ScheduledEvent } from 'aws-lambda';
import { nextFireTime, type Schedule } from '../config/schedule.js';
import type { Logger } from '../functions/shared/logger.js';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';
export const RULE_NAME = 'product-feed-price-tick';

/** setTimeout keeps at most ~24.8 days; longer waits go in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SchedulerOptions {
  schedule: Schedule;
  send: (event: ScheduledEvent) => Promise<void>;
  logger: Logger;
  now?: () => Date;
  region?: string;
}

export interface Scheduler {
  stop(): void;
}

/** EventBridge writes `time` to the second: 2026-12-04T15:50:00Z. */
function eventTime(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function scheduledEvent(
  at: Date,
  region = LOCAL_REGION,
): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT,
    time: eventTime(at),
    region,
    resources: [`arn:aws:events:${region}:${LOCAL_ACCOUNT}:rule/${RULE_NAME}`],
    detail: {},
  };
}

export function startScheduler(options: SchedulerOptions): Scheduler {
  const now = options.now ?? (() => new Date());
  const logger = options.logger.child({ role: 'scheduler' });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const fire = async (due: Date) => {
    const event = scheduledEvent(due, options.region);
    try {
      await options.send(event);
      logger.info('tick sent', { tick: event.id, time: event.time });
    } catch (error) {
      logger.error('tick not sent', { tick: event.id, error });
    }
  };
  const arm = (after: Date) => {
    if (stopped) return;
    const due = nextFireTime(options.schedule, after);
    if (!due) {
      logger.warn('schedule never fires again', {
        schedule: options.schedule.expression,
      });
      return;
    }
    const wait = due.getTime() - now().getTime();
    if (wait > MAX_TIMER_MS) {
      timer = setTimeout(() => arm(after), MAX_TIMER_MS);
      return;
    }
    timer = setTimeout(
      () => {
        void fire(due);
        // A late timer (a sleeping laptop) skips the missed ticks, as
        // EventBridge does not make up for them either.
        arm(new Date(Math.max(now().getTime(), due.getTime())));
      },
      Math.max(0, wait),
    );
  };

  arm(now());
  logger.info('scheduler started', {
    schedule: options.schedule.expression,
  });
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Sends a scheduled event into SQS as the rule's SQS target does. */
export async function sendToQueue(
  client: SQSClient,
  queueUrl: string,
  event: ScheduledEvent,
): Promise<void> {
  await client.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(event),
    }),
  );
}
