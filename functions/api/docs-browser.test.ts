import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { type HttpFront, startHttpFront } from '../../local/http-front.js';
import { startDynalite, type TestDynamo } from '../../test/dynalite.js';
import { seedProducts } from '../seed/seed-products.js';
import { memoryLogger } from '../shared/logger.js';
import { DynamoProductStore } from '../store/dynamo-product-store.js';
import { createApiRouter } from './router.js';

const CHROMIUM = '/usr/bin/chromium';
const BROWSER_MS = 120_000;
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('Swagger UI in headless Chromium', () => {
  let dynamo: TestDynamo;
  let front: HttpFront;
  let profile: string;
  let codes: string[];

  beforeAll(async () => {
    dynamo = await startDynalite();
    const store = new DynamoProductStore(dynamo.client, dynamo.table);
    await seedProducts(store, 5);
    codes = (await store.list({ offset: 0, limit: 5 })).items.map(
      (record) => record.code,
    );
    front = await startHttpFront({
      handler: createApiRouter({ store, logger: memoryLogger() }),
      port: 0,
    });
    profile = await mkdtemp(join(tmpdir(), 'docs-browser-'));
  }, BROWSER_MS);

  afterAll(async () => {
    await front.close();
    await dynamo.stop();
    await rm(profile, { recursive: true, force: true });
  });

  it(
    'runs the list call from the docs page and shows products',
    async () => {
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', ...FLAGS],
      });
      const elsewhere: string[] = [];
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(front.url) || url.startsWith('data:')) {
          return route.continue();
        }
        elsewhere.push(url);
        return route.abort();
      });
      try {
        const page = await context.newPage();

        await page.goto(`${front.url}/api/docs/`);
        await page.click('#operations-products-listProducts .opblock-summary');
        await page.click('#operations-products-listProducts .try-out__btn');
        await page.click('#operations-products-listProducts .execute');
        const body = page.locator(
          '#operations-products-listProducts .live-responses-table ' +
            '.response-col_description pre',
        );
        await body.first().waitFor({ timeout: 15_000 });

        const text = (await body.first().textContent()) ?? '';
        expect(text).toContain('"count": 5');
        for (const code of codes) expect(text).toContain(code);
        expect(elsewhere).toEqual([]);
      } finally {
        await context.close();
      }
    },
    BROWSER_MS,
  );
});
