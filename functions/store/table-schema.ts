/**
 * The products table as DynamoDB must declare it: the key, and one
 * global secondary index per list ordering. Product items carry `lp`
 * (the list partition) and the sort keys; counter items of the rank
 * trees (rank-tree.ts) carry neither, so the indexes hold products only.
 * The CDK table and ensureTable both build from this constant.
 */

export const LIST_PARTITION_ATTRIBUTE = 'lp';
/**
 * The one value of `lp`: every product sits in one index partition, so
 * index writes share one partition's throughput (about 1,000 writes/s
 * on AWS); a price tick over a very large catalogue is paced by it.
 */
export const LIST_PARTITION = 'P';

export const SORT_INDEXES = {
  code: { indexName: 'by-code', sortKey: 'code' },
  buying_price: { indexName: 'by-buying-price', sortKey: 'kb' },
  selling_price: { indexName: 'by-selling-price', sortKey: 'ks' },
  description: { indexName: 'by-description', sortKey: 'kd' },
} as const;

export const PRODUCTS_TABLE_SCHEMA = {
  partitionKey: { name: 'code', type: 'S' },
  billingMode: 'PAY_PER_REQUEST',
  globalSecondaryIndexes: Object.values(SORT_INDEXES).map((index) => ({
    indexName: index.indexName,
    partitionKey: { name: LIST_PARTITION_ATTRIBUTE, type: 'S' as const },
    sortKey: { name: index.sortKey, type: 'S' as const },
    projection: 'ALL' as const,
  })),
} as const;
