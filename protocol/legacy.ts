/**
 * The older text protocol (PROTOCOL.md, "TCP: the older text protocol").
 *
 * Request, client to server, no terminator (a trailing `\n` is allowed):
 *
 *   VERB '+' KIND '+' PATH '+' QUERY ['\n']
 *   GET  +  PRODUCT + {"code": "K3ZQ8W1M0RT5B2C"} +
 *
 *   VERB, KIND  upper-case words, at most MAX_WORD_BYTES each
 *   PATH        a JSON object
 *   QUERY       everything after the third `+`, `+` included
 *
 * Answer, server to client:
 *
 *   TYPE '+' KIND '+' DATA '\n'
 *   JSON + PRODUCT + {"code": ...}
 *
 *   DATA        a JSON object or array; the older server sends no `\n`
 *
 * Since a request has no terminator, its QUERY ends at a newline, at
 * the start of another request, or when the sender has gone quiet: the
 * caller says so with `atRest`. Quiet only ends a QUERY; a request cut
 * before its PATH is complete waits for more whatever the pause. A
 * sender that pauses inside its QUERY has it cut there: the older client
 * writes each request in one piece.
 */

/**
 * The longest request this codec accepts: 8 KiB, far above what the
 * older client writes. Kept small because a request without terminator
 * is decoded again as bytes arrive, so its cost grows with its square.
 */
export const MAX_LEGACY_BYTES = 8 * 1024;
/** The longest answer: a page asked with a large `limit` can be big. */
export const MAX_LEGACY_ANSWER_BYTES = 4 * 1024 * 1024;
/** The longest VERB, KIND or TYPE. */
export const MAX_WORD_BYTES = 16;
/** What the older client reads of each answer in one socket read. */
export const LEGACY_READ_BYTES = 1024;
export const SEPARATOR = '+';

export type LegacyKind = 'PRODUCTS' | 'PRODUCT';

export interface LegacyRequest {
  verb: string;
  kind: string;
  path: Record<string, unknown>;
  query: string;
}

export interface LegacyAnswer {
  type: string;
  kind: string;
  data: unknown;
}

export type LegacyDecoded<T> =
  | { status: 'need-more' }
  | { status: 'malformed'; reason: string; kind?: string }
  | { status: 'ok'; value: T; size: number };

const WORD = /^[A-Za-z-]*$/;
const NEXT_REQUEST = /[A-Z]{1,16}\+[A-Za-z]{1,16}\+\{/;

/**
 * Finds where the JSON object or array opening at `start` ends: the
 * index after its closing bracket, or -1 when more text is needed.
 */
export function jsonEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i += 1) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i += 1;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === '{' || char === '[') {
      depth += 1;
    } else if (char === '}' || char === ']') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }

  return -1;
}

type Word = { word: string; next: number } | 'need-more' | 'malformed';

