/**
 * The server process as deployed: environment checked at start-up,
 * SIGTERM answered with `bye` and a clean exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { makeProduct, startTestApi } from '../testing/products-api.js';
import { RawClient, waitFor } from '../testing/raw-client.js';
import { readServerConfig } from './config.js';

function startMain(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'socket-tier/server/main.ts'],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => {
    output.stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output.stderr += chunk;
  });
  return { child, output };
}

async function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = await once(child, 'exit');
  return code as number | null;
}

describe('readServerConfig', () => {
  it('uses the documented defaults', () => {
    expect(readServerConfig({})).toEqual({
      host: '127.0.0.1',
      port: 5000,
      apiUrl: 'http://127.0.0.1:3000',
      pollIntervalMs: 5000,
      amqpUrl: undefined,
    });
  });

  it('reads POLL_INTERVAL in seconds, fractions allowed', () => {
    expect(readServerConfig({ POLL_INTERVAL: '0.5' }).pollIntervalMs).toBe(500);
  });

  it.each([
    ['SOCKET_PORT', 'abc'],
    ['SOCKET_PORT', '70000'],
    ['API_URL', 'ftp://x'],
    ['POLL_INTERVAL', '0'],
    ['AMQP_URL', 'http://127.0.0.1'],
  ])('names %s when its value %s is bad', (name, value) => {
    expect(() => readServerConfig({ [name]: value })).toThrow(
      new RegExp(`^${name}: `),
    );
  });
});

describe('the server process', () => {
  it('stops at start with the name of a bad variable', async () => {
    const { child, output } = startMain({ SOCKET_PORT: 'abc' });

    const code = await exitCode(child);

    expect(code).toBe(2);
    expect(output.stderr).toContain('SOCKET_PORT');
  }, 30_000);

  it('says bye to framed clients on SIGTERM and exits 0', async () => {
    const product = makeProduct(950);
    const api = await startTestApi([product]);
    const { child, output } = startMain({
      SOCKET_HOST: '127.0.0.1',
      SOCKET_PORT: '0',
      API_URL: api.url,
      POLL_INTERVAL: '1',
      AMQP_URL: '',
    });
    await waitFor(
      () => output.stdout.includes('socket server listening'),
      20_000,
    );
    const listening = output.stdout
      .split('\n')
      .map((line) => (line.startsWith('{') ? JSON.parse(line) : {}))
      .find((entry) => entry.msg === 'socket server listening');
    const client = await RawClient.open(listening.port);
    client.write(`{"id":1,"op":"watch","codes":["${product.code}"]}\n`);
    await client.json();

    child.kill('SIGTERM');
    const code = await exitCode(child);

    expect(code).toBe(0);
    expect(await client.json()).toEqual({ type: 'bye', reason: 'shutdown' });
    client.destroy();
    await api.close();
  }, 30_000);
});
