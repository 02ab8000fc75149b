/**
 * The client's command line, checked before anything connects: every
 * value is validated here, so `run` receives only sound options.
 */
import { parseArgs } from 'node:util';
import {
  DEFAULTS,
  type Env,
  readPort,
  readString,
} from '../../config/index.js';
import { isCode, type ListQuery, parseCents } from '../../protocol/index.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Connect {
  host: string;
  port: number;
  legacy: boolean;
  json: boolean;
}

export interface StopRule {
  field: 'selling_price' | 'buying_price';
  op: '>=' | '<=';
  cents: number;
  text: string;
}

export type ClientOptions =
  | (Connect & { command: 'list'; query: ListQuery })
  | (Connect & { command: 'get'; code: string })
  | (Connect & {
      command: 'watch';
      codes: string[];
      maxUpdates?: number;
      until?: StopRule;
      forMs?: number;
      /** Reconnect attempts in a row before giving up. */
      retries: number;
    });

export const USAGE = `usage: npm run client -- <command> [options]

commands:
  list                 the first page of products, as a table
  get CODE             one product
  watch CODE...        live prices until a stop rule or you say stop

options:
  --host H             server host (SOCKET_HOST, default 127.0.0.1)
  --port P             server port (SOCKET_PORT, default 5000)
  --json               one JSON object per line instead of a table
  --legacy             speak the older text protocol

list:
  --limit N --offset N --page N (pages of --limit, default 30)
  --ordering FIELD     buying_price, selling_price, description; - for desc
  --selling-price P --buying-price P --description TEXT (exact match)

watch:
  --max-updates N      stop after N updates
  --until RULE         stop when e.g. 'selling_price>=1500' (or <=,
                       buying_price)
  --for DURATION       stop after e.g. 90s, 5m, 1h, 500ms
  --retries N          reconnect attempts before giving up (default 10)
`;

const ORDERING = /^-?(buying_price|selling_price|description|code)$/;
const RULE = /^(selling_price|buying_price)\s*(>=|<=)\s*(\d+(?:\.\d{1,2})?)$/;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

export function parseClientArgs(argv: string[], env: Env): ClientOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  const connect: Connect = {
    host: values.host ?? hostFromEnv(env),
    port: readPortFlag(values.port, env),
    legacy: values.legacy ?? false,
    json: values.json ?? false,
  };
  switch (command) {
    case 'list':
      noPositionals(command, rest);
      return { ...connect, command, query: listQuery(values) };
    case 'get':
      if (rest.length !== 1) throw new UsageError('get takes one CODE');
      return { ...connect, command, code: code(rest[0]) };
    case 'watch':
      if (rest.length === 0) throw new UsageError('watch takes CODE...');
      return watchOptions(connect, rest.map(code), values);
    case undefined:
      throw new UsageError('a command is needed: list, get or watch');
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

/**
 * Joins each string option to its value, so a value that starts with
 * `-` (a descending ordering) is not taken for an option.
 */
function joinValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i] as string;
    const name = token.startsWith('--') ? token.slice(2) : '';
    const next = argv[i + 1];
    if (STRING_OPTIONS.has(name) && next !== undefined) {
      out.push(`${token}=${next}`);
      i += 1;
    } else {
      out.push(token);
    }
  }

  return out;
}

const STRING_OPTIONS = new Set([
  'host',
  'port',
  'limit',
  'offset',
  'page',
  'ordering',
  'selling-price',
  'buying-price',
  'description',
  'max-updates',
  'until',
  'for',
  'retries',
]);

function parse(argv: string[]) {
  return parseArgs({
    args: joinValues(argv),
    allowPositionals: true,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      json: { type: 'boolean' },
      legacy: { type: 'boolean' },
      limit: { type: 'string' },
      offset: { type: 'string' },
      page: { type: 'string' },
      ordering: { type: 'string' },
      'selling-price': { type: 'string' },
      'buying-price': { type: 'string' },
      description: { type: 'string' },
      'max-updates': { type: 'string' },
      until: { type: 'string' },
      for: { type: 'string' },
      retries: { type: 'string' },
    },
  });
}

