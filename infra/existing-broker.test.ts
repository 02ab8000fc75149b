import {
  nagViolations,
  SYNTH_TIMEOUT,
  type Synthesized,
  synth,
} from './synth-for-tests.js';
import {
  containerNamed,
  environmentOf,
  functionByHandler,
  only,
  resourcesOf,
} from './template-queries.js';

const SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:111122223333:secret:amqp-AbCdEf';
const BROKER_URL = 'amqps://feed:pass@mq.internal:5671';

describe('an existing broker by secret, with schedule and alarm address', () => {
  let external: Synthesized;

  beforeAll(() => {
    external = synth({
      amqpSecretArn: SECRET_ARN,
      alarmEmail: 'ops@x.test',
      priceSchedule: 'cron(0/5 * * * ? *)',
    });
  }, SYNTH_TIMEOUT);

  it('replaces Amazon MQ and reaches every process through its secret', () => {
    const [, bridge] = functionByHandler(external.template, 'handler');
    const { container } = containerNamed(external.template, 'Worker');

    external.template.resourceCountIs('AWS::AmazonMQ::Broker', 0);
    expect(JSON.stringify(environmentOf(bridge).AMQP_URL)).toContain(
      `{{resolve:secretsmanager:${SECRET_ARN}:SecretString:::}}`,
    );
    expect(JSON.stringify(container.Secrets)).toContain(SECRET_ARN);
  });

  it('ticks on the schedule given by context', () => {
    external.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0/5 * * * ? *)',
    });
  });

  it('mails alarms to the address given by context', () => {
    external.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@x.test',
    });
  });

  it('passes the cdk-nag AWS Solutions checks', () => {
    expect(nagViolations(external.stack)).toEqual([]);
  });
});

describe('an existing broker by URL', () => {
  let external: Synthesized;

  beforeAll(() => {
    external = synth({ amqpUrl: BROKER_URL });
  }, SYNTH_TIMEOUT);

  it('keeps the URL in a secret the worker reads it from', () => {
    const [secretId, secret] = only(
      resourcesOf(external.template, 'AWS::SecretsManager::Secret'),
      'secret',
    );
    const { container } = containerNamed(external.template, 'Worker');

    external.template.resourceCountIs('AWS::AmazonMQ::Broker', 0);
    expect(secret.Properties.SecretString).toBe(BROKER_URL);
    expect(JSON.stringify(container.Secrets)).toContain(secretId);
  });

  it('passes the cdk-nag AWS Solutions checks', () => {
    expect(nagViolations(external.stack)).toEqual([]);
  });
});
