/**
 * One client connection: picks the protocol from the first byte, reads
 * requests, answers them, and forwards the states of what it watches.
 * Everything a client can get wrong ends here as an error message (and
 * maybe a close); nothing it sends reaches past this boundary.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../../functions/shared/logger.js';
import {
  changedFields,
  decodeLegacyRequest,
  type ErrorCode,
  encodeLegacyAnswer,
  encodeMessage,
  FRAMED_FIRST_BYTE,
  type FramedMessage,
  type FramedRequest,
  FramedRequestError,
  isCode,
  type LegacyRequest,
  LineReader,
  listQueryString,
  MAX_LEGACY_BYTES,
  PRODUCT_FIELDS,
  type Product,
  parseRequest,
  type RequestId,
} from '../../protocol/index.js';
import { Outbox } from './outbox.js';
import { encodeLegacyPush, encodeUpdate } from './pushes.js';
import { type Upstream, UpstreamQueryError } from './upstream.js';
import type { Watcher, WatchHub, WatchProblem } from './watch-hub.js';

export interface ConnectionLimits {
  /** Longest framed line, newline excluded. */
  maxLineBytes: number;
  maxWatchesPerConnection: number;
  /** Time allowed between connecting and a first complete request. */
  firstRequestMs: number;
  /** A connection that watches nothing and sends nothing this long. */
  idleMs: number;
  /** Answers queued or in progress before reading pauses. */
  maxBacklog: number;
  /** Silence after which an unterminated older request is complete. */
  legacyQuietMs: number;
  /** How long a closing connection may take to flush before it drops. */
  closeGraceMs: number;
}

export interface ConnectionContext {
  hub: WatchHub;
  upstream: Upstream;
  limits: ConnectionLimits;
  logger: Logger;
}

type Mode = 'unknown' | 'legacy' | 'framed';

const UPSTREAM_MESSAGE = 'the products API is unavailable';
const SERVER_FAULT = 'the server failed on this request';

export class Connection implements Watcher {
  readonly #socket: Socket;
  readonly #context: ConnectionContext;
  readonly #log: Logger;
  readonly #outbox: Outbox;
  readonly #watched = new Set<string>();
  /** Codes whose first state answers a watch request, by request id. */
  readonly #pending = new Map<string, RequestId>();
  /** The last state written for each watched code. */
  readonly #sent = new Map<string, Product>();
  #mode: Mode = 'unknown';
  #lines: LineReader;
  #legacy: Buffer = Buffer.alloc(0);
  #inFlight = 0;
  #paused = false;
  #closing = false;
  #firstTimer: NodeJS.Timeout | undefined;
  #quietTimer: NodeJS.Timeout | undefined;
  #onClosed: () => void;

