/**
 * A watch that outlives its connection: when the server goes away after
 * answering, the session reconnects with growing pauses and watches the
 * same codes again, in either protocol. Every state received is handed
 * over; telling first states from changes is the caller's business.
 */
import type { Product } from '../../protocol/index.js';
import {
  ConnectionError,
  type Endpoint,
  FramedClient,
  ServerError,
} from './framed-client.js';
import {
  legacyDetail,
  legacyProductRequest,
  openLegacy,
} from './legacy-client.js';

export interface WatchEvents {
  state(product: Product): void;
  /** Something the person should know; the watch goes on. */
  notice(message: string): void;
  /** A code the server does not know; it is no longer watched. */
  missing(code: string): void;
  /** The watch is over for good; `error` says why. */
  ended(error: Error): void;
}

export interface WatchSessionOptions extends Endpoint {
  codes: string[];
  legacy: boolean;
  /** Reconnect attempts in a row before giving up. */
  retries: number;
  /** First pause before reconnecting; doubles up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export interface WatchSession {
  stop(): void;
}

interface Link {
  /** Resolves when the connection ends. */
  closed: Promise<void>;
  close(): void;
}

export function startWatch(
  options: WatchSessionOptions,
  events: WatchEvents,
): WatchSession {
  const codes = new Set(options.codes);
  let stopped = false;
  let link: Link | undefined;
  let wake: (() => void) | undefined;
  const first = options.backoffMs ?? 250;
  const max = options.maxBackoffMs ?? 5000;

  const missing = (code: string) => {
    if (!codes.delete(code)) return;
    events.missing(code);
    if (codes.size === 0) {
      stopped = true;
      link?.close();
      events.ended(new ConnectionError('no watched product exists'));
    }
  };
  const open = () =>
    options.legacy
      ? openLegacyLink(options, [...codes], events, missing)
      : openFramedLink(options, [...codes], events, missing);

  const loop = async () => {
    let failures = 0;
    let connected = false;
    while (!stopped) {
      try {
        link = await open();
        if (stopped) link.close();
        connected = true;
        failures = 0;
        await link.closed;
      } catch (error) {
        if (!connected || error instanceof ServerError) {
          stopped = true;
          events.ended(error as Error);
          return;
        }
      }
      link = undefined;
      if (stopped) return;
      failures += 1;
      if (failures > options.retries) {
        stopped = true;
        events.ended(new ConnectionError('the server is gone; gave up'));
        return;
      }
      const pause = Math.min(first * 2 ** (failures - 1), max);
      events.notice(`connection lost; reconnecting in ${pause} ms`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, pause);
      });
    }
  };
  void loop();

  return {
    stop() {
      stopped = true;
      link?.close();
      wake?.();
    },
  };
}

async function openFramedLink(
  endpoint: Endpoint,
  codes: string[],
  events: WatchEvents,
  missing: (code: string) => void,
): Promise<Link> {
  let done: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    done = resolve;
  });
  const client = await FramedClient.connect(endpoint, {
    update: (product) => events.state(product),
    problem: (error) => {
      if (error.code === 'not_found' && error.product) missing(error.product);
      else events.notice(`${error.code}: ${error.message}`);
    },
    bye: (reason) => events.notice(`server said bye: ${reason}`),
    closed: () => done(),
  });
  const answers = await client.watch(codes);
  for (const answer of answers) {
    if ('product' in answer) events.state(answer.product);
    else if (answer.error.code === 'not_found') missing(answer.code);
    else events.notice(`${answer.error.code}: ${answer.error.message}`);
  }

  return { closed, close: () => client.close() };
}

async function openLegacyLink(
  endpoint: Endpoint,
  codes: string[],
  events: WatchEvents,
  missing: (code: string) => void,
): Promise<Link> {
  const links = await Promise.all(
    codes.map(async (code) => {
      let done: () => void = () => {};
      const closed = new Promise<void>((resolve) => {
        done = resolve;
      });
      let refused = false;
      const handle = await openLegacy(
        endpoint,
        legacyProductRequest(code),
        {
          answer(answer) {
            if (answer.type !== 'ERROR') {
              const product = answer.data as Product;
              events.state(product);
              return;
            }
            refused = true;
            const detail = legacyDetail(answer.data);
            if (detail === 'Not found.') missing(code);
            else events.notice(`server refused ${code}: ${detail}`);
          },
          malformed: (reason) => events.notice(`bad answer: ${reason}`),
          closed: () => done(),
        },
        { repeat: true },
      );
      return { closed: closed.then(() => refused), close: handle.close };
    }),
  );
  const closeAll = () => {
    for (const link of links) link.close();
  };
  // One connection per code; losing any one starts over with all.
  const closed = Promise.race(
    links.map((link) =>
      link.closed.then((refused) =>
        refused ? new Promise<void>(() => {}) : undefined,
      ),
    ),
  ).then(closeAll);

  return { closed, close: closeAll };
}
