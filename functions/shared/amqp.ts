/**
 * What the bridge, the worker and the events publisher share about
 * RabbitMQ: the declarations of DESIGN.md's exchanges and queues, a
 * lazily opened confirm channel that reopens after the connection goes,
 * and a publish that resolves only once the broker confirms it.
 *
 *   tasks (direct) ──products.update_prices──► products.update_prices
 *                                                 │ rejected / failing
 *   tasks.dlx (fanout) ◄──────────────────────────┘
 *        └──► products.update_prices.dead
 *
 *   products.events (topic) ──product.updated.<code>──► (subscribers)
 */
import amqp, { type Channel, type ConfirmChannel, type Options } from 'amqplib';
import type { AmqpNames } from '../../config/topology.js';

/** How long a connection attempt may take before it counts as failed. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** How long a publish may wait for the broker's confirm. */
export const CONFIRM_TIMEOUT_MS = 10_000;
/** Publishes one channel may have awaiting confirms at once. */
const PUBLISHES_IN_FLIGHT = 300;

export class BrokerError extends Error {
  override readonly name = 'BrokerError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The tasks exchange, the worker's queue and its dead letters. */
export async function assertTaskTopology(
  channel: Channel,
  names: AmqpNames,
): Promise<void> {
  await channel.assertExchange(names.tasksExchange, 'direct', {
    durable: true,
  });
  await channel.assertExchange(names.deadLetterExchange, 'fanout', {
    durable: true,
  });
  await channel.assertQueue(names.deadLetterQueue, { durable: true });
  await channel.bindQueue(names.deadLetterQueue, names.deadLetterExchange, '');
  await channel.assertQueue(names.tasksQueue, {
    durable: true,
    deadLetterExchange: names.deadLetterExchange,
  });
  await channel.bindQueue(
    names.tasksQueue,
    names.tasksExchange,
    names.tasksRoutingKey,
  );
}

export async function assertEventsExchange(
  channel: Channel,
  names: AmqpNames,
): Promise<void> {
  await channel.assertExchange(names.eventsExchange, 'topic', {
    durable: true,
  });
}

/** Exponential backoff with a cap and up to 20 % jitter, in ms. */
export function backoffDelay(
  attempt: number,
  options: { initialMs: number; maxMs: number },
): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** attempt);

  return Math.round(base * (0.8 + Math.random() * 0.2));
}

export const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One connection and one confirm channel, opened on first use and again
 * on the next use after either closes. Nothing is retried here: a caller
 * whose publish fails decides whether and when to try again.
 */
export class ConfirmLink {
  private opening: Promise<ConfirmChannel> | undefined;
  private connection: amqp.ChannelModel | undefined;
  private closed = false;

  constructor(
    private readonly options: {
      amqpUrl: string;
      setup: (channel: ConfirmChannel) => Promise<void>;
      connectTimeoutMs?: number;
    },
  ) {}

  channel(): Promise<ConfirmChannel> {
    if (this.closed) {
      return Promise.reject(new BrokerError('link is closed'));
    }
    this.opening ??= this.open().catch((error: unknown) => {
      this.opening = undefined;
      throw new BrokerError('broker unreachable', { cause: error });
    });

    return this.opening;
  }

  /** Drops the current connection; the next use opens a new one. */
  async reset(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.opening = undefined;
    await connection?.close().catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    this.opening = undefined;
    if (!connection) return;
    try {
      await connection.close();
    } catch {
      // Already closed by the broker or by a dropped socket: nothing left.
    }
  }

  private async open(): Promise<ConfirmChannel> {
    const connection = await amqp.connect(this.options.amqpUrl, {
      timeout: this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    });
    const forget = () => {
      if (this.connection === connection) {
        this.connection = undefined;
        this.opening = undefined;
      }
    };
    connection.on('error', forget);
    connection.on('close', forget);
    this.connection = connection;
    try {
      const channel = await connection.createConfirmChannel();
      // Each publish awaiting its confirm listens for 'close' until then;
      // the worker has up to its concurrency of them at once.
      channel.setMaxListeners(PUBLISHES_IN_FLIGHT);
      channel.on('error', () => {});
      channel.on('close', () => {
        forget();
        connection.close().catch(() => {});
      });
      await this.options.setup(channel);
      if (this.closed) await connection.close();
      return channel;
    } catch (error) {
      forget();
      await connection.close().catch(() => {});
      throw error;
    }
  }
}

/** Publishes and waits for the broker's ack; a nack or a close rejects. */
export function publishConfirmed(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  body: Buffer,
  options: Options.Publish,
  timeoutMs = CONFIRM_TIMEOUT_MS,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      channel.off('close', onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onClose = () =>
      settle(new BrokerError('channel closed before the confirm'));
    const timer = setTimeout(
      () => settle(new BrokerError('no confirm from the broker in time')),
      timeoutMs,
    );
    channel.once('close', onClose);
    try {
      channel.publish(exchange, routingKey, body, options, (error) =>
        settle(
          error
            ? new BrokerError('broker refused the message', { cause: error })
            : undefined,
        ),
      );
    } catch (error) {
      settle(new BrokerError('publish failed', { cause: error }));
    }
  });
}
