import type { ParsedOptions } from '../options/parse-options.js';
import type { SentryHandle } from '../sentry/locate-sentry.js';
import { debugWarn } from '../sentry/locate-sentry.js';
import { isThenable } from '../util/is-thenable.js';
import type { FrameworkAccess } from './framework.js';

/**
 * How long an event waits for an async `getUser` before it goes out without the user. Only the event waits: the
 * response never does, because nothing runs on the request path.
 */
export const GET_USER_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: PromiseLike<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    timer.unref?.();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}

function describeError(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return 'unprintable error';
  }
}

function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'AsyncFunction';
}

/** Where a request's principal comes from: the `getUser` option or the framework's detection chain. */
export class PrincipalReader<Target> {
  private reportedFailure = false;
  /** Set once `getUser` is seen to be async: it is then never called when a response finishes (no lookup per request). */
  private getUserIsAsync: boolean;
  private readsRequest = false;

  constructor(
    private readonly options: ParsedOptions,
    private readonly framework: FrameworkAccess<Target>,
  ) {
    this.getUserIsAsync = isAsyncFunction(options.getUser);
  }

  private reportFailure(handle: SentryHandle | undefined, error: unknown): void {
    if (this.reportedFailure || handle === undefined) return;
    this.reportedFailure = true;
    debugWarn(handle, `sentry-request-user: getUser failed (${describeError(error)}); events go out without the user. Reported once.`);
  }

  /**
   * Event time: the principal, or a promise of it (an async `getUser`, bounded by `GET_USER_TIMEOUT_MS`); failures
   * become `undefined`. `settle` receives what an async lookup resolved to, for later synchronous captures.
   */
  read(target: Target, handle: SentryHandle, settle: (principal: unknown) => void): unknown {
    const getUser = this.options.getUser;
    if (getUser === undefined) return this.detect(target);
    try {
      const result = this.framework.callGetUser(getUser, target);
      if (!isThenable(result)) return result;
      this.getUserIsAsync = true;
      return withTimeout(
        Promise.resolve(result).then(
          (principal) => {
            settle(principal);
            return principal;
          },
          (error: unknown) => {
            this.reportFailure(handle, error);
            return undefined;
          },
        ),
        GET_USER_TIMEOUT_MS,
      );
    } catch (error) {
      this.reportFailure(handle, error);
      return undefined;
    }
  }

  /**
   * Whether `getUser` was seen to read the request, not only the app's async context: two requests' answers in one
   * async context named different users (see `RequestTie.principalInContextOf`).
   */
  get getUserReadsRequest(): boolean {
    return this.readsRequest;
  }

  noteGetUserReadsRequest(): void {
    this.readsRequest = true;
  }

  /** Whether the principal comes from `getUser`, which may read the app's own async context, not only the request. */
  get hasGetUser(): boolean {
    return this.options.getUser !== undefined;
  }

  /**
   * Whether `readAtRelease` would call a synchronous `getUser`, which may read the app's own async context (an
   * AsyncLocalStorage): then it must not run in another request's.
   */
  get callsGetUserAtRelease(): boolean {
    return this.options.getUser !== undefined && !this.getUserIsAsync;
  }

  /**
   * When the response finishes: the principal for events that work started by the request captures later. Only
   * synchronous reads: the detection chain (a few property reads) or a synchronous `getUser`. An async `getUser` is
   * not called here — that would be a lookup per request — so such events get what an earlier event settled.
   */
  readAtRelease(target: Target): unknown {
    const getUser = this.options.getUser;
    if (getUser === undefined) return this.detect(target);
    if (this.getUserIsAsync) return undefined;
    try {
      const result = this.framework.callGetUser(getUser, target);
      if (!isThenable(result)) return result;
      this.getUserIsAsync = true;
      // Started, but nobody waits for it: keep a rejection from becoming an unhandled one.
      Promise.resolve(result).then(undefined, () => undefined);
      return undefined;
    } catch {
      return undefined;
    }
  }

  private detect(target: Target): unknown {
    try {
      return this.framework.detectPrincipal(target);
    } catch {
      return undefined;
    }
  }
}
