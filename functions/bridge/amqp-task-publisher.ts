/**
 * Publishes update_prices tasks on the `tasks` exchange with publisher
 * confirms. The connection opens on the first publish and is kept for
 * later ones (across Lambda invocations). A failed attempt drops the
 * connection, since a frozen Lambda's socket may be dead without knowing
 * it, and the publish is tried again on a new one after a short backoff,
 * a few times in all; then the failure goes to the caller.
 */
import { AMQP, type AmqpNames } from '../../config/topology.js';
import { encodeTask, type UpdatePricesTask } from '../../protocol/amqp.js';
import {
  assertTaskTopology,
  BrokerError,
  backoffDelay,
  ConfirmLink,
  publishConfirmed,
  sleep,
} from '../shared/amqp.js';
import type { TaskPublisher } from './task-publisher.js';

export interface AmqpTaskPublisherOptions {
  amqpUrl: string;
  names?: AmqpNames;
  connectTimeoutMs?: number;
  confirmTimeoutMs?: number;
  /** Tries per publish, each on a fresh connection after the first. */
  attempts?: number;
  retryDelayMs?: number;
}

const DEFAULT_ATTEMPTS = 3;
const DEFAULT_RETRY_DELAY_MS = 100;

export class AmqpTaskPublisher implements TaskPublisher {
  private readonly names: AmqpNames;
  private readonly link: ConfirmLink;

  constructor(private readonly options: AmqpTaskPublisherOptions) {
    const names = options.names ?? AMQP;
    this.names = names;
    this.link = new ConfirmLink({
      amqpUrl: options.amqpUrl,
      connectTimeoutMs: options.connectTimeoutMs,
      setup: (channel) => assertTaskTopology(channel, names),
    });
  }

  async publish(task: UpdatePricesTask): Promise<void> {
    const attempts = this.options.attempts ?? DEFAULT_ATTEMPTS;
    const initialMs = this.options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    let last: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        await sleep(backoffDelay(attempt - 1, { initialMs, maxMs: 2_000 }));
      }
      try {
        await this.publishOnce(task);
        return;
      } catch (error) {
        last = error;
        await this.link.reset();
      }
    }

    throw last instanceof BrokerError
      ? last
      : new BrokerError('task not published', { cause: last });
  }

  private async publishOnce(task: UpdatePricesTask): Promise<void> {
    const channel = await this.link.channel();

    await publishConfirmed(
      channel,
      this.names.tasksExchange,
      this.names.tasksRoutingKey,
      encodeTask(task),
      {
        persistent: true,
        messageId: task.tick,
        contentType: 'application/json',
        timestamp: Math.floor(Date.now() / 1000),
      },
      this.options.confirmTimeoutMs,
    );
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

export function createAmqpTaskPublisher(
  options: AmqpTaskPublisherOptions,
): TaskPublisher {
  return new AmqpTaskPublisher(options);
}