function readWord(text: string, start: number): Word {
  const end = text.indexOf(SEPARATOR, start);
  const word = text.slice(start, end < 0 ? undefined : end);
  if (word.length > MAX_WORD_BYTES || !WORD.test(word)) return 'malformed';
  if (end < 0) return 'need-more';
  if (word === '') return 'malformed';

  return { word, next: end + 1 };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(buffer: Uint8Array): string | undefined {
  try {
    return utf8.decode(buffer);
  } catch {
    // A chunk may end inside a character; the text before it decides.
    for (let cut = 1; cut <= 3 && cut < buffer.length; cut += 1) {
      try {
        return utf8.decode(buffer.subarray(0, buffer.length - cut));
      } catch {}
    }
    return undefined;
  }
}

/** Reads one request from the start of `buffer`. */
export function decodeLegacyRequest(
  buffer: Uint8Array,
  atRest = false,
): LegacyDecoded<LegacyRequest> {
  const text = decodeText(buffer.subarray(0, MAX_LEGACY_BYTES + 1));
  if (text === undefined) return malformed('request is not UTF-8 text');
  const verb = readWord(text, 0);
  if (verb === 'malformed') return malformed('request is not VERB+KIND+...');
  if (verb === 'need-more') return more(buffer);
  const kind = readWord(text, verb.next);
  if (kind === 'malformed') return malformed('request has no valid KIND');
  if (kind === 'need-more') return more(buffer);
  const bad = (reason: string) => malformed(reason, kind.word);
  if (kind.next === text.length) return more(buffer, kind.word);
  if (text[kind.next] !== '{') return bad('PATH must be a JSON object');
  const pathEnd = jsonEnd(text, kind.next);
  if (pathEnd < 0) return more(buffer, kind.word);
  let path: unknown;
  try {
    path = JSON.parse(text.slice(kind.next, pathEnd));
  } catch {
    return bad('PATH is not valid JSON');
  }
  if (typeof path !== 'object' || path === null || Array.isArray(path)) {
    return bad('PATH must be a JSON object');
  }
  const query = readQuery(text, pathEnd, atRest);
  if (query === 'malformed') return bad('PATH must be followed by +');
  if (query === 'need-more') return more(buffer, kind.word);
  const request = {
    verb: verb.word,
    kind: kind.word,
    path: path as Record<string, unknown>,
    query: query.query,
  };

  return {
    status: 'ok',
    value: request,
    size: Buffer.byteLength(text.slice(0, query.end)),
  };
}

type Query = { query: string; end: number } | 'need-more' | 'malformed';

function readQuery(text: string, pathEnd: number, atRest: boolean): Query {
  if (pathEnd === text.length) return 'need-more';
  if (text[pathEnd] === '\n') return { query: '', end: pathEnd + 1 };
  if (text[pathEnd] !== SEPARATOR) return 'malformed';
  const start = pathEnd + 1;
  const rest = text.slice(start);
  const newline = rest.indexOf('\n');
  const next = rest.search(NEXT_REQUEST);
  if (next >= 0 && (newline < 0 || next < newline)) {
    return { query: rest.slice(0, next), end: start + next };
  }
  if (newline >= 0) {
    return { query: rest.slice(0, newline), end: start + newline + 1 };
  }

  return atRest ? { query: rest, end: text.length } : 'need-more';
}

function malformed(
  reason: string,
  kind?: string,
): LegacyDecoded<LegacyRequest> {
  return kind === undefined
    ? { status: 'malformed', reason }
    : { status: 'malformed', reason, kind };
}

function more(buffer: Uint8Array, kind?: string): LegacyDecoded<LegacyRequest> {
  if (buffer.length > MAX_LEGACY_BYTES) {
    return malformed(`request longer than ${MAX_LEGACY_BYTES} bytes`, kind);
  }

  return { status: 'need-more' };
}

/** `VERB+KIND+PATH+QUERY`, with no terminator, as the older client. */
export function encodeLegacyRequest(request: LegacyRequest): Buffer {
  const path = JSON.stringify(request.path);
  return Buffer.from(
    [request.verb, request.kind, path, request.query].join(SEPARATOR),
  );
}

/** `TYPE+KIND+DATA\n`. */
export function encodeLegacyAnswer(answer: LegacyAnswer): Buffer {
  const data = JSON.stringify(answer.data);
  return Buffer.from(`${answer.type}+${answer.kind}+${data}\n`);
}

/**
 * Reads one answer from the start of `buffer`, skipping newlines left
 * between answers. Works with and without the trailing newline, so it
 * reads the older server too.
 */
export function decodeLegacyAnswer(
  buffer: Uint8Array,
): LegacyDecoded<LegacyAnswer> {
  const text = decodeText(buffer.subarray(0, MAX_LEGACY_ANSWER_BYTES + 1));
  if (text === undefined) return answerMalformed('answer is not UTF-8');
  const start = text.length - text.replace(/^[\r\n]+/, '').length;
  const type = readWord(text, start);
  if (type === 'malformed') return answerMalformed('answer has no TYPE');
  if (type === 'need-more') return answerMore(buffer);
  const kind = readWord(text, type.next);
  if (kind === 'malformed') return answerMalformed('answer has no KIND');
  if (kind === 'need-more') return answerMore(buffer);
  if (kind.next === text.length) return answerMore(buffer);
  const opening = text[kind.next];
  if (opening !== '{' && opening !== '[') {
    return answerMalformed('answer DATA is not JSON');
  }
  const end = jsonEnd(text, kind.next);
  if (end < 0) return answerMore(buffer);
  let data: unknown;
  try {
    data = JSON.parse(text.slice(kind.next, end));
  } catch {
    return answerMalformed('answer DATA is not JSON');
  }
  const size = text[end] === '\n' ? end + 1 : end;

  return {
    status: 'ok',
    value: { type: type.word, kind: kind.word, data },
    size: Buffer.byteLength(text.slice(0, size)),
  };
}

function answerMalformed(reason: string): LegacyDecoded<LegacyAnswer> {
  return { status: 'malformed', reason };
}

function answerMore(buffer: Uint8Array): LegacyDecoded<LegacyAnswer> {
  return buffer.length > MAX_LEGACY_ANSWER_BYTES
    ? answerMalformed(`answer longer than ${MAX_LEGACY_ANSWER_BYTES} bytes`)
    : { status: 'need-more' };
}
