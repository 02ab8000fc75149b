/**
 * The DynamoDB client every process builds from DYNAMODB_ENDPOINT: the
 * SDK's defaults on AWS, or the given endpoint. A local endpoint
 * (dynalite, DynamoDB Local, LocalStack) checks no credentials, so when
 * none are set it gets placeholder ones and a default region.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Env } from '../../config/env.js';

const LOCAL_REGION = 'us-east-1';

export function dynamoClientFor(
  endpoint: string | undefined,
  env: Env,
): DynamoDBClient {
  if (endpoint === undefined) return new DynamoDBClient({});
  if (env.AWS_ACCESS_KEY_ID !== undefined) {
    return new DynamoDBClient({ endpoint });
  }

  return new DynamoDBClient({
    endpoint,
    region: env.AWS_REGION ?? LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}
