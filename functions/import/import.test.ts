import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynalite, type TestDynamo } from '../../test/dynalite.js';
import { DynamoProductStore } from '../store/dynamo-product-store.js';
import { parseCatalogue } from './catalogue.js';
import { run } from './cli.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) },
  };
}

const CSV = [
  'code,buying_price,selling_price,description',
  'IMP001,1000.00,1300.00,Oak stool',
  'IMP002,abc,1300.00,Pine shelf',
  '"IMP003",1200,1560.5,"Lamp, ""brass"""',
  'IMP006,1,2,"two',
  'lines"',
  'IMP004,100,130',
  'IMP001,1,1,Again',
  'IMP005,-3,5,Glass vase',
  '',
].join('\n');

describe('catalogue parsing', () => {
  it('numbers CSV records by the line they start on', () => {
    const rows = parseCatalogue(CSV, 'csv');

    expect(rows.map((row) => row.line)).toEqual([2, 3, 4, 5, 7, 8, 9]);
    expect(rows[2]?.value).toEqual({
      code: 'IMP003',
      buying_price: '1200',
      selling_price: '1560.5',
      description: 'Lamp, "brass"',
    });
    expect(rows[3]?.value).toMatchObject({ description: 'two\nlines' });
    expect(rows[4]?.value).toBeInstanceOf(Error);
  });

  it('numbers JSON array elements by the line they start on', () => {
    const text =
      '[\n  {"code": "A", "description": "x [y], {z}"},\n\n  {"code": "B"}\n]';

    const rows = parseCatalogue(text, 'json');

    expect(rows).toEqual([
      { line: 2, value: { code: 'A', description: 'x [y], {z}' } },
      { line: 4, value: { code: 'B' } },
    ]);
  });

  it('reads the results of a saved API page and JSON Lines', () => {
    const page = '{"count": 1,\n "results": [\n {"code": "A"}\n]}';
    const lines = '{"code": "A"}\n\n{"code": "B"}\nnot json\n';

    expect(parseCatalogue(page, 'json')).toEqual([
      { line: 3, value: { code: 'A' } },
    ]);
    expect(parseCatalogue(lines, 'jsonl').map((row) => row.line)).toEqual([
      1, 3, 4,
    ]);
  });
});

describe('npm run products -- import', () => {
  let dynamo: TestDynamo;
  let store: DynamoProductStore;
  let folder: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dynamo = await startDynalite();
    store = new DynamoProductStore(dynamo.client, dynamo.table);
    folder = await mkdtemp(join(tmpdir(), 'import-'));
    env = { PRODUCTS_TABLE: dynamo.table, DYNAMODB_ENDPOINT: dynamo.endpoint };
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
    await dynamo.stop();
  });

  it('loads the good rows and reports each rejected one by line', async () => {
    const file = join(folder, 'catalogue.csv');
    await writeFile(file, CSV);
    const { out, err, io } = capture();

    const code = await run(['import', file], io, env);

    expect(err).toEqual([]);
    expect(code).toBe(2);
    expect(out).toEqual([
      'line 3: buying_price: A valid number is required.',
      'line 5: description: Control characters are not allowed.',
      'line 7: expected 4 fields, found 3',
      'line 8: code: IMP001 already appears on line 2.',
      'line 9: buying_price: Ensure this value is greater than or equal to 0.',
      'created 2, updated 0, unchanged 0, rejected 5',
    ]);
    expect((await store.get('IMP003'))?.sellingCents).toBe(156_050);
    expect(await store.get('IMP002')).toBeUndefined();
  });

  it('writes nothing the second time the same file is imported', async () => {
    const file = join(folder, 'catalogue.csv');
    const before = await store.get('IMP001');
    const { out, io } = capture();

    await run(['import', file], io, env);

    expect(out.at(-1)).toBe('created 0, updated 0, unchanged 2, rejected 5');
    expect(await store.get('IMP001')).toEqual(before);
    expect((await store.list({ offset: 0, limit: 30 })).count).toBe(2);
  });

  it('updates a changed product from JSON, keeping created_at', async () => {
    const file = join(folder, 'catalogue.json');
    const before = await store.get('IMP001');
    await writeFile(
      file,
      JSON.stringify([
        {
          code: 'IMP001',
          buying_price: 1000,
          selling_price: '1400.00',
          description: 'Oak stool',
        },
      ]),
    );
    const { out, io } = capture();

    const code = await run(['import', file, '--json'], io, env);

    const after = await store.get('IMP001');
    expect(code).toBe(0);
    expect(JSON.parse(out[0] ?? '')).toEqual({
      created: 0,
      updated: 1,
      unchanged: 0,
      rejected: [],
    });
    expect(after?.sellingCents).toBe(140_000);
    expect(after?.createdAt).toBe(before?.createdAt);
    expect((after?.updateAt ?? '') > (before?.updateAt ?? '')).toBe(true);
  });

  it('recounts the list counters with reindex', async () => {
    const stored = (await store.list({ offset: 0, limit: 30 })).count;
    await store.rebuildCounters();
    await dynamo.client.send(
      new DeleteItemCommand({
        TableName: dynamo.table,
        Key: { code: { S: '~n#code#' } },
      }),
    );
    const broken = (await store.list({ offset: 0, limit: 30 })).count;
    const { out, io } = capture();

    const code = await run(['reindex'], io, env);

    expect(broken).toBe(0);
    expect(code).toBe(0);
    expect(out[0]).toMatch(
      new RegExp(`^recounted ${stored} products into \\d+ counters$`),
    );
    expect((await store.list({ offset: 0, limit: 30 })).count).toBe(stored);
  });

  it.each([
    ['no file', ['import']],
    ['an unknown command', ['export', 'x']],
  ])('prints usage and fails for %s', async (_name, args) => {
    const { err, io } = capture();

    const code = await run(args, io, env);

    expect(code).toBe(1);
    expect(err[0]).toMatch(/^usage: /);
  });

  it('fails with a message for a file that is not there', async () => {
    const { err, io } = capture();

    const code = await run(['import', join(folder, 'missing.csv')], io, env);

    expect(code).toBe(1);
    expect(err[0]).toMatch(/ENOENT/);
  });

  it('fails with a message for a JSON file that is not JSON', async () => {
    const file = join(folder, 'broken.json');
    await writeFile(file, '[{"code": ');
    const { err, io } = capture();

    const code = await run(['import', file], io, env);

    expect(code).toBe(1);
    expect(err[0]).toMatch(/^CatalogueError: not JSON/);
  });
});
