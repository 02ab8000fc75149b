/**
 * What the write operations share: turning a validated body into a
 * record, a strictly later `update_at`, and the `product.updated` event.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { formatTimestamp } from '../../protocol/time.js';
import { toProduct } from '../shared/wire.js';
import type { ProductRecord } from '../store/product-store.js';
import { type ApiDeps, requestId } from './context.js';
import { BadRequestError } from './errors.js';
import { decimalToCents } from './list-query.js';
import type { ProductPatch } from './schemas.js';

export function priceCents(value: string | number): number {
  return decimalToCents(typeof value === 'number' ? String(value) : value);
}

/** Now, or just after `previous` when the clock has not moved past it. */
export function nextTimestamp(deps: ApiDeps, previous?: string): string {
  const now = (deps.now ?? (() => new Date()))();
  const stamp = formatTimestamp(now);
  if (previous === undefined || stamp > previous) return stamp;
  const after = Date.parse(previous) + 1;

  return formatTimestamp(new Date(Math.max(after, now.getTime())));
}

export function assertSameCode(patch: ProductPatch, code: string): void {
  if (patch.code !== undefined && patch.code !== code) {
    throw new BadRequestError({
      code: ['Does not match the code in the path.'],
    });
  }
}

export function applyPatch(
  current: ProductRecord,
  patch: ProductPatch,
  updateAt: string,
): ProductRecord {
  return {
    ...current,
    ...(patch.buying_price !== undefined && {
      buyingCents: priceCents(patch.buying_price),
    }),
    ...(patch.selling_price !== undefined && {
      sellingCents: priceCents(patch.selling_price),
    }),
    ...(patch.description !== undefined && { description: patch.description }),
    updateAt,
  };
}

/** Announces the change; a broker failure is logged, not returned. */
export async function announce(
  deps: ApiDeps,
  event: APIGatewayProxyEvent,
  record: ProductRecord,
): Promise<void> {
  if (!deps.events) return;
  try {
    await deps.events.publish(toProduct(record));
  } catch (error) {
    deps.logger.error('product event not published', {
      code: record.code,
      requestId: requestId(event),
      error,
    });
  }
}
