/**
 * The products table's keys as the store creates them locally.
 */
import type { TableKeySchema } from './constructs/products-table.js';

// Mirrors the CreateTable call in functions/store until the store
// exports its schema as one constant; then this module re-exports it.
export const PRODUCTS_TABLE_KEYS: TableKeySchema = {
  AttributeDefinitions: [{ AttributeName: 'code', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'code', KeyType: 'HASH' }],
};
