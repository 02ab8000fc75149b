/**
 * `npm run bench -- socket [--watchers 1000,5000,10000] [--interval-ms N]`
 *
 * For each count of watchers spread over 100 products, against one
 * socket server process of its own: the server's RSS and CPU, the
 * upstream requests per poll interval, and the propagation latency from
 * the write of a new price to its receipt by every watcher, on the event
 * path (write, then a `product.updated` event on RabbitMQ, as the worker
 * does) and on the poll path (write alone). The baseline, measured in
 * the same run: the upstream requests per interval of one poll per
 * client, as the older server made them.
 *
 * The upstream is a small products API on 127.0.0.1 in this process
 * (socket-tier/testing/products-api.ts), so figures are about the
 * socket tier, not DynamoDB. Needs ~2 file descriptors per watcher in
 * this process and one in the server's: with 10k watchers run it with
 * `ulimit -n` at 20000 or more (`ulimit -n 20000; npm run bench -- socket`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Agent, get as httpGet } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { createLogger } from '../functions/shared/logger.js';
import type { Product } from '../protocol/index.js';
import { startSocketServer } from '../socket-tier/server/server.js';
import {
  makeProduct,
  startTestApi,
  type TestApi,
} from '../socket-tier/testing/products-api.js';
import { AMQP_URL, uniqueAmqpNames } from '../test/rabbit.js';

const SERVE_FLAG = '--socket-bench-serve';
const PRODUCTS = 100;
const CONNECT_BATCH = 500;
const BASELINE_INTERVAL_MS = 5000;
const CLK_TCK = 100;

interface Options {
  watchers: number[];
  intervalMs: number;
}

function parseOptions(args: string[]): Options {
  const options: Options = { watchers: [1000, 5000, 10_000], intervalMs: 1000 };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value = ''] = [args[i], args[i + 1]];
    if (flag === '--watchers') {
      options.watchers = value.split(',').map(Number);
    } else if (flag === '--interval-ms') {
      options.intervalMs = Number(value);
    } else {
      throw new Error(`unknown option ${flag}`);
    }
  }
  const sound =
    options.watchers.every(
      (n) => Number.isInteger(n) && n > 0 && n <= 20_000,
    ) &&
    Number.isInteger(options.intervalMs) &&
    options.intervalMs >= 100;
  if (!sound) throw new Error('--watchers 1..20000 each, --interval-ms >= 100');

  return options;
}

/** Server process figures read from /proc. */
class ProcessProbe {
  #ticks = 0;
  #at = 0;

  constructor(readonly pid: number) {
    this.mark();
  }

  rssMb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  }

  #cpuTicks(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  }

  mark(): void {
    this.#ticks = this.#cpuTicks();
    this.#at = Date.now();
  }

  /** CPU use since the last mark, in percent of one core. */
  cpuPercent(): number {
    const seconds = (Date.now() - this.#at) / 1000;
    const used = (this.#cpuTicks() - this.#ticks) / CLK_TCK;
    return seconds > 0 ? (used / seconds) * 100 : 0;
  }
}

/** Watchers in this process, each a framed connection on one code. */
class Watchers {
  readonly sockets: Socket[] = [];
  /** Write time of each state, by `code selling_price`. */
  readonly written = new Map<string, number>();
  latencies: number[] = [];
  received = 0;

  async open(port: number, count: number, codes: string[]): Promise<void> {
    for (let start = 0; start < count; start += CONNECT_BATCH) {
      const batch: Promise<void>[] = [];
      for (let i = start; i < Math.min(count, start + CONNECT_BATCH); i += 1) {
        batch.push(this.#openOne(port, codes[i % codes.length] as string));
      }
      await Promise.all(batch);
    }
  }

  async #openOne(port: number, code: string): Promise<void> {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    await once(socket, 'connect');
    let text = '';
    let first: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      first = resolve;
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      let end = text.indexOf('\n');
      while (end >= 0) {
        this.#line(text.slice(0, end), first);
        text = text.slice(end + 1);
        end = text.indexOf('\n');
      }
    });
    socket.write(`{"id":1,"op":"watch","codes":["${code}"]}\n`);
    this.sockets.push(socket);
    await answered;
  }

  #line(line: string, first: () => void): void {
    if (!line.startsWith('{"type":"update"')) {
      first();
      return;
    }
    const now = performance.now();
    const code = /"code":"([^"]+)"/.exec(line)?.[1];
    const selling = /"selling_price":"([^"]+)"/.exec(line)?.[1];
    const at = this.written.get(`${code} ${selling}`);
    this.received += 1;
    if (at !== undefined) this.latencies.push(now - at);
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.length = 0;
  }
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(
    sorted.length - 1,
    Math.ceil((p / 100) * sorted.length) - 1,
  );
  return sorted[Math.max(0, index)] as number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(5);
  return condition();
}

