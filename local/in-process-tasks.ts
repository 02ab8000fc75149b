/**
 * The task hand-off when no RabbitMQ answers: the bridge's publish runs
 * the price task right here, one tick after another, and a tick handed
 * over a second time is not run again. A tick whose run fails is
 * forgotten, so the bridge's retry (SQS redelivery) runs it later.
 */
import type { TaskPublisher } from '../functions/bridge/task-publisher.js';
import type { Logger } from '../functions/shared/logger.js';
import type { UpdatePricesTask } from '../protocol/amqp.js';

/** Ticks remembered as done; older ones drop out first. */
const REMEMBERED_TICKS = 1_000;

export class InProcessTaskPublisher implements TaskPublisher {
  private readonly ticks = new Map<string, Promise<void>>();
  private last: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly runTask: (task: UpdatePricesTask) => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  publish(task: UpdatePricesTask): Promise<void> {
    if (this.closed) {
      return Promise.reject(new Error('task hand-off is closed'));
    }
    const known = this.ticks.get(task.tick);
    if (known) {
      this.logger.info('tick already handed over', { tick: task.tick });
      return known;
    }
    const run = this.last
      .catch(() => {})
      .then(() => this.runTask(task))
      .then(
        () => {},
        (error: unknown) => {
          this.ticks.delete(task.tick);
          throw error;
        },
      );
    this.last = run;
    this.remember(task.tick, run);

    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.last.catch(() => {});
  }

  private remember(tick: string, run: Promise<void>): void {
    this.ticks.set(tick, run);
    if (this.ticks.size <= REMEMBERED_TICKS) return;
    const oldest = this.ticks.keys().next().value;
    if (oldest !== undefined) this.ticks.delete(oldest);
  }
}
