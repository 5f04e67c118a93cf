/**
 * Reads `object[key]` without letting a throwing getter or a Proxy trap escape. Principals come from other people's
 * code (ORM documents, Proxies, class instances with getters), so every read is guarded.
 */
export function readProperty(object: unknown, key: string): unknown {
  if (object === null || (typeof object !== 'object' && typeof object !== 'function')) return undefined;
  try {
    return (object as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}
