import fc from 'fast-check';
import {
  decodeLine,
  encodeMessage,
  type FramedMessage,
  FramedRequestError,
  LineReader,
  listQueryString,
  MAX_LINE_BYTES,
  parseMessage,
  parseRequest,
} from './framed.js';
import type { Product, ProductField } from './product.js';

const PRODUCT: Product = {
  code: 'K3ZQ8W1M0RT5B2C',
  buying_price: '1180.00',
  selling_price: '1534.00',
  description: 'lamp',
  created_at: '2026-12-01T09:00:00.000000-03:00',
  update_at: '2026-12-01T09:06:00.000000-03:00',
};

const bytes = (text: string) => Buffer.from(text, 'utf8');

const productArb: fc.Arbitrary<Product> = fc.record({
  code: fc.stringMatching(/^[A-Z0-9]{15}$/),
  buying_price: fc.stringMatching(/^\d{1,8}\.\d{2}$/),
  selling_price: fc.stringMatching(/^\d{1,8}\.\d{2}$/),
  description: fc.string({ unit: 'grapheme', maxLength: 80 }),
  created_at: fc.constant('2026-12-01T09:00:00.000000+00:00'),
  update_at: fc.constant('2026-12-01T09:06:00.000000+00:00'),
});

const messageArb: fc.Arbitrary<FramedMessage> = fc.oneof(
  fc.record({
    id: fc.integer({ min: 0 }),
    type: fc.constant('product' as const),
    product: productArb,
  }),
  fc.record({
    type: fc.constant('update' as const),
    product: productArb,
    changed: fc.constant<ProductField[]>(['selling_price', 'update_at']),
  }),
  fc.record({
    id: fc.string({ maxLength: 10 }),
    type: fc.constant('pong' as const),
  }),
  fc.record({
    id: fc.integer({ min: 0 }),
    type: fc.constant('page' as const),
    count: fc.nat(),
    next: fc.constant(null),
    previous: fc.constant(null),
    results: fc.array(productArb, { maxLength: 3 }),
  }),
);

describe('decodeLine', () => {
  it('reads a known line and reports its size with the newline', () => {
    const line = bytes('{"id":5,"op":"ping"}\n');

    const decoded = decodeLine(line);

    expect(decoded).toEqual({
      status: 'ok',
      value: { id: 5, op: 'ping' },
      size: 21,
    });
  });

  it.each([
    ['an empty buffer', ''],
    ['a line without its newline', '{"id":5,"op":"pi'],
  ])('needs more bytes for %s', (_name, text) => {
    expect(decodeLine(bytes(text))).toEqual({ status: 'need-more' });
  });

  it.each([
    ['invalid JSON', '{"id":5,op}\n', 'line is not JSON'],
    ['a JSON array', '[1,2]\n', 'line is not an object'],
    ['a JSON string', '"ping"\n', 'line is not an object'],
    ['an empty line', '\n', 'line is not JSON'],
  ])('calls %s malformed and skips the line', (_name, text, reason) => {
    expect(decodeLine(bytes(text))).toEqual({
      status: 'malformed',
      reason,
      size: Buffer.byteLength(text),
    });
  });

  it('calls bytes that are not UTF-8 malformed', () => {
    const line = Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]);

    expect(decodeLine(line)).toMatchObject({
      status: 'malformed',
      reason: 'line is not UTF-8',
    });
  });

  it('calls a line past the limit malformed before its end arrives', () => {
    const long = Buffer.alloc(MAX_LINE_BYTES + 1, 0x20);

    expect(decodeLine(long)).toEqual({
      status: 'malformed',
      reason: `line longer than ${MAX_LINE_BYTES} bytes`,
      size: 0,
    });
  });

  it('accepts a line of exactly the limit', () => {
    const body = `{"a":"${'x'.repeat(MAX_LINE_BYTES - 8)}"}`;

    const decoded = decodeLine(bytes(`${body}\n`));

    expect(body).toHaveLength(MAX_LINE_BYTES);
    expect(decoded.status).toBe('ok');
  });
});

