/**
 * Upserts catalogue rows by code. Each row is validated as the API
 * validates a create; a rejected row is reported with its line and
 * reasons and loads nothing. A row equal to the stored product changes
 * nothing, so importing one file twice writes once.
 */
import type { z } from 'zod';
import { formatTimestamp } from '../../protocol/time.js';
import { fieldErrors, ProductInputSchema } from '../api/schemas.js';
import { priceCents } from '../api/write.js';
import {
  ConflictError,
  ProductExistsError,
  ProductMissingError,
} from '../store/errors.js';
import type { ProductRecord, ProductStore } from '../store/product-store.js';
import type { Row } from './catalogue.js';

const PARALLEL = 8;
const ATTEMPTS = 5;

const ImportRowSchema = ProductInputSchema.extend({
  code: ProductInputSchema.shape.code.unwrap(),
});

export interface Rejection {
  line: number;
  reason: string;
}

export interface ImportReport {
  created: number;
  updated: number;
  unchanged: number;
  rejected: Rejection[];
}

type Valid = { line: number; input: z.infer<typeof ImportRowSchema> };

function validate(rows: readonly Row[], rejected: Rejection[]): Valid[] {
  const seen = new Map<string, number>();
  const valid: Valid[] = [];
  for (const { line, value } of rows) {
    if (value instanceof Error) {
      rejected.push({ line, reason: value.message });
      continue;
    }
    const parsed = ImportRowSchema.safeParse(value);
    if (!parsed.success) {
      const reasons = Object.entries(fieldErrors(parsed.error)).map(
        ([field, messages]) => `${field}: ${messages.join(' ')}`,
      );
      rejected.push({ line, reason: reasons.join('; ') });
      continue;
    }
    const first = seen.get(parsed.data.code);
    if (first !== undefined) {
      rejected.push({
        line,
        reason: `code: ${parsed.data.code} already appears on line ${first}.`,
      });
      continue;
    }
    seen.set(parsed.data.code, line);
    valid.push({ line, input: parsed.data });
  }

  return valid;
}

function same(a: ProductRecord, b: ProductRecord): boolean {
  return (
    a.buyingCents === b.buyingCents &&
    a.sellingCents === b.sellingCents &&
    a.description === b.description
  );
}

export async function importProducts(
  store: ProductStore,
  rows: readonly Row[],
  now: () => Date = () => new Date(),
): Promise<ImportReport> {
  const report: ImportReport = {
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: [],
  };
  const valid = validate(rows, report.rejected);

  const upsert = async ({ line, input }: Valid) => {
    const stamp = formatTimestamp(now());
    const wanted: ProductRecord = {
      code: input.code,
      buyingCents: priceCents(input.buying_price),
      sellingCents: priceCents(input.selling_price),
      description: input.description,
      createdAt: stamp,
      updateAt: stamp,
    };
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = await store.get(wanted.code);
      if (current && same(current, wanted)) {
        report.unchanged += 1;
        return;
      }
      try {
        if (current) {
          const updateAt =
            stamp > current.updateAt
              ? stamp
              : formatTimestamp(new Date(Date.parse(current.updateAt) + 1));
          await store.replace(
            { ...wanted, createdAt: current.createdAt, updateAt },
            current.updateAt,
          );
          report.updated += 1;
        } else {
          await store.create(wanted);
          report.created += 1;
        }
        return;
      } catch (error) {
        const retry =
          error instanceof ConflictError ||
          error instanceof ProductExistsError ||
          error instanceof ProductMissingError;
        if (!retry) throw error;
      }
    }
    report.rejected.push({
      line,
      reason: 'the product kept changing during the import; run it again.',
    });
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < valid.length) await upsert(valid[next++] as Valid);
    }),
  );
  report.rejected.sort((a, b) => a.line - b.line);

  return report;
}