/** Starts the socket server in a process of its own; resolves its port. */
async function spawnServer(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), SERVE_FLAG],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    out += chunk;
  });
  const ready = await until(() => out.includes('\n'), 30_000);
  if (!ready) throw new Error('the bench server did not start');

  return { child, port: Number(out.trim().split('\n')[0]) };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

interface Row {
  watchers: number;
  rssIdle: number;
  rssPeak: number;
  cpuIdle: number;
  cpuEvents: number;
  requestsPerInterval: number;
  baselinePerInterval: number;
  /** Changes spread over one interval, announced by events. */
  event: number[];
  /** All products changed at once, as one price tick does. */
  burst: number[];
  poll: number[];
  received: number;
  expected: number;
}

let price = 200_000;

async function measure(
  count: number,
  options: Options,
  api: TestApi,
  codes: string[],
  publish: (product: Product) => void,
  exchange: string,
): Promise<Row> {
  const { child, port } = await spawnServer({
    BENCH_API_URL: api.url,
    BENCH_INTERVAL_MS: String(options.intervalMs),
    BENCH_EXCHANGE: exchange,
  });
  const probe = new ProcessProbe(child.pid as number);
  const watchers = new Watchers();
  try {
    await watchers.open(port, count, codes);
    await sleep(options.intervalMs);

    const before = totalGets(api);
    probe.mark();
    await sleep(options.intervalMs * 3);
    const cpuIdle = probe.cpuPercent();
    const requestsPerInterval = (totalGets(api) - before) / 3;
    const rssIdle = probe.rssMb();

    const change = (announce: (product: Product) => void, spread: number) =>
      changeAll(api, codes, watchers, count / codes.length, announce, spread);
    probe.mark();
    const event = await change(publish, options.intervalMs);
    const cpuEvents = probe.cpuPercent();
    const burst = await change(publish, 0);
    const poll = await change(() => {}, options.intervalMs);
    const rssPeak = probe.rssMb();
    watchers.close();
    await stopServer(child);

    return {
      watchers: count,
      rssIdle,
      rssPeak,
      cpuIdle,
      cpuEvents,
      requestsPerInterval,
      baselinePerInterval: await baseline(api, count, codes),
      event,
      burst,
      poll,
      received: watchers.received,
      expected: count * 3,
    };
  } finally {
    watchers.close();
    await stopServer(child);
  }
}

function totalGets(api: TestApi): number {
  let total = 0;
  for (const count of api.gets.values()) total += count;
  return total;
}

/**
 * Changes every product once, each at a random moment within `spreadMs`
 * (all at once when 0), and waits until every watcher has the change.
 */
async function changeAll(
  api: TestApi,
  codes: string[],
  watchers: Watchers,
  perChange: number,
  announce: (product: Product) => void,
  spreadMs: number,
): Promise<number[]> {
  watchers.latencies = [];
  const expected = codes.length * perChange;
  const changes = codes.map(async (code) => {
    if (spreadMs > 0) await sleep(Math.random() * spreadMs);
    price += 1;
    const product = api.reprice(code, price);
    watchers.written.set(`${code} ${product.selling_price}`, performance.now());
    announce(product);
  });
  await Promise.all(changes);
  await until(() => watchers.latencies.length >= expected, 60_000);

  return watchers.latencies;
}

/**
 * One poll per client per interval, as the older server did: every
 * client's own loop asks the API for its product. Measured over two
 * intervals of BASELINE_INTERVAL_MS, counted at the API. The loops
 * share a pool of keep-alive connections so this process can make them.
 */
async function baseline(api: TestApi, count: number, codes: string[]) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const get = (code: string) =>
    new Promise<void>((resolve) => {
      const request = httpGet(`${api.url}/api/products/${code}/`, { agent });
      request.on('response', (response) => {
        response.resume();
        response.on('end', resolve);
      });
      request.on('error', () => resolve());
    });
  const before = totalGets(api);
  let running = true;
  const loops = Array.from({ length: count }, async (_, i) => {
    await sleep(Math.random() * BASELINE_INTERVAL_MS);
    while (running) {
      await get(codes[i % codes.length] as string);
      await sleep(BASELINE_INTERVAL_MS);
    }
  });
  await sleep(BASELINE_INTERVAL_MS * 2);
  const perInterval = (totalGets(api) - before) / 2;
  running = false;
  await Promise.all(loops);
  agent.destroy();

  return perInterval;
}

