/** Where the repository's sources are, for bundling and image builds. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

export function fromRoot(relative: string): string {
  return join(ROOT, relative);
}
