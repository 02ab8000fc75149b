import { EventEmitter } from 'node:events';
/**
 * The client's commands end to end over real TCP: a real socket server
 * on 127.0.0.1 in front of a real HTTP products API the tests steer.
 */
import { memoryLogger } from '../../functions/shared/logger.js';
import { isProduct, type Product } from '../../protocol/index.js';
import { type SocketServer, startSocketServer } from '../server/server.js';
import {
  makeProduct,
  startTestApi,
  type TestApi,
} from '../testing/products-api.js';
import { sleep, waitFor } from '../testing/raw-client.js';
import { type ClientOptions, parseClientArgs } from './options.js';
import { type ClientIo, run } from './run.js';

const POLL_MS = 100;

class Capture {
  text = '';
  isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  lines(): string[] {
    return this.text.split('\n').filter((line) => line !== '');
  }
}

interface Outcome {
  code: number;
  stdout: Capture;
  stderr: Capture;
}

describe('the client', () => {
  let api: TestApi;
  let server: SocketServer;
  const products = Array.from({ length: 40 }, (_, index) =>
    makeProduct(100 + index),
  );
  const code = (index: number) => (products[index] as Product).code;

  const options = (...argv: string[]): ClientOptions =>
    parseClientArgs([...argv, '--port', String(server.port)], {});

  const start = (argv: string[], io: Partial<ClientIo> = {}) => {
    const stdout = new Capture();
    const stderr = new Capture();
    const done = run(options(...argv), { stdout, stderr, ...io }).then(
      (exit): Outcome => ({ code: exit, stdout, stderr }),
    );
    return { stdout, stderr, done };
  };

  /** Waits until `capture` holds `count` lines. */
  const linesIn = async (capture: Capture, count: number) => {
    for (let waited = 0; capture.lines().length < count; waited += 10) {
      if (waited > 5000) throw new Error(`no ${count} lines: ${capture.text}`);
      await sleep(10);
    }
  };

  beforeAll(async () => {
    api = await startTestApi(products);
    server = await startSocketServer({
      host: '127.0.0.1',
      port: 0,
      apiUrl: api.url,
      pollIntervalMs: POLL_MS,
      logger: memoryLogger(),
    });
  });

  afterAll(async () => {
    await server.close();
    await api.close();
  });

  describe.each([
    ['framed', []],
    ['older text', ['--legacy']],
  ])('in the %s protocol', (_name, mode) => {
    it('prints the first page as one JSON line with --json', async () => {
      const { done } = start(['list', '--json', ...mode]);

      const { code: exit, stdout } = await done;

      expect(exit).toBe(0);
      expect(stdout.lines()).toHaveLength(1);
      const page = JSON.parse(stdout.lines()[0] as string);
      expect(page.results).toHaveLength(30);
      expect(page.results.every(isProduct)).toBe(true);
    });

    it('prints the first page as a table', async () => {
      const { done } = start(['list', ...mode]);

      const { code: exit, stdout } = await done;

      expect(exit).toBe(0);
      const [header, ...rows] = stdout.lines();
      expect(header).toMatch(
        /^CODE\s+DESCRIPTION\s+BUYING\s+SELLING\s+UPDATED$/,
      );
      expect(rows.filter((row) => row.startsWith('TESTCODE'))).toHaveLength(30);
    });

    it('asks for the page that --page and --limit name', async () => {
      const { done } = start([
        'list',
        '--page',
        '3',
        '--limit',
        '5',
        '--json',
        ...mode,
      ]);

      const { code: exit, stdout } = await done;

      expect(exit).toBe(0);
      const page = JSON.parse(stdout.lines()[0] as string);
      const codes = page.results.map((product: Product) => product.code);
      expect(codes).toEqual(products.slice(10, 15).map((p) => p.code));
    });

    it('fails a watch whose codes do not exist', async () => {
      const { done } = start(['watch', 'NOSUCHCODE', '--json', ...mode]);

      const { code: exit, stdout, stderr } = await done;

      expect(exit).toBe(1);
      expect(stdout.text).toBe('');
      expect(stderr.text).toContain('no product with code NOSUCHCODE');
    });

    it('prints one product with get --json', async () => {
      const { done } = start(['get', code(1), '--json', ...mode]);

      const { code: exit, stdout } = await done;

      expect(exit).toBe(0);
      expect(JSON.parse(stdout.text)).toEqual(api.products.get(code(1)));
    });

    it('fails with a message for an unknown code', async () => {
      const { done } = start(['get', 'NOSUCHCODE', ...mode]);

      const { code: exit, stdout, stderr } = await done;

      expect(exit).toBe(1);
      expect(stdout.text).toBe('');
      expect(stderr.text).toMatch(/not.?found/i);
    });

    it('watches until --max-updates, printing each state with --json', async () => {
      const index = mode.length === 0 ? 2 : 3;
      const watch = start([
        'watch',
        code(index),
        '--max-updates',
        '2',
        '--json',
        ...mode,
      ]);
      await linesIn(watch.stdout, 1);

      const second = api.reprice(code(index), 200_000);
      await linesIn(watch.stdout, 2);
      const third = api.reprice(code(index), 210_000);
      const { code: exit, stdout } = await watch.done;

      expect(exit).toBe(0);
      const states = stdout.lines().map((line) => JSON.parse(line));
      expect(states.slice(1)).toEqual([second, third]);
      expect(states[0].code).toBe(code(index));
    });
  });

  it('prints a row per state with change and percent when not on a terminal', async () => {
    const watch = start(['watch', code(4), '--max-updates', '1']);
    await linesIn(watch.stdout, 2);

    api.reprice(code(4), 150_000);
    const { code: exit, stdout } = await watch.done;

    expect(exit).toBe(0);
    const [header, , update] = stdout.lines();
    expect(header).toMatch(
      /^CODE\s+DESCRIPTION\s+BUYING\s+SELLING\s+CHANGE\s+%/,
    );
    const before = Number(products[4]?.selling_price);
    const diff = (1500 - before).toFixed(2);
    const percent = (((1500 - before) / before) * 100).toFixed(2);
    expect(update).toContain('1500.00');
    expect(update).toContain(`+${diff}`);
    expect(update).toContain(`+${percent}%`);
  });

  it('stops when --until holds', async () => {
    const watch = start([
      'watch',
      code(5),
      '--until',
      'selling_price>=2000',
      '--json',
    ]);
    await linesIn(watch.stdout, 1);

    api.reprice(code(5), 150_000);
    await linesIn(watch.stdout, 2);
    api.reprice(code(5), 250_000);
    const { code: exit, stdout } = await watch.done;

    expect(exit).toBe(0);
    const last = JSON.parse(stdout.lines().at(-1) as string);
    expect(last.selling_price).toBe('2500.00');
    expect(stdout.lines()).toHaveLength(3);
  });

  it('stops after --for', async () => {
    const started = Date.now();
    const watch = start(['watch', code(6), '--for', '300ms', '--json']);

    const { code: exit, stdout } = await watch.done;

    expect(exit).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(stdout.lines()).toHaveLength(1);
  });

  it('exits 130 when interrupted', async () => {
    const controller = new AbortController();
    const watch = start(['watch', code(7), '--json'], {
      signal: controller.signal,
    });
    await linesIn(watch.stdout, 1);

    controller.abort();

    expect((await watch.done).code).toBe(130);
  });

  it('redraws a live table in place on a terminal, never clearing the screen', async () => {
    const stdout = Object.assign(new Capture(), { isTTY: true });
    const stderr = new Capture();
    const done = run(options('watch', code(8), code(9), '--max-updates', '1'), {
      stdout,
      stderr,
    });
    await waitFor(() =>
      stdout.text.includes(products[9]?.selling_price as string),
    );
    const drawnBefore = stdout.text.length;

    api.reprice(code(8), 260_208);
    const exit = await done;

    expect(exit).toBe(0);
    const redraw = stdout.text.slice(drawnBefore);
    expect(redraw.startsWith('\x1b[4F')).toBe(true);
    expect(redraw).toContain('\x1b[2K');
    expect(redraw).toContain('2602.08');
    expect(redraw).toMatch(/\+\d+\.\d{2}%/);
    for (const clear of ['\x1b[2J', '\x1b[3J', '\x1bc']) {
      expect(stdout.text).not.toContain(clear);
    }
    expect(stderr.text).toBe('');
  });

  describe('on a terminal with a keyboard', () => {
    class Keyboard extends EventEmitter {
      isTTY = true;
      raw: boolean[] = [];
      setRawMode(raw: boolean) {
        this.raw.push(raw);
      }
      resume() {}
      pause() {}
      press(key: string) {
        this.emit('data', Buffer.from(key));
      }
    }

    it('asks at any key and stops with exit 0 on yes', async () => {
      const keyboard = new Keyboard();
      const stdout = Object.assign(new Capture(), { isTTY: true });
      const watch = start(['watch', code(10)], {
        stdin: keyboard,
        stdout,
      } as Partial<ClientIo>);
      await waitFor(() =>
        stdout.text.includes(products[10]?.selling_price as string),
      );

      keyboard.press('x');
      await waitFor(() => stdout.text.includes('Stop watching? [y/N]'));
      keyboard.press('y');
      const { code: exit } = await watch.done;

      expect(exit).toBe(0);
      expect(keyboard.raw).toEqual([true, false]);
    });

    it('goes on watching when the answer is no', async () => {
      const keyboard = new Keyboard();
      const stdout = Object.assign(new Capture(), { isTTY: true });
      const watch = start(['watch', code(11), '--max-updates', '1'], {
        stdin: keyboard,
        stdout,
      } as Partial<ClientIo>);
      await waitFor(() =>
        stdout.text.includes(products[11]?.selling_price as string),
      );

      keyboard.press(' ');
      await waitFor(() => stdout.text.includes('Stop watching?'));
      keyboard.press('n');
      const shown = stdout.text.length;
      api.reprice(code(11), 270_000);
      const { code: exit } = await watch.done;

      expect(exit).toBe(0);
      expect(stdout.text.slice(shown)).toContain('2700.00');
      expect(stdout.text.slice(shown)).not.toContain('Stop watching?');
    });

    it('exits 130 on Ctrl-C', async () => {
      const keyboard = new Keyboard();
      const watch = start(['watch', code(12), '--json'], {
        stdin: keyboard,
      } as Partial<ClientIo>);
      await linesIn(watch.stdout, 1);

      keyboard.press('\x03');

      expect((await watch.done).code).toBe(130);
    });
  });
});

