/**
 * The framed TCP protocol (PROTOCOL.md, "TCP: the framed protocol"):
 * JSON lines. A connection whose first byte is `{` speaks it.
 *
 *   +-------------------------------------------+------+
 *   | one JSON object, UTF-8, no raw newline    | 0x0a |
 *   +-------------------------------------------+------+
 *   |<------ at most MAX_LINE_BYTES ----------->|
 *
 * Requests carry an `id` that the answer repeats; pushes (`update`,
 * `bye`) carry none. Errors always carry an id, `null` when the request
 * had none or could not be read.
 */
import {
  CODE_PATTERN,
  isProduct,
  type Product,
  type ProductField,
} from './product.js';

/** The longest line, newline excluded: 64 KiB. */
export const MAX_LINE_BYTES = 64 * 1024;
export const NEWLINE = 0x0a;
/** The first byte of a framed connection: `{`. */
export const FRAMED_FIRST_BYTE = 0x7b;

export type RequestId = string | number;

/** The list query as the framed protocol carries it. */
export interface ListQuery {
  limit?: number;
  offset?: number;
  ordering?: string;
  buying_price?: string;
  selling_price?: string;
  description?: string;
}

export const LIST_QUERY_KEYS = [
  'limit',
  'offset',
  'ordering',
  'buying_price',
  'selling_price',
  'description',
] as const;

export type FramedRequest =
  | { id: RequestId; op: 'list'; query: ListQuery }
  | { id: RequestId; op: 'get'; code: string }
  | { id: RequestId; op: 'watch'; codes: string[] }
  | { id: RequestId; op: 'unwatch'; codes: string[] }
  | { id: RequestId; op: 'ping' };

export type Op = FramedRequest['op'];

export type ErrorCode = 'not_found' | 'bad_request' | 'upstream' | 'limit';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** The product an error of a watch is about (an addition). */
  product?: string;
}

export type FramedMessage =
  | {
      id: RequestId;
      type: 'page';
      count: number;
      next: string | null;
      previous: string | null;
      results: Product[];
    }
  | { id: RequestId; type: 'product'; product: Product }
  | { type: 'update'; product: Product; changed: ProductField[] }
  | { id: RequestId; type: 'ok' }
  | { id: RequestId; type: 'pong' }
  | { id: RequestId | null; type: 'error'; error: ErrorBody }
  | { type: 'bye'; reason: string };

export type Decoded<T> =
  | { status: 'need-more' }
  | { status: 'malformed'; reason: string; size: number }
  | { status: 'ok'; value: T; size: number };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads one line from the start of `buffer`. `size` is how many bytes
 * the line took, newline included; a malformed line too long to have an
 * end in sight has size 0, since no boundary is known to skip to.
 */
export function decodeLine(
  buffer: Uint8Array,
  maxBytes = MAX_LINE_BYTES,
): Decoded<Record<string, unknown>> {
  const end = buffer.subarray(0, maxBytes + 1).indexOf(NEWLINE);
  if (end < 0) {
    return buffer.length > maxBytes
      ? { status: 'malformed', reason: tooLong(maxBytes), size: 0 }
      : { status: 'need-more' };
  }
  const size = end + 1;
  let text: string;
  try {
    text = utf8.decode(buffer.subarray(0, end));
  } catch {
    return { status: 'malformed', reason: 'line is not UTF-8', size };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { status: 'malformed', reason: 'line is not JSON', size };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { status: 'malformed', reason: 'line is not an object', size };
  }

  return { status: 'ok', value: value as Record<string, unknown>, size };
}

function tooLong(maxBytes: number): string {
  return `line longer than ${maxBytes} bytes`;
}

/**
 * Cuts a byte stream into lines without copying a partial line more
 * than once: only the newest chunk is searched for a newline, and the
 * size limit is checked before anything is kept.
 */
export class LineReader {
  #chunks: Buffer[] = [];
  #length = 0;
  #broken = false;

  constructor(readonly maxBytes = MAX_LINE_BYTES) {}

  /** Bytes held for a line not yet complete. */
  get pending(): number {
    return this.#length;
  }

  push(chunk: Buffer): Decoded<Record<string, unknown>>[] {
    const out: Decoded<Record<string, unknown>>[] = [];
    let rest = chunk;
    while (!this.#broken && rest.length > 0) {
      const newline = rest.indexOf(NEWLINE);
      if (newline < 0) {
        this.#keep(rest, out);
        break;
      }
      const head = rest.subarray(0, newline + 1);
      rest = rest.subarray(newline + 1);
      if (this.#length + head.length - 1 > this.maxBytes) {
        this.#fail(out);
        break;
      }
      const line = this.#length === 0 ? head : this.#take(head);
      out.push(decodeLine(line, this.maxBytes));
    }

    return out;
  }

  #keep(part: Buffer, out: Decoded<Record<string, unknown>>[]): void {
    if (this.#length + part.length > this.maxBytes) {
      this.#fail(out);
      return;
    }
    this.#chunks.push(Buffer.from(part));
    this.#length += part.length;
  }

  #take(head: Buffer): Buffer {
    const line = Buffer.concat([...this.#chunks, head]);
    this.#chunks = [];
    this.#length = 0;
    return line;
  }

  #fail(out: Decoded<Record<string, unknown>>[]): void {
    this.#broken = true;
    this.#chunks = [];
    this.#length = 0;
    out.push({ status: 'malformed', reason: tooLong(this.maxBytes), size: 0 });
  }
}

