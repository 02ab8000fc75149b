/**
 * Tables for people: fixed columns sized to their contents, and a live
 * table that redraws its own lines in place on a terminal (cursor up,
 * clear line), so nothing above it leaves the scroll-back.
 */
import { type Product, parseCents } from '../../protocol/index.js';

export interface Column {
  title: string;
  right?: boolean;
}

export function formatTable(columns: Column[], rows: string[][]): string[] {
  const widths = columns.map((column, index) =>
    Math.max(
      column.title.length,
      ...rows.map((row) => cell(row, index).length),
    ),
  );
  const line = (values: string[]) =>
    columns
      .map((column, index) => {
        const value = cell(values, index);
        const width = widths[index] ?? 0;
        return column.right ? value.padStart(width) : value.padEnd(width);
      })
      .join('  ')
      .trimEnd();

  return [line(columns.map((column) => column.title)), ...rows.map(line)];
}

function cell(row: string[], index: number): string {
  return row[index] ?? '';
}

export const PRODUCT_COLUMNS: Column[] = [
  { title: 'CODE' },
  { title: 'DESCRIPTION' },
  { title: 'BUYING', right: true },
  { title: 'SELLING', right: true },
  { title: 'UPDATED' },
];

export function productRow(product: Product): string[] {
  return [
    product.code,
    shorten(product.description, 40),
    product.buying_price,
    product.selling_price,
    product.update_at,
  ];
}

export function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/**
 * The selling price's change from `before` to `after`, as a signed
 * amount and a percent with two places, computed in whole cents.
 */
export function priceChange(
  before: Product,
  after: Product,
): { amount: string; percent: string } {
  const from = parseCents(before.selling_price);
  const to = parseCents(after.selling_price);
  if (from === undefined || to === undefined) {
    return { amount: '?', percent: '?' };
  }
  const diff = to - from;
  const sign = diff > 0 ? '+' : diff < 0 ? '-' : '';
  const amount = `${sign}${formatHundredths(Math.abs(diff))}`;
  if (from === 0) return { amount, percent: '' };
  const hundredths = Math.round((Math.abs(diff) * 10_000) / from);

  return { amount, percent: `${sign}${formatHundredths(hundredths)}%` };
}

function formatHundredths(value: number): string {
  const whole = Math.floor(value / 100);
  return `${whole}.${String(value % 100).padStart(2, '0')}`;
}

export interface Screen {
  write(text: string): unknown;
}

/** Redraws its lines in place: cursor up over the last drawing. */
export class LiveTable {
  readonly #screen: Screen;
  #drawn = 0;

  constructor(screen: Screen) {
    this.#screen = screen;
  }

  draw(lines: string[]): void {
    let out = this.#drawn > 0 ? `\x1b[${this.#drawn}F` : '';
    for (const line of lines) out += `\x1b[2K${line}\n`;
    for (let extra = lines.length; extra < this.#drawn; extra += 1) {
      out += '\x1b[2K\n';
    }
    const below = Math.max(0, this.#drawn - lines.length);
    if (below > 0) out += `\x1b[${below}F`;
    this.#screen.write(out);
    this.#drawn = lines.length;
  }
}
