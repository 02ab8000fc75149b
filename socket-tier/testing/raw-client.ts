/**
 * A bare TCP client for tests: writes exactly the bytes given and reads
 * lines as they come, so tests see the wire as a client would.
 */
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';

export class RawClient {
  readonly socket: Socket;
  #text = '';
  #read = 0;
  #ended = false;
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#text += chunk;
      this.#wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#ended = true;
      this.#wake();
    });
  }

  static async open(port: number): Promise<RawClient> {
    const socket = createConnection({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  /** Everything received so far. */
  get received(): string {
    return this.#text;
  }

  get ended(): boolean {
    return this.#ended;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next line, without its newline. */
  async line(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.#text.indexOf('\n', this.#read);
      if (end >= 0) {
        const line = this.#text.slice(this.#read, end);
        this.#read = end + 1;
        return line;
      }
      if (this.#ended) throw new Error('connection closed before a line');
      await this.#wait(deadline, 'a line');
    }
  }

  async json(timeoutMs = 5000): Promise<Record<string, unknown>> {
    return JSON.parse(await this.line(timeoutMs)) as Record<string, unknown>;
  }

  /** Whole lines received and not yet read, without waiting. */
  rest(): string[] {
    const end = this.#text.lastIndexOf('\n');
    if (end < this.#read) return [];
    const lines = this.#text.slice(this.#read, end).split('\n');
    return lines.filter((line) => line !== '');
  }

  async closed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#ended) await this.#wait(deadline, 'the close');
  }

  destroy(): void {
    this.socket.destroy();
  }

  #wait(deadline: number, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}`)),
        Math.max(0, deadline - Date.now()),
      );
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `condition` holds, checking every 10 ms. */
export async function waitFor(
  condition: () => boolean,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await sleep(10);
  }
}
