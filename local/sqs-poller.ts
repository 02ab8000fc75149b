/**
 * The local stand-in for Lambda's SQS event source: long-polls a queue,
 * hands each batch to the handler as an SQS event, deletes the records
 * that did not fail, and leaves the failures to come back after the
 * queue's visibility timeout (its RedrivePolicy then moves a record to
 * the DLQ after maxReceiveCount receives). A handler that throws fails
 * the whole batch, as on Lambda.
 */
import { createHash } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { backoffDelay, sleep } from '../functions/shared/amqp.js';
import type { Logger } from '../functions/shared/logger.js';

const DEFAULT_BATCH_SIZE = 10;
const DEFAULT_WAIT_SECONDS = 20;
const ERROR_BACKOFF = { initialMs: 500, maxMs: 10_000 };

export interface SqsPollerOptions {
  client: SQSClient;
  queueUrl: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: Lambda's own handler type.
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  logger: Logger;
  batchSize?: number;
  waitSeconds?: number;
  region?: string;
}

export interface SqsPoller {
  stop(): Promise<void>;
}

/** arn:aws:sqs:<region>:<account>:<name> from a queue URL. */
export function queueArn(queueUrl: string, region: string): string {
  // Not parsed as a URL: fauxqs names hosts like sqs.us-east-1.127.0.0.1,
  // which the URL parser refuses as a malformed IPv4 address.
  const path = queueUrl.replace(/^[a-z]+:\/\/[^/]*/i, '');
  const parts = path.split('/').filter(Boolean);
  const name = parts.at(-1) ?? 'queue';
  const account = parts.length > 1 ? parts.at(-2) : '000000000000';

  return `arn:aws:sqs:${region}:${account}:${name}`;
}

export function toRecord(
  message: Message,
  eventSourceARN: string,
  region: string,
): SQSRecord {
  const body = message.Body ?? '';
  const attributes = message.Attributes ?? {};

  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body,
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp:
        attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody:
      message.MD5OfBody ?? createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN,
    awsRegion: region,
  };
}

export function startSqsPoller(options: SqsPollerOptions): SqsPoller {
  const region = options.region ?? 'us-east-1';
  const arn = queueArn(options.queueUrl, region);
  const logger = options.logger.child({ role: 'sqs-poller' });
  const abort = new AbortController();
  let stopped = false;

  const receive = () =>
    options.client.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: options.batchSize ?? DEFAULT_BATCH_SIZE,
        WaitTimeSeconds: options.waitSeconds ?? DEFAULT_WAIT_SECONDS,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: abort.signal },
    );
  const runBatch = async (messages: Message[]) => {
    const records = messages.map((message) => toRecord(message, arn, region));
    let failed: Set<string>;
    try {
      const response = await options.handler({ Records: records });
      failed = new Set(
        (response?.batchItemFailures ?? []).map((item) => item.itemIdentifier),
      );
    } catch (error) {
      logger.error('batch failed', { error, records: records.length });
      failed = new Set(records.map((record) => record.messageId));
    }
    const done = records.filter((record) => !failed.has(record.messageId));
    if (done.length > 0) await remove(done);
    if (failed.size > 0) {
      logger.warn('records left for redelivery', { count: failed.size });
    }
  };
  const remove = async (records: SQSRecord[]) => {
    const result = await options.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: records.map((record, index) => ({
          Id: String(index),
          ReceiptHandle: record.receiptHandle,
        })),
      }),
    );
    for (const failure of result.Failed ?? []) {
      logger.warn('record not deleted', { error: failure.Message });
    }
  };
  const loop = async () => {
    let errors = 0;
    while (!stopped) {
      try {
        const { Messages = [] } = await receive();
        errors = 0;
        if (Messages.length > 0) await runBatch(Messages);
      } catch (error) {
        if (stopped) return;
        const delay = backoffDelay(errors, ERROR_BACKOFF);
        errors += 1;
        logger.warn('receive failed', { error, retryInMs: delay });
        await sleep(delay);
      }
    }
  };

  const running = loop();
  return {
    stop: async () => {
      stopped = true;
      abort.abort();
      await running;
    },
  };
}
