/** New product codes for creates that name none, from a secure source. */
import { randomInt } from 'node:crypto';
import { randomCode } from '../seed/seed-products.js';

const RANGE = 2 ** 32;

export function newProductCode(): string {
  return randomCode(() => randomInt(0, RANGE) / RANGE);
}
