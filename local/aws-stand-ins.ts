/**
 * The embedded stand-ins for DynamoDB (dynalite) and SQS (fauxqs), or
 * clients of the real endpoints when DYNAMODB_ENDPOINT / SQS_ENDPOINT
 * name one.
 */
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { startFauxqs } from 'fauxqs';
import { MAX_TICK_RECEIVES, QUEUES } from '../config/topology.js';
import { dynamoClientFor } from '../functions/store/dynamo-client.js';

/** Credentials the embedded stand-ins accept; they check none. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const REGION = 'us-east-1';

export interface Running<T> {
  value: T;
  endpoint: string;
  stop(): Promise<void>;
}

export async function startDynamo(
  endpoint: string | undefined,
  dataDir: string | undefined,
): Promise<Running<DynamoDBClient>> {
  if (endpoint !== undefined) {
    const client = dynamoClientFor(endpoint, process.env);
    return { value: client, endpoint, stop: async () => client.destroy() };
  }
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  const server = dynalite({
    path: dataDir,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const local = `http://127.0.0.1:${port}`;
  const client = dynamoClientFor(local, {});

  return {
    value: client,
    endpoint: local,
    stop: async () => {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface TickQueues {
  client: SQSClient;
  ticksUrl: string;
  dlqUrl: string;
}

export async function startSqs(
  endpoint: string | undefined,
): Promise<Running<TickQueues>> {
  let url = endpoint;
  let stopServer = async () => {};
  if (url === undefined) {
    const server = await startFauxqs({
      port: 0,
      host: '127.0.0.1',
      logger: false,
    });
    url = `http://127.0.0.1:${server.port}`;
    stopServer = () => server.stop();
  }
  const client =
    endpoint === undefined
      ? new SQSClient({
          endpoint: url,
          region: REGION,
          credentials: LOCAL_CREDENTIALS,
        })
      : new SQSClient({ endpoint: url });
  const queues = await createTickQueues(client);

  return {
    value: { client, ...queues },
    endpoint: url,
    stop: async () => {
      client.destroy();
      await stopServer();
    },
  };
}

/** The ticks queue with its DLQ, as the CDK app declares them. */
async function createTickQueues(
  client: SQSClient,
): Promise<{ ticksUrl: string; dlqUrl: string }> {
  const dlq = await client.send(
    new CreateQueueCommand({ QueueName: QUEUES.ticksDlq }),
  );
  const dlqUrl = dlq.QueueUrl as string;
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: dlqUrl,
      AttributeNames: ['QueueArn'],
    }),
  );
  const ticks = await client.send(
    new CreateQueueCommand({
      QueueName: QUEUES.ticks,
      Attributes: {
        VisibilityTimeout: '30',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: Attributes?.QueueArn,
          maxReceiveCount: MAX_TICK_RECEIVES,
        }),
      },
    }),
  );

  return { ticksUrl: ticks.QueueUrl as string, dlqUrl };
}