  constructor(
    socket: Socket,
    context: ConnectionContext,
    logger: Logger,
    onClosed: () => void,
  ) {
    this.#socket = socket;
    this.#context = context;
    this.#log = logger;
    this.#onClosed = onClosed;
    this.#lines = new LineReader(context.limits.maxLineBytes);
    this.#outbox = new Outbox(socket, (code, product) =>
      this.#renderState(code, product),
    );
    socket.setNoDelay(true);
    socket.setTimeout(context.limits.idleMs);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('timeout', () => this.#onIdle());
    socket.on('error', (error) => this.#log.debug('socket error', { error }));
    socket.on('close', () => this.#cleanUp());
    socket.on('drain', () => this.#adjustReading());
    this.#firstTimer = setTimeout(
      () => this.#noFirstRequest(),
      context.limits.firstRequestMs,
    );
  }

  get mode(): Mode {
    return this.#mode;
  }

  /** What waits to be sent: states here, bytes in the socket buffer. */
  backlog(): { states: number; answers: number; bytes: number } {
    return {
      states: this.#outbox.states,
      answers: this.#outbox.answers,
      bytes: this.#socket.writableLength,
    };
  }

  /** Says goodbye to a framed client and closes. */
  shutdown(): void {
    if (this.#mode === 'framed') {
      this.#finish(encodeMessage({ type: 'bye', reason: 'shutdown' }));
    } else {
      this.#finish();
    }
  }

  destroy(): void {
    this.#socket.destroy();
  }

  product(product: Product): void {
    if (this.#closing || !this.#watched.has(product.code)) return;
    const id = this.#pending.get(product.code);
    if (id === undefined) {
      this.#outbox.state(product.code, product);
      return;
    }
    this.#pending.delete(product.code);
    this.#sent.set(product.code, product);
    this.#answer({ id, type: 'product', product });
  }

  problem(code: string, problem: WatchProblem): void {
    if (this.#closing || !this.#watched.has(code)) return;
    if (this.#mode === 'legacy') {
      this.#legacyProblem(code, problem);
      return;
    }
    const id = this.#pending.get(code) ?? null;
    this.#pending.delete(code);
    if (problem === 'not_found') this.#stopWatching(code, false);
    const message =
      problem === 'not_found'
        ? `no product with code ${code}`
        : UPSTREAM_MESSAGE;
    this.#answer({
      id,
      type: 'error',
      error: { code: problem, message, product: code },
    });
  }

  #legacyProblem(code: string, problem: WatchProblem): void {
    if (problem === 'not_found') {
      this.#legacyError('PRODUCT', 'Not found.');
      return;
    }
    // The older client reads every line as a product state, so an
    // outage is only logged here; the watch resumes when the API does.
    this.#log.debug('upstream problem kept from older client', { code });
  }

  #onData(chunk: Buffer): void {
    if (this.#closing) return;
    if (this.#mode === 'unknown') {
      this.#mode = chunk[0] === FRAMED_FIRST_BYTE ? 'framed' : 'legacy';
    }
    try {
      if (this.#mode === 'framed') this.#readFramed(chunk);
      else this.#readLegacy(chunk);
    } catch (error) {
      // A fault of this server, not of the client: this connection ends,
      // the process and everyone else's connections go on.
      this.#log.error('request handling failed', { error });
      if (this.#mode === 'framed')
        this.#fail(null, 'bad_request', SERVER_FAULT);
      else this.#legacyError('-', SERVER_FAULT);
    }
  }

  #gotRequest(): void {
    clearTimeout(this.#firstTimer);
    this.#firstTimer = undefined;
  }

  #readFramed(chunk: Buffer): void {
    for (const decoded of this.#lines.push(chunk)) {
      if (this.#closing) return;
      if (decoded.status === 'need-more') continue;
      this.#gotRequest();
      if (decoded.status === 'malformed') {
        if (decoded.size === 0) {
          this.#fail(null, 'limit', decoded.reason);
          return;
        }
        this.#answerError(null, 'bad_request', decoded.reason);
        continue;
      }
      let request: FramedRequest;
      try {
        request = parseRequest(decoded.value);
      } catch (error) {
        if (!(error instanceof FramedRequestError)) throw error;
        this.#answerError(error.id, 'bad_request', error.message);
        continue;
      }
      this.#track(this.#handleFramed(request));
    }
  }

  #track(work: Promise<void>): void {
    this.#inFlight += 1;
    this.#adjustReading();
    work
      .catch((error) => this.#log.error('request failed', { error }))
      .finally(() => {
        this.#inFlight -= 1;
        this.#adjustReading();
      });
  }

  /** Pauses reading while too many answers wait, so memory stays bound. */
  #adjustReading(): void {
    const backlog = this.#inFlight + this.#outbox.answers;
    const { maxBacklog } = this.#context.limits;
    if (!this.#paused && backlog >= maxBacklog) {
      this.#paused = true;
      this.#socket.pause();
    } else if (this.#paused && backlog < maxBacklog / 2) {
      this.#paused = false;
      this.#socket.resume();
    }
  }

  async #handleFramed(request: FramedRequest): Promise<void> {
    switch (request.op) {
      case 'ping':
        this.#answer({ id: request.id, type: 'pong' });
        return;
      case 'list':
        await this.#list(request.id, listQueryString(request.query));
        return;
      case 'get':
        await this.#get(request.id, request.code);
        return;
      case 'watch':
        this.#watch(request.id, request.codes);
        return;
      case 'unwatch':
        for (const code of request.codes) this.#stopWatching(code, true);
        this.#answer({ id: request.id, type: 'ok' });
        return;
    }
  }

  async #list(id: RequestId, query: string): Promise<void> {
    try {
      const page = await this.#context.upstream.list(query);
      this.#answer({ id, type: 'page', ...page });
    } catch (error) {
      this.#upstreamFailure(id, error);
    }
  }

