import { RemovalPolicy } from 'aws-cdk-lib';
import { ConfigError } from '../config/env.js';
import { DEFAULTS, LOCALSTACK } from '../config/topology.js';
import { readSettings } from './settings.js';

const contextOf =
  (values: Record<string, unknown>) =>
  (key: string): unknown =>
    values[key];

describe('readSettings', () => {
  it('deploys to AWS with its own broker and the default schedule', () => {
    const settings = readSettings(contextOf({}), {});

    expect(settings).toEqual({
      target: 'aws',
      priceSchedule: DEFAULTS.PRICE_SCHEDULE,
      removalPolicy: RemovalPolicy.RETAIN,
      amqp: { kind: 'broker' },
    });
  });

  it('gives LocalStack the compose RabbitMQ and a table it may drop', () => {
    const settings = readSettings(contextOf({ target: 'localstack' }), {});

    expect(settings.amqp).toEqual({ kind: 'url', url: LOCALSTACK.amqpUrl });
    expect(settings.removalPolicy).toBe(RemovalPolicy.DESTROY);
  });

  it.each([
    ['context', { priceSchedule: 'rate(2 minutes)' }, {}, 'rate(2 minutes)'],
    ['PRICE_SCHEDULE', {}, { PRICE_SCHEDULE: 'rate(1 hour)' }, 'rate(1 hour)'],
    [
      'context over PRICE_SCHEDULE',
      { priceSchedule: 'cron(0/5 * * * ? *)' },
      { PRICE_SCHEDULE: 'rate(1 hour)' },
      'cron(0/5 * * * ? *)',
    ],
  ])('takes the schedule from %s', (_name, context, env, expected) => {
    const settings = readSettings(contextOf(context), env);

    expect(settings.priceSchedule).toBe(expected);
  });

  it('refuses a schedule EventBridge cannot run', () => {
    const read = () =>
      readSettings(contextOf({ priceSchedule: 'rate(30 seconds)' }), {});

    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/priceSchedule: EventBridge takes whole minutes/);
  });

  it('names PRICE_SCHEDULE when the environment holds a bad schedule', () => {
    const read = () => readSettings(contextOf({}), { PRICE_SCHEDULE: 'soon' });

    expect(read).toThrow(/^PRICE_SCHEDULE: /);
  });

  it.each([
    ['an unknown target', { target: 'gcp' }, /^target: /],
    ['an unknown removal policy', { removalPolicy: 'keep' }, /^removalPolicy/],
    ['a non-AMQP broker URL', { amqpUrl: 'http://mq' }, /^amqpUrl: /],
    ['a secret that is not an ARN', { amqpSecretArn: 'x' }, /^amqpSecretArn/],
    [
      'both a URL and a secret',
      { amqpUrl: 'amqp://mq', amqpSecretArn: 'arn:aws:secretsmanager:x' },
      /not both/,
    ],
    ['a context value that is not text', { target: 1 }, /^target: /],
    ['an alarm email without @', { alarmEmail: 'ops' }, /^alarmEmail: /],
  ])('refuses %s', (_name, context, message) => {
    expect(() => readSettings(contextOf(context), {})).toThrow(message);
  });

  it('uses an existing broker given by URL or by secret', () => {
    const byUrl = readSettings(
      contextOf({ amqpUrl: 'amqps://u:p@mq:5671' }),
      {},
    );
    const bySecret = readSettings(
      contextOf({ amqpSecretArn: 'arn:aws:secretsmanager:eu-west-1:1:s' }),
      {},
    );

    expect(byUrl.amqp).toEqual({ kind: 'url', url: 'amqps://u:p@mq:5671' });
    expect(bySecret.amqp).toEqual({
      kind: 'secret',
      secretArn: 'arn:aws:secretsmanager:eu-west-1:1:s',
    });
  });

  it('mails alarms to the address given by context', () => {
    const settings = readSettings(contextOf({ alarmEmail: 'ops@x.test' }), {});

    expect(settings.alarmEmail).toBe('ops@x.test');
  });

  it('drops the table with the stack when told to', () => {
    const destroy = readSettings(contextOf({ removalPolicy: 'destroy' }), {});

    expect(destroy.removalPolicy).toBe(RemovalPolicy.DESTROY);
  });
});
