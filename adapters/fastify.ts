import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import {
  ADAPTER_OPTION_NAMES,
  createRequestBinder,
  firstPresentPrincipal,
  parseOptions,
  type AdapterOptions,
  type FrameworkAccess,
  type RequestBinder,
} from '../src/adapter-kit.js';
import { fastifyFrameworkTrust, fastifyTrustFromIps } from '../src/binding/framework-trust.js';
import type { FrameworkTrust } from '../src/binding/framework.js';

export type SentryUserOptions = AdapterOptions<[request: FastifyRequest, reply: FastifyReply], FastifyRequest>;

/** @fastify/jwt and @fastify/passport → @fastify/session (or any session plugin with `request.session.user`). */
const PRINCIPAL_PATHS = [['user'], ['session', 'user']] as const;

/**
 * The app's `trustProxy` option as given. Fastify keeps it on the root instance under an unexported symbol (in 4 and
 * 5); `initialConfig` leaves it out. `found: false` when that layout is not there: the adapter then asks Fastify per
 * request instead of compiling the setting once.
 */
function readTrustProxySetting(instance: FastifyInstance): { found: boolean; value?: unknown } {
  try {
    for (let object: object | null = instance; object !== null; object = Object.getPrototypeOf(object) as object | null) {
      const key = Object.getOwnPropertySymbols(object).find((symbol) => symbol.description === 'fastify.options');
      const options = key === undefined ? undefined : (object as Record<symbol, unknown>)[key];
      if (options !== null && typeof options === 'object') return { found: true, value: (options as { trustProxy?: unknown }).trustProxy };
    }
  } catch {
    // A proxy or an odd instance: ask Fastify per request.
  }
  return { found: false };
}

/** The app's trust setting compiled once, or `undefined` to ask Fastify per request. */
function appTrust(instance: FastifyInstance): FrameworkTrust | undefined {
  const setting = readTrustProxySetting(instance);
  return setting.found ? fastifyFrameworkTrust(setting.value, instance.version) : undefined;
}

/** Target: the reply, which leads to both Fastify objects and both Node ones without allocating per request. */
function fastifyAccess(trust: FrameworkTrust | undefined): FrameworkAccess<FastifyReply> {
  return {
    name: 'Fastify',
    // Fastify keeps the URL as received in `raw.originalUrl` when its `rewriteUrl` changes `raw.url`; the core reads it.
    request: (reply) => reply.request.raw,
    response: (reply) => reply.raw,
    detectPrincipal: (reply) => firstPresentPrincipal(reply.request, PRINCIPAL_PATHS),
    callGetUser: (getUser, reply) => (getUser as (request: FastifyRequest, reply: FastifyReply) => unknown)(reply.request, reply),
    mapUserArgument: (reply) => reply.request,
    frameworkTrust: trust !== undefined ? () => trust : (reply) => fastifyTrustFromIps(reply.request.ips),
  };
}

function sentryUserPlugin(instance: FastifyInstance, options: SentryUserOptions, done: (error?: Error) => void): void {
  let binder: RequestBinder<FastifyReply>;
  try {
    binder = createRequestBinder(parseOptions(options, ADAPTER_OPTION_NAMES, true), fastifyAccess(appTrust(instance)));
  } catch (error) {
    // A bad option: registration fails with the message that says the fix.
    done(error as Error);
    return;
  }
  instance.addHook('onRequest', function sentryUserOnRequest(_request, reply, hookDone) {
    binder.enter(reply, hookDone);
  });
  done();
}

/**
 * Fastify plugin: every Sentry event captured while a request is handled gets the authenticated user and the trusted
 * client address (`request.env.REMOTE_ADDR`). It applies to the whole app (like a `fastify-plugin` plugin), follows
 * the app's own `trustProxy` option, and reads the user when an event is captured or the response finishes, never on
 * entry, so your auth may run later.
 *
 * @example
 * import * as Sentry from '@sentry/node'; // Sentry.init ran first, in instrument.js
 * import Fastify from 'fastify';
 * import { sentryUser } from 'sentry-request-user/fastify';
 *
 * const app = Fastify({ trustProxy: '10.0.0.0/8' }); // your proxies' addresses
 * await app.register(sentryUser);
 * // … auth (e.g. @fastify/jwt), routes …
 */
export const sentryUser: FastifyPluginCallback<SentryUserOptions> = Object.assign(sentryUserPlugin, {
  // Not encapsulated: the hook applies to every route of the app, as with fastify-plugin.
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'sentry-request-user',
  [Symbol.for('plugin-meta')]: { name: 'sentry-request-user' },
});

export default sentryUser;
