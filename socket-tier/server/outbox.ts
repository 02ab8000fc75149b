/**
 * What one connection still has to send, bounded. Answers queue in
 * order; product states queue once per code, and a newer state replaces
 * an older one not yet sent, so a client that does not read holds at
 * most one state per watched code here. Bytes go to the socket only
 * while it does not need draining, so the kernel and the socket buffer
 * hold the rest, not this process.
 */
import type { Socket } from 'node:net';
import type { Product } from '../../protocol/index.js';

/** Turns the newest state of a code into bytes, or nothing to send. */
export type RenderState = (code: string, product: Product) => Buffer | null;

export class Outbox {
  readonly #socket: Socket;
  readonly #render: RenderState;
  #queue: (Buffer | string)[] = [];
  #head = 0;
  readonly #states = new Map<string, Product>();
  #answers = 0;
  #waiting = false;

  constructor(socket: Socket, render: RenderState) {
    this.#socket = socket;
    this.#render = render;
    socket.on('drain', () => {
      this.#waiting = false;
      this.flush();
    });
  }

  /** Answers queued and not yet handed to the socket. */
  get answers(): number {
    return this.#answers;
  }

  /** States waiting, one per code at most. */
  get states(): number {
    return this.#states.size;
  }

  answer(bytes: Buffer): void {
    this.#queue.push(bytes);
    this.#answers += 1;
    this.flush();
  }

  state(code: string, product: Product): void {
    if (!this.#states.has(code)) this.#queue.push(code);
    this.#states.set(code, product);
    this.flush();
  }

  /** Forgets a code's waiting state, after an unwatch. */
  forget(code: string): void {
    this.#states.delete(code);
  }

  clear(): void {
    this.#queue = [];
    this.#head = 0;
    this.#states.clear();
    this.#answers = 0;
  }

  flush(): void {
    const socket = this.#socket;
    while (this.#head < this.#queue.length && !this.#waiting) {
      if (socket.destroyed || !socket.writable) {
        this.clear();
        return;
      }
      const item = this.#queue[this.#head] as Buffer | string;
      this.#head += 1;
      const bytes = this.#next(item);
      if (bytes && !socket.write(bytes)) this.#waiting = true;
    }
    this.#compact();
  }

  #next(item: Buffer | string): Buffer | null {
    if (typeof item !== 'string') {
      this.#answers -= 1;
      return item;
    }
    const product = this.#states.get(item);
    if (!product) return null;
    this.#states.delete(item);

    return this.#render(item, product);
  }

  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
