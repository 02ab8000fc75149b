import amqp from 'amqplib';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ProductEvent } from '../../protocol/product.js';
import { startDynalite, type TestDynamo } from '../../test/dynalite.js';
import {
  AMQP_URL,
  deleteAmqpNames,
  uniqueAmqpNames,
} from '../../test/rabbit.js';
import { createAmqpProductEvents } from '../events/amqp-product-events.js';
import type { ProductEvents } from '../events/product-events.js';
import { memoryLogger } from '../shared/logger.js';
import { DynamoProductStore } from '../store/dynamo-product-store.js';
import { createApiRouter } from './router.js';

const KEY = 'k';

function write(
  method: string,
  path: string,
  body: unknown,
): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: path,
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      path,
      requestId: 'req-events',
    } as APIGatewayProxyEvent['requestContext'],
  };
}

describe('write events on a real RabbitMQ', () => {
  const names = uniqueAmqpNames();
  let dynamo: TestDynamo;
  let events: ProductEvents;
  let connection: amqp.ChannelModel;
  let channel: amqp.Channel;
  let queue: string;

  beforeAll(async () => {
    dynamo = await startDynalite();
    events = await createAmqpProductEvents({ amqpUrl: AMQP_URL, names });
    connection = await amqp.connect(AMQP_URL);
    channel = await connection.createChannel();
    await channel.assertExchange(names.eventsExchange, 'topic', {
      durable: true,
    });
    ({ queue } = await channel.assertQueue('', { exclusive: true }));
    await channel.bindQueue(
      queue,
      names.eventsExchange,
      `${names.eventRoutingPrefix}#`,
    );
  });

  afterAll(async () => {
    await events.close();
    await connection.close();
    await deleteAmqpNames(names);
    await dynamo.stop();
  });

  async function nextEvent(): Promise<{ key: string; event: ProductEvent }> {
    for (let i = 0; i < 50; i++) {
      const message = await channel.get(queue, { noAck: true });
      if (message) {
        return {
          key: message.fields.routingKey,
          event: JSON.parse(message.content.toString()) as ProductEvent,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('no event arrived');
  }

  it('announces a create and a change as product.updated.<code>', async () => {
    const store = new DynamoProductStore(dynamo.client, dynamo.table);
    const router = createApiRouter({
      store,
      logger: memoryLogger(),
      events,
      apiKey: KEY,
    });

    const created = await router(
      write('POST', '/api/products/', {
        code: 'EVENT1',
        buying_price: '1000.00',
        selling_price: '1300.00',
        description: 'Pine stool',
      }),
    );
    const first = await nextEvent();
    const changed = await router(
      write('PATCH', '/api/products/EVENT1/', { selling_price: '1500.10' }),
    );
    const second = await nextEvent();

    expect(created.statusCode).toBe(201);
    expect(changed.statusCode).toBe(200);
    expect(first.key).toBe('product.updated.EVENT1');
    expect(first.event).toEqual(JSON.parse(created.body));
    expect(second.event).toEqual(JSON.parse(changed.body));
    expect(second.event.selling_price).toBe('1500.10');
  });

  it('keeps the write and logs when the broker refuses the event', async () => {
    const store = new DynamoProductStore(dynamo.client, dynamo.table);
    const logger = memoryLogger();
    const failing: ProductEvents = await createAmqpProductEvents({
      amqpUrl: 'amqp://guest:guest@127.0.0.1:9',
      names,
      connectTimeoutMs: 500,
    });
    const router = createApiRouter({
      store,
      logger,
      events: failing,
      apiKey: KEY,
    });

    const response = await router(
      write('POST', '/api/products/', {
        code: 'EVENT2',
        buying_price: '10',
        selling_price: '13',
        description: 'Ash shelf',
      }),
    );
    await failing.close();

    expect(response.statusCode).toBe(201);
    expect(await store.get('EVENT2')).toBeDefined();
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'product event not published',
        code: 'EVENT2',
        requestId: 'req-events',
      }),
    );
  });
});
