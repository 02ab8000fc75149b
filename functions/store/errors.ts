/** Errors of the products store, translated from the SDK at its edge. */
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';

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

/** A create named a code that is already taken. */
export class ProductExistsError extends StoreError {
  override readonly name = 'ProductExistsError';

  constructor(
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`product ${code} already exists`, options);
  }
}

/** A replace or delete named a code that does not exist. */
export class ProductMissingError extends StoreError {
  override readonly name = 'ProductMissingError';

  constructor(
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`product ${code} does not exist`, options);
  }
}

/** Turns SDK failures into store errors; lets store errors through. */
export function translate(error: unknown, action: string): StoreError {
  if (error instanceof StoreError) return error;
  if (error instanceof ResourceNotFoundException) {
    return new StoreError(`${action}: table not found`, { cause: error });
  }

  return new StoreUnavailableError(`${action} failed`, { cause: error });
}
