/**
 * The parts of a Node `IncomingMessage` this package reads. Structural, so a framework's request object, a test
 * double or an `http2` compatibility request fit without conversion.
 */
export interface RequestLike {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Node ≥ 18.3: every header's lines, unjoined. */
  readonly headersDistinct?: Readonly<Record<string, readonly string[] | undefined>>;
  /** Alternating names and values exactly as received. */
  readonly rawHeaders?: readonly string[];
  readonly socket?: { readonly remoteAddress?: string | undefined; readonly encrypted?: boolean } | null;
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  /** Express keeps the URL as received here while mounted routers rewrite `url`. */
  readonly originalUrl?: string | undefined;
}