export function encodeMessage(message: FramedMessage | FramedRequest): Buffer {
  return Buffer.from(`${JSON.stringify(message)}\n`);
}

export class FramedRequestError extends Error {
  override readonly name = 'FramedRequestError';

  constructor(
    readonly id: RequestId | null,
    message: string,
  ) {
    super(message);
  }
}

const OPS: readonly Op[] = ['list', 'get', 'watch', 'unwatch', 'ping'];

/** A product code as the API knows it: letters, digits, `-`, `_`, `.`. */

export function isCode(value: unknown): value is string {
  return typeof value === 'string' && CODE_PATTERN.test(value);
}

function readId(value: Record<string, unknown>): RequestId | null {
  const id = value.id;
  if (typeof id === 'string' && id.length <= 64) return id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return id;
  return null;
}

/** Checks a decoded line as a request; throws FramedRequestError. */
export function parseRequest(value: Record<string, unknown>): FramedRequest {
  const id = readId(value);
  if (id === null) {
    throw new FramedRequestError(null, 'id must be a string or an integer');
  }
  const op = value.op;
  if (typeof op !== 'string' || !OPS.includes(op as Op)) {
    const shown = typeof op === 'string' ? op.slice(0, 32) : typeof op;
    throw new FramedRequestError(id, `unknown op: ${shown}`);
  }
  switch (op as Op) {
    case 'list':
      return { id, op: 'list', query: parseListQuery(id, value.query) };
    case 'get':
      if (!isCode(value.code)) {
        throw new FramedRequestError(id, 'code must be a product code');
      }
      return { id, op: 'get', code: value.code };
    case 'watch':
    case 'unwatch':
      return { id, op: op as 'watch', codes: parseCodes(id, value.codes) };
    case 'ping':
      return { id, op: 'ping' };
  }
}

function parseCodes(id: RequestId, value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new FramedRequestError(id, 'codes must be a non-empty array');
  }
  if (!value.every(isCode)) {
    throw new FramedRequestError(id, 'codes must be product codes');
  }

  return [...new Set(value as string[])];
}

function parseListQuery(id: RequestId, value: unknown): ListQuery {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FramedRequestError(id, 'query must be an object');
  }
  const query: ListQuery = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === 'limit' || key === 'offset') {
      if (!Number.isSafeInteger(item) || (item as number) < 0) {
        throw new FramedRequestError(id, `${key} must be a whole number`);
      }
      query[key] = item as number;
    } else if (LIST_QUERY_KEYS.includes(key as keyof ListQuery)) {
      if (typeof item !== 'string' || item.length > 256) {
        throw new FramedRequestError(id, `${key} must be a short string`);
      }
      query[key as 'ordering'] = item;
    } else {
      throw new FramedRequestError(id, `unknown query key: ${key}`);
    }
  }

  return query;
}

/** The list query as the API's query string, without the `?`. */
export function listQueryString(query: ListQuery): string {
  const params = new URLSearchParams();
  for (const key of LIST_QUERY_KEYS) {
    const value = query[key];
    if (value !== undefined) params.set(key, String(value));
  }

  return params.toString();
}

export class FramedMessageError extends Error {
  override readonly name = 'FramedMessageError';
}

const ERROR_CODES: readonly string[] = [
  'not_found',
  'bad_request',
  'upstream',
  'limit',
];

/** Checks a decoded line from a server; throws FramedMessageError. */
export function parseMessage(value: Record<string, unknown>): FramedMessage {
  const id = readId(value);
  const fail = (what: string) => {
    throw new FramedMessageError(`${String(value.type)} message: ${what}`);
  };
  const needId = () => (id === null ? fail('no id') : id);
  switch (value.type) {
    case 'page': {
      const { count, next, previous, results } = value;
      if (typeof count !== 'number') fail('no count');
      if (!Array.isArray(results) || !results.every(isProduct)) {
        fail('results are not products');
      }
      return {
        id: needId(),
        type: 'page',
        count: count as number,
        next: typeof next === 'string' ? next : null,
        previous: typeof previous === 'string' ? previous : null,
        results: results as Product[],
      };
    }
    case 'product':
      if (!isProduct(value.product)) fail('no product');
      return {
        id: needId(),
        type: 'product',
        product: value.product as Product,
      };
    case 'update':
      if (!isProduct(value.product)) fail('no product');
      if (!Array.isArray(value.changed)) fail('no changed');
      return {
        type: 'update',
        product: value.product as Product,
        changed: value.changed as ProductField[],
      };
    case 'ok':
    case 'pong':
      return { id: needId(), type: value.type };
    case 'error':
      return { id, type: 'error', error: parseErrorBody(value.error) };
    case 'bye':
      return { type: 'bye', reason: String(value.reason ?? '') };
    default:
      throw new FramedMessageError(`unknown message type: ${value.type}`);
  }
}

function parseErrorBody(value: unknown): ErrorBody {
  if (typeof value !== 'object' || value === null) {
    throw new FramedMessageError('error message: no error body');
  }
  const body = value as Record<string, unknown>;
  if (typeof body.code !== 'string' || !ERROR_CODES.includes(body.code)) {
    throw new FramedMessageError('error message: unknown code');
  }
  const error: ErrorBody = {
    code: body.code as ErrorCode,
    message: String(body.message ?? ''),
  };
  if (typeof body.product === 'string') error.product = body.product;

  return error;
}
