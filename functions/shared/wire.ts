/** Store records to the wire product of PROTOCOL.md, and back. */
import { formatCents } from '../../protocol/money.js';
import type { Product } from '../../protocol/product.js';
import type { ProductRecord } from '../store/product-store.js';

export function toProduct(record: ProductRecord): Product {
  return {
    code: record.code,
    buying_price: formatCents(record.buyingCents),
    selling_price: formatCents(record.sellingCents),
    description: record.description,
    created_at: record.createdAt,
    update_at: record.updateAt,
  };
}
