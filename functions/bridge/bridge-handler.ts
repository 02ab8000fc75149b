/**
 * SQS batch of EventBridge scheduled events in, one update_prices task
 * per tick out. A record whose task the broker did not confirm is a batch
 * item failure, so SQS delivers it again and, after MAX_TICK_RECEIVES
 * receives, moves it to the tick DLQ.
 *
 * Ticks are published oldest first. Once one publish fails, the later
 * ones in the batch are not tried and fail too: the broker is most
 * likely gone, and a newer tick applied before an older one makes the
 * store count the older one as already done (a shortcoming of the
 * store's per-product watermark; see the note on applyTick).
 *
 * A body that is not a scheduled event can never succeed, so it is not
 * a failure: retrying it would only hold back the ticks behind it. It is
 * dropped with an error log line that carries the body.
 */
import type {
  SQSBatchItemFailure,
  SQSBatchResponse,
  SQSEvent,
  SQSRecord,
} from 'aws-lambda';
import type { UpdatePricesTask } from '../../protocol/amqp.js';
import type { Logger } from '../shared/logger.js';
import type { TaskPublisher } from './task-publisher.js';

/** How much of a dropped body the error line keeps. */
const LOGGED_BODY_CHARS = 1_024;

export interface BridgeDeps {
  publisher: TaskPublisher;
  factor: string;
  logger: Logger;
  /**
   * The longest one publish may take, retries included. With a Lambda
   * context, a record is only started while this much time remains, so
   * the invocation ends with a partial batch response instead of timing
   * out (which would send the whole batch back).
   */
  publishBudgetMs?: number;
}

/** What the bridge reads of the Lambda context. */
export interface InvocationClock {
  getRemainingTimeInMillis(): number;
}

const DEFAULT_PUBLISH_BUDGET_MS = 20_000;

export class TickFormatError extends Error {
  override readonly name = 'TickFormatError';
}

/** The tick a scheduled event stands for: its id and scheduled time. */
export function parseTick(body: string): { id: string; time: string } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new TickFormatError('body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TickFormatError('body is not an object');
  }
  const event = value as Record<string, unknown>;
  if (event['detail-type'] !== 'Scheduled Event') {
    throw new TickFormatError('not a scheduled event');
  }
  const { id, time } = event;
  if (typeof id !== 'string' || id.trim() === '') {
    throw new TickFormatError('event id is missing');
  }
  if (typeof time !== 'string' || Number.isNaN(Date.parse(time))) {
    throw new TickFormatError('event time is missing or not a time');
  }

  return { id, time };
}

export function createBridgeHandler(
  deps: BridgeDeps,
): (event: SQSEvent, context?: InvocationClock) => Promise<SQSBatchResponse> {
  const { publisher, factor, logger } = deps;
  const budget = deps.publishBudgetMs ?? DEFAULT_PUBLISH_BUDGET_MS;

  return async (event, context) => {
    const failures: SQSBatchItemFailure[] = [];
    const tasks = event.Records.flatMap((record) => {
      const task = toTask(record, factor, logger);
      return task ? [{ record, task }] : [];
    });
    // SQS keeps no order; publishing the batch oldest first at least
    // keeps the ticks within one batch in order.
    tasks.sort((a, b) => timeOf(a.task) - timeOf(b.task));
    for (const { record, task } of tasks) {
      if (failures.length === 0 && outOfTime(context, budget)) {
        logger.warn('no time left to publish', { tick: task.tick });
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      if (failures.length > 0) {
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      try {
        await publisher.publish(task);
        logger.info('task published', {
          tick: task.tick,
          message: record.messageId,
        });
      } catch (error) {
        logger.warn('task not published', {
          tick: task.tick,
          message: record.messageId,
          receives: record.attributes?.ApproximateReceiveCount,
          error,
        });
        failures.push({ itemIdentifier: record.messageId });
      }
    }

    return { batchItemFailures: failures };
  };
}

function outOfTime(
  context: InvocationClock | undefined,
  budgetMs: number,
): boolean {
  return context !== undefined && context.getRemainingTimeInMillis() < budgetMs;
}

function timeOf(task: UpdatePricesTask): number {
  return Date.parse(task.scheduled_at);
}

function toTask(
  record: SQSRecord,
  factor: string,
  logger: Logger,
): UpdatePricesTask | undefined {
  try {
    // The id and time pass as EventBridge gives them; the worker's task
    // rules (protocol/amqp.ts) are not applied here, so a tick outside
    // them is dead-lettered by the worker, not dropped here.
    const tick = parseTick(record.body);
    return {
      task: 'update_prices',
      tick: tick.id,
      factor,
      scheduled_at: tick.time,
    };
  } catch (error) {
    logger.error('tick dropped', {
      message: record.messageId,
      error,
      body: String(record.body).slice(0, LOGGED_BODY_CHARS),
    });
    return undefined;
  }
}
