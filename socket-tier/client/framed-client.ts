/**
 * A client of the framed protocol: one connection, requests matched to
 * answers by id, pushes handed to listeners.
 */
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import {
  type ErrorBody,
  encodeMessage,
  type FramedMessage,
  FramedMessageError,
  type FramedRequest,
  LineReader,
  type ListQuery,
  type Product,
  type ProductField,
  type ProductPage,
  parseMessage,
} from '../../protocol/index.js';

/** What a server sent back as an error, in its own words. */
export class ServerError extends Error {
  override readonly name = 'ServerError';

  constructor(readonly body: ErrorBody) {
    super(body.message);
  }
}

export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

export interface Endpoint {
  host: string;
  port: number;
  connectTimeoutMs?: number;
}

export type WatchAnswer =
  | { code: string; product: Product }
  | { code: string; error: ErrorBody };

export interface FramedListeners {
  update?(product: Product, changed: ProductField[]): void;
  /** An error not tied to a request, such as an outage upstream. */
  problem?(error: ErrorBody): void;
  bye?(reason: string): void;
  closed?(): void;
}

/** Answers may be larger than requests: a page with a large limit. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

type Pending = (message: FramedMessage) => boolean;

export async function connectSocket(endpoint: Endpoint): Promise<Socket> {
  const socket = createConnection({ host: endpoint.host, port: endpoint.port });
  const timer = setTimeout(
    () => socket.destroy(new ConnectionError('connection timed out')),
    endpoint.connectTimeoutMs ?? 5000,
  );
  try {
    await once(socket, 'connect');
  } catch (error) {
    const where = `${endpoint.host}:${endpoint.port}`;
    throw new ConnectionError(`cannot reach the server at ${where}`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
  socket.setNoDelay(true);

  return socket;
}

export class FramedClient {
  readonly #socket: Socket;
  readonly #pending = new Map<string, Pending>();
  readonly #listeners: FramedListeners;
  #nextId = 0;
  #closed = false;

  private constructor(socket: Socket, listeners: FramedListeners) {
    this.#socket = socket;
    this.#listeners = listeners;
    const reader = new LineReader(MAX_ANSWER_BYTES);
    socket.on('data', (chunk: Buffer) => {
      for (const decoded of reader.push(chunk)) this.#receive(decoded);
    });
    socket.on('error', () => {});
    socket.on('close', () => this.#onClose());
  }

  static async connect(
    endpoint: Endpoint,
    listeners: FramedListeners = {},
  ): Promise<FramedClient> {
    return new FramedClient(await connectSocket(endpoint), listeners);
  }

  get closed(): boolean {
    return this.#closed;
  }

  async list(query: ListQuery): Promise<ProductPage> {
    const answer = await this.#request({ op: 'list', query });
    if (answer.type !== 'page') throw unexpected(answer);
    const { count, next, previous, results } = answer;

    return { count, next, previous, results };
  }

  async get(code: string): Promise<Product> {
    const answer = await this.#request({ op: 'get', code });
    if (answer.type !== 'product') throw unexpected(answer);

    return answer.product;
  }

  async ping(): Promise<void> {
    await this.#request({ op: 'ping' });
  }

  async unwatch(codes: string[]): Promise<void> {
    await this.#request({ op: 'unwatch', codes });
  }

  /** Watches `codes`; resolves with one answer per code. */
  watch(codes: string[]): Promise<WatchAnswer[]> {
    const wanted = new Set(codes);
    const answers: WatchAnswer[] = [];

    return this.#send({ op: 'watch', codes }, (message, done, fail) => {
      if (message.type === 'product' && wanted.has(message.product.code)) {
        wanted.delete(message.product.code);
        answers.push({ code: message.product.code, product: message.product });
      } else if (message.type === 'error' && message.error.product) {
        wanted.delete(message.error.product);
        answers.push({ code: message.error.product, error: message.error });
      } else if (message.type === 'error') {
        fail(new ServerError(message.error));
        return true;
      }
      if (wanted.size > 0) return false;
      done(answers);
      return true;
    });
  }

  close(): void {
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), 1000).unref();
  }

  #request(body: RequestBody): Promise<FramedMessage> {
    return this.#send(body, (message, done, fail) => {
      if (message.type === 'error') fail(new ServerError(message.error));
      else done(message);
      return true;
    });
  }

  #send<T>(
    body: RequestBody,
    accept: (
      message: FramedMessage,
      done: (value: T) => void,
      fail: (error: Error) => void,
    ) => boolean,
  ): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new ConnectionError('the connection is closed'));
    }
    this.#nextId += 1;
    const id = this.#nextId;
    const promise = new Promise<T>((resolve, reject) => {
      this.#pending.set(String(id), (message) => {
        if (message.type === 'bye') {
          reject(new ConnectionError('the server closed the connection'));
          return true;
        }
        return accept(message, resolve, reject);
      });
    });
    this.#socket.write(encodeMessage({ id, ...body } as FramedRequest));

    return promise;
  }

  #receive(decoded: ReturnType<LineReader['push']>[number]): void {
    if (decoded.status !== 'ok') {
      if (decoded.status === 'malformed') {
        this.#problem({ code: 'bad_request', message: decoded.reason });
      }
      return;
    }
    let message: FramedMessage;
    try {
      message = parseMessage(decoded.value);
    } catch (error) {
      if (!(error instanceof FramedMessageError)) throw error;
      this.#problem({ code: 'bad_request', message: error.message });
      return;
    }
    this.#dispatch(message);
  }

  #dispatch(message: FramedMessage): void {
    if (message.type === 'update') {
      this.#listeners.update?.(message.product, message.changed);
      return;
    }
    if (message.type === 'bye') {
      for (const pending of this.#pending.values()) pending(message);
      this.#pending.clear();
      this.#listeners.bye?.(message.reason);
      return;
    }
    const id = message.id === null ? undefined : String(message.id);
    const pending = id === undefined ? undefined : this.#pending.get(id);
    if (pending && id !== undefined) {
      if (pending(message)) this.#pending.delete(id);
      return;
    }
    if (message.type === 'error') this.#problem(message.error);
    else if (message.type === 'product') {
      this.#listeners.update?.(message.product, []);
    }
  }

  #problem(error: ErrorBody): void {
    if (this.#pending.size > 0 && error.product === undefined) {
      for (const pending of this.#pending.values()) {
        pending({ id: null, type: 'error', error });
      }
      this.#pending.clear();
    }
    this.#listeners.problem?.(error);
  }

  #onClose(): void {
    this.#closed = true;
    const gone: FramedMessage = { type: 'bye', reason: 'closed' };
    for (const pending of this.#pending.values()) pending(gone);
    this.#pending.clear();
    this.#listeners.closed?.();
  }
}

type RequestBody =
  | { op: 'list'; query: ListQuery }
  | { op: 'get'; code: string }
  | { op: 'watch'; codes: string[] }
  | { op: 'unwatch'; codes: string[] }
  | { op: 'ping' };

function unexpected(message: FramedMessage): Error {
  return new FramedMessageError(`unexpected answer: ${message.type}`);
}