type Values = ReturnType<typeof parse>['values'];

/**
 * SOCKET_HOST is where a server listens; an any-address such as the
 * container's 0.0.0.0 means this machine for a client.
 */
function hostFromEnv(env: Env): string {
  const host = readString(env, 'SOCKET_HOST', DEFAULTS.SOCKET_HOST);
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

function readPortFlag(flag: string | undefined, env: Env): number {
  if (flag === undefined) {
    return readPort(env, 'SOCKET_PORT', DEFAULTS.SOCKET_PORT);
  }
  const port = wholeNumber('--port', flag, 1);
  if (port > 65535) throw new UsageError('--port must be 1 to 65535');

  return port;
}

function noPositionals(command: string, rest: string[]): void {
  if (rest.length > 0) {
    throw new UsageError(`${command} takes no argument: ${rest.join(' ')}`);
  }
}

function code(value: string | undefined): string {
  if (!isCode(value)) {
    throw new UsageError(`not a product code: ${String(value)}`);
  }

  return value;
}

function wholeNumber(flag: string, text: string, min: number): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < min) {
    throw new UsageError(`${flag} must be a whole number from ${min}`);
  }

  return Number(text);
}

function price(flag: string, text: string): string {
  const cents = parseCents(text);
  if (cents === undefined) throw new UsageError(`${flag} must be a price`);

  return text;
}

function listQuery(values: Values): ListQuery {
  const query: ListQuery = {};
  const limit = values.limit ? wholeNumber('--limit', values.limit, 1) : 30;
  if (values.limit) query.limit = limit;
  if (values.offset !== undefined) {
    query.offset = wholeNumber('--offset', values.offset, 0);
  }
  if (values.page !== undefined) {
    if (values.offset !== undefined) {
      throw new UsageError('use --page or --offset, not both');
    }
    query.limit = limit;
    query.offset = (wholeNumber('--page', values.page, 1) - 1) * limit;
  }
  if (values.ordering !== undefined) {
    if (!ORDERING.test(values.ordering)) {
      throw new UsageError(
        '--ordering must be buying_price, selling_price, description or code, with - for descending',
      );
    }
    query.ordering = values.ordering;
  }
  const selling = values['selling-price'];
  if (selling !== undefined) {
    query.selling_price = price('--selling-price', selling);
  }
  const buying = values['buying-price'];
  if (buying !== undefined) {
    query.buying_price = price('--buying-price', buying);
  }
  if (values.description !== undefined) {
    query.description = values.description;
  }

  return query;
}

function watchOptions(
  connect: Connect,
  codes: string[],
  values: Values,
): ClientOptions {
  const options: ClientOptions = {
    ...connect,
    command: 'watch',
    codes: [...new Set(codes)],
    retries: values.retries ? wholeNumber('--retries', values.retries, 0) : 10,
  };
  if (values['max-updates'] !== undefined) {
    options.maxUpdates = wholeNumber('--max-updates', values['max-updates'], 1);
  }
  if (values.until !== undefined) options.until = parseRule(values.until);
  if (values.for !== undefined) options.forMs = parseDuration(values.for);

  return options;
}

export function parseRule(text: string): StopRule {
  const match = RULE.exec(text.trim());
  if (!match) {
    throw new UsageError(
      `--until must look like 'selling_price>=1500' (or <=, buying_price)`,
    );
  }

  const cents = parseCents(match[3] as string);
  if (cents === undefined) throw new UsageError('--until: price too large');

  return {
    field: match[1] as StopRule['field'],
    op: match[2] as StopRule['op'],
    cents,
    text: text.trim(),
  };
}

export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) {
    throw new UsageError('--for must look like 90s, 5m, 1h or 500ms');
  }
  const unit = (match[2] ?? 's') as keyof typeof UNIT_MS;
  const ms = Math.round(Number(match[1]) * UNIT_MS[unit]);
  if (ms < 1 || ms > 2_147_483_647) {
    throw new UsageError('--for must be between 1 ms and 24 days');
  }

  return ms;
}
