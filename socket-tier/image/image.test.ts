/**
 * The image's entry points, bundled exactly as the Dockerfile bundles
 * them and run with plain `node` from a folder without node_modules.
 * (No Docker engine here: this checks what runs inside the image.)
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  makeProduct,
  startTestApi,
  type TestApi,
} from '../testing/products-api.js';
import { waitFor } from '../testing/raw-client.js';

const exec = promisify(execFile);

/** The Dockerfile's bundling step, sent to `outdir` instead of dist. */
async function bundleCommand(outdir: string): Promise<string> {
  const dockerfile = await readFile('socket-tier/Dockerfile', 'utf8');
  const step = /^RUN (npx esbuild[\s\S]*?[^\\])$/m.exec(dockerfile);
  if (!step) throw new Error('no esbuild step in the Dockerfile');

  return (step[1] as string)
    .replace(/\\\n\s*/g, ' ')
    .replace('--outdir=dist', `--outdir=${outdir}`);
}

describe('the socket tier image entry points', () => {
  let dir: string;
  let api: TestApi;
  const product = makeProduct(960);

  const node = (args: string[], env: Record<string, string> = {}) =>
    exec(process.execPath, args, {
      cwd: dir,
      env: { PATH: process.env.PATH, ROLE_FILE: join(dir, 'role'), ...env },
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feed-image-'));
    await exec('sh', ['-c', await bundleCommand(dir)]);
    api = await startTestApi([product]);
  }, 60_000);

  afterAll(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the server by default, healthy while it answers pings', async () => {
    const env = {
      SOCKET_HOST: '127.0.0.1',
      SOCKET_PORT: '0',
      API_URL: api.url,
    };
    const server = spawn(process.execPath, ['launch.mjs'], {
      cwd: dir,
      env: { PATH: process.env.PATH, ROLE_FILE: join(dir, 'role'), ...env },
    });
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
    });
    await waitFor(() => out.includes('socket server listening'), 10_000);
    const port = String(
      JSON.parse(
        out.split('\n').find((line) => line.includes('listening')) as string,
      ).port,
    );

    const health = await node(['healthcheck.mjs'], { SOCKET_PORT: port });
    const listed = await node([
      'launch.mjs',
      'client',
      'get',
      product.code,
      '--json',
      '--port',
      port,
    ]);
    server.kill('SIGTERM');
    const [code] = await once(server, 'exit');
    const after = node(['healthcheck.mjs'], { SOCKET_PORT: port });

    expect(health.stdout).toBe('');
    expect(JSON.parse(listed.stdout)).toEqual(product);
    expect(code).toBe(0);
    await expect(after).rejects.toMatchObject({ code: 1 });
  }, 30_000);

  it('refuses an unknown role with exit 2', async () => {
    const attempt = node(['launch.mjs', 'dance']);

    await expect(attempt).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown role "dance"'),
    });
  });
});
