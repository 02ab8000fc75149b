/**
 * The products table: on-demand, point-in-time recovery, keyed as the
 * products store creates it (one schema, exported by functions/store).
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/** A key schema in the DynamoDB API's own terms, as CreateTable takes it. */
export interface TableKeySchema {
  readonly AttributeDefinitions: readonly {
    AttributeName?: string;
    AttributeType?: string;
  }[];
  readonly KeySchema: readonly { AttributeName?: string; KeyType?: string }[];
  readonly GlobalSecondaryIndexes?: readonly {
    IndexName?: string;
    KeySchema?: readonly { AttributeName?: string; KeyType?: string }[];
    Projection?: {
      ProjectionType?: string;
      NonKeyAttributes?: readonly string[];
    };
  }[];
}

export interface ProductsTableProps {
  readonly tableName: string;
  readonly schema: TableKeySchema;
  readonly removalPolicy: RemovalPolicy;
}

const PROJECTIONS: Record<string, dynamodb.ProjectionType> = {
  ALL: dynamodb.ProjectionType.ALL,
  KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
  INCLUDE: dynamodb.ProjectionType.INCLUDE,
};

const ATTRIBUTE_TYPES: Record<string, dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

function keyAttributes(
  schema: TableKeySchema,
  keys: TableKeySchema['KeySchema'],
): { partitionKey: dynamodb.Attribute; sortKey?: dynamodb.Attribute } {
  const attribute = (keyType: string): dynamodb.Attribute | undefined => {
    const name = keys.find((key) => key.KeyType === keyType)?.AttributeName;
    if (!name) return undefined;
    const declared = schema.AttributeDefinitions.find(
      (definition) => definition.AttributeName === name,
    );
    const type = ATTRIBUTE_TYPES[declared?.AttributeType ?? ''];
    if (!type) throw new Error(`products table: no type for key ${name}`);
    return { name, type };
  };
  const partitionKey = attribute('HASH');
  if (!partitionKey) throw new Error('products table: no partition key');
  const sortKey = attribute('RANGE');

  return sortKey ? { partitionKey, sortKey } : { partitionKey };
}

export class ProductsTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: ProductsTableProps) {
    super(scope, id);

    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      ...keyAttributes(props.schema, props.schema.KeySchema),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy,
    });
    for (const index of props.schema.GlobalSecondaryIndexes ?? []) {
      if (!index.IndexName || !index.KeySchema) continue;
      this.table.addGlobalSecondaryIndex({
        indexName: index.IndexName,
        ...keyAttributes(props.schema, index.KeySchema),
        projectionType:
          PROJECTIONS[index.Projection?.ProjectionType ?? 'ALL'] ??
          dynamodb.ProjectionType.ALL,
        ...(index.Projection?.NonKeyAttributes && {
          nonKeyAttributes: [...index.Projection.NonKeyAttributes],
        }),
      });
    }
  }
}
