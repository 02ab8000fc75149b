/**
 * The whole product on AWS, or the part of it LocalStack's free edition
 * runs: the `aws` target adds a VPC, Amazon MQ (unless a broker is given)
 * and the ECS services; the `localstack` target leaves those to
 * localstack.yml and takes the AMQP URL from context.
 */
import {
  type CfnElement,
  CfnOutput,
  Duration,
  SecretValue,
  Stack,
  type StackProps,
  Tags,
  Validations,
} from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secrets from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import {
  API_STAGE,
  DEFAULTS,
  ENTRIES,
  LOCALSTACK,
  TABLE_NAME,
} from '../config/topology.js';
import type { Role } from '../socket-tier/image/roles.js';
import { MessageBroker } from './constructs/message-broker.js';
import type { VpcPlacement } from './constructs/node-function.js';
import { PriceTicks } from './constructs/price-ticks.js';
import { ProductsApi } from './constructs/products-api.js';
import {
  ProductsTable,
  type TableKeySchema,
} from './constructs/products-table.js';
import { SocketTier } from './constructs/socket-tier.js';
import { type EnvName, environmentFor } from './environment.js';
import { ROOT } from './paths.js';
import type { DeploySettings } from './settings.js';

export interface ProductFeedStackProps extends StackProps {
  readonly settings: DeploySettings;
  /** The products table's keys, as the products store declares them. */
  readonly tableSchema: TableKeySchema;
}

// The socket tier image runs the role named by its first argument.
const WORKER_ROLE: Role = 'worker';
const SERVER_ROLE: Role = 'server';

interface AmqpWiring {
  /** AMQP_URL as a function receives it. */
  readonly url: string;
  readonly secret?: secrets.ISecret;
}

interface Network {
  readonly vpc: ec2.Vpc;
  /** Functions that talk to RabbitMQ run here. */
  readonly placement: VpcPlacement;
}

export class ProductFeedStack extends Stack {
  constructor(scope: Construct, id: string, props: ProductFeedStackProps) {
    super(scope, id, props);

    const { settings } = props;
    const { table } = new ProductsTable(this, 'Products', {
      tableName: TABLE_NAME,
      schema: props.tableSchema,
      removalPolicy: settings.removalPolicy,
    });
    this.acknowledgeIndexGrants(table);
    const alarmTopic = this.alarmTopic(settings.alarmEmail);
    const network = settings.target === 'aws' ? this.network() : undefined;
    const amqp = this.amqp(settings, network);
    const values: Partial<Record<EnvName, string>> = {
      PRODUCTS_TABLE: table.tableName,
      AMQP_URL: amqp.url,
      PRICE_FACTOR: DEFAULTS.PRICE_FACTOR,
    };

    const api = new ProductsApi(this, 'Api', {
      table,
      environment: environmentFor('api', values),
      stageName: API_STAGE,
      ...(network && { placement: network.placement }),
    });
    const ticks = new PriceTicks(this, 'PriceTicks', {
      schedule: settings.priceSchedule,
      environment: environmentFor('bridge', values),
      alarmTopic,
      ...(network && { placement: network.placement }),
    });

    this.commonOutputs(api, ticks, alarmTopic);

    // Only the aws target has a network, and there AMQP_URL is a secret.
    if (!network || !amqp.secret) {
      this.localStackOutputs(api);
      return;
    }
    const tier = this.socketTier(network, amqp.secret, values, api, table);
    new CfnOutput(this, 'AmqpUrlSecretArn', { value: amqp.secret.secretArn });
    new CfnOutput(this, 'SocketEndpoint', {
      value: `${tier.loadBalancer.loadBalancerDnsName}:${DEFAULTS.SOCKET_PORT}`,
    });
  }

  private commonOutputs(
    api: ProductsApi,
    ticks: PriceTicks,
    alarmTopic: sns.ITopic,
  ): void {
    new CfnOutput(this, 'ApiUrl', { value: api.api.url });
    new CfnOutput(this, 'ApiKeyId', {
      description: 'aws apigateway get-api-key --include-value --api-key ID',
      value: api.apiKey.keyId,
    });
    new CfnOutput(this, 'TicksQueueUrl', { value: ticks.queue.queueUrl });
    new CfnOutput(this, 'TicksDeadLetterQueueUrl', {
      value: ticks.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarmTopic.topicArn });
  }

