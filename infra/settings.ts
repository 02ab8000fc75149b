/**
 * What one deployment is made of, read from CDK context (`-c key=value`)
 * with the environment as fallback where the local stack uses the same
 * name. Every failure names the context key, so `cdk synth` stops with a
 * message a person can act on.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { ConfigError, type Env, readOptional } from '../config/env.js';
import { isDeployable, parseSchedule } from '../config/schedule.js';
import { DEFAULTS, LOCALSTACK } from '../config/topology.js';

export const TARGETS = ['aws', 'localstack'] as const;
export type Target = (typeof TARGETS)[number];

/** Where the bridge, worker and API find RabbitMQ. */
export type AmqpSource =
  | { kind: 'broker' }
  | { kind: 'url'; url: string }
  | { kind: 'secret'; secretArn: string };

export interface DeploySettings {
  readonly target: Target;
  /** An EventBridge expression: `rate(...)` in minutes or `cron(...)`. */
  readonly priceSchedule: string;
  readonly removalPolicy: RemovalPolicy;
  readonly amqp: AmqpSource;
  /** Who is mailed when an alarm fires; nobody when left out. */
  readonly alarmEmail?: string;
}

/** Context keys the app reads. */
export const CONTEXT = {
  target: 'target',
  priceSchedule: 'priceSchedule',
  removalPolicy: 'removalPolicy',
  amqpUrl: 'amqpUrl',
  amqpSecretArn: 'amqpSecretArn',
  alarmEmail: 'alarmEmail',
} as const;

export type ContextReader = (key: string) => unknown;

const REMOVAL_POLICIES: Record<string, RemovalPolicy> = {
  retain: RemovalPolicy.RETAIN,
  destroy: RemovalPolicy.DESTROY,
};

function text(context: ContextReader, key: string): string | undefined {
  const value = context(key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new ConfigError(key, 'expected a string in the CDK context');
  }
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function readTarget(context: ContextReader): Target {
  const value = text(context, CONTEXT.target) ?? 'aws';
  const target = TARGETS.find((name) => name === value);
  if (!target) {
    throw new ConfigError(
      CONTEXT.target,
      `expected ${TARGETS.join(' or ')}, got "${value}"`,
    );
  }

  return target;
}

function readSchedule(context: ContextReader, env: Env): string {
  const fromContext = text(context, CONTEXT.priceSchedule);
  const variable = fromContext ? CONTEXT.priceSchedule : 'PRICE_SCHEDULE';
  const expression =
    fromContext ??
    readOptional(env, 'PRICE_SCHEDULE') ??
    DEFAULTS.PRICE_SCHEDULE;
  const schedule = parseSchedule(expression, variable);
  if (!isDeployable(schedule)) {
    throw new ConfigError(
      variable,
      `EventBridge takes whole minutes, not "${schedule.expression}"`,
    );
  }

  return schedule.expression;
}

function readRemovalPolicy(
  context: ContextReader,
  target: Target,
): RemovalPolicy {
  const fallback = target === 'localstack' ? 'destroy' : 'retain';
  const value = text(context, CONTEXT.removalPolicy) ?? fallback;
  const policy = REMOVAL_POLICIES[value];
  if (!policy) {
    throw new ConfigError(
      CONTEXT.removalPolicy,
      `expected retain or destroy, got "${value}"`,
    );
  }

  return policy;
}

function readAmqp(context: ContextReader, target: Target): AmqpSource {
  const url = text(context, CONTEXT.amqpUrl);
  const secretArn = text(context, CONTEXT.amqpSecretArn);
  if (url && secretArn) {
    throw new ConfigError(
      CONTEXT.amqpUrl,
      `give ${CONTEXT.amqpUrl} or ${CONTEXT.amqpSecretArn}, not both`,
    );
  }
  if (url && !/^amqps?:\/\//.test(url)) {
    throw new ConfigError(CONTEXT.amqpUrl, 'expected an amqp:// URL');
  }
  if (secretArn && !secretArn.startsWith('arn:')) {
    throw new ConfigError(CONTEXT.amqpSecretArn, 'expected a secret ARN');
  }

  if (secretArn) return { kind: 'secret', secretArn };
  if (url) return { kind: 'url', url };
  return target === 'localstack'
    ? { kind: 'url', url: LOCALSTACK.amqpUrl }
    : { kind: 'broker' };
}

function readAlarmEmail(context: ContextReader): string | undefined {
  const email = text(context, CONTEXT.alarmEmail);
  if (email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(email)) {
    throw new ConfigError(CONTEXT.alarmEmail, 'expected an email address');
  }

  return email;
}

export function readSettings(
  context: ContextReader,
  env: Env = process.env,
): DeploySettings {
  const target = readTarget(context);
  const alarmEmail = readAlarmEmail(context);

  return {
    target,
    priceSchedule: readSchedule(context, env),
    removalPolicy: readRemovalPolicy(context, target),
    amqp: readAmqp(context, target),
    ...(alarmEmail && { alarmEmail }),
  };
}
