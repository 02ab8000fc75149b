import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { startDynalite, type TestDynamo } from '../../test/dynalite.js';
import { dynamoClientFor } from './dynamo-client.js';

describe('dynamoClientFor', () => {
  let dynamo: TestDynamo;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  it('reaches a local endpoint with no AWS credentials set', async () => {
    const client = dynamoClientFor(dynamo.endpoint, {});

    const { TableNames } = await client.send(new ListTablesCommand({}));

    client.destroy();
    expect(TableNames).toContain(dynamo.table);
  });

  it('takes the region from AWS_REGION for a local endpoint', async () => {
    const client = dynamoClientFor(dynamo.endpoint, {
      AWS_REGION: 'eu-west-1',
    });

    expect(await client.config.region()).toBe('eu-west-1');
    client.destroy();
  });
});