  /** Table grants name `<table>/index/*`: the store's own indexes. */
  private acknowledgeIndexGrants(table: dynamodb.Table): void {
    const resource = table.node.defaultChild as CfnElement;
    const tableId = this.getLogicalId(resource);
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${tableId}.Arn>/index/*]`,
      reason:
        'Grants on the products table include its own indexes, one per ' +
        'list ordering the store declares; no other table is named.',
    });
  }

  private alarmTopic(email?: string): sns.Topic {
    // CloudWatch cannot publish to a topic under the AWS managed SNS key,
    // so the topic has its own key that CloudWatch may use.
    const key = new kms.Key(this, 'AlarmKey', {
      description: 'Encrypts product feed alarm notifications',
      enableKeyRotation: true,
    });
    key.grant(
      new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );

    const topic = new sns.Topic(this, 'Alarms', {
      displayName: 'Product feed alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (email) {
      topic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    return topic;
  }

  private network(): Network {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
      gatewayEndpoints: {
        DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
      flowLogs: { All: {} },
    });
    const amqpClients = new ec2.SecurityGroup(this, 'AmqpClients', {
      vpc,
      description: 'Processes that talk to RabbitMQ',
    });

    return {
      vpc,
      placement: {
        vpc,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [amqpClients],
      },
    };
  }

  private amqp(settings: DeploySettings, network?: Network): AmqpWiring {
    const { amqp } = settings;
    if (amqp.kind === 'secret') {
      const secret = secrets.Secret.fromSecretCompleteArn(
        this,
        'AmqpUrl',
        amqp.secretArn,
      );
      return { url: secret.secretValue.unsafeUnwrap(), secret };
    }
    if (!network) {
      if (amqp.kind === 'broker') {
        throw new Error('the LocalStack target takes an AMQP URL by context');
      }
      return { url: amqp.url };
    }
    if (amqp.kind === 'url') {
      // The URL given by context is written into the template; an
      // amqpSecretArn keeps the password out of it.
      const secret = new secrets.Secret(this, 'AmqpUrl', {
        description: 'AMQP_URL of the existing broker',
        secretStringValue: SecretValue.unsafePlainText(amqp.url),
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason: 'The broker is managed elsewhere, with its credentials.',
      });
      return { url: secret.secretValue.unsafeUnwrap(), secret };
    }

    const privateSubnet = network.vpc.privateSubnets[0];
    if (!privateSubnet) throw new Error('the VPC has no private subnet');
    const broker = new MessageBroker(this, 'Broker', {
      vpc: network.vpc,
      subnet: privateSubnet,
    });
    for (const group of network.placement.securityGroups) {
      broker.connections.allowDefaultPortFrom(
        group,
        'Producers and consumers to RabbitMQ',
      );
    }

    return {
      url: broker.urlSecret.secretValue.unsafeUnwrap(),
      secret: broker.urlSecret,
    };
  }

  private socketTier(
    network: Network,
    amqpSecret: secrets.ISecret,
    values: Partial<Record<EnvName, string>>,
    api: ProductsApi,
    table: dynamodb.ITable,
  ): SocketTier {
    const image = ecs.ContainerImage.fromAsset(ROOT, {
      file: ENTRIES.dockerfile,
      // The build context's own .dockerignore keeps out node_modules,
      // .git and cdk.out, for the asset hash as for the build.
      platform: Platform.LINUX_ARM64,
    });
    const amqpUrl = { AMQP_URL: ecs.Secret.fromSecretsManager(amqpSecret) };
    const containerValues = {
      ...values,
      API_URL: api.api.url,
      SOCKET_HOST: '0.0.0.0',
      SOCKET_PORT: String(DEFAULTS.SOCKET_PORT),
      POLL_INTERVAL: String(DEFAULTS.POLL_INTERVAL),
    };
    return new SocketTier(this, 'SocketTier', {
      vpc: network.vpc,
      image,
      table,
      socketPort: DEFAULTS.SOCKET_PORT,
      worker: {
        command: [WORKER_ROLE],
        environment: environmentFor('worker', containerValues, ['AMQP_URL']),
        secrets: amqpUrl,
        // SIGTERM lets the tick in hand finish: give it Fargate's longest.
        stopTimeout: Duration.seconds(120),
        securityGroups: network.placement.securityGroups,
      },
      socketServer: {
        command: [SERVER_ROLE],
        environment: environmentFor('socketServer', containerValues, [
          'AMQP_URL',
        ]),
        secrets: amqpUrl,
        securityGroups: network.placement.securityGroups,
        desiredCount: 2,
      },
    });
  }

  private localStackOutputs(api: ProductsApi): void {
    // LocalStack takes this tag as the API's id, which localstack.yml
    // then knows without reading the stack's outputs.
    const restApi = api.api.node.defaultChild;
    if (restApi) Tags.of(restApi).add('_custom_id_', LOCALSTACK.apiId);
    const path = `/_aws/execute-api/${LOCALSTACK.apiId}/${API_STAGE}`;
    const edge = `${LOCALSTACK.services.localstack}:${LOCALSTACK.edgePort}`;
    new CfnOutput(this, 'LocalApiUrl', {
      description: 'API_URL from the host',
      value: `http://localhost:${LOCALSTACK.edgePort}${path}`,
    });
    new CfnOutput(this, 'ComposeApiUrl', {
      description: 'API_URL for the socket server in localstack.yml',
      value: `http://${edge}${path}`,
    });
    new CfnOutput(this, 'SocketEndpoint', {
      description: 'The socket server of localstack.yml',
      value: `127.0.0.1:${DEFAULTS.SOCKET_PORT}`,
    });
  }
}
