/**
 * The socket server: PROTOCOL.md's two TCP protocols over shared
 * watching, with product events as the fast path when a broker is
 * given and polls as the fallback.
 */
import { createServer, type Socket } from 'node:net';
import type { Logger } from '../../functions/shared/logger.js';
import {
  encodeLegacyAnswer,
  encodeMessage,
  FRAMED_FIRST_BYTE,
} from '../../protocol/index.js';
import { Connection, type ConnectionLimits } from './connection.js';
import { type EventFeed, startEventFeed } from './events.js';
import { createHttpUpstream, type Upstream } from './upstream.js';
import { type HubStats, WatchHub } from './watch-hub.js';

export interface SocketLimits extends ConnectionLimits {
  maxConnections: number;
  maxConnectionsPerAddress: number;
}

export const DEFAULT_LIMITS: SocketLimits = {
  maxLineBytes: 64 * 1024,
  maxWatchesPerConnection: 1000,
  firstRequestMs: 10_000,
  idleMs: 300_000,
  maxBacklog: 64,
  legacyQuietMs: 25,
  closeGraceMs: 2000,
  maxConnections: 20_000,
  maxConnectionsPerAddress: 1000,
};

export interface SocketServerOptions extends Partial<SocketLimits> {
  host: string;
  port: number;
  apiUrl: string;
  pollIntervalMs: number;
  amqpUrl?: string;
  eventsExchange?: string;
  logger: Logger;
  /** How long an API request may take before it counts as failed. */
  upstreamTimeoutMs?: number;
  /** How long start-up waits for the events subscription. */
  eventsReadyMs?: number;
  /** First pause before trying the broker again. */
  eventsRetryMs?: number;
}

export interface SocketServer {
  port: number;
  /** Sends `bye` to framed clients, closes all, ends within seconds. */
  close(): Promise<void>;
  stats(): ServerStats;
}

export interface ServerStats extends HubStats {
  connections: number;
  upstreamRequests: number;
  /** Product states waiting in connections' queues, all together. */
  queuedStates: number;
  /** The most states waiting for any one connection. */
  maxQueuedStates: number;
  /** Bytes waiting in socket buffers, all together. */
  bufferedBytes: number;
}

/** Why a connection is turned away at once. */
type Refusal = 'too many connections' | 'too many connections from you';

export async function startSocketServer(
  options: SocketServerOptions,
): Promise<SocketServer> {
  const limits = pickLimits(options);
  const { logger } = options;
  const upstream: Upstream = createHttpUpstream({
    apiUrl: options.apiUrl,
    timeoutMs: options.upstreamTimeoutMs ?? 5000,
  });
  const hub = new WatchHub({
    upstream,
    pollIntervalMs: options.pollIntervalMs,
    logger,
  });
  let events: EventFeed | undefined;
  if (options.amqpUrl) {
    events = startEventFeed({
      url: options.amqpUrl,
      exchange: options.eventsExchange,
      logger,
      onProduct: (product) => hub.offer(product),
      retryMs: options.eventsRetryMs,
    });
    await settledWithin(events.ready, options.eventsReadyMs ?? 3000);
  }
  const connections = new Set<Connection>();
  const perAddress = new Map<string, number>();
  let nextId = 0;
  let closing = false;

  const accept = (socket: Socket) => {
    const address = socket.remoteAddress ?? '?';
    const fromAddress = perAddress.get(address) ?? 0;
    if (closing) {
      socket.destroy();
      return;
    }
    if (connections.size >= limits.maxConnections) {
      refuse(socket, 'too many connections', limits.closeGraceMs);
      return;
    }
    if (fromAddress >= limits.maxConnectionsPerAddress) {
      refuse(socket, 'too many connections from you', limits.closeGraceMs);
      return;
    }
    perAddress.set(address, fromAddress + 1);
    nextId += 1;
    const log = logger.child({ conn: nextId });
    const connection = new Connection(
      socket,
      { hub, upstream, limits, logger: log },
      log,
      () => {
        log.debug('connection closed');
        connections.delete(connection);
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left > 0) perAddress.set(address, left);
        else perAddress.delete(address);
      },
    );
    connections.add(connection);
    log.debug('connection opened', { address });
  };

  const server = createServer(accept);
  server.on('error', (error) => logger.error('server error', { error }));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await events?.close();
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  logger.info('socket server listening', { host: options.host, port });

  return {
    port,
    stats: () => {
      let queuedStates = 0;
      let maxQueuedStates = 0;
      let bufferedBytes = 0;
      for (const connection of connections) {
        const backlog = connection.backlog();
        queuedStates += backlog.states;
        maxQueuedStates = Math.max(maxQueuedStates, backlog.states);
        bufferedBytes += backlog.bytes;
      }
      return {
        ...hub.stats(),
        connections: connections.size,
        upstreamRequests: upstream.requests,
        queuedStates,
        maxQueuedStates,
        bufferedBytes,
      };
    },
    async close() {
      if (closing) return;
      closing = true;
      const stopped = new Promise<void>((resolve) =>
        server.close(() => resolve()),
      );
      hub.close();
      for (const connection of connections) connection.shutdown();
      const grace = setTimeout(() => {
        for (const connection of connections) connection.destroy();
      }, limits.closeGraceMs);
      await Promise.all([stopped, events?.close()]);
      clearTimeout(grace);
      logger.info('socket server closed');
    },
  };
}

/** Waits for `promise`, but no longer than `ms`. */
async function settledWithin(promise: Promise<unknown>, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([promise, late]);
  clearTimeout(timer);
}

function pickLimits(options: Partial<SocketLimits>): SocketLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof SocketLimits)[]) {
    const value = options[key];
    if (value !== undefined) limits[key] = value;
  }

  return limits;
}

/**
 * Turns a connection away with an error in the protocol it speaks: its
 * first byte says which, or the older one when it sends nothing soon.
 */
function refuse(socket: Socket, reason: Refusal, waitMs: number): void {
  const legacy = encodeLegacyAnswer({
    type: 'ERROR',
    kind: '-',
    data: { detail: reason },
  });
  const framed = encodeMessage({
    id: null,
    type: 'error',
    error: { code: 'limit', message: reason },
  });
  const timer = setTimeout(() => socket.end(legacy), waitMs);
  socket.on('error', () => {});
  socket.once('data', (chunk: Buffer) => {
    clearTimeout(timer);
    socket.end(chunk[0] === FRAMED_FIRST_BYTE ? framed : legacy);
  });
  socket.on('close', () => clearTimeout(timer));
  setTimeout(() => socket.destroy(), waitMs * 2).unref();
}
