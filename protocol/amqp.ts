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
  if (!/^\d+(\.\d+)?$/.test(task.factor as string)) {
    throw new TaskFormatError('task factor is not a decimal');
  }
  if (Number.isNaN(Date.parse(task.scheduled_at as string))) {
    throw new TaskFormatError('task scheduled_at is not a time');
  }

  return task as unknown as UpdatePricesTask;
}

export function encodeEvent(event: ProductEvent): Buffer {
  return Buffer.from(JSON.stringify(event));
}
