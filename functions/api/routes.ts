/**
 * Matches a request path against the API's ROUTES, the way API Gateway
 * does: `{name}` segments capture one path segment, and a trailing slash
 * is optional (`/api/products/` and `/api/products` are one resource).
 */
import { ROUTES, type Route } from '../../config/topology.js';

export interface RouteMatch {
  /** The route for the method, when the path has one for it. */
  route?: Route;
  /** Methods the path answers, for a 405's `Allow` header. */
  allowed: string[];
  /** The resource as declared, such as `/api/products/{code}`. */
  resource: string;
  pathParameters: Record<string, string>;
}

function segments(path: string): string[] {
  return path.split('/');
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function matchPath(
  pattern: string,
  path: string,
): Record<string, string> | undefined {
  const want = segments(pattern);
  const have = segments(path.endsWith('/') ? path.slice(0, -1) : path);
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    const actual = have[index] ?? '';
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name) params[name] = decode(actual);
    else if (part !== actual) return undefined;
  }

  return params;
}

/** Undefined when no route has the path, whatever the method. */
export function matchRoute(
  method: string,
  path: string,
): RouteMatch | undefined {
  let found: RouteMatch | undefined;
  for (const route of ROUTES) {
    const pathParameters = matchPath(route.path, path);
    if (!pathParameters) continue;
    found ??= { allowed: [], resource: route.path, pathParameters };
    found.allowed.push(route.method);
    if (route.method === method.toUpperCase()) found.route = route;
  }

  return found;
}
