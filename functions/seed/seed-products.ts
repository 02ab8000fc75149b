/**
 * Generated products for an empty catalogue: 15-character codes of
 * upper-case letters and digits, descriptions a shop could have written,
 * buying prices from 1,000.00 up and selling prices 30% above them.
 */
import { multiplyCents, parseFactor } from '../../protocol/money.js';
import { formatTimestamp } from '../../protocol/time.js';
import type { ProductRecord, ProductStore } from '../store/product-store.js';

export const CODE_LENGTH = 15;
const CODE_ALPHABET = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
const MARGIN = parseFactor('1.30');
const MIN_BUYING_CENTS = 100_000;
const BUYING_SPREAD_CENTS = 900_000;
const WRITE_BATCH = 500;

const STYLES = [
  'Rustic',
  'Modern',
  'Vintage',
  'Compact',
  'Folding',
  'Classic',
  'Nordic',
  'Industrial',
  'Handmade',
  'Slim',
  'Stackable',
  'Curved',
  'Minimalist',
  'Antique',
  'Adjustable',
  'Padded',
  'Round',
  'Square',
  'Tall',
  'Low',
  'Wall-mounted',
  'Outdoor',
  'Travel',
  'Heavy-duty',
];
const MATERIALS = [
  'oak',
  'walnut',
  'pine',
  'birch',
  'bamboo',
  'teak',
  'brass',
  'copper',
  'steel',
  'cast iron',
  'aluminium',
  'ceramic',
  'glass',
  'marble',
  'leather',
  'linen',
  'wool',
  'rattan',
];
const THINGS = [
  'desk lamp',
  'floor lamp',
  'side table',
  'coffee table',
  'bookshelf',
  'armchair',
  'bar stool',
  'dining chair',
  'bench',
  'wardrobe',
  'chest of drawers',
  'bedside table',
  'mirror',
  'coat rack',
  'shoe rack',
  'sideboard',
  'writing desk',
  'console table',
  'plant stand',
  'magazine rack',
  'wine rack',
  'serving tray',
  'fruit bowl',
  'vase',
  'picture frame',
  'wall clock',
  'kettle',
  'teapot',
  'cutting board',
  'spice rack',
  'storage box',
  'laundry basket',
  'umbrella stand',
  'headboard',
  'footstool',
  'rocking chair',
  'hammock',
  'garden chair',
  'planter',
  'lantern',
];

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

export function randomCode(random: () => number): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += pick(CODE_ALPHABET, random);

  return code;
}

export function randomDescription(random: () => number): string {
  const base = `${pick(STYLES, random)} ${pick(MATERIALS, random)} ${pick(
    THINGS,
    random,
  )}`;
  const size = 30 + 10 * Math.floor(random() * 18);

  return random() < 0.5 ? base : `${base}, ${size} cm`;
}

/** One generated product; selling = buying × 1.30, half up to cents. */
export function randomProduct(
  random: () => number,
  timestamp: string,
): ProductRecord {
  const buyingCents =
    MIN_BUYING_CENTS + Math.floor(random() * BUYING_SPREAD_CENTS);

  return {
    code: randomCode(random),
    buyingCents,
    sellingCents: multiplyCents(buyingCents, MARGIN),
    description: randomDescription(random),
    createdAt: timestamp,
    updateAt: timestamp,
  };
}

/** Writes `count` new products; answers how many it wrote. */
export async function seedProducts(
  store: ProductStore,
  count: number,
  options: { random?: () => number; now?: Date } = {},
): Promise<number> {
  const random = options.random ?? Math.random;
  const timestamp = formatTimestamp(options.now ?? new Date());
  const codes = new Set<string>();
  let written = 0;
  while (written < count) {
    const batch: ProductRecord[] = [];
    while (batch.length < Math.min(WRITE_BATCH, count - written)) {
      const product = randomProduct(random, timestamp);
      if (codes.has(product.code)) continue;
      codes.add(product.code);
      batch.push(product);
    }
    await store.putMany(batch);
    written += batch.length;
  }

  return written;
}
