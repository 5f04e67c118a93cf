import { readProperty } from '../util/read-property.js';

/**
 * The first value that is present (not null or undefined) along a list of property paths from one framework object,
 * e.g. `[['user'], ['auth', 'payload']]` from an Express `req`. Every read is guarded, so a throwing getter only skips
 * its path. One root and nothing read ahead: only the paths tried are read, through `readProperty` (Express's `req`
 * and `res` get a hidden class of their own per request, which a plain read pays for).
 */
export function firstPresentPrincipal(root: unknown, paths: readonly (readonly string[])[]): unknown {
  for (const path of paths) {
    let value: unknown = root;
    for (let i = 0; i < path.length && value !== undefined && value !== null; i++) value = readProperty(value, path[i] as string);
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

/**
 * `holder.state.user` → `holder.state.auth` → `holder.session.user` (koa-passport / koa-jwt, `ctx.state.auth`,
 * koa-session), read directly rather than through `readProperty`: Koa's contexts share one hidden class, so these read
 * sites stay cached, while `Reflect.get` looks the absent `session` up through Koa's large context prototypes on every
 * anonymous request (~10× the cost of a chain: `node bench/koa-context-reads.mjs`). Only Koa calls it, which keeps the
 * sites monomorphic. Each read is guarded on its own, so a throwing getter only skips its path.
 */
export function stateOrSessionPrincipal(holder: { readonly state?: unknown; readonly session?: unknown }): unknown {
  // Each read at a site of its own: one shared guarded helper would see every object and key and go megamorphic.
  let state: unknown;
  try {
    state = holder.state;
  } catch {
    state = undefined;
  }
  if (isObjectLike(state)) {
    let principal: unknown;
    try {
      principal = (state as { user?: unknown }).user;
    } catch {
      principal = undefined;
    }
    if (principal !== undefined && principal !== null) return principal;
    try {
      principal = (state as { auth?: unknown }).auth;
    } catch {
      principal = undefined;
    }
    if (principal !== undefined && principal !== null) return principal;
  }
  let session: unknown;
  try {
    session = holder.session;
  } catch {
    return undefined;
  }
  if (!isObjectLike(session)) return undefined;
  try {
    const user = (session as { user?: unknown }).user;
    return user === null ? undefined : user;
  } catch {
    return undefined;
  }
}

function isObjectLike(value: unknown): value is object {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
}
