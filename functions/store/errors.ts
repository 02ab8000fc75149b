/** Errors of the products store, translated from the SDK at its edge. */

export class StoreError extends Error {
  override readonly name: string = 'StoreError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** DynamoDB could not be reached or refused the call; worth a retry. */
export class StoreUnavailableError extends StoreError {
  override readonly name = 'StoreUnavailableError';
}

/** The same product kept changing under a conditional write. */
export class ConflictError extends StoreError {
  override readonly name = 'ConflictError';

  constructor(
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`product ${code} kept changing during the update`, options);
  }
}
