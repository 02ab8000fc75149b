import { parseClientArgs, parseDuration, UsageError } from './options.js';

describe('parseClientArgs', () => {
  it('reads list with its paging, filter and ordering flags', () => {
    const argv = [
      'list',
      '--page',
      '3',
      '--limit',
      '10',
      '--ordering',
      '-selling_price',
      '--selling-price',
      '1534.20',
      '--description',
      'lamp',
    ];

    expect(parseClientArgs(argv, {})).toEqual({
      command: 'list',
      host: '127.0.0.1',
      port: 5000,
      json: false,
      legacy: false,
      query: {
        limit: 10,
        offset: 20,
        ordering: '-selling_price',
        selling_price: '1534.20',
        description: 'lamp',
      },
    });
  });

  it('takes host and port from flags, then the environment', () => {
    const env = { SOCKET_HOST: 'feed.internal', SOCKET_PORT: '6000' };

    expect(parseClientArgs(['get', 'ABC'], env)).toMatchObject({
      host: 'feed.internal',
      port: 6000,
    });
    expect(
      parseClientArgs(['get', 'ABC', '--host', 'h', '--port', '7'], env),
    ).toMatchObject({ host: 'h', port: 7 });
  });

  it('takes a listen-all SOCKET_HOST for this machine', () => {
    const options = parseClientArgs(['list'], { SOCKET_HOST: '0.0.0.0' });

    expect(options.host).toBe('127.0.0.1');
  });

  it('reads watch with its stop rules', () => {
    const argv = [
      'watch',
      'A1',
      'B2',
      'A1',
      '--max-updates',
      '3',
      '--until',
      'buying_price <= 99.5',
      '--for',
      '2m',
      '--legacy',
      '--json',
    ];

    expect(parseClientArgs(argv, {})).toEqual({
      command: 'watch',
      host: '127.0.0.1',
      port: 5000,
      json: true,
      legacy: true,
      codes: ['A1', 'B2'],
      retries: 10,
      maxUpdates: 3,
      until: {
        field: 'buying_price',
        op: '<=',
        cents: 9950,
        text: 'buying_price <= 99.5',
      },
      forMs: 120_000,
    });
  });

  it.each([
    ['no command', [], 'a command is needed'],
    ['an unknown command', ['dance'], 'unknown command: dance'],
    ['an unknown flag', ['list', '--colour'], "Unknown option '--colour'"],
    ['get without a code', ['get'], 'get takes one CODE'],
    ['watch without codes', ['watch'], 'watch takes CODE...'],
    ['a code with spaces', ['get', 'a b'], 'not a product code'],
    ['a port that is not a number', ['list', '--port', 'x'], '--port must be'],
    [
      'a port out of range',
      ['list', '--port', '70000'],
      '--port must be 1 to 65535',
    ],
    [
      'zero max updates',
      ['watch', 'A', '--max-updates', '0'],
      '--max-updates must be',
    ],
    [
      'a rule with another field',
      ['watch', 'A', '--until', 'code>=1'],
      '--until must look like',
    ],
    [
      'a rule with >',
      ['watch', 'A', '--until', 'selling_price>1'],
      '--until must look like',
    ],
    ['a bad duration', ['watch', 'A', '--for', 'soon'], '--for must look like'],
    [
      'page and offset together',
      ['list', '--page', '2', '--offset', '3'],
      'not both',
    ],
    [
      'an unknown ordering',
      ['list', '--ordering', 'price'],
      '--ordering must be',
    ],
    [
      'a filter price that is no price',
      ['list', '--selling-price', 'abc'],
      '--selling-price must be a price',
    ],
  ])('refuses %s', (_name, argv, message) => {
    const attempt = () => parseClientArgs(argv, {});

    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(message);
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['90', 90_000],
    ['1.5m', 90_000],
    ['1h', 3_600_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