  async #get(id: RequestId, code: string): Promise<void> {
    try {
      const lookup = await this.#context.upstream.get(code);
      if (lookup.status === 'ok') {
        this.#answer({ id, type: 'product', product: lookup.product });
      } else {
        this.#answerError(id, 'not_found', `no product with code ${code}`);
      }
    } catch (error) {
      this.#upstreamFailure(id, error);
    }
  }

  #upstreamFailure(id: RequestId, error: unknown): void {
    if (error instanceof UpstreamQueryError) {
      this.#answerError(id, 'bad_request', error.message);
      return;
    }
    this.#log.warn('upstream request failed', { error });
    this.#answerError(id, 'upstream', UPSTREAM_MESSAGE);
  }

  #watch(id: RequestId, codes: string[]): void {
    const fresh = codes.filter((code) => !this.#watched.has(code));
    const { maxWatchesPerConnection: max } = this.#context.limits;
    if (this.#watched.size + fresh.length > max) {
      const message = `at most ${max} watches per connection`;
      this.#answerError(id, 'limit', message);
      return;
    }
    for (const code of codes) {
      const sent = this.#sent.get(code);
      if (!fresh.includes(code) && sent) {
        this.#answer({ id, type: 'product', product: sent });
        continue;
      }
      this.#pending.set(code, id);
      if (!fresh.includes(code)) continue;
      this.#watched.add(code);
      this.#context.hub.watch(code, this);
    }
  }

  #stopWatching(code: string, tellHub: boolean): void {
    if (!this.#watched.delete(code)) return;
    this.#pending.delete(code);
    this.#sent.delete(code);
    this.#outbox.forget(code);
    if (tellHub) this.#context.hub.unwatch(code, this);
  }

  #renderState(code: string, product: Product): Buffer | null {
    if (!this.#watched.has(code)) return null;
    const before = this.#sent.get(code);
    const changed = before ? changedFields(before, product) : PRODUCT_FIELDS;
    if (changed.length === 0) return null;
    this.#sent.set(code, product);
    if (this.#mode === 'legacy') return encodeLegacyPush(product);

    return encodeUpdate(before, product, changed);
  }

  #readLegacy(chunk: Buffer): void {
    this.#legacy =
      this.#legacy.length === 0 ? chunk : Buffer.concat([this.#legacy, chunk]);
    clearTimeout(this.#quietTimer);
    this.#decodeLegacy(false);
  }

  #decodeLegacy(atRest: boolean): void {
    while (!this.#closing && this.#legacy.length > 0) {
      if (this.#firstTimer === undefined) this.#skipNewlines();
      if (this.#legacy.length === 0) return;
      const decoded = decodeLegacyRequest(this.#legacy, atRest);
      if (decoded.status === 'need-more') {
        this.#quietTimer = setTimeout(
          () => this.#decodeLegacy(true),
          this.#context.limits.legacyQuietMs,
        );
        return;
      }
      this.#gotRequest();
      if (decoded.status === 'malformed') {
        this.#legacyError(decoded.kind ?? '-', decoded.reason);
        return;
      }
      this.#legacy = this.#legacy.subarray(decoded.size);
      this.#handleLegacy(decoded.value);
    }
    if (this.#legacy.length > MAX_LEGACY_BYTES) {
      this.#legacyError('-', `request longer than ${MAX_LEGACY_BYTES} bytes`);
    }
  }

  /** A newline that comes late after a request ends that request. */
  #skipNewlines(): void {
    let start = 0;
    while (start < this.#legacy.length) {
      const byte = this.#legacy[start];
      if (byte !== 0x0a && byte !== 0x0d) break;
      start += 1;
    }
    if (start > 0) this.#legacy = this.#legacy.subarray(start);
  }

  #handleLegacy(request: LegacyRequest): void {
    const { verb, kind } = request;
    if (kind !== 'PRODUCTS' && kind !== 'PRODUCT') {
      this.#legacyError(kind, `unknown KIND ${kind}`);
      return;
    }
    if (verb !== 'GET') {
      this.#legacyError(kind, `method ${verb} is not allowed`);
      return;
    }
    if (kind === 'PRODUCTS') {
      this.#track(this.#legacyList(request.query));
      return;
    }
    const code = request.path.code;
    if (!isCode(code)) {
      this.#legacyError(kind, 'PATH needs a product code: {"code": "..."}');
      return;
    }
    if (this.#watched.has(code)) return;
    const { maxWatchesPerConnection: max } = this.#context.limits;
    if (this.#watched.size >= max) {
      this.#legacyError(kind, `at most ${max} watches per connection`);
      return;
    }
    this.#watched.add(code);
    this.#context.hub.watch(code, this);
  }

  async #legacyList(query: string): Promise<void> {
    try {
      const page = await this.#context.upstream.list(query);
      const data = page.results;
      this.#finish(
        encodeLegacyAnswer({ type: 'LIST', kind: 'PRODUCTS', data }),
      );
    } catch (error) {
      if (error instanceof UpstreamQueryError) {
        this.#legacyError('PRODUCTS', error.message);
        return;
      }
      this.#log.warn('upstream request failed', { error });
      this.#legacyError('PRODUCTS', UPSTREAM_MESSAGE);
    }
  }

  #legacyError(kind: string, detail: string): void {
    this.#log.info('request refused', { mode: 'legacy', detail });
    const answer = encodeLegacyAnswer({
      type: 'ERROR',
      kind,
      data: { detail },
    });
    this.#finish(answer);
  }

  #answer(message: FramedMessage): void {
    if (this.#closing) return;
    this.#outbox.answer(encodeMessage(message));
    this.#adjustReading();
  }

  #answerError(id: RequestId | null, code: ErrorCode, message: string): void {
    if (code !== 'upstream') {
      this.#log.info('request refused', { mode: 'framed', code, message });
    }
    this.#answer({ id, type: 'error', error: { code, message } });
  }

  /** An error after which the connection cannot go on. */
  #fail(id: RequestId | null, code: ErrorCode, message: string): void {
    this.#log.info('connection refused', { code, message });
    this.#finish(
      encodeMessage({ id, type: 'error', error: { code, message } }),
    );
  }

  #onIdle(): void {
    if (this.#closing || this.#watched.size > 0 || this.#inFlight > 0) return;
    const message = `idle for ${this.#context.limits.idleMs} ms`;
    if (this.#mode === 'framed') this.#fail(null, 'limit', message);
    else this.#legacyError('-', message);
  }

  #noFirstRequest(): void {
    const message = `no request within ${this.#context.limits.firstRequestMs} ms`;
    if (this.#mode === 'framed') this.#fail(null, 'limit', message);
    else this.#legacyError('-', message);
  }

  /**
   * Flushes what is queued, writes `last`, and closes; a client that
   * does not read by the grace time is dropped.
   */
  #finish(last?: Buffer): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#unwatchAll();
    this.#outbox.flush();
    if (last && this.#socket.writable) this.#socket.end(last);
    else this.#socket.end();
    setTimeout(
      () => this.#socket.destroy(),
      this.#context.limits.closeGraceMs,
    ).unref();
  }

  #unwatchAll(): void {
    for (const code of [...this.#watched]) this.#stopWatching(code, true);
  }

  #cleanUp(): void {
    this.#closing = true;
    clearTimeout(this.#firstTimer);
    clearTimeout(this.#quietTimer);
    this.#unwatchAll();
    this.#outbox.clear();
    this.#onClosed();
  }
}
