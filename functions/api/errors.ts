/**
 * Errors of the products API, each carrying the status and the JSON body
 * the client gets, shaped as the older DRF service shaped them.
 */

export type FieldErrors = Record<string, string[]>;

export class ApiError extends Error {
  override readonly name: string = 'ApiError';

  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.detail === 'string' ? body.detail : `HTTP ${status}`);
  }
}

export class BadRequestError extends ApiError {
  override readonly name = 'BadRequestError';

  constructor(body: FieldErrors | { detail: string }) {
    super(400, body);
  }
}

export class NotFoundError extends ApiError {
  override readonly name = 'NotFoundError';

  constructor() {
    super(404, { detail: 'Not found.' });
  }
}

export class MethodNotAllowedError extends ApiError {
  override readonly name = 'MethodNotAllowedError';

  constructor(method: string, allowed: readonly string[]) {
    super(
      405,
      { detail: `Method "${method.slice(0, 20)}" not allowed.` },
      { Allow: allowed.join(', ') },
    );
  }
}

export class ForbiddenError extends ApiError {
  override readonly name = 'ForbiddenError';

  constructor(detail: string) {
    super(403, { detail });
  }
}

export class PayloadTooLargeError extends ApiError {
  override readonly name = 'PayloadTooLargeError';

  constructor(limit: number) {
    super(413, { detail: `Request body is larger than ${limit} bytes.` });
  }
}

export class UnsupportedMediaTypeError extends ApiError {
  override readonly name = 'UnsupportedMediaTypeError';

  constructor(contentType: string) {
    super(415, {
      detail: `Unsupported media type "${contentType.slice(0, 100)}" in request.`,
    });
  }
}

/** A dependency (DynamoDB) failed; the request itself was fine. */
export class DependencyError extends ApiError {
  override readonly name = 'DependencyError';

  constructor(requestId: string, options?: { cause?: unknown }) {
    super(503, {
      detail: 'The product store is unavailable; try again shortly.',
      request_id: requestId,
    });
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
