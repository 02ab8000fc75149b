/**
 * The products API: one function per route operation of ROUTES behind a
 * REST API with stage throttling, JSON access logs, and an API key with a
 * usage plan that write routes require.
 *
 * Trailing slashes: API Gateway REST APIs match `/api/products/` to the
 * `/api/products` resource and `/api/products/K3/` to
 * `/api/products/{code}` with `code` = `K3`, so each route is declared
 * once, without the slash, and the DRF-style paths of the older clients
 * reach the same function. The event's `path` keeps the slash as sent.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENTRIES, type Operation, ROUTES } from '../../config/topology.js';
import { NodeFunction, type VpcPlacement } from './node-function.js';

export interface ApiThrottle {
  /** Steady requests per second. */
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface ProductsApiProps {
  readonly table: dynamodb.ITable;
  /** Environment of every API function (the `api` role). */
  readonly environment: Record<string, string>;
  /**
   * Where the functions run: each connects to RabbitMQ at cold start to
   * publish product events, so all of them must reach the broker.
   */
  readonly placement?: VpcPlacement;
  readonly stageName?: string;
  /** Stage limit for everyone; defaults to 50 rps, burst 100. */
  readonly throttle?: ApiThrottle;
  /** Limit for callers with the API key; defaults to 10 rps, burst 20. */
  readonly keyThrottle?: ApiThrottle;
}

const PATH_PARAMETER = /^\{(\w+)\}$/;

/** The docs page reads Swagger UI's script and styles from its package. */
export const DOCS_PACKAGE_FILES = {
  'swagger-ui-dist': [
    'package.json',
    'swagger-ui-bundle.js',
    'swagger-ui.css',
    'LICENSE',
    'NOTICE',
  ],
};

function pathParameters(path: string): Record<string, boolean> {
  const names = path
    .split('/')
    .map((part) => PATH_PARAMETER.exec(part)?.[1])
    .filter((name): name is string => name !== undefined);

  return Object.fromEntries(
    names.map((name) => [`method.request.path.${name}`, true]),
  );
}

function pascal(operation: string): string {
  return operation.charAt(0).toUpperCase() + operation.slice(1);
}

export class ProductsApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly apiKey: apigateway.IApiKey;
  readonly functions: ReadonlyMap<Operation, lambda.IFunction>;

  constructor(scope: Construct, id: string, props: ProductsApiProps) {
    super(scope, id);

    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new apigateway.RestApi(this, 'Api', {
      description: 'Products API (DRF-compatible)',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        metricsEnabled: true,
      },
    });
    // The stack names its own ApiUrl output; this one would repeat it.
    this.api.node.tryRemoveChild('Endpoint');
    this.addJsonErrors();
    this.functions = this.addRoutes(props);
    this.apiKey = this.addWriteKey(props.keyThrottle);
    this.acknowledgeFindings();
  }

  /** One function per operation, behind the method of its route. */
  private addRoutes(props: ProductsApiProps): Map<Operation, lambda.IFunction> {
    const validator = this.api.addRequestValidator('PathParameters', {
      validateRequestParameters: true,
    });
    const functions = new Map<Operation, lambda.IFunction>();
    for (const route of ROUTES) {
      const { function: handler } = new NodeFunction(
        this,
        pascal(route.operation),
        {
          entry: ENTRIES.api,
          handler: route.operation,
          description: `${route.method} ${route.path}`,
          environment: props.environment,
          packageFiles: DOCS_PACKAGE_FILES,
          ...(props.placement && { placement: props.placement }),
        },
      );
      if (route.access === 'write') props.table.grantReadWriteData(handler);
      else props.table.grantReadData(handler);
      this.api.root
        .resourceForPath(route.path)
        .addMethod(route.method, new apigateway.LambdaIntegration(handler), {
          operationName: route.operation,
          apiKeyRequired: route.access === 'write',
          requestParameters: pathParameters(route.path),
          requestValidator: validator,
        });
      functions.set(route.operation, handler);
    }

    return functions;
  }

  private addWriteKey(throttle?: ApiThrottle): apigateway.IApiKey {
    const key = new apigateway.ApiKey(this, 'WriteKey', {
      description: 'Key that product write requests send as x-api-key',
    });
    const plan = this.api.addUsagePlan('WritePlan', {
      description: 'Callers allowed to change products',
      throttle: throttle ?? { rateLimit: 10, burstLimit: 20 },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    plan.addApiKey(key);

    return key;
  }

  /** Gateway errors answer in DRF's shape, never HTML or `message`. */
  private addJsonErrors(): void {
    const json = 'application/json';
    this.api.addGatewayResponse('UnknownRoute', {
      type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
      statusCode: '404',
      templates: { [json]: '{"detail": "Not found."}' },
    });
    for (const [name, type] of [
      ['Default4xx', apigateway.ResponseType.DEFAULT_4XX],
      ['Default5xx', apigateway.ResponseType.DEFAULT_5XX],
    ] as const) {
      this.api.addGatewayResponse(name, {
        type,
        templates: { [json]: '{"detail": $context.error.messageString}' },
      });
    }
  }

  private acknowledgeFindings(): void {
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id:
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:' +
          'policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-wide role API Gateway assumes to write execution ' +
          'logs; AWS documents this managed policy for it.',
      });
    }
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'Bodies and queries are validated by the handlers, which ' +
          'answer with the DRF error bodies older clients expect; ' +
          'API Gateway validation errors are not in that shape.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF in the base deployment: stage throttling and the ' +
          'usage plan bound the load; attach a web ACL per account ' +
          'policy where one exists.',
      },
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Catalogue reads are public by contract (PROTOCOL.md); ' +
          'write routes require the API key of the usage plan.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'No user pool: reads are public by contract and writes are ' +
          'for operators holding the API key.',
      },
    );
  }
}
