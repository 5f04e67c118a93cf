/**
 * Name snippets that mark a header, cookie or query parameter as sensitive. A superset of @sentry/core's own lists
 * (`SENSITIVE_KEY_SNIPPETS`, `SENSITIVE_COOKIE_NAME_SNIPPETS` in 11.x), so we are never the weaker filter of the two.
 */
const SENSITIVE_SNIPPETS = [
  'auth', 'token', 'secret', 'session', 'password', 'passwd', 'pwd', 'key', 'jwt', 'bearer', 'sso', 'saml', 'csrf',
  'xsrf', 'credential', 'sid', 'identity', 'cookie', 'signature', 'otp',
];
const SENSITIVE_COOKIE_SNIPPETS = [
  '.sid', 'sessid', 'remember', 'oidc', 'pkce', 'nonce', '__secure-', '__host-', 'awsalb', 'awselb', 'akamai',
  '__stripe', 'cognito', 'firebase', 'supabase', 'sb-', 'mfa', '2fa',
];

export const FILTERED = '[Filtered]';

const escape = (snippet: string): string => snippet.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
/** One case-insensitive alternation: a single scan per name instead of one `includes` per snippet. */
const SENSITIVE_NAME = new RegExp(SENSITIVE_SNIPPETS.map(escape).join('|'), 'i');
const SENSITIVE_COOKIE_NAME = new RegExp([...SENSITIVE_SNIPPETS, ...SENSITIVE_COOKIE_SNIPPETS].map(escape).join('|'), 'i');

/**
 * The same few names (an app's headers, cookies, principal keys) are judged on every event, so answers for short names
 * are remembered in small bounded maps: a lookup instead of a scan. A map is emptied when full, never grows past
 * its limit, and holds only small answers (booleans, flags).
 */
const MEMO_LIMIT = 1024;
const MEMO_MAX_NAME_LENGTH = 64;

export function memoized<Answer>(test: (name: string) => Answer): (name: string) => Answer {
  const answers = new Map<string, Answer>();
  return (name) => {
    if (name.length > MEMO_MAX_NAME_LENGTH) return test(name);
    let answer = answers.get(name);
    if (answer === undefined) {
      answer = test(name);
      if (answers.size >= MEMO_LIMIT) answers.clear();
      answers.set(name, answer);
    }
    return answer;
  };
}

/**
 * True when a text (a whole query string) mentions a sensitive name anywhere. Not memoised: such texts vary per
 * request and would only push the names out of the memo.
 */
export function mentionsSensitiveName(text: string): boolean {
  return SENSITIVE_NAME.test(text);
}

/** True when a header or query parameter name looks like it carries a credential. */
export const isSensitiveName: (name: string) => boolean = memoized((name) => SENSITIVE_NAME.test(name));

/** Cookie names get @sentry/core's extra cookie list on top (session stickiness, IdP and MFA cookies). */
export const isSensitiveCookieName: (name: string) => boolean = memoized((name) => SENSITIVE_COOKIE_NAME.test(name));

/** Words that make a principal key look like a secret. Compared word by word so `author` or `inside` pass. */
const SECRET_WORDS = new Set([
  'password', 'passwords', 'passwd', 'pwd', 'pass', 'passphrase', 'hash', 'hashed', 'salt', 'token', 'tokens', 'secret',
  'secrets', 'key', 'keys', 'apikey', 'cookie', 'cookies', 'session', 'sessions', 'sid', 'credential', 'credentials',
  'jwt', 'bearer', 'otp', 'totp', 'mfa', 'csrf', 'xsrf', 'auth', 'authorization', 'pin', 'ssn', 'cvv', 'signature',
  'recovery', 'private', 'refresh',
]);
const SECRET_SUBSTRINGS = ['password', 'passwd', 'secret', 'token', 'apikey', 'privatekey', 'cookie', 'session', 'credential'];

/**
 * True when a principal key looks like it holds a secret (`password`, `passwordHash`, `api_key`, `refreshToken`, …).
 * Such keys are never copied into the User, even when listed in `extraKeys`.
 *
 * @example
 * looksLikeSecretKey('passwordHash'); // true
 * looksLikeSecretKey('plan'); // false
 */
export const looksLikeSecretKey: (key: string) => boolean = memoized(judgeKey);

function judgeKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  for (const word of words) if (SECRET_WORDS.has(word)) return true;
  const squashed = words.join('');
  for (const snippet of SECRET_SUBSTRINGS) if (squashed.includes(snippet)) return true;
  return false;
}
