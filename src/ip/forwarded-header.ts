/**
 * The most entries read from the right of a forwarding header. No real deployment has more proxies than this, and
 * the cap keeps the work on a hostile 10,000-entry header constant. A walk that reaches the cap stops at the hop
 * it reached, as if the next entry were unusable.
 */
export const MAX_FORWARDED_HOPS = 32;

/** An element that cannot be used as an address (malformed, or without `for`) is `undefined`. */
type ForwardedEntries = (string | undefined)[];

function isTokenChar(code: number): boolean {
  // RFC 7230 tchar: ALPHA / DIGIT / "!#$%&'*+-.^_`|~"
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 57) ||
    code === 33 || (code >= 35 && code <= 39) || code === 42 || code === 43 || code === 45 || code === 46 ||
    code === 94 || code === 95 || code === 96 || code === 124 || code === 126
  );
}

const OWS = (code: number): boolean => code === 32 || code === 9;

/**
 * Parses an RFC 7239 `Forwarded` header and returns each element's `for` value, nearest proxy first, at most
 * `MAX_FORWARDED_HOPS + 1` of them. An element that is malformed (bad syntax, a repeated parameter, no `for`) yields
 * `undefined`: it is never half-read. An empty element (nothing but whitespace between commas) is no element at all
 * (RFC 9110 §5.6.1) and yields nothing. The parse is one linear pass, so its cost is bounded by the header size.
 */
export function forwardedForEntries(value: string): ForwardedEntries {
  const elements: ForwardedEntries = [];
  const seen: string[] = [];
  let i = 0;
  const length = value.length;
  while (i <= length) {
    let forValue: string | undefined;
    let valid = true;
    let empty = true;
    seen.length = 0;
    // One element: pairs separated by ';', ended by ',' (outside quotes) or the end.
    for (;;) {
      while (i < length && OWS(value.charCodeAt(i))) i++;
      if (i >= length || value.charCodeAt(i) === 44 /* , */) break;
      empty = false;
      if (value.charCodeAt(i) === 59 /* ; */) {
        i++;
        continue;
      }
      const nameStart = i;
      while (i < length && isTokenChar(value.charCodeAt(i))) i++;
      if (i === nameStart || value.charCodeAt(i) !== 61 /* = */) {
        valid = false;
        break;
      }
      const name = value.slice(nameStart, i).toLowerCase();
      i++;
      let pairValue: string;
      if (value.charCodeAt(i) === 34 /* " */) {
        i++;
        const textStart = i;
        let text: string | undefined;
        let closed = false;
        while (i < length) {
          const code = value.charCodeAt(i);
          if (code === 34) {
            closed = true;
            break;
          }
          if (code === 92 /* \ */) {
            // Rare: a quoted-pair. Build the text from here on instead of slicing it.
            text = (text ?? value.slice(textStart, i)) + (i + 1 < length ? value[i + 1] : '');
            i += 2;
            continue;
          }
          if (text !== undefined) text += value[i];
          i++;
        }
        if (!closed) {
          valid = false;
          break;
        }
        pairValue = text ?? value.slice(textStart, i);
        i++;
      } else {
        const valueStart = i;
        while (i < length && isTokenChar(value.charCodeAt(i))) i++;
        if (i === valueStart) {
          valid = false;
          break;
        }
        pairValue = value.slice(valueStart, i);
      }
      while (i < length && OWS(value.charCodeAt(i))) i++;
      const next = value.charCodeAt(i);
      if (i < length && next !== 59 && next !== 44) {
        valid = false;
        break;
      }
      if (seen.includes(name)) {
        valid = false;
        break;
      }
      seen.push(name);
      if (name === 'for') forValue = pairValue;
    }
    if (!valid) {
      // Skip to the next element boundary, honouring quotes so a comma inside a quoted value does not split it.
      let quoted = false;
      while (i < length) {
        const code = value.charCodeAt(i);
        if (quoted && code === 92) i++;
        else if (code === 34) quoted = !quoted;
        else if (!quoted && code === 44) break;
        i++;
      }
    }
    if (!empty) elements.push(valid ? forValue : undefined);
    if (elements.length > 2 * (MAX_FORWARDED_HOPS + 1)) elements.splice(0, MAX_FORWARDED_HOPS + 1);
    i++;
  }
  const nearestFirst = elements.reverse();
  return nearestFirst.length > MAX_FORWARDED_HOPS + 1 ? nearestFirst.slice(0, MAX_FORWARDED_HOPS + 1) : nearestFirst;
}

/**
 * The address part of a `Forwarded` node (`for=` value): an IPv4 address or a bracketed IPv6 address, with an
 * optional numeric or obfuscated port. `unknown` and obfuscated identifiers (`_hidden`) are not addresses.
 */
export function forwardedNodeAddress(node: string): string | undefined {
  if (node === '' || node.charCodeAt(0) === 95 /* _ */ || node.toLowerCase() === 'unknown') return undefined;
  let host = node;
  let port = '';
  if (node.charCodeAt(0) === 91 /* [ */) {
    const close = node.indexOf(']');
    if (close === -1) return undefined;
    host = node.slice(1, close);
    const rest = node.slice(close + 1);
    if (rest !== '') {
      if (rest.charCodeAt(0) !== 58) return undefined;
      port = rest.slice(1);
    }
    if (!host.includes(':')) return undefined;
  } else {
    // RFC 7239 requires IPv6 to be bracketed, so a bare colon here can only start a port.
    const colon = node.indexOf(':');
    if (colon !== -1) {
      host = node.slice(0, colon);
      port = node.slice(colon + 1);
    }
    if (host.includes(':')) return undefined;
  }
  if (port !== '' && !/^(\d{1,5}|_[A-Za-z0-9._-]+)$/.test(port)) return undefined;
  if (port !== '' && port.charCodeAt(0) !== 95 && Number(port) > 65535) return undefined;
  return host;
}
