/**
 * The shapes this package emits, written structurally after `@sentry/core` (`User`, `RequestEventData`) so the
 * package compiles and runs without the SDK installed.
 */
export interface Geo {
  city?: string;
  country_code?: string;
  region?: string;
}

export interface User {
  id?: string;
  username?: string;
  email?: string;
  name?: string;
  ip_address?: string;
  geo?: Geo;
  [key: string]: unknown;
}

export interface RequestEventData {
  method?: string;
  url?: string;
  query_string?: string;
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
  env?: Record<string, string>;
  data?: unknown;
}
