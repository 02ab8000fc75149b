/** The client's process entry, run as a person runs it. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function client(...args: string[]) {
  try {
    const { stdout, stderr } = await run(
      'npx',
      ['tsx', 'socket-tier/client/main.ts', ...args],
      { timeout: 30_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the client entry', () => {
  it('prints its usage on stdout for --help and exits 0', async () => {
    const result = await client('--help');

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: npm run client -- <command>/);
    expect(result.stdout).toMatch(/watch CODE/);
  });

  it('exits 2 with the usage on stderr for an unknown command', async () => {
    const result = await client('frobnicate');

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/usage: npm run client/);
  });

  it('exits 1 with a clear message when no server listens', async () => {
    const result = await client('list', '--port', '1');

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot reach the server at 127\.0\.0\.1:1/);
  });
});
