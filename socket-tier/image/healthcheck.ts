/**
 * The image's HEALTHCHECK. For the socket server: a framed `ping` on
 * 127.0.0.1:SOCKET_PORT must get its `pong` within the timeout. The
 * worker and the client have no endpoint to ask; their containers stop
 * when they fail, so a running one counts as healthy.
 */
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { DEFAULTS, readPort } from '../../config/index.js';
import { ROLE_FILE } from './roles.js';

const TIMEOUT_MS = 3000;

function role(): string {
  try {
    return readFileSync(ROLE_FILE, 'utf8').trim();
  } catch {
    return 'server';
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (healthy: boolean) => {
      socket.destroy();
      resolve(healthy);
    };
    socket.setTimeout(TIMEOUT_MS, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('{"id":"health","op":"ping"}\n'));
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) done(text.includes('"pong"'));
    });
  });
}

if (role() === 'server') {
  const port = readPort(process.env, 'SOCKET_PORT', DEFAULTS.SOCKET_PORT);
  process.exit((await ping(port)) ? 0 : 1);
}
