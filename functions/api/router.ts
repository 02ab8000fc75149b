/**
 * Routes an API Gateway proxy event to its operation by method and path,
 * as API Gateway does, and checks the API key of writes, as its usage
 * plan does on AWS: the local front and tests run the same rules.
 */
import { timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ApiDeps, ApiHandler } from './context.js';
import {
  type ApiError,
  ForbiddenError,
  MethodNotAllowedError,
  NotFoundError,
} from './errors.js';
import { createApiHandlers } from './handlers.js';
import { fromError, header } from './responses.js';
import { matchRoute } from './routes.js';

export interface RouterDeps extends ApiDeps {
  /** The key writes must send as x-api-key; unset refuses all writes. */
  apiKey?: string;
}

function sameKey(given: string, wanted: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(wanted);

  return a.length === b.length && timingSafeEqual(a, b);
}

function keyProblem(
  event: APIGatewayProxyEvent,
  apiKey: string | undefined,
): ApiError | undefined {
  if (apiKey === undefined) {
    return new ForbiddenError('Writes are disabled: no API key is set.');
  }
  const given = header(event, 'x-api-key');
  if (given === undefined || !sameKey(given, apiKey)) {
    return new ForbiddenError('Invalid or missing API key.');
  }

  return undefined;
}

export function createApiRouter(deps: RouterDeps): ApiHandler {
  const handlers = createApiHandlers(deps);

  return async (event) => {
    const method = event.httpMethod === 'HEAD' ? 'GET' : event.httpMethod;
    const match = matchRoute(method, event.path);
    if (!match) return fromError(new NotFoundError());
    if (!match.route) {
      return fromError(new MethodNotAllowedError(method, match.allowed));
    }
    if (match.route.access === 'write') {
      const problem = keyProblem(event, deps.apiKey);
      if (problem) return fromError(problem);
    }
    const handler: ApiHandler = handlers[match.route.operation];

    return handler({
      ...event,
      resource: match.resource,
      pathParameters: { ...match.pathParameters },
    });
  };
}
