/**
 * The fast path: product events from the `products.events` topic
 * exchange, on a private queue that lives as long as the connection.
 * When the broker is away the server keeps working on polls alone and
 * tries again with growing pauses.
 */
import amqp from 'amqplib';
import { AMQP } from '../../config/topology.js';
import type { Logger } from '../../functions/shared/logger.js';
import { type Product, productProblem } from '../../protocol/index.js';

export interface EventFeedOptions {
  url: string;
  exchange?: string;
  logger: Logger;
  onProduct(product: Product): void;
  /** First pause before trying the broker again; doubles up to 30 s. */
  retryMs?: number;
}

export interface EventFeed {
  /** Resolves once the first subscription is made (or has failed). */
  readonly ready: Promise<boolean>;
  close(): Promise<void>;
}

const MAX_RETRY_MS = 30_000;
/** Larger than any product the API can hold, in UTF-8 with its tick. */
const MAX_EVENT_BYTES = 4 * 1024;

export function startEventFeed(options: EventFeedOptions): EventFeed {
  const exchange = options.exchange ?? AMQP.eventsExchange;
  const { logger } = options;
  let connection: amqp.ChannelModel | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let warned = false;
  let pause = options.retryMs ?? 1000;
  let markReady: (ok: boolean) => void = () => {};
  const ready = new Promise<boolean>((resolve) => {
    markReady = resolve;
  });

  const retry = () => {
    if (closed) return;
    timer = setTimeout(() => void connect(), pause);
    pause = Math.min(pause * 2, MAX_RETRY_MS);
  };

  const onMessage = (message: amqp.ConsumeMessage | null) => {
    if (!message) return;
    if (message.content.length > MAX_EVENT_BYTES) {
      logger.warn('event ignored', { reason: 'too large' });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(message.content.toString('utf8'));
    } catch {
      logger.warn('event ignored', { reason: 'not JSON' });
      return;
    }
    const problem = productProblem(body, Date.now());
    if (problem !== undefined) {
      logger.warn('event ignored', { reason: problem });
      return;
    }
    const product = body as Product;
    const expected = `${AMQP.eventRoutingPrefix}${product.code}`;
    if (message.fields.routingKey !== expected) {
      logger.warn('event ignored', {
        reason: 'routing key names another code',
      });
      return;
    }
    options.onProduct(product);
  };

  const connect = async () => {
    try {
      const current = await amqp.connect(options.url);
      connection = current;
      current.on('error', (error) => logger.warn('events error', { error }));
      current.on('close', () => {
        connection = undefined;
        if (closed) return;
        logger.warn('events connection lost');
        retry();
      });
      const channel = await current.createChannel();
      await channel.assertExchange(exchange, 'topic', { durable: true });
      const { queue } = await channel.assertQueue('', {
        exclusive: true,
        autoDelete: true,
      });
      await channel.bindQueue(queue, exchange, `${AMQP.eventRoutingPrefix}#`);
      await channel.consume(queue, onMessage, { noAck: true });
      pause = options.retryMs ?? 1000;
      logger.info('events subscribed', { exchange });
      warned = false;
      markReady(true);
    } catch (error) {
      // One warning per outage; the retries after it log at debug.
      if (warned) logger.debug('events still unavailable', { error });
      else logger.warn('events unavailable, polling only', { error });
      warned = true;
      markReady(false);
      const current = connection;
      connection = undefined;
      if (current) await current.close().catch(() => {});
      else retry();
    }
  };

  void connect();

  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      const current = connection;
      connection = undefined;
      await current?.close().catch(() => {});
    },
  };
}
