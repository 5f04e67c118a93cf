import { readProperty } from '../util/read-property.js';

/**
 * The first value that is present (not null or undefined) along a list of property paths from one framework object,
 * e.g. `[['user'], ['auth', 'payload']]` from an Express `req`. Every read is guarded, so a throwing getter only skips
 * its path. One root and nothing read ahead: only the paths tried are read, through `readProperty` (Express's `req`
 * and `res` get a hidden class of their own per request, which a plain read pays for).
 */
export function firstPresentPrincipal(root: unknown, paths: readonly (readonly string[])[]): unknown {
  for (const path of paths) {
    let value: unknown = root;
    for (let i = 0; i < path.length && value !== undefined && value !== null; i++) value = readProperty(value, path[i] as string);
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}
