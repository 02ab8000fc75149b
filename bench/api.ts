/**
 * `npm run bench -- api [--sizes 1000,10000,100000] [--seconds 2]`
 *
 * 1. Requests/s and p50/p99 latency of a list page, a filtered list and
 *    a detail, through the local HTTP front at 1 and 8 connections, and
 *    the same router called directly (the baseline; the ratio is the
 *    front's overhead). Runs on the first catalogue size.
 * 2. Items read from DynamoDB per list page at each catalogue size, for
 *    the first page, a deep page per ordering and a filtered page.
 *
 * Everything runs on this machine: dynalite in memory in a child process
 * (so the bench's own work does not share its CPU), the front on
 * 127.0.0.1. Products are loaded with loadEmpty (bulk, no reads).
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createApiRouter } from '../functions/api/router.js';
import { createLogger } from '../functions/shared/logger.js';
import { DynamoProductStore } from '../functions/store/dynamo-product-store.js';
import type {
  ListQuery,
  ProductRecord,
} from '../functions/store/product-store.js';
import { startHttpFront } from '../local/http-front.js';
import { seededCatalogue } from '../test/catalogue.js';
import { startDynaliteProcess } from './dynalite-process.js';

const DEFAULT_SIZES = [1_000, 10_000, 100_000];
const DEFAULT_SECONDS = 2;
const MAX_REQUESTS = 20_000;
const ROUNDS = 4;

type Handler = (e: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

interface Options {
  sizes: number[];
  seconds: number;
}

function parseArgs(args: string[]): Options {
  const options: Options = { sizes: DEFAULT_SIZES, seconds: DEFAULT_SECONDS };
  for (let i = 0; i < args.length; i++) {
    const value = args[i + 1] ?? '';
    if (args[i] === '--sizes') {
      options.sizes = value.split(',').map(Number);
      i++;
    } else if (args[i] === '--seconds') {
      options.seconds = Number(value);
      i++;
    }
  }
  const valid =
    options.sizes.length > 0 &&
    options.sizes.every((n) => Number.isInteger(n) && n > 0 && n <= 200_000) &&
    options.seconds > 0 &&
    options.seconds <= 30;
  if (!valid) {
    throw new Error(
      'usage: npm run bench -- api [--sizes N,N,...] [--seconds S]',
    );
  }

  return options;
}

function event(path: string, host: string): APIGatewayProxyEvent {
  const url = new URL(path, 'http://bench.invalid');
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = value;
  const multi = Object.fromEntries(
    Object.entries(query).map(([key, value]) => [key, [value]]),
  );
  const hasQuery = Object.keys(query).length > 0;

  return {
    httpMethod: 'GET',
    path: url.pathname,
    resource: url.pathname,
    headers: { host },
    multiValueHeaders: { host: [host] },
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multi : null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      path: url.pathname,
      stage: 'local',
      requestId: 'bench',
    } as APIGatewayProxyEvent['requestContext'],
  };
}

function httpGet(agent: Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent, method: 'GET' },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

interface Figures {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Latencies and busy time of one or more timed runs of `call`. */
class Sample {
  readonly latencies: number[] = [];
  elapsed = 0;

  /** Runs `call` from `connections` loops for `ms` (bounded count). */
  async run(
    connections: number,
    ms: number,
    call: () => Promise<number>,
  ): Promise<void> {
    const started = performance.now();
    const until = started + ms;
    let failures = 0;
    const loop = async () => {
      while (
        performance.now() < until &&
        this.latencies.length < MAX_REQUESTS
      ) {
        const at = performance.now();
        const status = await call();
        this.latencies.push(performance.now() - at);
        if (status !== 200) failures += 1;
      }
    };
    await Promise.all(Array.from({ length: connections }, loop));
    this.elapsed += (performance.now() - started) / 1000;
    if (failures > 0)
      throw new Error(`${failures} requests did not answer 200`);
  }

