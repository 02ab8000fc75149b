/** What the socket tier image can run, by role, as bundled files. */
export const ROLES = {
  server: './server.mjs',
  worker: './worker.mjs',
  client: './client.mjs',
} as const;

export type Role = keyof typeof ROLES;

/** Where the running role is noted for the health check. */
export const ROLE_FILE = process.env.ROLE_FILE ?? '/tmp/product-feed-role';
