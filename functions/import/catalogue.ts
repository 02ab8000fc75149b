/**
 * Catalogue files as rows with their line numbers: CSV with a header
 * row (RFC 4180 quoting), a JSON array of objects (or a page with
 * `results`), or JSON Lines. Parsing never throws for a bad row; a file
 * that cannot be read as its format at all is a CatalogueError.
 */

export interface Row {
  line: number;
  value: unknown;
}

export class CatalogueError extends Error {
  override readonly name = 'CatalogueError';
}

export type Format = 'csv' | 'json' | 'jsonl';

export function detectFormat(path: string, text: string): Format {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.json')) return 'json';
  const first = text.trimStart()[0];

  return first === '[' ? 'json' : first === '{' ? 'jsonl' : 'csv';
}

/** CSV records with the line each starts on; quotes may span lines. */
function csvRecords(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let touched = false;
  const endRecord = () => {
    fields.push(field);
    if (touched || fields.length > 1 || field !== '') {
      records.push({ line: start, fields });
    }
    fields = [];
    field = '';
    touched = false;
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        if (char === '\n') line++;
        field += char;
      }
      continue;
    }
    if (char === '"') {
      quoted = true;
      touched = true;
    } else if (char === ',') {
      fields.push(field);
      field = '';
      touched = true;
    } else if (char === '\n') {
      endRecord();
      line++;
      start = line;
    } else if (char !== '\r') {
      field += char;
    }
  }
  if (quoted) throw new CatalogueError(`unclosed quote from line ${start}`);
  endRecord();

  return records;
}

function parseCsv(text: string): Row[] {
  const [header, ...records] = csvRecords(text.replace(/^\uFEFF/, ''));
  if (!header) return [];
  const names = header.fields.map((name) => name.trim());
  if (!names.includes('code')) {
    throw new CatalogueError('the CSV header has no "code" column');
  }

  return records.map(({ line, fields }) => {
    if (fields.length !== names.length) {
      return {
        line,
        value: new Error(
          `expected ${names.length} fields, found ${fields.length}`,
        ),
      };
    }
    const value: Record<string, string> = {};
    names.forEach((name, index) => {
      value[name] = fields[index] as string;
    });
    return { line, value };
  });
}

/** Offsets where each element of the top-level JSON array starts. */
function elementStarts(text: string): number[] {
  const starts: number[] = [];
  let depth = 0;
  let inString = false;
  let expecting = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
      continue;
    }
    if (depth === 1 && expecting && !/[\s,\]]/.test(char)) {
      starts.push(i);
      expecting = false;
    }
    if (char === '"') inString = true;
    else if (char === '[' || char === '{') {
      depth++;
      if (depth === 1) expecting = true;
    } else if (char === ']' || char === '}') depth--;
    else if (char === ',' && depth === 1) expecting = true;
  }

  return starts;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text[i] === '\n') line++;

  return line;
}

function parseJson(text: string): Row[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'invalid';
    throw new CatalogueError(`not JSON: ${reason}`);
  }
  if (
    !Array.isArray(value) &&
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { results?: unknown }).results)
  ) {
    const offset = text.indexOf('"results"');
    const inner = text.slice(text.indexOf('[', offset));
    const base = lineAt(text, text.length - inner.length) - 1;
    return parseJsonArray(
      inner,
      (value as { results: unknown[] }).results,
      base,
    );
  }
  if (!Array.isArray(value)) {
    throw new CatalogueError('expected a JSON array of products');
  }

  return parseJsonArray(text, value, 0);
}

function parseJsonArray(text: string, items: unknown[], base: number): Row[] {
  const starts = elementStarts(text.trimStart());
  const shift = text.length - text.trimStart().length;

  return items.map((value, index) => ({
    line: base + lineAt(text, (starts[index] ?? 0) + shift),
    value,
  }));
}

function parseJsonLines(text: string): Row[] {
  const rows: Row[] = [];
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return;
    try {
      rows.push({ line: index + 1, value: JSON.parse(raw) });
    } catch {
      rows.push({ line: index + 1, value: new Error('not JSON') });
    }
  });

  return rows;
}

export function parseCatalogue(text: string, format: Format): Row[] {
  if (format === 'csv') return parseCsv(text);
  if (format === 'jsonl') return parseJsonLines(text);

  return parseJson(text);
}
