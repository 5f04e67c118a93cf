/**
 * `text.trim()` without the builtin call when there is nothing to trim, which is almost always (ids, names, e-mail
 * addresses, cookie parts, addresses): a printable ASCII character at both ends is never whitespace. Anything else
 * (Unicode spaces included) goes to `trim()`.
 */
export function trimmed(text: string): string {
  const last = text.length - 1;
  if (last >= 0) {
    const first = text.charCodeAt(0);
    const end = text.charCodeAt(last);
    if (first > 32 && first < 127 && end > 32 && end < 127) return text;
  }
  return text.trim();
}
