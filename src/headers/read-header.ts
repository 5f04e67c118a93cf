import type { RequestLike } from '../request-like.js';

/**
 * Every value of a header as one comma-joined list, which is what HTTP says repeated list-header lines mean.
 * `name` must be lower case.
 */
export function readListHeader(req: RequestLike, name: string): string | undefined {
  const value = safeHeaders(req)?.[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.filter((line) => typeof line === 'string').join(',');
  return undefined;
}

/**
 * The value of a header that must be sent exactly once. Returns undefined when it is missing or repeated: a repeated
 * single-value header means two parties set it, and we cannot tell which one to believe.
 */
export function readSingleHeader(req: RequestLike, name: string): string | undefined {
  try {
    const raw = req.rawHeaders;
    if (Array.isArray(raw)) {
      let found: string | undefined;
      let count = 0;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const key = raw[i];
        if (typeof key === 'string' && key.length === name.length && key.toLowerCase() === name) {
          count++;
          found = raw[i + 1];
        }
      }
      return count === 1 && typeof found === 'string' ? found : undefined;
    }
    const distinct = req.headersDistinct?.[name];
    if (Array.isArray(distinct)) return distinct.length === 1 && typeof distinct[0] === 'string' ? distinct[0] : undefined;
  } catch {
    // A hostile request object: fall through to the plain headers.
  }
  const value = safeHeaders(req)?.[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  return undefined;
}

/** Reads `req.headers` without letting a throwing getter escape. */
export function safeHeaders(req: RequestLike): RequestLike['headers'] | undefined {
  try {
    const headers = req.headers;
    return headers !== null && typeof headers === 'object' ? headers : undefined;
  } catch {
    return undefined;
  }
}
