/**
 * The one source of the API's shapes: these zod schemas validate query
 * strings and bodies, and the OpenAPI document is generated from them.
 * Error messages are the older DRF service's own words.
 */
import { z } from 'zod';
import { MAX_CENTS } from '../../protocol/money.js';

export const DEFAULT_LIMIT = 30;
export const MAX_LIMIT = 1000;
export const MAX_DESCRIPTION = 255;
export { CODE_PATTERN } from '../../protocol/product.js';

import { CODE_PATTERN } from '../../protocol/product.js';
export const ORDERING_FIELDS = [
  'code',
  'buying_price',
  'selling_price',
  'description',
] as const;

const DECIMAL = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/;
const MAX_DIGITS = 10;
const MAX_PLACES = 2;

/** The DRF message for a decimal that is a number but does not fit. */
export function decimalProblem(text: string): string | undefined {
  const [whole = '', part = ''] = text.trim().replace(/^[+-]/, '').split('.');
  const places = part.length;
  const digits = whole.replace(/^0+/, '').length + places;
  if (digits > MAX_DIGITS) {
    return `Ensure that there are no more than ${MAX_DIGITS} digits in total.`;
  }
  if (places > MAX_PLACES) {
    return `Ensure that there are no more than ${MAX_PLACES} decimal places.`;
  }

  return undefined;
}

function hasControlCharacter(text: string): boolean {
  for (const char of text) {
    const point = char.codePointAt(0) ?? 0;
    if (point < 0x20 || point === 0x7f) return true;
  }

  return false;
}

function required(message: string) {
  return (issue: { input?: unknown }) => {
    if (issue.input === undefined) return 'This field is required.';
    if (issue.input === null) return 'This field may not be null.';
    return message;
  };
}

const priceFilter = z
  .string()
  .regex(DECIMAL, { error: 'Enter a number.', abort: true })
  .superRefine((value, ctx) => {
    const problem = decimalProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const ListParamsSchema = z.strictObject({
  limit: z
    .string()
    .optional()
    .meta({
      description:
        `Page size, ${DEFAULT_LIMIT} by default and at most ${MAX_LIMIT}; ` +
        'a value that is not a positive whole number falls back to the default.',
      example: '30',
    }),
  offset: z.string().optional().meta({
    description:
      'Products to skip; a value that is not a whole number counts as 0.',
    example: '0',
  }),
  ordering: z
    .string()
    .optional()
    .meta({
      description:
        `One of ${ORDERING_FIELDS.join(', ')}; a leading "-" sorts ` +
        'descending. An unknown field falls back to ordering by code.',
    }),
  buying_price: priceFilter
    .optional()
    .meta({ description: 'Exact buying price.' }),
  selling_price: priceFilter
    .optional()
    .meta({ description: 'Exact selling price.' }),
  description: z
    .string()
    .optional()
    .meta({ description: 'Exact description.' }),
  format: z
    .literal('json')
    .optional()
    .meta({ description: 'Accepted for older clients; always JSON.' }),
});

export type ListParams = z.infer<typeof ListParamsSchema>;

const priceInput = z
  .union([z.string(), z.number()], {
    error: required('A valid number is required.'),
  })
  .superRefine((value, ctx) => {
    const text = typeof value === 'number' ? String(value) : value;
    if (!DECIMAL.test(text) || !Number.isFinite(Number(text))) {
      ctx.addIssue({ code: 'custom', message: 'A valid number is required.' });
      return;
    }
    const problem = decimalProblem(text);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
      return;
    }
    if (Number(text) < 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'Ensure this value is greater than or equal to 0.',
      });
    } else if (Math.round(Number(text) * 100) > MAX_CENTS) {
      ctx.addIssue({
        code: 'custom',
        message: 'Ensure this value is less than or equal to 99999999.99.',
      });
    }
  })
  .meta({
    description: 'A price, 0 to 99999999.99 with at most two decimals.',
    example: '1534.20',
  });

const descriptionInput = z
  .string({ error: required('Not a valid string.') })
  .superRefine((value, ctx) => {
    if (value.trim() === '') {
      ctx.addIssue({ code: 'custom', message: 'This field may not be blank.' });
    } else if (value.length > MAX_DESCRIPTION) {
      ctx.addIssue({
        code: 'custom',
        message: `Ensure this field has no more than ${MAX_DESCRIPTION} characters.`,
      });
    } else if (hasControlCharacter(value)) {
      ctx.addIssue({
        code: 'custom',
        message: 'Control characters are not allowed.',
      });
    }
  })
  .meta({ description: 'What the product is.', example: 'Brass desk lamp' });

const codeInput = z
  .string({ error: required('Not a valid string.') })
  .regex(CODE_PATTERN, {
    error: 'Enter 1 to 64 letters, digits, "_" or "-".',
  })
  .meta({
    description: 'The product code; generated (15 characters) when absent.',
    example: 'K3ZQ8W1M0RT5B2C',
  });

/** The body of a create or a full replace. */
export const ProductInputSchema = z.object({
  code: codeInput.optional(),
  buying_price: priceInput,
  selling_price: priceInput,
  description: descriptionInput,
});

/** The body of a partial update: every field optional. */
export const ProductPatchSchema = ProductInputSchema.partial();

export type ProductInput = z.infer<typeof ProductInputSchema>;
export type ProductPatch = z.infer<typeof ProductPatchSchema>;

const timestamp = z.string().meta({
  description: 'ISO 8601 with microseconds and an explicit offset.',
  example: '2026-12-01T09:06:00.000000+00:00',
});

export const ProductSchema = z
  .object({
    code: z.string().meta({ example: 'K3ZQ8W1M0RT5B2C' }),
    buying_price: z.string().meta({ example: '1180.00' }),
    selling_price: z.string().meta({ example: '1534.00' }),
    description: z.string().meta({ example: 'Brass desk lamp' }),
    created_at: timestamp,
    update_at: timestamp,
  })
  .meta({ id: 'Product' });

export const PageSchema = z
  .object({
    count: z.number().int().meta({ example: 100 }),
    next: z.string().nullable().meta({
      example: 'http://127.0.0.1:3000/api/products/?limit=30&offset=30',
    }),
    previous: z.string().nullable(),
    results: z.array(ProductSchema),
  })
  .meta({ id: 'ProductPage' });

export const DetailSchema = z
  .object({ detail: z.string().meta({ example: 'Not found.' }) })
  .meta({ id: 'Detail' });

export const FieldErrorsSchema = z
  .record(z.string(), z.array(z.string()))
  .meta({
    id: 'FieldErrors',
    example: { selling_price: ['Enter a number.'] },
  });

/** Zod issues as DRF's `{"field": ["message", ...]}`. */
export function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key =
      issue.path.length > 0 ? String(issue.path[0]) : 'non_field_errors';
    fields[key] ??= [];
    if (!fields[key].includes(issue.message)) fields[key].push(issue.message);
  }

  return fields;
}
