/**
 * The local stand-in for API Gateway (REST, proxy integration): a plain
 * HTTP server that turns each request into an APIGatewayProxyEvent, calls
 * the handler and writes its result back. There is no stage prefix
 * locally; paths are as the client sent them.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { matchRoute } from '../functions/api/routes.js';
import type { Logger } from '../functions/shared/logger.js';

export const MAX_BODY_BYTES = 1024 * 1024;
const STAGE = 'local';

export interface HttpFrontOptions {
  handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  port: number;
  host?: string;
  logger?: Logger;
  maxBodyBytes?: number;
}

export interface HttpFront {
  url: string;
  port: number;
  close(): Promise<void>;
}

class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new BodyTooLargeError());
      return;
    }
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function singleValues(
  multi: Record<string, string[]>,
): Record<string, string> | null {
  const entries = Object.entries(multi).map(
    ([key, values]) => [key, values[values.length - 1] ?? ''] as const,
  );

  return entries.length > 0 ? Object.fromEntries(entries) : null;
}

export function toProxyEvent(
  request: IncomingMessage,
  body: Buffer,
): APIGatewayProxyEvent {
  const url = new URL(request.url ?? '/', 'http://front.invalid');
  const method = request.method ?? 'GET';
  const query: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) {
    query[key] ??= [];
    query[key].push(value);
  }
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [key, values] of Object.entries(request.headersDistinct)) {
    if (values) multiValueHeaders[key] = values;
  }
  const match = matchRoute(method, url.pathname);
  const text = body.length === 0 || isUtf8(body);
  const now = Date.now();

  return {
    httpMethod: method,
    path: url.pathname,
    resource: match?.resource ?? url.pathname,
    pathParameters: match ? { ...match.pathParameters } : null,
    stageVariables: null,
    headers: singleValues(multiValueHeaders) ?? {},
    multiValueHeaders,
    queryStringParameters: singleValues(query),
    multiValueQueryStringParameters:
      Object.keys(query).length > 0 ? query : null,
    body: body.length === 0 ? null : body.toString(text ? 'utf8' : 'base64'),
    isBase64Encoded: !text,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      authorizer: null,
      httpMethod: method,
      path: url.pathname,
      protocol: `HTTP/${request.httpVersion}`,
      requestId: randomUUID(),
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: match?.resource ?? url.pathname,
      stage: STAGE,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: request.headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  close = false,
): void {
  response.writeHead(status, {
    'Content-Type': 'application/json',
    ...(close && { Connection: 'close' }),
  });
  response.end(JSON.stringify(body));
}

function validResult(result: unknown): result is APIGatewayProxyResult {
  const value = result as APIGatewayProxyResult | undefined;
  return (
    typeof value === 'object' &&
    value !== null &&
    Number.isInteger(value.statusCode) &&
    value.statusCode >= 100 &&
    value.statusCode <= 599
  );
}

function sendResult(
  response: ServerResponse,
  result: APIGatewayProxyResult,
  requestId: string,
): void {
  const headers: Record<string, string | string[]> = {
    'x-amzn-RequestId': requestId,
  };
  for (const [key, value] of Object.entries(result.headers ?? {})) {
    headers[key] = String(value);
  }
  for (const [key, values] of Object.entries(result.multiValueHeaders ?? {})) {
    headers[key] = values.map(String);
  }
  const body = Buffer.from(
    result.body ?? '',
    result.isBase64Encoded ? 'base64' : 'utf8',
  );
  response.writeHead(result.statusCode, headers);
  response.end(body);
}

export async function startHttpFront(
  options: HttpFrontOptions,
): Promise<HttpFront> {
  const host = options.host ?? '127.0.0.1';
  const limit = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const { handler, logger } = options;

  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    let body: Buffer;
    try {
      body = await readBody(request, limit);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendJson(
          response,
          413,
          { detail: `Request body is larger than ${limit} bytes.` },
          true,
        );
        response.on('finish', () => request.destroy());
      } else {
        request.destroy();
      }
      return;
    }
    let event: APIGatewayProxyEvent;
    try {
      event = toProxyEvent(request, body);
    } catch {
      sendJson(response, 400, { detail: 'Malformed request.' });
      return;
    }
    const requestId = event.requestContext.requestId;
    try {
      const result = await handler(event);
      if (!validResult(result)) throw new Error('malformed handler result');
      sendResult(response, result, requestId);
    } catch (error) {
      logger?.error('handler failed', { requestId, error });
      sendJson(response, 502, {
        detail: 'Internal server error.',
        request_id: requestId,
      });
    }
  };

  const server = createServer((request, response) => {
    void serve(request, response);
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) {
      socket.end(
        'HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n' +
          'Connection: close\r\n\r\n{"detail": "Malformed request."}',
      );
    } else {
      socket.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${shown}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
