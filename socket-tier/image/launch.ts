/**
 * Entry of the socket tier image: the first argument names the role,
 * the rest go to it. `server` (the default command), `worker`, `client`.
 *
 *   docker run IMAGE                        the socket server
 *   docker run IMAGE worker                 the price worker
 *   docker run -it IMAGE client watch CODE --host H
 *
 * The role of the container's main process is written to ROLE_FILE so
 * the health check, which runs as a separate process, knows what to
 * check.
 */
import { writeFileSync } from 'node:fs';
import { ROLE_FILE, ROLES, type Role } from './roles.js';

const [role = 'server', ...rest] = process.argv.slice(2);
if (!(role in ROLES)) {
  process.stderr.write(
    `unknown role "${role}": use ${Object.keys(ROLES).join(', ')}\n`,
  );
  process.exit(2);
}
// A client run beside a server (docker exec) must not change its check.
if (role !== 'client') writeFileSync(ROLE_FILE, role);
const entry = new URL(ROLES[role as Role], import.meta.url);
process.argv = [process.argv[0] as string, entry.pathname, ...rest];

await import(entry.href);
