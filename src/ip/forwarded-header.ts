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

/** True when `text[start..end)` equals `lower` (a lower-case ASCII word), ignoring ASCII case. No allocation. */
function equalsIgnoreCase(text: string, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const code = text.charCodeAt(start + i);
    const folded = code >= 65 && code <= 90 ? code + 32 : code;
    if (folded !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** RFC 7239's four parameters as bits, so a repeated one is found without building its name. 0: an extension. */
function parameterBit(text: string, start: number, end: number): number {
  if (equalsIgnoreCase(text, start, end, 'for')) return 1;
  if (equalsIgnoreCase(text, start, end, 'by')) return 2;
  if (equalsIgnoreCase(text, start, end, 'proto')) return 4;
  if (equalsIgnoreCase(text, start, end, 'host')) return 8;
  return 0;
}

/**
 * Parses an RFC 7239 `Forwarded` header and returns each element's `for` value, nearest proxy first, at most
 * `MAX_FORWARDED_HOPS + 1` of them. An element that is malformed (bad syntax, a repeated parameter, no `for`) yields
 * `undefined`: it is never half-read. An empty element (nothing but whitespace between commas) is no element at all
 * (RFC 9110 §5.6.1) and yields nothing. The parse is one linear pass, so its cost is bounded by the header size.
 */
export function forwardedForEntries(value: string): ForwardedEntries {
  const elements: ForwardedEntries = [];
  let i = 0;
  const length = value.length;
  while (i <= length) {
    let forValue: string | undefined;
    let valid = true;
    let empty = true;
    // Parameters seen in this element: the registered four as bits, extensions (rare) by lower-case name.
    let seenBits = 0;
    let seenExtensions: string[] | undefined;
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
      const bit = parameterBit(value, nameStart, i);
      const extension = bit === 0 ? value.slice(nameStart, i).toLowerCase() : undefined;
      i++;
      // Only the `for` value is kept; the others are checked for syntax without being cut out.
      const keep = bit === 1;
      let pairValue: string | undefined;
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
            if (keep) text = (text ?? value.slice(textStart, i)) + (i + 1 < length ? value[i + 1] : '');
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
        if (keep) pairValue = text ?? value.slice(textStart, i);
        i++;
      } else {
        const valueStart = i;
        while (i < length && isTokenChar(value.charCodeAt(i))) i++;
        if (i === valueStart) {
          valid = false;
          break;
        }
        if (keep) pairValue = value.slice(valueStart, i);
      }
      while (i < length && OWS(value.charCodeAt(i))) i++;
      const next = value.charCodeAt(i);
      if (i < length && next !== 59 && next !== 44) {
        valid = false;
        break;
      }
      if (extension === undefined) {
        if ((seenBits & bit) !== 0) {
          valid = false;
          break;
        }
        seenBits |= bit;
      } else {
        seenExtensions ??= [];
        if (seenExtensions.includes(extension)) {
          valid = false;
          break;
        }
        seenExtensions.push(extension);
      }
      if (bit === 1) forValue = pairValue;
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
  const length = node.length;
  if (length === 0 || node.charCodeAt(0) === 95 /* _ */ || equalsIgnoreCase(node, 0, length, 'unknown')) return undefined;
  let hostStart = 0;
  let hostEnd = length;
  let portStart = length;
  if (node.charCodeAt(0) === 91 /* [ */) {
    const close = node.indexOf(']');
    if (close === -1) return undefined;
    hostStart = 1;
    hostEnd = close;
    if (close + 1 < length) {
      if (node.charCodeAt(close + 1) !== 58 /* : */) return undefined;
      portStart = close + 2;
      if (portStart === length) return undefined;
    }
    // Brackets hold IPv6 only: no colon inside means it is not one.
    const colon = node.indexOf(':', 1);
    if (colon === -1 || colon > close) return undefined;
  } else {
    // RFC 7239 requires IPv6 to be bracketed, so a bare colon here can only start a port.
    const colon = node.indexOf(':');
    if (colon !== -1) {
      hostEnd = colon;
      portStart = colon + 1;
      if (portStart === length || node.indexOf(':', portStart) !== -1) return undefined;
    }
  }
  if (portStart < length && !isNodePort(node, portStart)) return undefined;
  return hostStart === 0 && hostEnd === length ? node : node.slice(hostStart, hostEnd);
}

/** `node-port = port / obfport`: 1–5 digits up to 65535, or `_` followed by ALPHA / DIGIT / "." / "_" / "-". */
function isNodePort(text: string, start: number): boolean {
  const length = text.length;
  if (text.charCodeAt(start) === 95 /* _ */) {
    if (start + 1 === length) return false;
    for (let i = start + 1; i < length; i++) {
      const code = text.charCodeAt(i);
      const ok = (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 46 || code === 95 || code === 45;
      if (!ok) return false;
    }
    return true;
  }
  if (length - start > 5) return false;
  let value = 0;
  for (let i = start; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return false;
    value = value * 10 + (code - 48);
  }
  return value <= 65535;
}