describe('the client when the server restarts', () => {
  it.each([
    ['framed', [], 990],
    ['older text', ['--legacy'], 992],
  ])(
    'reconnects with backoff and resumes its watches in the %s protocol',
    async (_name, mode, index) => {
      const product = makeProduct(index as number);
      const api = await startTestApi([product]);
      const serve = (port: number) =>
        startSocketServer({
          host: '127.0.0.1',
          port,
          apiUrl: api.url,
          pollIntervalMs: POLL_MS,
          logger: memoryLogger(),
        });
      let server = await serve(0);
      const { port } = server;
      const stdout = new Capture();
      const stderr = new Capture();
      const argv = ['watch', product.code, '--max-updates', '1', '--json'];
      const done = run(
        parseClientArgs(
          [...argv, ...(mode as string[]), '--port', String(port)],
          {},
        ),
        { stdout, stderr },
      );
      await waitFor(() => stdout.lines().length === 1);

      await server.close();
      await waitFor(() => stderr.text.includes('reconnecting'));
      server = await serve(port);
      const after = api.reprice(product.code, 280_000);
      const exit = await done;

      await server.close();
      await api.close();
      expect(exit).toBe(0);
      expect(stdout.lines().map((line) => JSON.parse(line))).toEqual([
        product,
        after,
      ]);
      expect(stderr.text).toMatch(/connection lost; reconnecting in \d+ ms/);
    },
  );

  it('gives up after --retries attempts with exit 1', async () => {
    const product = makeProduct(991);
    const api = await startTestApi([product]);
    const server = await startSocketServer({
      host: '127.0.0.1',
      port: 0,
      apiUrl: api.url,
      pollIntervalMs: POLL_MS,
      logger: memoryLogger(),
    });
    const stdout = new Capture();
    const stderr = new Capture();
    const argv = ['watch', product.code, '--retries', '2', '--json'];
    const done = run(
      parseClientArgs([...argv, '--port', String(server.port)], {}),
      {
        stdout,
        stderr,
      },
    );
    await waitFor(() => stdout.lines().length === 1);

    await server.close();
    const exit = await done;

    await api.close();
    expect(exit).toBe(1);
    expect(stderr.text.match(/reconnecting/g)).toHaveLength(2);
    expect(stderr.text).toContain('gave up');
  });
});