/** Node cannot raise its own limit, so the bench reports it. */
function reportFileLimit(): void {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const soft = Number(/Max open files\s+(\d+)/.exec(limits)?.[1] ?? 0);
  process.stdout.write(`open files limit: ${soft}\n`);
}

const ms = (value: number) =>
  Number.isNaN(value) ? '—' : value < 10 ? value.toFixed(1) : value.toFixed(0);

function print(rows: Row[], options: Options): void {
  const header = [
    'watchers',
    'RSS idle MB',
    'RSS peak MB',
    'CPU idle %',
    'CPU events %',
    'upstream req/interval',
    'baseline req/interval',
    'fewer',
    'event p50/p99 ms',
    'tick burst p50/p99 ms',
    'poll p50/p99 ms',
    'delivered',
  ];
  const lines = rows.map((row) => [
    String(row.watchers),
    row.rssIdle.toFixed(0),
    row.rssPeak.toFixed(0),
    row.cpuIdle.toFixed(1),
    row.cpuEvents.toFixed(1),
    row.requestsPerInterval.toFixed(0),
    row.baselinePerInterval.toFixed(0),
    `${(row.baselinePerInterval / Math.max(1, row.requestsPerInterval)).toFixed(0)}x`,
    `${ms(percentile(row.event, 50))}/${ms(percentile(row.event, 99))}`,
    `${ms(percentile(row.burst, 50))}/${ms(percentile(row.burst, 99))}`,
    `${ms(percentile(row.poll, 50))}/${ms(percentile(row.poll, 99))}`,
    `${row.received}/${row.expected}`,
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((line) => (line[i] ?? '').length)),
  );
  const format = (cells: string[]) =>
    cells.map((cell, i) => cell.padStart(widths[i] ?? 0)).join('  ');
  process.stdout.write(
    `\nsocket tier: ${PRODUCTS} products, POLL_INTERVAL ${options.intervalMs} ms, ` +
      `baseline polls every ${BASELINE_INTERVAL_MS} ms\n`,
  );
  process.stdout.write(`${format(header)}\n`);
  for (const line of lines) process.stdout.write(`${format(line)}\n`);
  process.stdout.write(LEGEND);
}

const LEGEND = `
upstream req/interval: API requests of the shared watch, idle, per poll
  interval (at most one per product; 304s when unchanged).
baseline req/interval: one poll per client, as the older server made
  them, served by the same API in this run; it needs one per watcher,
  and falls short where this machine cannot serve that many.
fewer: baseline / upstream, both as measured.
event: 100 changes spread over one interval, each written then
  announced on RabbitMQ; tick burst: all 100 at once, as one price tick;
  poll: written with no event, found by the next poll.
latency: from the write to each watcher's receipt, over all watchers.
CPU: the server process, in % of one core: idle watching, and during
  the event phase. RSS: idle with all watchers, and at the end.
`;

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args);
  reportFileLimit();
  const products = Array.from({ length: PRODUCTS }, (_, i) =>
    makeProduct(10_000 + i),
  );
  const codes = products.map((product) => product.code);
  const api = await startTestApi(products);
  const names = uniqueAmqpNames();
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  await channel.assertExchange(names.eventsExchange, 'topic', {
    durable: true,
  });
  const publish = (product: Product) => {
    channel.publish(
      names.eventsExchange,
      `${names.eventRoutingPrefix}${product.code}`,
      Buffer.from(JSON.stringify({ ...product, tick: 'bench' })),
      { persistent: true },
    );
  };
  const rows: Row[] = [];
  try {
    for (const count of options.watchers) {
      process.stdout.write(`measuring ${count} watchers…\n`);
      rows.push(
        await measure(
          count,
          options,
          api,
          codes,
          publish,
          names.eventsExchange,
        ),
      );
    }
  } finally {
    await channel.deleteExchange(names.eventsExchange).catch(() => {});
    await connection.close();
    await api.close();
  }
  print(rows, options);
}

/** The server side of the bench, in its own process for honest figures. */
async function serve(): Promise<void> {
  const server = await startSocketServer({
    host: '127.0.0.1',
    port: 0,
    apiUrl: process.env.BENCH_API_URL as string,
    pollIntervalMs: Number(process.env.BENCH_INTERVAL_MS),
    amqpUrl: AMQP_URL,
    eventsExchange: process.env.BENCH_EXCHANGE,
    logger: createLogger('socket-bench', {
      level: 'warn',
      sink: (line) => process.stderr.write(`${line}\n`),
    }),
    maxConnections: 25_000,
    maxConnectionsPerAddress: 25_000,
  });
  process.stdout.write(`${server.port}\n`);
  process.once('SIGTERM', () => {
    server.close().then(() => process.exit(0));
  });
}

if (process.argv[2] === SERVE_FLAG) await serve();
