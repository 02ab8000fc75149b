/**
 * A client of the older text protocol, as the older Python client
 * speaks it: one request per connection, written again after every
 * answer (the older server expects that; this project's ignores it).
 */
import {
  decodeLegacyAnswer,
  encodeLegacyRequest,
  isProduct,
  type LegacyAnswer,
  type LegacyRequest,
  type Product,
} from '../../protocol/index.js';
import {
  ConnectionError,
  connectSocket,
  type Endpoint,
} from './framed-client.js';

export class LegacyServerError extends Error {
  override readonly name = 'LegacyServerError';

  constructor(
    readonly kind: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

function detailOf(data: unknown): string {
  if (typeof data === 'object' && data !== null && 'detail' in data) {
    return String((data as { detail: unknown }).detail);
  }

  return JSON.stringify(data);
}

export interface LegacyListeners {
  answer(answer: LegacyAnswer): void;
  /** Bytes that are no answer; the connection is closed after. */
  malformed(reason: string): void;
  closed(): void;
}

/** Opens a connection, sends `request`, and hands over each answer. */
export async function openLegacy(
  endpoint: Endpoint,
  request: LegacyRequest,
  listeners: LegacyListeners,
  options: { repeat: boolean },
): Promise<{ close(): void }> {
  const socket = await connectSocket(endpoint);
  const bytes = encodeLegacyRequest(request);
  let buffer: Buffer = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.on('close', () => listeners.closed());
  socket.on('data', (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      const decoded = decodeLegacyAnswer(buffer);
      if (decoded.status === 'need-more') return;
      if (decoded.status === 'malformed') {
        listeners.malformed(decoded.reason);
        socket.destroy();
        return;
      }
      buffer = buffer.subarray(decoded.size);
      listeners.answer(decoded.value);
      if (options.repeat && socket.writable) socket.write(bytes);
    }
  });
  socket.write(bytes);

  return {
    close() {
      socket.destroy();
    },
  };
}

/** `GET+PRODUCTS+{}+QUERY`: the page's results. */
export async function legacyList(
  endpoint: Endpoint,
  query: string,
): Promise<Product[]> {
  const request = { verb: 'GET', kind: 'PRODUCTS', path: {}, query };
  return new Promise<Product[]>((resolve, reject) => {
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      action();
    };
    openLegacy(
      endpoint,
      request,
      {
        answer(answer) {
          if (answer.type === 'ERROR') {
            const error = new LegacyServerError(
              answer.kind,
              detailOf(answer.data),
            );
            settle(() => reject(error));
          } else if (
            Array.isArray(answer.data) &&
            answer.data.every(isProduct)
          ) {
            settle(() => resolve(answer.data as Product[]));
          } else {
            const error = new ConnectionError('the server sent no products');
            settle(() => reject(error));
          }
        },
        malformed(reason) {
          settle(() => reject(new ConnectionError(reason)));
        },
        closed() {
          settle(() => reject(new ConnectionError('the server closed early')));
        },
      },
      { repeat: false },
    ).catch((error: unknown) => settle(() => reject(error)));
  });
}

export function legacyProductRequest(code: string): LegacyRequest {
  return { verb: 'GET', kind: 'PRODUCT', path: { code }, query: '' };
}

export { detailOf as legacyDetail };
