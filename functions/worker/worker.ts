/**
 * The price worker's AMQP side: consumes `products.update_prices` with a
 * bounded prefetch, runs one task at a time in arrival order, and acks a
 * task only after all of its writes are done.
 *
 * - A body that can never succeed (not JSON, unknown task) is rejected
 *   without requeue at once, so it lands in the dead-letter queue.
 * - A transient failure reruns the task after a backoff, a bounded
 *   number of times; then the task is dead-lettered too.
 * - A lost connection is reopened with backoff, for as long as the worker
 *   runs; tasks not acked on the old one come back from the broker.
 * - close() stops taking tasks, lets the task in hand finish, then closes.
 */
import amqp, { type Channel, type ConsumeMessage } from 'amqplib';
import { AMQP, type AmqpNames } from '../../config/topology.js';
import { decodeTask, type UpdatePricesTask } from '../../protocol/amqp.js';
import { createAmqpProductEvents } from '../events/amqp-product-events.js';
import type { ProductEvents } from '../events/product-events.js';
import {
  assertTaskTopology,
  backoffDelay,
  CONNECT_TIMEOUT_MS,
  sleep,
} from '../shared/amqp.js';
import type { Logger } from '../shared/logger.js';
import {
  createPriceTask,
  isTransient,
  type PriceTask,
  type TickStore,
  type TickSummary,
} from './price-task.js';

export const DEFAULT_PREFETCH = 1;
/** Runs of one task before a failing one is dead-lettered. */
export const TASK_ATTEMPTS = 3;

export interface WorkerOptions {
  amqpUrl: string;
  names?: AmqpNames;
  store: TickStore;
  /** Where changes are announced; AMQP on the same broker when unset. */
  events?: ProductEvents;
  logger: Logger;
  prefetch?: number;
  concurrency?: number;
  /** Backoff between reconnects and between runs of a failing task. */
  reconnect?: { initialMs: number; maxMs: number };
  retry?: { initialMs: number; maxMs: number };
  /** Told of each task the worker finished, for hosts and tests. */
  onTick?: (summary: TickSummary) => void;
}

export interface Worker {
  close(): Promise<void>;
}

const RECONNECT = { initialMs: 200, maxMs: 10_000 };
const RETRY = { initialMs: 500, maxMs: 5_000 };

export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const names = options.names ?? AMQP;
  const ownEvents = options.events === undefined;
  const events =
    options.events ??
    (await createAmqpProductEvents({ amqpUrl: options.amqpUrl, names }));
  let worker: TaskConsumer | undefined;
  const runTask = createPriceTask({
    store: options.store,
    events,
    logger: options.logger,
    concurrency: options.concurrency,
    stopping: () => worker?.stopping ?? false,
  });
  worker = new TaskConsumer(options, names, runTask);
  await worker.start();

  return {
    close: async () => {
      await worker.close();
      if (ownEvents) await events.close();
    },
  };
}

class TaskConsumer {
  private connection: amqp.ChannelModel | undefined;
  private consumer: { channel: Channel; tag: string } | undefined;
  private closing = false;
  private queue: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private readonly logger: Logger;

  constructor(
    private readonly options: WorkerOptions,
    private readonly names: AmqpNames,
    private readonly runTask: PriceTask,
  ) {
    this.logger = options.logger.child({ role: 'worker' });
  }

