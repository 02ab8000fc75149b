/**
 * The JSON body of a write: size-limited, `application/json` only, an
 * object, validated field by field into DRF-shaped 400s.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { z } from 'zod';
import {
  BadRequestError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from './errors.js';
import { header } from './responses.js';
import { fieldErrors } from './schemas.js';

export const MAX_BODY_BYTES = 64 * 1024;

function kind(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value === null) return 'null';
  return typeof value === 'string' ? 'str' : typeof value;
}

function text(event: APIGatewayProxyEvent): string {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded
    ? Buffer.from(raw, 'base64')
    : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(MAX_BODY_BYTES);
  }

  return bytes.toString('utf8');
}

export function readBody<T extends z.ZodType>(
  event: APIGatewayProxyEvent,
  schema: T,
): z.infer<T> {
  const body = text(event);
  const type = header(event, 'content-type') ?? '';
  if (body !== '' && !/^application\/json\s*(;|$)/i.test(type)) {
    throw new UnsupportedMediaTypeError(type || '(none)');
  }
  let value: unknown = {};
  if (body.trim() !== '') {
    try {
      value = JSON.parse(body);
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'invalid';
      throw new BadRequestError({
        detail: `JSON parse error - ${reason.slice(0, 200)}`,
      });
    }
  }
  if (kind(value) !== 'object') {
    throw new BadRequestError({
      non_field_errors: [
        `Invalid data. Expected a dictionary, but got ${kind(value)}.`,
      ],
    });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new BadRequestError(fieldErrors(parsed.error));

  return parsed.data;
}