describe('LineReader', () => {
  it('gives the same messages at every split point', () => {
    const stream = Buffer.concat([
      encodeMessage({ id: 1, type: 'product', product: PRODUCT }),
      encodeMessage({ type: 'bye', reason: 'shutdown' }),
    ]);

    for (let cut = 0; cut <= stream.length; cut += 1) {
      const reader = new LineReader();
      const out = [
        ...reader.push(stream.subarray(0, cut)),
        ...reader.push(stream.subarray(cut)),
      ];

      expect(out.map((decoded) => decoded.status)).toEqual(['ok', 'ok']);
      expect(reader.pending).toBe(0);
    }
  });

  it('reads a line written one byte at a time', () => {
    const reader = new LineReader();
    const line = bytes('{"id":"é","op":"ping"}\n');

    const out = [...line].flatMap((byte) => reader.push(Buffer.from([byte])));

    expect(out).toEqual([
      { status: 'ok', value: { id: 'é', op: 'ping' }, size: line.length },
    ]);
  });

  it('stops at a line past the limit without keeping it', () => {
    const reader = new LineReader(16);

    const out = [
      ...reader.push(bytes('{"a":"0123')),
      ...reader.push(bytes('456789"}')),
      ...reader.push(bytes('{"later":1}\n')),
    ];

    expect(out).toEqual([
      { status: 'malformed', reason: 'line longer than 16 bytes', size: 0 },
    ]);
    expect(reader.pending).toBe(0);
  });

  it('round-trips any message at any split point', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (messages, at) => {
          const stream = Buffer.concat(messages.map(encodeMessage));
          const cut = at % (stream.length + 1);
          const reader = new LineReader();

          const out = [
            ...reader.push(stream.subarray(0, cut)),
            ...reader.push(stream.subarray(cut)),
          ];

          const parsed = out.map((decoded) =>
            decoded.status === 'ok' ? parseMessage(decoded.value) : decoded,
          );
          expect(parsed).toEqual(messages);
        },
      ),
    );
  });
});

describe('parseRequest', () => {
  it.each([
    ['ping', { id: 5, op: 'ping' }],
    ['get', { id: 'a', op: 'get', code: 'K3ZQ8W1M0RT5B2C' }],
    ['watch', { id: 3, op: 'watch', codes: ['A1', 'B2'] }],
    ['unwatch', { id: 4, op: 'unwatch', codes: ['A1'] }],
    [
      'list',
      { id: 1, op: 'list', query: { limit: 30, ordering: '-selling_price' } },
    ],
  ])('accepts %s', (_name, request) => {
    expect(parseRequest(request)).toEqual(request);
  });

  it('drops repeated codes of a watch', () => {
    const request = { id: 1, op: 'watch', codes: ['A1', 'A1', 'B2'] };

    expect(parseRequest(request)).toEqual({ ...request, codes: ['A1', 'B2'] });
  });

  it.each([
    ['no id', { op: 'ping' }, null, 'id must be a string or an integer'],
    ['an unknown op', { id: 1, op: 'dance' }, 1, 'unknown op: dance'],
    [
      'get without code',
      { id: 1, op: 'get' },
      1,
      'code must be a product code',
    ],
    [
      'a code with a slash',
      { id: 1, op: 'get', code: 'a/b' },
      1,
      'code must be a product code',
    ],
    [
      'watch of nothing',
      { id: 1, op: 'watch', codes: [] },
      1,
      'codes must be a non-empty array',
    ],
    [
      'watch of numbers',
      { id: 1, op: 'watch', codes: [1] },
      1,
      'codes must be product codes',
    ],
    [
      'a negative limit',
      { id: 1, op: 'list', query: { limit: -1 } },
      1,
      'limit must be a whole number',
    ],
    [
      'an unknown query key',
      { id: 1, op: 'list', query: { x: '1' } },
      1,
      'unknown query key: x',
    ],
  ])('refuses %s with its id and reason', (_name, request, id, message) => {
    const attempt = () => parseRequest(request as Record<string, unknown>);

    expect(attempt).toThrow(FramedRequestError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect((error as FramedRequestError).id).toBe(id);
    }
  });
});

describe('listQueryString', () => {
  it('writes the query keys in a fixed order, encoded', () => {
    const query = { ordering: '-selling_price', limit: 5, description: 'a b' };

    expect(listQueryString(query)).toBe(
      'limit=5&ordering=-selling_price&description=a+b',
    );
  });
});
