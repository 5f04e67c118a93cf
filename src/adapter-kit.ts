/**
 * What the framework adapters build on. Not part of the public API: its shape may change between minor versions.
 * @internal
 */
export { createRequestBinder, GET_USER_TIMEOUT_MS, type RequestBinder } from './binding/request-binder.js';
export type { FrameworkAccess, FrameworkTrust, ResponseLike } from './binding/framework.js';
/** Event-time work of one middleware instance; exported for the benchmarks, which time one event fill. */
export { EventFiller, type RequestFacts } from './binding/event-filler.js';
export { expressFrameworkTrust, koaFrameworkTrust } from './binding/framework-trust.js';
export { firstPresentPrincipal, stateOrSessionPrincipal } from './binding/detect-principal.js';
/** A guarded read that costs the same whatever the object's hidden class (Express's are new per request). */
export { readProperty } from './util/read-property.js';
export { parseOptions } from './options/parse-options.js';
export { ADAPTER_OPTION_NAMES, type AdapterOptions } from './options/options.js';
