/**
 * What every operation handler is given, and the one boundary where
 * errors become HTTP answers: API errors as their JSON bodies, a failing
 * store as a logged 503 that names the request id.
 */
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Handler,
} from 'aws-lambda';
import type { ProductEvents } from '../events/product-events.js';
import type { Logger } from '../shared/logger.js';
import { StoreError } from '../store/errors.js';
import type { ProductStore } from '../store/product-store.js';
import { ApiError, DependencyError } from './errors.js';
import { fromError, json } from './responses.js';

export interface ApiDeps {
  store: ProductStore;
  logger: Logger;
  events?: ProductEvents;
  /** The clock for `created_at`/`update_at`; the real one by default. */
  now?: () => Date;
  /** A new product code for creates that name none. */
  newCode?: () => string;
}

export type ApiHandler = (
  event: APIGatewayProxyEvent,
) => Promise<APIGatewayProxyResult>;

/** The Lambda signature; the context and callback are not used. */
export type LambdaHandler = Handler<
  APIGatewayProxyEvent,
  APIGatewayProxyResult
>;

export function requestId(event: APIGatewayProxyEvent): string {
  return event.requestContext?.requestId ?? 'unknown';
}

export function answer(
  operation: string,
  deps: ApiDeps,
  run: ApiHandler,
): ApiHandler {
  return async (event) => {
    try {
      return await run(event);
    } catch (error) {
      if (error instanceof ApiError) return fromError(error);
      const fields = { operation, requestId: requestId(event), error };
      if (error instanceof StoreError) {
        deps.logger.error('store unavailable', fields);
        return fromError(
          new DependencyError(requestId(event), { cause: error }),
        );
      }
      deps.logger.error('request failed', fields);
      return json(500, {
        detail: 'Internal error.',
        request_id: requestId(event),
      });
    }
  };
}
