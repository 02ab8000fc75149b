import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Context,
} from 'aws-lambda';
import { ROUTES } from '../../config/topology.js';
import { startDynalite, type TestDynamo } from '../../test/dynalite.js';
import { DynamoProductStore } from '../store/dynamo-product-store.js';

const run = promisify(execFile);

function event(path: string, code?: string): APIGatewayProxyEvent {
  return {
    httpMethod: 'GET',
    path,
    resource: path,
    headers: {
      Host: 'abc.execute-api.us-east-1.amazonaws.com',
      'X-Forwarded-Proto': 'https',
    },
    multiValueHeaders: {},
    queryStringParameters: { limit: '1' },
    multiValueQueryStringParameters: { limit: ['1'] },
    pathParameters: code ? { code } : null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      path: `/prod${path}`,
      stage: 'prod',
      requestId: 'req-1',
    } as APIGatewayProxyEvent['requestContext'],
  };
}

type Lambda = (
  e: APIGatewayProxyEvent,
  c: Context,
  cb: () => void,
) => Promise<APIGatewayProxyResult>;

describe('API Lambda entry', () => {
  let dynamo: TestDynamo;
  let lambda: Record<string, Lambda>;

  beforeAll(async () => {
    dynamo = await startDynalite();
    const stamp = '2026-12-01T09:00:00.000000+00:00';
    await new DynamoProductStore(dynamo.client, dynamo.table).putMany(
      ['LAMBDA1', 'LAMBDA2'].map((code) => ({
        code,
        buyingCents: 100_000,
        sellingCents: 130_000,
        description: 'Oak bench',
        createdAt: stamp,
        updateAt: stamp,
      })),
    );
    Object.assign(process.env, {
      PRODUCTS_TABLE: dynamo.table,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AMQP_URL: '',
    });
    lambda = (await import('./lambda.js')) as unknown as Record<string, Lambda>;
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  it('exports one handler per route operation', () => {
    for (const route of ROUTES) {
      expect(typeof lambda[route.operation]).toBe('function');
    }
  });

  it('lists with links that keep the stage in the path', async () => {
    const list = lambda.listProducts as Lambda;

    const result = await list(event('/api/products/'), {} as Context, () => {});

    const page = JSON.parse(result.body);
    expect(result.statusCode).toBe(200);
    expect(page.count).toBe(2);
    expect(page.results[0].code).toBe('LAMBDA1');
    expect(page.next).toBe(
      'https://abc.execute-api.us-east-1.amazonaws.com/prod/api/products/' +
        '?limit=1&offset=1',
    );
  });

  it('answers a product by its path parameter', async () => {
    const get = lambda.getProduct as Lambda;

    const result = await get(
      event('/api/products/LAMBDA1', 'LAMBDA1'),
      {} as Context,
      () => {},
    );

    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).selling_price).toBe('1300.00');
  });

  it('stops at start-up naming a bad variable', async () => {
    const failure = await run('npx', ['tsx', 'functions/api/lambda.ts'], {
      env: { ...process.env, DYNAMODB_ENDPOINT: 'not a url' },
      timeout: 20_000,
    }).catch((error: { stderr: string }) => error);

    expect('stderr' in failure && failure.stderr).toMatch(
      /DYNAMODB_ENDPOINT: expected a URL/,
    );
  });
});
