/**
 * What the client does with sound options: results on stdout,
 * diagnostics on stderr, and an exit code: 0 done (or stopped by a rule
 * or by the person), 1 failed, 130 interrupted.
 */
import {
  changedFields,
  listQueryString,
  type Product,
  type ProductPage,
  parseCents,
} from '../../protocol/index.js';
import {
  ConnectionError,
  type Endpoint,
  FramedClient,
  ServerError,
} from './framed-client.js';
import {
  LegacyServerError,
  legacyDetail,
  legacyList,
  legacyProductRequest,
  openLegacy,
} from './legacy-client.js';
import type { ClientOptions, StopRule } from './options.js';
import {
  formatTable,
  LiveTable,
  PRODUCT_COLUMNS,
  priceChange,
  productRow,
  shorten,
} from './table.js';
import { startWatch } from './watch-session.js';

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface Input {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface ClientIo {
  stdout: Output;
  stderr: Output;
  /** A terminal to ask "stop?" on; no prompt without one. */
  stdin?: Input;
  /** Aborted on SIGINT. */
  signal?: AbortSignal;
}

export const EXIT = { ok: 0, failed: 1, interrupted: 130 } as const;

type WatchOptions = Extract<ClientOptions, { command: 'watch' }>;

export async function run(
  options: ClientOptions,
  io: ClientIo,
): Promise<number> {
  const endpoint: Endpoint = { host: options.host, port: options.port };
  try {
    switch (options.command) {
      case 'list':
        await list(endpoint, options, io);
        return EXIT.ok;
      case 'get':
        await get(endpoint, options, io);
        return EXIT.ok;
      case 'watch':
        return await watch(endpoint, options, io);
    }
  } catch (error) {
    io.stderr.write(`${describe(error)}\n`);
    return EXIT.failed;
  }
}

function describe(error: unknown): string {
  if (error instanceof ServerError) {
    return `server: ${error.body.code}: ${error.message}`;
  }
  if (error instanceof LegacyServerError) return `server: ${error.detail}`;
  if (error instanceof ConnectionError) return error.message;

  return `unexpected: ${error instanceof Error ? error.message : String(error)}`;
}

async function list(
  endpoint: Endpoint,
  options: Extract<ClientOptions, { command: 'list' }>,
  io: ClientIo,
): Promise<void> {
  let page: ProductPage | { results: Product[] };
  if (options.legacy) {
    const query = listQueryString(options.query);
    page = { results: await legacyList(endpoint, query) };
  } else {
    const client = await FramedClient.connect(endpoint);
    try {
      page = await client.list(options.query);
    } finally {
      client.close();
    }
  }
  if (options.json) {
    io.stdout.write(`${JSON.stringify(page)}\n`);
    return;
  }
  const lines = formatTable(PRODUCT_COLUMNS, page.results.map(productRow));
  io.stdout.write(`${lines.join('\n')}\n`);
  if ('count' in page) {
    const offset = options.query.offset ?? 0;
    const last = offset + page.results.length;
    const span = page.results.length > 0 ? `${offset + 1}-${last}` : 'none';
    const more = page.next ? `; next: --offset ${last}` : '';
    io.stdout.write(`${span} of ${page.count}${more}\n`);
  }
}

async function get(
  endpoint: Endpoint,
  options: Extract<ClientOptions, { command: 'get' }>,
  io: ClientIo,
): Promise<void> {
  const product = options.legacy
    ? await legacyGet(endpoint, options.code)
    : await framedGet(endpoint, options.code);
  if (options.json) {
    io.stdout.write(`${JSON.stringify(product)}\n`);
    return;
  }
  const lines = formatTable(PRODUCT_COLUMNS, [productRow(product)]);
  io.stdout.write(`${lines.join('\n')}\n`);
}

async function framedGet(endpoint: Endpoint, code: string): Promise<Product> {
  const client = await FramedClient.connect(endpoint);
  try {
    return await client.get(code);
  } finally {
    client.close();
  }
}

function legacyGet(endpoint: Endpoint, code: string): Promise<Product> {
  return new Promise<Product>((resolve, reject) => {
    const link = openLegacy(
      endpoint,
      legacyProductRequest(code),
      {
        answer(answer) {
          void link.then((handle) => handle.close());
          if (answer.type === 'ERROR') {
            const detail = legacyDetail(answer.data);
            reject(new LegacyServerError(answer.kind, detail));
          } else {
            resolve(answer.data as Product);
          }
        },
        malformed: (reason) => reject(new ConnectionError(reason)),
        closed: () => reject(new ConnectionError('the server closed early')),
      },
      { repeat: false },
    );
    link.catch(reject);
  });
}

export function ruleMet(rule: StopRule, product: Product): boolean {
  const cents = parseCents(product[rule.field]);
  if (cents === undefined) return false;

  return rule.op === '>=' ? cents >= rule.cents : cents <= rule.cents;
}

async function watch(
  endpoint: Endpoint,
  options: WatchOptions,
  io: ClientIo,
): Promise<number> {
  const view = new WatchView(options, io);
  const terminal = io.stdin?.isTTY && io.stdin.setRawMode ? io.stdin : null;
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  let updates = 0;
  const session = startWatch(
    {
      ...endpoint,
      codes: options.codes,
      legacy: options.legacy,
      retries: options.retries,
    },
    {
      state(product) {
        const kind = view.receive(product);
        if (kind === 'same') return;
        if (kind === 'update') updates += 1;
        if (options.maxUpdates !== undefined && updates >= options.maxUpdates) {
          finish(EXIT.ok);
        } else if (options.until && ruleMet(options.until, product)) {
          view.notice(`${product.code}: ${options.until.text}`);
          finish(EXIT.ok);
        }
      },
      notice: (message) => view.notice(message),
      missing: (code) => io.stderr.write(`no product with code ${code}\n`),
      ended(error) {
        io.stderr.write(`${describe(error)}\n`);
        finish(EXIT.failed);
      },
    },
  );
  const timer =
    options.forMs === undefined
      ? undefined
      : setTimeout(() => finish(EXIT.ok), options.forMs);
  const onAbort = () => finish(EXIT.interrupted);
  io.signal?.addEventListener('abort', onAbort);
  const stopPrompt = terminal ? askToStop(terminal, view, finish) : undefined;

  const code = await finished;

  session.stop();
  clearTimeout(timer);
  io.signal?.removeEventListener('abort', onAbort);
  stopPrompt?.();
  view.close();
  return code;
}

/** Any key asks "stop?"; `y` stops; Ctrl-C interrupts. */
function askToStop(
  terminal: Input,
  view: WatchView,
  finish: (code: number) => void,
): () => void {
  let asking = false;
  const onKey = (chunk: Buffer | string) => {
    const key = String(chunk);
    if (key.includes('\x03')) {
      finish(EXIT.interrupted);
    } else if (!asking) {
      asking = true;
      view.prompt('Stop watching? [y/N] ');
    } else if (key.toLowerCase().startsWith('y')) {
      view.prompt(undefined);
      finish(EXIT.ok);
    } else {
      asking = false;
      view.prompt(undefined);
    }
  };
  terminal.setRawMode?.(true);
  terminal.on('data', onKey);
  terminal.resume();

  return () => {
    terminal.off('data', onKey);
    terminal.setRawMode?.(false);
    terminal.pause();
  };
}

type Received = 'first' | 'update' | 'same';

const WATCH_COLUMNS = [
  ...PRODUCT_COLUMNS.slice(0, 4),
  { title: 'CHANGE', right: true },
  { title: '%', right: true },
  { title: 'UPDATES', right: true },
  { title: 'UPDATED' },
];

/** Fixed widths for the row-per-state output when no terminal redraws. */
const STREAM_WIDTHS = [15, 24, 11, 11, 10, 8, 7, 0];

/**
 * What the person sees of a watch: JSON lines, a table redrawn in place
 * on a terminal, or one row per state when the output is not a terminal.
 */
class WatchView {
  readonly #options: WatchOptions;
  readonly #io: ClientIo;
  readonly #last = new Map<string, Product>();
  readonly #change = new Map<string, { amount: string; percent: string }>();
  readonly #counts = new Map<string, number>();
  readonly #live: LiveTable | undefined;
  #status = '';
  #prompt: string | undefined;
  #headerDone = false;

  constructor(options: WatchOptions, io: ClientIo) {
    this.#options = options;
    this.#io = io;
    const live = !options.json && io.stdout.isTTY;
    this.#live = live ? new LiveTable(io.stdout) : undefined;
    this.#draw();
  }

  receive(product: Product): Received {
    const before = this.#last.get(product.code);
    if (before && changedFields(before, product).length === 0) return 'same';
    this.#last.set(product.code, product);
    if (before) {
      this.#change.set(product.code, priceChange(before, product));
      const count = (this.#counts.get(product.code) ?? 0) + 1;
      this.#counts.set(product.code, count);
    }
    if (this.#options.json) {
      this.#io.stdout.write(`${JSON.stringify(product)}\n`);
    } else if (this.#live) {
      this.#draw();
    } else {
      this.#streamRow(product);
    }

    return before ? 'update' : 'first';
  }

  notice(message: string): void {
    if (this.#live) {
      this.#status = message;
      this.#draw();
    } else {
      this.#io.stderr.write(`${message}\n`);
    }
  }

  prompt(text: string | undefined): void {
    this.#prompt = text;
    if (this.#live) this.#draw();
    else if (text) this.#io.stderr.write(text);
  }

  close(): void {
    if (this.#live) {
      this.#prompt = undefined;
      this.#draw();
    }
  }

  #row(code: string): string[] {
    const product = this.#last.get(code);
    if (!product) return [code, 'waiting…'];
    const change = this.#change.get(code);
    return [
      ...productRow(product).slice(0, 4),
      change?.amount ?? '',
      change?.percent ?? '',
      String(this.#counts.get(code) ?? 0),
      product.update_at,
    ];
  }

  #draw(): void {
    if (!this.#live) return;
    const rows = this.#options.codes.map((code) => this.#row(code));
    const lines = formatTable(WATCH_COLUMNS, rows);
    const hint = this.#prompt ?? 'press any key to stop';
    lines.push(this.#status ? `${this.#status} · ${hint}` : hint);
    this.#live.draw(lines);
  }

  #streamRow(product: Product): void {
    if (!this.#headerDone) {
      this.#headerDone = true;
      this.#io.stdout.write(`${fixed(WATCH_COLUMNS.map((c) => c.title))}\n`);
    }
    const row = this.#row(product.code);
    row[1] = shorten(row[1] ?? '', 24);
    this.#io.stdout.write(`${fixed(row)}\n`);
  }
}

function fixed(values: string[]): string {
  return values
    .map((value, index) => {
      const width = STREAM_WIDTHS[index] ?? 0;
      return WATCH_COLUMNS[index]?.right
        ? value.padStart(width)
        : value.padEnd(width);
    })
    .join('  ')
    .trimEnd();
}
