/**
 * The environment each process receives, picked by role from
 * ENVIRONMENT in config/topology.ts, so a deployed process gets exactly
 * the names its configuration module reads, no more and no fewer.
 */
import { ENVIRONMENT } from '../config/topology.js';

export type Role = keyof typeof ENVIRONMENT;
export type EnvName = (typeof ENVIRONMENT)[Role][number];

/**
 * Takes the values for every name `role` reads. Names listed in
 * `elsewhere` are left out (an ECS container gets them as secrets).
 */
export function environmentFor<T>(
  role: Role,
  values: Partial<Record<EnvName, T>>,
  elsewhere: readonly EnvName[] = [],
): Record<string, T> {
  const picked: Record<string, T> = {};
  for (const name of ENVIRONMENT[role]) {
    if (elsewhere.includes(name)) continue;
    const value = values[name];
    if (value === undefined) {
      throw new Error(`no value for ${name}, which the ${role} reads`);
    }
    picked[name] = value;
  }

  return picked;
}
