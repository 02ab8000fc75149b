/** Where the bridge hands a tick's task over: RabbitMQ, or in process. */
import type { UpdatePricesTask } from '../../protocol/amqp.js';

export interface TaskPublisher {
  /** Resolves once the task is safely handed over (broker confirm). */
  publish(task: UpdatePricesTask): Promise<void>;
  close(): Promise<void>;
}
