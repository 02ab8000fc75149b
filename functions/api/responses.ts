/**
 * API Gateway proxy results: JSON bodies, strong ETags computed from the
 * body, and `304 Not Modified` when the client already holds the body.
 */
import { createHash } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ApiError } from './errors.js';

const JSON_TYPE = 'application/json';

export function etagOf(body: string): string {
  const digest = createHash('sha256').update(body).digest('base64url');

  return `"${digest.slice(0, 27)}"`;
}

export function header(
  event: APIGatewayProxyEvent,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }

  return undefined;
}

/** True when `If-None-Match` lists the tag (weak or strong) or `*`. */
export function matchesEtag(
  event: APIGatewayProxyEvent,
  etag: string,
): boolean {
  const value = header(event, 'if-none-match');
  if (value === undefined) return false;
  const tags = value.split(',').map((tag) => tag.trim().replace(/^W\//, ''));

  return tags.includes('*') || tags.includes(etag);
}

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { 'Content-Type': JSON_TYPE, ...headers },
    body: JSON.stringify(body),
  };
}

/** A 200 with an ETag, or a bodiless 304 when the client has it. */
export function cacheable(
  event: APIGatewayProxyEvent,
  body: unknown,
): APIGatewayProxyResult {
  const text = JSON.stringify(body);
  const etag = etagOf(text);
  if (matchesEtag(event, etag)) {
    return { statusCode: 304, headers: { ETag: etag }, body: '' };
  }

  return {
    statusCode: 200,
    headers: { 'Content-Type': JSON_TYPE, ETag: etag },
    body: text,
  };
}

export function fromError(error: ApiError): APIGatewayProxyResult {
  return json(error.status, error.body, error.headers);
}
