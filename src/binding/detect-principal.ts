import { readProperty } from '../user/read-property.js';

/**
 * The first value that is present (not null or undefined) along a list of property paths from the framework objects,
 * e.g. `[['req', 'user'], ['req', 'auth', 'payload']]`. Every read is guarded, so a throwing getter only skips its path.
 */
export function firstPresentPrincipal(roots: Readonly<Record<string, unknown>>, paths: readonly (readonly string[])[]): unknown {
  for (const path of paths) {
    let value: unknown = roots[path[0] as string];
    for (let i = 1; i < path.length && value !== undefined && value !== null; i++) value = readProperty(value, path[i] as string);
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}
