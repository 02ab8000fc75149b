/**
 * Names on the real RabbitMQ broker that belong to one test alone, so
 * test files can run side by side on one broker, and their removal.
 */
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { AMQP, type AmqpNames } from '../config/topology.js';

export const AMQP_URL =
  process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** The topology's names with a unique suffix. */
export function uniqueAmqpNames(): AmqpNames {
  const suffix = `.test-${randomUUID().slice(0, 8)}`;
  return {
    tasksExchange: AMQP.tasksExchange + suffix,
    tasksRoutingKey: AMQP.tasksRoutingKey,
    tasksQueue: AMQP.tasksQueue + suffix,
    deadLetterExchange: AMQP.deadLetterExchange + suffix,
    deadLetterQueue: AMQP.deadLetterQueue + suffix,
    eventsExchange: AMQP.eventsExchange + suffix,
    eventRoutingPrefix: AMQP.eventRoutingPrefix,
  };
}

/** Deletes the exchanges and queues a test declared under `names`. */
export async function deleteAmqpNames(names: AmqpNames): Promise<void> {
  const connection = await amqp.connect(AMQP_URL);
  try {
    const channel = await connection.createChannel();
    await channel.deleteQueue(names.tasksQueue);
    await channel.deleteQueue(names.deadLetterQueue);
    await channel.deleteExchange(names.tasksExchange);
    await channel.deleteExchange(names.deadLetterExchange);
    await channel.deleteExchange(names.eventsExchange);
    await channel.close();
  } finally {
    await connection.close();
  }
}
