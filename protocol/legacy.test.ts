import fc from 'fast-check';
import {
  decodeLegacyAnswer,
  decodeLegacyRequest,
  encodeLegacyAnswer,
  encodeLegacyRequest,
  jsonEnd,
  type LegacyRequest,
  MAX_LEGACY_BYTES,
} from './legacy.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

const REQUEST = 'GET+PRODUCT+{"code": "K3ZQ8W1M0RT5B2C"}+';

describe('decodeLegacyRequest', () => {
  it('reads the older client request once the sender is at rest', () => {
    const decoded = decodeLegacyRequest(bytes(REQUEST), true);

    expect(decoded).toEqual({
      status: 'ok',
      value: {
        verb: 'GET',
        kind: 'PRODUCT',
        path: { code: 'K3ZQ8W1M0RT5B2C' },
        query: '',
      },
      size: REQUEST.length,
    });
  });

  it('waits for more while the query may still grow', () => {
    expect(decodeLegacyRequest(bytes(REQUEST))).toEqual({
      status: 'need-more',
    });
  });

  it('ends a request at a newline without waiting', () => {
    const decoded = decodeLegacyRequest(bytes('GET+PRODUCTS+{}+limit=5\n'));

    expect(decoded).toMatchObject({
      status: 'ok',
      value: { kind: 'PRODUCTS', query: 'limit=5' },
      size: 24,
    });
  });

  it('keeps + inside the query and inside PATH', () => {
    const text = 'GET+PRODUCT+{"code": "A+B"}+description=a+b+c\n';

    const decoded = decodeLegacyRequest(bytes(text));

    expect(decoded).toMatchObject({
      status: 'ok',
      value: { path: { code: 'A+B' }, query: 'description=a+b+c' },
    });
  });

  it('ends a query where the next request starts', () => {
    const decoded = decodeLegacyRequest(bytes(REQUEST + REQUEST));

    expect(decoded).toMatchObject({
      status: 'ok',
      value: { query: '' },
      size: REQUEST.length,
    });
  });

  it('gives the same request at every split point', () => {
    const whole = bytes(`${REQUEST}limit=1\n`);

    for (let cut = 0; cut < whole.length; cut += 1) {
      const head = decodeLegacyRequest(whole.subarray(0, cut));

      expect(head).toEqual({ status: 'need-more' });
    }
    expect(decodeLegacyRequest(whole)).toMatchObject({
      status: 'ok',
      size: whole.length,
    });
  });

  it.each([
    ['garbage bytes', Buffer.from([0xff, 0x00, 0x13]), undefined],
    ['an empty line', bytes('\n'), undefined],
    ['words with spaces', bytes('hello world+'), undefined],
    ['PATH that is not an object', bytes('GET+PRODUCT+"x"+'), 'PRODUCT'],
    ['PATH that is not JSON', bytes('GET+PRODUCT+{code}+'), 'PRODUCT'],
    ['PATH not followed by +', bytes('GET+PRODUCT+{}x'), 'PRODUCT'],
  ])('calls %s malformed', (_name, buffer, kind) => {
    const decoded = decodeLegacyRequest(buffer, true);

    expect(decoded.status).toBe('malformed');
    if (decoded.status === 'malformed') expect(decoded.kind).toBe(kind);
  });

  it.each([
    ['in its verb', 'GE'],
    ['in its kind', 'GET+PROD'],
    ['in its PATH', 'GET+PRODUCT+{"code": "K3'],
    ['before the + after PATH', 'GET+PRODUCT+{}'],
  ])('waits for a request cut %s even at rest', (_name, text) => {
    expect(decodeLegacyRequest(bytes(text), true)).toEqual({
      status: 'need-more',
    });
  });

  it('calls a request past the limit malformed', () => {
    const long = bytes(`GET+PRODUCT+{"code": "${'x'.repeat(MAX_LEGACY_BYTES)}`);

    expect(decodeLegacyRequest(long)).toMatchObject({
      status: 'malformed',
      reason: `request longer than ${MAX_LEGACY_BYTES} bytes`,
    });
  });

  it('round-trips any request', () => {
    const requestArb: fc.Arbitrary<LegacyRequest> = fc.record({
      verb: fc.constantFrom('GET', 'POST'),
      kind: fc.constantFrom('PRODUCT', 'PRODUCTS'),
      path: fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
      query: fc.stringMatching(/^[a-z0-9=&+%_.-]{0,40}$/),
    });
    fc.assert(
      fc.property(requestArb, (request) => {
        const encoded = encodeLegacyRequest(request);

        const decoded = decodeLegacyRequest(encoded, true);

        expect(decoded).toEqual({
          status: 'ok',
          value: request,
          size: encoded.length,
        });
      }),
    );
  });
});

describe('answers', () => {
  it('writes TYPE+KIND+DATA with a newline', () => {
    const answer = encodeLegacyAnswer({
      type: 'ERROR',
      kind: 'PRODUCT',
      data: { detail: 'Not found.' },
    });

    expect(answer.toString()).toBe('ERROR+PRODUCT+{"detail":"Not found."}\n');
  });

  it('reads answers with and without the newline, splitting on two +', () => {
    const stream = bytes(
      'JSON+PRODUCT+{"code":"A+B"}\nLIST+PRODUCTS+[{"a":"]"}]',
    );

    const first = decodeLegacyAnswer(stream);
    const size = first.status === 'ok' ? first.size : 0;
    const second = decodeLegacyAnswer(stream.subarray(size));

    expect(first).toEqual({
      status: 'ok',
      value: { type: 'JSON', kind: 'PRODUCT', data: { code: 'A+B' } },
      size: 28,
    });
    expect(second).toMatchObject({
      status: 'ok',
      value: { type: 'LIST', data: [{ a: ']' }] },
    });
  });

  it('needs more bytes for an answer cut anywhere before its end', () => {
    const whole = bytes('JSON+PRODUCT+{"code":"A\\"}"}');

    for (let cut = 0; cut < whole.length; cut += 1) {
      expect(decodeLegacyAnswer(whole.subarray(0, cut))).toEqual({
        status: 'need-more',
      });
    }
  });

  it('round-trips any answer', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('JSON', 'LIST', 'ERROR'),
        fc.constantFrom('PRODUCT', 'PRODUCTS', '-'),
        fc.oneof(
          fc.dictionary(fc.string(), fc.string()),
          fc.array(fc.dictionary(fc.string(), fc.string())),
        ),
        (type, kind, data) => {
          const encoded = encodeLegacyAnswer({ type, kind, data });

          expect(decodeLegacyAnswer(encoded)).toEqual({
            status: 'ok',
            value: { type, kind, data },
            size: encoded.length,
          });
        },
      ),
    );
  });
});

describe('jsonEnd', () => {
  it.each([
    ['an object', '{"a":1}', 7],
    ['brackets in strings', '{"a":"}]"}', 10],
    ['an escaped quote', '{"a":"\\"}"}', 11],
    ['nested arrays', '[[1],[2,[3]]]x', 13],
    ['an open object', '{"a":{}', -1],
  ])('finds the end of %s', (_name, text, end) => {
    expect(jsonEnd(text, 0)).toBe(end);
  });
});
