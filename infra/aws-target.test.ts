import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual as isEqual } from 'node:util';
import { Match } from 'aws-cdk-lib/assertions';
import { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import {
  DEFAULTS,
  ENTRIES,
  ENVIRONMENT,
  MAX_TICK_RECEIVES,
  QUEUES,
  ROUTES,
  TABLE_NAME,
} from '../config/topology.js';
import { PRODUCTS_TABLE_SCHEMA } from '../functions/store/table-schema.js';
import { DOCS_PACKAGE_FILES } from './constructs/products-api.js';
import {
  acknowledgements,
  bundleOf,
  nagViolations,
  runBundle,
  SYNTH_TIMEOUT,
  type Synthesized,
  synth,
} from './synth-for-tests.js';
import {
  actionsOf,
  containerNamed,
  environmentOf,
  functionByHandler,
  only,
  queueNamed,
  resourcePath,
  resourcesOf,
  statementsOfFunction,
  statementsOfRole,
} from './template-queries.js';

const TABLE_READS = new Set([
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:Query',
  'dynamodb:Scan',
]);
const TABLE_WRITES = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
];

const READ_ROUTES = ROUTES.filter((route) => route.access === 'read');
const WRITE_ROUTES = ROUTES.filter((route) => route.access === 'write');

describe('the AWS target', () => {
  let aws: Synthesized;

  beforeAll(() => {
    aws = synth({});
  }, SYNTH_TIMEOUT);

  it('keeps products in an on-demand table with point-in-time recovery', () => {
    aws.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        TableName: TABLE_NAME,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          {
            AttributeName: PRODUCTS_TABLE_SCHEMA.partitionKey.name,
            KeyType: 'HASH',
          },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    });
  });

  it('indexes the table as the products store declares it', () => {
    const [, table] = only(
      resourcesOf(aws.template, 'AWS::DynamoDB::Table'),
      'table',
    );
    const indexes = table.Properties.GlobalSecondaryIndexes as {
      IndexName: string;
      KeySchema: { AttributeName: string; KeyType: string }[];
    }[];

    expect(indexes.map((index) => index.IndexName).sort()).toEqual(
      PRODUCTS_TABLE_SCHEMA.globalSecondaryIndexes
        .map((index) => index.indexName)
        .sort(),
    );
    for (const declared of PRODUCTS_TABLE_SCHEMA.globalSecondaryIndexes) {
      const index = indexes.find(
        (each) => each.IndexName === declared.indexName,
      );
      expect(index?.KeySchema).toEqual([
        { AttributeName: declared.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: declared.sortKey.name, KeyType: 'RANGE' },
      ]);
    }
  });

  it('bundles one Node 22 arm64 function per route operation', () => {
    for (const route of ROUTES) {
      const [, resource] = functionByHandler(aws.template, route.operation);

      expect(resource.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
      });
    }
  });

  it('ships the Swagger UI files the docs page reads beside its bundle', () => {
    const [, docs] = functionByHandler(aws.template, 'getDocs');
    const bundle = bundleOf(aws.app, docs);

    for (const [name, files] of Object.entries(DOCS_PACKAGE_FILES)) {
      for (const file of files) {
        expect(existsSync(join(bundle, 'node_modules', name, file))).toBe(true);
      }
    }
    expect(existsSync(join(bundle, 'index.mjs'))).toBe(true);
  });

  it('bundles an API that loads and answers as Lambda runs it', () => {
    const [, docs] = functionByHandler(aws.template, 'getSchema');

    const answer = runBundle(
      bundleOf(aws.app, docs),
      "const { getSchema } = await import('./index.mjs');" +
        "const answer = await getSchema({ httpMethod: 'GET'," +
        " path: '/api/schema/', resource: '/api/schema'," +
        " headers: { Host: 'api.test' }, requestContext: { stage: 'prod' }," +
        ' queryStringParameters: null, pathParameters: null, body: null });' +
        'console.log(JSON.stringify(answer));',
    );

    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body as string)).toHaveProperty('openapi');
  });

  it('bundles a bridge that loads without a broker', () => {
    const [, bridge] = functionByHandler(aws.template, 'handler');

    const loaded = runBundle(
      bundleOf(aws.app, bridge),
      "const { handler } = await import('./index.mjs');" +
        'console.log(JSON.stringify({ type: typeof handler }));',
    );

    expect(loaded).toEqual({ type: 'function' });
  });

  it('routes each method and path to the function of its operation', () => {
    const methods = resourcesOf(aws.template, 'AWS::ApiGateway::Method');

    for (const route of ROUTES) {
      const [functionId] = functionByHandler(aws.template, route.operation);
      const method = methods.find(
        ([, resource]) => resource.Properties.OperationName === route.operation,
      );
      const properties = method?.[1].Properties ?? {};
      const resourceId = (properties.ResourceId as { Ref: string }).Ref;

      expect(properties.HttpMethod).toBe(route.method);
      expect(resourcePath(aws.template, resourceId)).toBe(route.path);
      expect(JSON.stringify(properties.Integration)).toContain(functionId);
      expect(properties.ApiKeyRequired).toBe(route.access === 'write');
    }
    expect(methods).toHaveLength(ROUTES.length);
  });

  it('throttles the stage and writes JSON access logs', () => {
    aws.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('"requestId"'),
      },
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          ThrottlingRateLimit: Match.anyValue(),
          ThrottlingBurstLimit: Match.anyValue(),
        }),
      ]),
    });
  });

  it('ties the write key to a throttled usage plan on the stage', () => {
    const [planId] = only(
      resourcesOf(aws.template, 'AWS::ApiGateway::UsagePlan'),
      'AWS::ApiGateway::UsagePlan',
    );
    const [keyId] = only(
      resourcesOf(aws.template, 'AWS::ApiGateway::ApiKey'),
      'AWS::ApiGateway::ApiKey',
    );

    aws.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
      Throttle: { RateLimit: Match.anyValue(), BurstLimit: Match.anyValue() },
    });
    aws.template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: { Ref: keyId },
      UsagePlanId: { Ref: planId },
    });
  });

  it('answers unknown paths with a JSON 404 instead of a 403', () => {
    aws.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
      ResponseTemplates: { 'application/json': '{"detail": "Not found."}' },
    });
  });

  it('puts a tick on the ticks queue on the default schedule', () => {
    const [queueId] = queueNamed(aws.template, QUEUES.ticks);

    aws.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: DEFAULTS.PRICE_SCHEDULE,
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } })],
    });
  });

  it('moves a tick to the DLQ after MAX_TICK_RECEIVES receives', () => {
    const [dlqId] = queueNamed(aws.template, QUEUES.ticksDlq);

    aws.template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: QUEUES.ticks,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
        maxReceiveCount: MAX_TICK_RECEIVES,
      },
    });
  });

  it('feeds the bridge from the queue with partial batch responses', () => {
    const [bridgeId] = functionByHandler(aws.template, 'handler');
    const [queueId] = queueNamed(aws.template, QUEUES.ticks);

    aws.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: bridgeId },
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('hides a received tick for longer than the bridge may run', () => {
    const [, bridge] = functionByHandler(aws.template, 'handler');
    const [, queue] = queueNamed(aws.template, QUEUES.ticks);

    expect(queue.Properties.VisibilityTimeout).toBeGreaterThan(
      bridge.Properties.Timeout as number,
    );
  });

  it('alarms on the first tick in the DLQ, to the alarm topic', () => {
    const [dlqId] = queueNamed(aws.template, QUEUES.ticksDlq);
    const [topicId] = only(
      resourcesOf(aws.template, 'AWS::SNS::Topic'),
      'AWS::SNS::Topic',
    );

    aws.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: topicId }],
    });
  });

  it('runs a private broker whose password stays in Secrets Manager', () => {
    const [, broker] = only(
      resourcesOf(aws.template, 'AWS::AmazonMQ::Broker'),
      'broker',
    );
    const users = broker.Properties.Users as { Password: unknown }[];

    expect(broker.Properties).toMatchObject({
      EngineType: 'RABBITMQ',
      PubliclyAccessible: false,
    });
    expect(JSON.stringify(users[0]?.Password)).toMatch(
      /\{\{resolve:secretsmanager:.*:SecretString:password::\}\}/,
    );
    aws.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'password' }),
    });
  });

  it('lets the functions, the worker and the socket server reach RabbitMQ', () => {
    const [, broker] = only(
      resourcesOf(aws.template, 'AWS::AmazonMQ::Broker'),
      'broker',
    );
    const [brokerGroup] = broker.Properties.SecurityGroups as unknown[];
    const sources = resourcesOf(aws.template, 'AWS::EC2::SecurityGroupIngress')
      .filter(([, rule]) => isEqual(rule.Properties.GroupId, brokerGroup))
      .map(([, rule]) => rule.Properties);
    const [clients] = sources.map((rule) => rule.SourceSecurityGroupId);
    const networkOf = (name: string): string => {
      const service = resourcesOf(aws.template, 'AWS::ECS::Service').find(
        ([id]) => id.startsWith(`SocketTier${name}Service`),
      );
      return JSON.stringify(service?.[1].Properties.NetworkConfiguration);
    };

    expect(sources).toEqual([
      expect.objectContaining({ FromPort: 5671, ToPort: 5671 }),
    ]);
    expect(networkOf('Worker')).toContain(JSON.stringify(clients));
    expect(networkOf('SocketServer')).toContain(JSON.stringify(clients));
    for (const handler of [...ROUTES.map((r) => r.operation), 'handler']) {
      const [, resource] = functionByHandler(aws.template, handler);
      expect(
        (resource.Properties.VpcConfig as { SecurityGroupIds: unknown[] })
          .SecurityGroupIds,
      ).toContainEqual(clients);
    }
  });

  it('builds the worker and socket server from the socket tier image', () => {
    const assembly = aws.app.synth();
    const manifests = assembly.artifacts.filter(
      (artifact) => artifact instanceof AssetManifestArtifact,
    );
    const images = manifests.flatMap((manifest) =>
      Object.values(manifest.contents.dockerImages ?? {}),
    );

    expect(images.map((image) => image.source)).toEqual([
      expect.objectContaining({
        dockerFile: ENTRIES.dockerfile,
        platform: 'linux/arm64',
      }),
    ]);
    aws.template.resourcePropertiesCountIs(
      'AWS::ECS::Service',
      { LaunchType: 'FARGATE' },
      2,
    );
    aws.template.allResourcesProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'ARM64' },
    });
  });

  it('puts the socket servers behind a network load balancer on TCP', () => {
    aws.template.hasResourceProperties(
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      { Type: 'network', Scheme: 'internet-facing' },
    );
    aws.template.hasResourceProperties(
      'AWS::ElasticLoadBalancingV2::Listener',
      { Protocol: 'TCP', Port: DEFAULTS.SOCKET_PORT },
    );
    aws.template.hasResourceProperties('AWS::ECS::Service', {
      LoadBalancers: [
        {
          ContainerName: 'SocketServer',
          ContainerPort: DEFAULTS.SOCKET_PORT,
          TargetGroupArn: Match.anyValue(),
        },
      ],
    });
  });

  it('keeps client addresses through the load balancer', () => {
    aws.template.hasResourceProperties(
      'AWS::ElasticLoadBalancingV2::TargetGroup',
      {
        Protocol: 'TCP',
        TargetGroupAttributes: Match.arrayWith([
          { Key: 'preserve_client_ip.enabled', Value: 'true' },
        ]),
      },
    );
  });

  it('gives every process exactly the environment names of its role', () => {
    const namesOf = (name: string): string[] => {
      const { container } = containerNamed(aws.template, name);
      return [
        ...(container.Environment ?? []).map((each) => each.Name),
        ...(container.Secrets ?? []).map((each) => each.Name),
      ].sort();
    };

    for (const route of ROUTES) {
      const [, resource] = functionByHandler(aws.template, route.operation);
      expect(Object.keys(environmentOf(resource)).sort()).toEqual(
        [...ENVIRONMENT.api].sort(),
      );
    }
    const [, bridge] = functionByHandler(aws.template, 'handler');
    expect(Object.keys(environmentOf(bridge)).sort()).toEqual(
      [...ENVIRONMENT.bridge].sort(),
    );
    expect(namesOf('Worker')).toEqual([...ENVIRONMENT.worker].sort());
    expect(namesOf('SocketServer')).toEqual(
      [...ENVIRONMENT.socketServer].sort(),
    );
  });

  it('starts the worker and the socket server roles of the image', () => {
    expect(containerNamed(aws.template, 'Worker').container.Command).toEqual([
      'worker',
    ]);
    expect(
      containerNamed(aws.template, 'SocketServer').container.Command,
    ).toEqual(['server']);
  });

  it('gives a stopping worker two minutes to finish the tick in hand', () => {
    const worker = containerNamed(aws.template, 'Worker').container;
    const server = containerNamed(aws.template, 'SocketServer').container;

    expect(worker.StopTimeout).toBe(120);
    expect(server.StopTimeout).toBeUndefined();
  });

  it.each(['Worker', 'SocketServer'])(
    'hands the %s the AMQP URL as a secret, not as plain text',
    (name) => {
      const { container } = containerNamed(aws.template, name);

      expect(container.Secrets?.map((each) => each.Name)).toEqual(['AMQP_URL']);
      expect(
        (container.Environment ?? []).map((each) => each.Name),
      ).not.toContain('AMQP_URL');
    },
  );

  it('lets read routes read the table and nothing more', () => {
    for (const route of READ_ROUTES) {
      const [, resource] = functionByHandler(aws.template, route.operation);
      const actions = actionsOf(
        statementsOfFunction(aws.template, resource),
        'dynamodb:',
      );

      expect(actions.size).toBeGreaterThan(0);
      expect([...actions].filter((action) => !TABLE_READS.has(action))).toEqual(
        [],
      );
    }
  });

  it('lets write routes and the worker change products', () => {
    const { task } = containerNamed(aws.template, 'Worker');
    const taskRole = task.Properties.TaskRoleArn as { 'Fn::GetAtt': string[] };
    const workerActions = actionsOf(
      statementsOfRole(aws.template, taskRole['Fn::GetAtt'][0] as string),
      'dynamodb:',
    );

    for (const route of WRITE_ROUTES) {
      const [, resource] = functionByHandler(aws.template, route.operation);
      const actions = actionsOf(
        statementsOfFunction(aws.template, resource),
        'dynamodb:',
      );
      expect([...actions]).toEqual(expect.arrayContaining(TABLE_WRITES));
    }
    expect([...workerActions]).toEqual(expect.arrayContaining(TABLE_WRITES));
  });

  it('gives the bridge no access to the table', () => {
    const [, bridge] = functionByHandler(aws.template, 'handler');

    expect(
      actionsOf(statementsOfFunction(aws.template, bridge), 'dynamodb:'),
    ).toEqual(new Set());
  });

  it('lets each function write only to its own log group', () => {
    const [, resource] = functionByHandler(aws.template, 'listProducts');
    const logging = resource.Properties.LoggingConfig as {
      LogGroup: { Ref: string };
    };
    const logStatements = statementsOfFunction(aws.template, resource).filter(
      (statement) => actionsOf([statement], 'logs:').size > 0,
    );

    expect(logStatements).toEqual([
      expect.objectContaining({
        Resource: { 'Fn::GetAtt': [logging.LogGroup.Ref, 'Arn'] },
      }),
    ]);
  });

  it('outputs the API URL, socket endpoint and queue URLs', () => {
    const outputs = Object.keys(aws.template.findOutputs('*'));

    expect(outputs).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'SocketEndpoint',
        'TicksQueueUrl',
        'TicksDeadLetterQueueUrl',
      ]),
    );
  });

  it('passes the cdk-nag AWS Solutions checks', () => {
    expect(nagViolations(aws.stack)).toEqual([]);
  });

  it('gives a reason for every acknowledged cdk-nag finding', () => {
    const acknowledged = acknowledgements(aws.stack);

    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [, reason] of acknowledged) {
      expect(reason.length).toBeGreaterThan(30);
    }
  });
});
