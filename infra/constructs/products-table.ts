/**
 * The products table: on-demand, point-in-time recovery, keyed and
 * indexed as the products store declares it (functions/store).
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

type AttributeType = 'S' | 'N' | 'B';

interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

/** A table's keys and indexes, as the store's schema constant holds them. */
export interface TableKeySchema {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalSecondaryIndexes?: readonly {
    readonly indexName: string;
    readonly partitionKey: KeyAttribute;
    readonly sortKey?: KeyAttribute;
    readonly projection?: 'ALL' | 'KEYS_ONLY';
  }[];
}

export interface ProductsTableProps {
  readonly tableName: string;
  readonly schema: TableKeySchema;
  readonly removalPolicy: RemovalPolicy;
}

const ATTRIBUTE_TYPES: Record<AttributeType, dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

const PROJECTIONS = {
  ALL: dynamodb.ProjectionType.ALL,
  KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
};

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return { name: key.name, type: ATTRIBUTE_TYPES[key.type] };
}

function keys(owner: { partitionKey: KeyAttribute; sortKey?: KeyAttribute }): {
  partitionKey: dynamodb.Attribute;
  sortKey?: dynamodb.Attribute;
} {
  const partitionKey = attribute(owner.partitionKey);

  return owner.sortKey
    ? { partitionKey, sortKey: attribute(owner.sortKey) }
    : { partitionKey };
}

export class ProductsTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: ProductsTableProps) {
    super(scope, id);

    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      ...keys(props.schema),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy,
    });
    for (const index of props.schema.globalSecondaryIndexes ?? []) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        ...keys(index),
        projectionType: PROJECTIONS[index.projection ?? 'ALL'],
      });
    }
  }
}
