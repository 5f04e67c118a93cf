/**
 * Reads `object[key]` without letting a throwing getter or a Proxy trap escape. Principals come from other people's
 * code (ORM documents, Proxies, class instances with getters), so every read is guarded.
 *
 * `Reflect.get` rather than `object[key]`: Express gives every `req` and `res` a hidden class of its own (it sets their
 * prototype per request), so a plain read of them misses V8's inline caches every time, and a miss for a property
 * found on the prototype (`req.app`) or absent (`req.auth` where no JWT layer runs) goes through the runtime: ~0.3 µs.
 * `Reflect.get` looks the property up in a builtin without caches: ~40 ns whatever the class, about as fast as a
 * cached read for the few reads made per request.
 */
export function readProperty(object: unknown, key: string): unknown {
  if (object === null || (typeof object !== 'object' && typeof object !== 'function')) return undefined;
  try {
    return Reflect.get(object, key);
  } catch {
    return undefined;
  }
}