  /** Resolves after the first connection attempt, whatever its outcome. */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.running = this.keepConnected(resolve);
    });
  }

  get stopping(): boolean {
    return this.closing;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.wake?.();
    const consumer = this.consumer;
    await consumer?.channel.cancel(consumer.tag).catch(() => {});
    await this.queue;
    // Closing the channel first sends the last ack before the connection
    // goes; closing only the connection can leave it unsent.
    await this.consumer?.channel.close().catch(() => {});
    await this.connection?.close().catch(() => {});
    await this.running;
    this.connection = undefined;
    this.logger.info('worker stopped');
  }

  /** Connects, consumes until the connection goes, and starts over. */
  private async keepConnected(attempted: () => void): Promise<void> {
    const backoff = this.options.reconnect ?? RECONNECT;
    let failures = 0;
    while (!this.closing) {
      try {
        const { lost } = await this.connect();
        attempted();
        failures = 0;
        this.logger.info('worker consuming', {
          queue: this.names.tasksQueue,
        });
        const error = await lost;
        if (this.closing) return;
        this.logger.warn('broker connection lost', { error });
      } catch (error) {
        attempted();
        const delay = backoffDelay(failures, backoff);
        failures += 1;
        this.logger.warn('broker unreachable', {
          error,
          attempt: failures,
          retryInMs: delay,
        });
        await this.pause(delay);
      }
    }
  }

  /** Resolves once consuming; `lost` settles when the link is gone. */
  private async connect(): Promise<{ lost: Promise<unknown> }> {
    const connection = await amqp.connect(this.options.amqpUrl, {
      timeout: CONNECT_TIMEOUT_MS,
    });
    let markLost: (error: unknown) => void = () => {};
    const lost = new Promise<unknown>((resolve) => {
      markLost = resolve;
    });
    connection.on('error', () => {});
    connection.on('close', (error?: Error) => markLost(error));
    this.connection = connection;
    try {
      const channel = await connection.createChannel();
      channel.on('error', () => {});
      channel.on('close', () => {
        markLost(new Error('channel closed'));
        connection.close().catch(() => {});
      });
      await assertTaskTopology(channel, this.names);
      await channel.prefetch(this.options.prefetch ?? DEFAULT_PREFETCH);
      const { consumerTag } = await channel.consume(
        this.names.tasksQueue,
        (message) => {
          if (message) {
            this.enqueue(channel, message);
            return;
          }
          // The broker cancelled the consumer (the queue was deleted):
          // start over, which declares the queue again.
          markLost(new Error('consumer cancelled by the broker'));
          connection.close().catch(() => {});
        },
      );
      this.consumer = { channel, tag: consumerTag };
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
    if (this.closing) await connection.close().catch(() => {});

    return { lost };
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** Tasks run one after another, in the order they arrived. */
  private enqueue(channel: Channel, message: ConsumeMessage): void {
    this.queue = this.queue
      .then(() => this.handle(channel, message))
      .catch((error: unknown) => {
        this.logger.error('task handling failed', { error });
      });
  }

  private async handle(
    channel: Channel,
    message: ConsumeMessage,
  ): Promise<void> {
    // Not started: it goes back to the queue when the channel closes.
    if (this.closing) return;
    const messageId = message.properties.messageId as string | undefined;
    let task: UpdatePricesTask;
    try {
      task = decodeTask(message.content);
    } catch (error) {
      this.logger.error('task rejected', { message: messageId, error });
      this.settle(channel, message, 'reject');
      return;
    }

    const outcome = await this.runWithRetries(task);
    this.settle(channel, message, outcome);
  }

  private async runWithRetries(
    task: UpdatePricesTask,
  ): Promise<'ack' | 'reject'> {
    const backoff = this.options.retry ?? RETRY;
    for (let attempt = 1; ; attempt++) {
      try {
        const summary = await this.runTask(task);
        this.options.onTick?.(summary);
        return 'ack';
      } catch (error) {
        const transient = isTransient(error);
        if (!transient || attempt >= TASK_ATTEMPTS) {
          this.logger.error('task dead-lettered', {
            tick: task.tick,
            attempts: attempt,
            error,
          });
          return 'reject';
        }
        this.logger.warn('task failed, will retry', {
          tick: task.tick,
          attempt,
          error,
        });
        await sleep(backoffDelay(attempt - 1, backoff));
      }
    }
  }

  private settle(
    channel: Channel,
    message: ConsumeMessage,
    outcome: 'ack' | 'reject',
  ): void {
    try {
      if (outcome === 'ack') channel.ack(message);
      else channel.nack(message, false, false);
    } catch (error) {
      // The channel went while the task ran; the broker delivers the
      // task again and the products already done are skipped.
      this.logger.warn('task not settled, broker will redeliver', {
        message: message.properties.messageId,
        outcome,
        error,
      });
    }
  }
}
