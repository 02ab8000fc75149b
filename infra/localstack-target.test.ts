import {
  API_STAGE,
  DEFAULTS,
  ENVIRONMENT,
  LOCALSTACK,
  ROUTES,
} from '../config/topology.js';
import {
  nagViolations,
  SYNTH_TIMEOUT,
  type Synthesized,
  synth,
} from './synth-for-tests.js';
import {
  environmentOf,
  functionByHandler,
  only,
  resourcesOf,
} from './template-queries.js';

describe('the LocalStack target', () => {
  let local: Synthesized;

  beforeAll(() => {
    local = synth({ target: 'localstack' });
  }, SYNTH_TIMEOUT);

  it('has no Amazon MQ, ECS, VPC or load balancer', () => {
    const types = new Set(
      Object.values(local.template.toJSON().Resources).map(
        (resource) => (resource as { Type: string }).Type,
      ),
    );

    expect(
      [...types].filter((type) =>
        /^AWS::(AmazonMQ|ECS|EC2|ElasticLoadBalancingV2)::/.test(type),
      ),
    ).toEqual([]);
  });

  it('keeps the API, schedule, queues and table of the AWS target', () => {
    local.template.resourceCountIs('AWS::ApiGateway::Method', ROUTES.length);
    local.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: DEFAULTS.PRICE_SCHEDULE,
    });
    local.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    local.template.resourceCountIs('AWS::SQS::Queue', 2);
    local.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
    });
  });

  it('gives functions the compose RabbitMQ URL, outside any VPC', () => {
    const handlers = [...ROUTES.map((route) => route.operation), 'handler'];

    for (const handler of handlers) {
      const [, resource] = functionByHandler(local.template, handler);
      expect(environmentOf(resource).AMQP_URL).toBe(LOCALSTACK.amqpUrl);
      expect(resource.Properties.VpcConfig).toBeUndefined();
    }
  });

  it('gives every function exactly the environment names of its role', () => {
    const [, bridge] = functionByHandler(local.template, 'handler');
    const [, list] = functionByHandler(local.template, 'listProducts');

    expect(Object.keys(environmentOf(bridge)).sort()).toEqual(
      [...ENVIRONMENT.bridge].sort(),
    );
    expect(Object.keys(environmentOf(list)).sort()).toEqual(
      [...ENVIRONMENT.api].sort(),
    );
  });

  it('fixes the API id so the compose socket server knows its URL', () => {
    const [, restApi] = only(
      resourcesOf(local.template, 'AWS::ApiGateway::RestApi'),
      'REST API',
    );
    const outputs = local.template.findOutputs('ComposeApiUrl');

    expect(restApi.Properties.Tags).toEqual([
      { Key: '_custom_id_', Value: LOCALSTACK.apiId },
    ]);
    expect(outputs.ComposeApiUrl?.Value).toBe(
      `http://${LOCALSTACK.services.localstack}:${LOCALSTACK.edgePort}` +
        `/_aws/execute-api/${LOCALSTACK.apiId}/${API_STAGE}`,
    );
  });

  it('passes the cdk-nag AWS Solutions checks', () => {
    expect(nagViolations(local.stack)).toEqual([]);
  });
});
