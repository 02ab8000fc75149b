import { connect } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { memoryLogger } from '../functions/shared/logger.js';
import { type HttpFront, startHttpFront } from './http-front.js';

type Handler = (e: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

describe('local HTTP front', () => {
  let front: HttpFront;
  let seen: APIGatewayProxyEvent[];
  let reply: Handler;
  const logger = memoryLogger();

  beforeAll(async () => {
    front = await startHttpFront({
      handler: (event) => {
        seen.push(event);
        return reply(event);
      },
      port: 0,
      logger,
      maxBodyBytes: 1024,
    });
  });

  beforeEach(() => {
    seen = [];
    reply = async () => ({ statusCode: 200, body: '{}' });
  });

  afterAll(async () => {
    await front.close();
  });

  it('builds a REST proxy event from the request', async () => {
    const response = await fetch(
      `${front.url}/api/products/ABC%20D/?a=1&a=2&b=x+y`,
      {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
        body: '{"description":"é"}',
      },
    );

    const event = seen[0] as APIGatewayProxyEvent;
    expect(response.status).toBe(200);
    expect(event.httpMethod).toBe('PUT');
    expect(event.path).toBe('/api/products/ABC%20D/');
    expect(event.resource).toBe('/api/products/{code}');
    expect(event.pathParameters).toEqual({ code: 'ABC D' });
    expect(event.queryStringParameters).toEqual({ a: '2', b: 'x y' });
    expect(event.multiValueQueryStringParameters).toEqual({
      a: ['1', '2'],
      b: ['x y'],
    });
    expect(event.headers['x-api-key']).toBe('k');
    expect(event.multiValueHeaders['content-type']).toEqual([
      'application/json',
    ]);
    expect(event.body).toBe('{"description":"é"}');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.requestContext.stage).toBe('local');
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.requestContext.identity.sourceIp).toMatch(/127\.0\.0\.1/);
    expect(response.headers.get('x-amzn-requestid')).toBe(
      event.requestContext.requestId,
    );
  });

  it('passes a body that is not UTF-8 as base64', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41]);

    await fetch(`${front.url}/api/products/`, { method: 'POST', body: bytes });

    const event = seen[0] as APIGatewayProxyEvent;
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(bytes);
  });

  it('writes the handler result with its headers and base64 body', async () => {
    reply = async () => ({
      statusCode: 201,
      headers: { ETag: '"t"' },
      multiValueHeaders: { 'Set-Thing': ['a', 'b'] },
      body: Buffer.from('hello').toString('base64'),
      isBase64Encoded: true,
    });

    const response = await fetch(`${front.url}/x`);

    expect(response.status).toBe(201);
    expect(response.headers.get('etag')).toBe('"t"');
    expect(response.headers.get('set-thing')).toBe('a, b');
    expect(await response.text()).toBe('hello');
  });

  it('refuses a body over the limit with JSON 413', async () => {
    const response = await fetch(`${front.url}/api/products/`, {
      method: 'POST',
      body: 'x'.repeat(5000),
    });

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      detail: 'Request body is larger than 1024 bytes.',
    });
    expect(seen).toHaveLength(0);
  });

  it('answers JSON 502 and logs when the handler throws', async () => {
    reply = async () => {
      throw new Error('boom');
    };

    const response = await fetch(`${front.url}/api/products/`);

    const body = (await response.json()) as { request_id: string };
    expect(response.status).toBe(502);
    expect(body.request_id).toBe(seen[0]?.requestContext.requestId);
    expect(logger.entries.at(-1)).toMatchObject({
      level: 'error',
      msg: 'handler failed',
      requestId: body.request_id,
      error: { name: 'Error', message: 'boom' },
    });
  });

  it('answers JSON 502 when the handler returns no status', async () => {
    reply = async () => ({}) as APIGatewayProxyResult;

    const response = await fetch(`${front.url}/api/products/`);

    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('application/json');
  });

  it('answers a malformed request line with JSON 400 and keeps serving', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(front.port, '127.0.0.1', () => {
        socket.write('NOT A REQUEST\r\n\r\n');
      });
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString();
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(data));
    });
    const after = await fetch(`${front.url}/still-up`);

    expect(raw.startsWith('HTTP/1.1 400')).toBe(true);
    expect(JSON.parse(raw.split('\r\n\r\n')[1] ?? '')).toEqual({
      detail: 'Malformed request.',
    });
    expect(after.status).toBe(200);
  });
});
