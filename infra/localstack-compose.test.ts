import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  API_STAGE,
  DEFAULTS,
  ENTRIES,
  ENVIRONMENT,
  LOCALSTACK,
  TABLE_NAME,
} from '../config/topology.js';
import { fromRoot } from './paths.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  networks?: string[];
  stop_grace_period?: string;
}

interface Compose {
  services: Record<string, Service>;
  networks: Record<string, { name: string }>;
}

const compose = parse(
  readFileSync(fromRoot('localstack.yml'), 'utf8'),
) as Compose;
const { services } = LOCALSTACK;

function service(name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`localstack.yml has no service ${name}`);

  return found;
}

/** `127.0.0.1:5000:5000` -> [host port, container port]. */
function publishedPorts(name: string): [number, number][] {
  return (service(name).ports ?? []).map((mapping) => {
    const [container, host] = mapping.split(':').reverse();
    return [Number(host), Number(container)];
  });
}

/** The value of a variable, or the default of `${NAME:-default}`. */
function variableOf(name: string, variable: string): string | undefined {
  const value = service(name).environment?.[variable];
  const fallback = /^\$\{\w+:-(.*)\}$/.exec(value ?? '');

  return fallback ? fallback[1] : value;
}

const COMPOSE_API_URL =
  `http://${services.localstack}:${LOCALSTACK.edgePort}` +
  `/_aws/execute-api/${LOCALSTACK.apiId}/${API_STAGE}`;

describe('localstack.yml', () => {
  it('runs LocalStack, RabbitMQ, the worker and the socket server', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      Object.values(services).sort(),
    );
  });

  it('publishes each port of the configuration on the loopback only', () => {
    const amqpPort = Number(new URL(LOCALSTACK.amqpUrl).port);

    expect(publishedPorts(services.localstack)).toEqual([
      [LOCALSTACK.edgePort, LOCALSTACK.edgePort],
    ]);
    expect(publishedPorts(services.rabbitmq)).toEqual([
      [LOCALSTACK.amqpPort, amqpPort],
    ]);
    expect(publishedPorts(services.socketServer)).toEqual([
      [DEFAULTS.SOCKET_PORT, DEFAULTS.SOCKET_PORT],
    ]);
    for (const name of Object.values(services)) {
      for (const mapping of service(name).ports ?? []) {
        expect(mapping).toMatch(/^127\.0\.0\.1:/);
      }
    }
  });

  it('puts every service on the network Lambda containers join', () => {
    expect(compose.networks[LOCALSTACK.network]?.name).toBe(LOCALSTACK.network);
    expect(variableOf(services.localstack, 'LAMBDA_DOCKER_NETWORK')).toBe(
      LOCALSTACK.network,
    );
    for (const name of Object.values(services)) {
      expect(service(name).networks).toEqual([LOCALSTACK.network]);
    }
  });

  it('lets functions reach RabbitMQ by the URL the CDK app gives them', () => {
    const url = new URL(LOCALSTACK.amqpUrl);

    expect(url.hostname).toBe(services.rabbitmq);
    expect(Number(url.port)).toBe(LOCALSTACK.amqpPort);
  });

  it.each([
    [services.worker, 'worker'],
    [services.socketServer, 'server'],
  ])('builds %s from the socket tier Dockerfile as role %s', (name, role) => {
    expect(service(name).build).toEqual({
      context: '.',
      dockerfile: ENTRIES.dockerfile,
    });
    expect(service(name).command).toEqual([role]);
  });

  it.each([
    ['worker', services.worker, ENVIRONMENT.worker],
    ['socketServer', services.socketServer, ENVIRONMENT.socketServer],
  ] as const)(
    'gives the %s exactly its role names, plus what LocalStack needs',
    (role, name, expected) => {
      const names = Object.keys(service(name).environment ?? {}).sort();

      expect(names).toEqual(
        [...expected, ...LOCALSTACK.extraEnvironment[role]].sort(),
      );
    },
  );

  it('points the worker at the table and RabbitMQ of the configuration', () => {
    const worker = services.worker;

    expect(variableOf(worker, 'PRODUCTS_TABLE')).toBe(TABLE_NAME);
    expect(variableOf(worker, 'AMQP_URL')).toBe(LOCALSTACK.amqpUrl);
    expect(variableOf(worker, 'DYNAMODB_ENDPOINT')).toBe(
      `http://${services.localstack}:${LOCALSTACK.edgePort}`,
    );
    expect(variableOf(worker, 'AWS_REGION')).toBe(LOCALSTACK.region);
  });

  it('gives a stopping worker two minutes to finish the tick in hand', () => {
    expect(service(services.worker).stop_grace_period).toBe('2m');
  });

  it('points the socket server at the API LocalStack serves', () => {
    const server = services.socketServer;

    expect(variableOf(server, 'API_URL')).toBe(COMPOSE_API_URL);
    expect(variableOf(server, 'SOCKET_HOST')).toBe('0.0.0.0');
    expect(variableOf(server, 'SOCKET_PORT')).toBe(
      String(DEFAULTS.SOCKET_PORT),
    );
    expect(variableOf(server, 'POLL_INTERVAL')).toBe(
      String(DEFAULTS.POLL_INTERVAL),
    );
  });
});