  figures(): Figures {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (q: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

    return {
      requests: sorted.length,
      perSecond: sorted.length / this.elapsed,
      p50: at(0.5),
      p99: at(0.99),
    };
  }
}

/**
 * Front and direct runs alternate in short rounds, so that load from
 * elsewhere on the machine falls on both alike.
 */
async function compare(
  connections: number,
  seconds: number,
  front: () => Promise<number>,
  direct: () => Promise<number>,
): Promise<[Figures, Figures]> {
  const viaFront = new Sample();
  const inProcess = new Sample();
  const round = (seconds * 1000) / ROUNDS;
  for (let i = 0; i < ROUNDS; i++) {
    await viaFront.run(connections, round, front);
    await inProcess.run(connections, round, direct);
  }

  return [viaFront.figures(), inProcess.figures()];
}

const pad = (text: string | number, width: number) =>
  String(text).padStart(width);

async function throughput(
  handler: Handler,
  records: ProductRecord[],
  seconds: number,
  out: (line: string) => void,
): Promise<void> {
  const front = await startHttpFront({ handler, port: 0 });
  const host = `127.0.0.1:${front.port}`;
  const sample = records[Math.floor(records.length / 2)] as ProductRecord;
  const selling = (sample.sellingCents / 100).toFixed(2);
  const cases = [
    ['list', '/api/products/?limit=30&offset=0'],
    ['filtered list', `/api/products/?selling_price=${selling}`],
    ['detail', `/api/products/${sample.code}/`],
  ] as const;
  out(
    `\nthroughput at ${records.length} products, ${seconds} s per side ` +
      '(front = local HTTP front; direct = router called in process)',
  );
  out(
    `${'case'.padEnd(14)}${pad('conns', 6)}${pad('front req/s', 13)}` +
      `${pad('p50 ms', 8)}${pad('p99 ms', 8)}${pad('direct req/s', 14)}` +
      `${pad('p50 ms', 8)}${pad('p99 ms', 8)}${pad('front/direct', 14)}`,
  );
  try {
    for (const [name, path] of cases) {
      for (const connections of [1, 8]) {
        const agent = new Agent({ keepAlive: true, maxSockets: connections });
        const [viaFront, direct] = await compare(
          connections,
          seconds,
          () => httpGet(agent, front.port, path),
          async () => (await handler(event(path, host))).statusCode,
        );
        agent.destroy();
        out(
          `${name.padEnd(14)}${pad(connections, 6)}` +
            `${pad(viaFront.perSecond.toFixed(0), 13)}` +
            `${pad(viaFront.p50.toFixed(2), 8)}${pad(viaFront.p99.toFixed(2), 8)}` +
            `${pad(direct.perSecond.toFixed(0), 14)}` +
            `${pad(direct.p50.toFixed(2), 8)}${pad(direct.p99.toFixed(2), 8)}` +
            `${pad((viaFront.perSecond / direct.perSecond).toFixed(2), 14)}`,
        );
      }
    }
  } finally {
    await front.close();
  }
}

async function itemsRead(
  store: DynamoProductStore,
  records: ProductRecord[],
): Promise<Record<string, number>> {
  const size = records.length;
  const sample = records[Math.floor(size / 3)] as ProductRecord;
  const pages: [string, ListQuery][] = [
    ['first page', { offset: 0, limit: 30 }],
    ['middle, by code', { offset: Math.floor(size / 2), limit: 30 }],
    [
      'middle, -selling',
      {
        offset: Math.floor(size / 2),
        limit: 30,
        ordering: { field: 'selling_price', descending: true },
      },
    ],
    [
      'last, buying',
      {
        offset: size - 30,
        limit: 30,
        ordering: { field: 'buying_price', descending: false },
      },
    ],
    [
      'middle, description',
      {
        offset: Math.floor(size / 2),
        limit: 30,
        ordering: { field: 'description', descending: false },
      },
    ],
    [
      'filter selling',
      { offset: 0, limit: 30, filters: { sellingCents: sample.sellingCents } },
    ],
    [
      'filter descr.',
      { offset: 0, limit: 30, filters: { description: sample.description } },
    ],
  ];
  const figures: Record<string, number> = {};
  for (const [name, query] of pages) {
    const before = store.stats.itemsRead;
    const page = await store.list(query);
    figures[name] = store.stats.itemsRead - before;
    figures[`${name} (results)`] = page.items.length;
  }

  return figures;
}

export async function run(args: string[]): Promise<void> {
  const options = parseArgs(args);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const logger = createLogger('bench', { level: 'error' });
  const reads: [number, Record<string, number>][] = [];

  for (const [index, size] of options.sizes.entries()) {
    const dynamo = await startDynaliteProcess();
    try {
      const store = new DynamoProductStore(dynamo.client, dynamo.table);
      const records = seededCatalogue(size);
      const loading = performance.now();
      await store.loadEmpty(records);
      out(
        `loaded ${size} products in ${((performance.now() - loading) / 1000).toFixed(1)} s`,
      );
      reads.push([size, await itemsRead(store, records)]);
      if (index === 0) {
        const handler = createApiRouter({ store, logger });
        await throughput(handler, records, options.seconds, out);
      }
    } finally {
      await dynamo.stop();
    }
  }

  out('\nitems read from DynamoDB per list page of 30 (results in brackets)');
  const names = Object.keys(reads[0]?.[1] ?? {}).filter(
    (name) => !name.endsWith('(results)'),
  );
  out(`${'page'.padEnd(22)}${reads.map(([size]) => pad(size, 12)).join('')}`);
  for (const name of names) {
    out(
      `${name.padEnd(22)}${reads
        .map(([, figures]) =>
          pad(`${figures[name]} (${figures[`${name} (results)`]})`, 12),
        )
        .join('')}`,
    );
  }
}
