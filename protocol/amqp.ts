/**
 * Messages on RabbitMQ (DESIGN.md, "Messages on RabbitMQ"): the task the
 * bridge publishes per tick and the event the worker publishes per
 * changed product.
 */
import type { ProductEvent } from './product.js';

export interface UpdatePricesTask {
  task: 'update_prices';
  tick: string;
  factor: string;
  scheduled_at: string;
}

/**
 * The factors a task may carry. Wider than any price policy needs, and
 * narrow enough that one stray message cannot wipe out or max out the
 * catalogue's prices.
 */
export const MIN_FACTOR = 0.5;
export const MAX_FACTOR = 2;

const FACTOR = /^\d{1,6}(\.\d{1,4})?$/;
/**
 * A tick id as schedules make them (EventBridge's are UUIDs): visible
 * ASCII, short, since every product keeps the ids of its recent ticks.
 */
export const MAX_TICK_ID_LENGTH = 128;
const TICK_ID = new RegExp(`^[\\x21-\\x7e]{1,${MAX_TICK_ID_LENGTH}}$`);
const SCHEDULED_AT =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export class TaskFormatError extends Error {
  override readonly name = 'TaskFormatError';
}

export function encodeTask(task: UpdatePricesTask): Buffer {
  return Buffer.from(JSON.stringify(task));
}

/** Parses a task body; throws TaskFormatError for anything unusable. */
export function decodeTask(body: Buffer): UpdatePricesTask {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new TaskFormatError('task body is not JSON');
  }
  if (typeof value !== 'object' || value === null) {
    throw new TaskFormatError('task body is not an object');
  }
  const task = value as Record<string, unknown>;
  if (task.task !== 'update_prices') {
    throw new TaskFormatError(`unknown task: ${String(task.task)}`);
  }
  for (const key of ['tick', 'factor', 'scheduled_at'] as const) {
    if (typeof task[key] !== 'string' || task[key] === '') {
      throw new TaskFormatError(`task field ${key} is missing`);
    }
  }
  if (!TICK_ID.test(task.tick as string)) {
    throw new TaskFormatError(
      `task tick must be 1 to ${MAX_TICK_ID_LENGTH} visible ASCII characters`,
    );
  }
  if (!FACTOR.test(task.factor as string)) {
    throw new TaskFormatError('task factor is not a decimal');
  }
  const factor = Number(task.factor);
  if (factor < MIN_FACTOR || factor > MAX_FACTOR) {
    throw new TaskFormatError(
      `task factor must be from ${MIN_FACTOR} to ${MAX_FACTOR}`,
    );
  }
  const at = task.scheduled_at as string;
  if (!SCHEDULED_AT.test(at) || Number.isNaN(Date.parse(at))) {
    throw new TaskFormatError('task scheduled_at is not an ISO 8601 time');
  }

  return task as unknown as UpdatePricesTask;
}

export function encodeEvent(event: ProductEvent): Buffer {
  return Buffer.from(JSON.stringify(event));
}
