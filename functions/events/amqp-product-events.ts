/**
 * `product.updated.<code>` events on the `products.events` topic
 * exchange, persistent, each confirmed by the broker. The connection
 * opens on first use and again after it is lost.
 */
import { AMQP, type AmqpNames } from '../../config/topology.js';
import { encodeEvent } from '../../protocol/amqp.js';
import type { ProductEvent } from '../../protocol/product.js';
import {
  assertEventsExchange,
  ConfirmLink,
  publishConfirmed,
} from '../shared/amqp.js';
import type { ProductEvents } from './product-events.js';

export interface AmqpProductEventsOptions {
  amqpUrl: string;
  names?: AmqpNames;
  connectTimeoutMs?: number;
}

export async function createAmqpProductEvents(
  options: AmqpProductEventsOptions,
): Promise<ProductEvents> {
  const names = options.names ?? AMQP;
  const link = new ConfirmLink({
    amqpUrl: options.amqpUrl,
    connectTimeoutMs: options.connectTimeoutMs,
    setup: (channel) => assertEventsExchange(channel, names),
  });

  return {
    publish: async (event: ProductEvent) => {
      const channel = await link.channel();
      try {
        await publishConfirmed(
          channel,
          names.eventsExchange,
          names.eventRoutingPrefix + event.code,
          encodeEvent(event),
          { persistent: true, contentType: 'application/json' },
        );
      } catch (error) {
        await link.reset();
        throw error;
      }
    },
    close: () => link.close(),
  };
}
