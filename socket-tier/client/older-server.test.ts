/**
 * `--legacy` against a stand-in for the older Python server on
 * 127.0.0.1, which behaves as PROTOCOL.md describes it: answers without
 * a trailing newline, and a push only after the request comes again.
 */

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import {
  decodeLegacyRequest,
  formatCents,
  type Product,
} from '../../protocol/index.js';
import { makeProduct } from '../testing/products-api.js';
import { waitFor } from '../testing/raw-client.js';
import { parseClientArgs } from './options.js';
import { run } from './run.js';

class Capture {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  lines(): string[] {
    return this.text.split('\n').filter((line) => line !== '');
  }
}

/** Answers one request per read, the way the older server does. */
function startOlderServer(products: Map<string, Product>) {
  const requests: string[] = [];
  const server: Server = createServer((socket: Socket) => {
    let sent: Product | undefined;
    socket.on('error', () => {});
    socket.on('data', async (chunk: Buffer) => {
      const decoded = decodeLegacyRequest(chunk, true);
      if (decoded.status !== 'ok') return;
      requests.push(chunk.toString());
      const { kind, path } = decoded.value;
      if (kind === 'PRODUCTS') {
        socket.end(`LIST+PRODUCTS+${JSON.stringify([...products.values()])}`);
        return;
      }
      const code = String(path.code);
      try {
        await waitFor(() => products.get(code) !== sent, 10_000);
      } catch {
        // No change before the test ended: nothing to push.
        socket.destroy();
        return;
      }
      sent = products.get(code);
      socket.write(`JSON+PRODUCT+${JSON.stringify(sent)}`);
    });
  });

  return new Promise<{ port: number; requests: string[]; close(): void }>(
    (resolve) =>
      server.listen(0, '127.0.0.1', () =>
        resolve({
          port: (server.address() as AddressInfo).port,
          requests,
          close: () => server.close(),
        }),
      ),
  );
}

describe('the client with --legacy against the older server', () => {
  const product = makeProduct(970);
  const products = new Map([[product.code, product]]);

  it('lists the products of an answer that ends without a newline', async () => {
    const older = await startOlderServer(products);
    const stdout = new Capture();
    const argv = ['list', '--legacy', '--json', '--port', String(older.port)];

    const exit = await run(parseClientArgs(argv, {}), {
      stdout,
      stderr: new Capture(),
    });

    older.close();
    expect(exit).toBe(0);
    expect(JSON.parse(stdout.text)).toEqual({ results: [product] });
    expect(older.requests).toEqual(['GET+PRODUCTS+{}+']);
  });

  it('watches by writing its request again before every read', async () => {
    const older = await startOlderServer(products);
    const stdout = new Capture();
    const argv = ['watch', product.code, '--legacy', '--json'];
    const done = run(
      parseClientArgs(
        [...argv, '--max-updates', '1', '--port', String(older.port)],
        {},
      ),
      { stdout, stderr: new Capture() },
    );
    await waitFor(() => stdout.lines().length === 1);

    const after = { ...product, selling_price: formatCents(290_000) };
    products.set(product.code, after);
    const exit = await done;

    older.close();
    expect(exit).toBe(0);
    expect(stdout.lines().map((line) => JSON.parse(line))).toEqual([
      product,
      after,
    ]);
    const request = `GET+PRODUCT+${JSON.stringify({ code: product.code })}+`;
    expect(older.requests.length).toBeGreaterThanOrEqual(2);
    expect(new Set(older.requests)).toEqual(new Set([request]));
  });
});
