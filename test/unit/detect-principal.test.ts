import { firstPresentPrincipal, stateOrSessionPrincipal } from '../../src/binding/detect-principal.js';

const ALICE = { id: 'alice' };
const JWT = { sub: 'jwt-subject' };
const SESSION_USER = { id: 'from-session' };

function throwing(name: string): object {
  return Object.defineProperty({}, name, {
    enumerable: true,
    get() {
      throw new Error(`${name} getter throws`);
    },
  });
}

/** An object whose every property read throws (a hostile Proxy). */
const TRAP = new Proxy(
  {},
  {
    get() {
      throw new Error('trap');
    },
  },
);

describe('stateOrSessionPrincipal (Koa: ctx.state.user → ctx.state.auth → ctx.session.user)', () => {
  it.each<[string, object, unknown]>([
    ['state.user wins over everything else', { state: { user: ALICE, auth: JWT }, session: { user: SESSION_USER } }, ALICE],
    ['state.auth when state.user is absent', { state: { auth: JWT }, session: { user: SESSION_USER } }, JWT],
    ['state.auth when state.user is null', { state: { user: null, auth: JWT } }, JWT],
    ['session.user when state has neither', { state: {}, session: { user: SESSION_USER } }, SESSION_USER],
    ['session.user when state.auth is null', { state: { auth: null }, session: { user: SESSION_USER } }, SESSION_USER],
    ['nothing on an anonymous context', { state: {} }, undefined],
    ['nothing when session.user is null', { state: {}, session: { user: null } }, undefined],
    ['a primitive principal is returned as found (mapping decides)', { state: { user: 'alice' } }, 'alice'],
    ['a falsy but present principal (0) is returned', { state: { user: 0 } }, 0],
    ['a state that is not an object is skipped', { state: 'oops', session: { user: SESSION_USER } }, SESSION_USER],
    ['a session that is not an object gives nothing', { state: {}, session: 42 }, undefined],
    ['a throwing ctx.state getter skips to the session', Object.defineProperty({ session: { user: SESSION_USER } }, 'state', { get: () => { throw new Error('state'); } }), SESSION_USER],
    ['a throwing state.user getter skips to state.auth', { state: Object.assign(throwing('user'), { auth: JWT }) }, JWT],
    ['a throwing state.auth getter skips to the session', { state: throwing('auth'), session: { user: SESSION_USER } }, SESSION_USER],
    ['a throwing ctx.session getter gives nothing', Object.defineProperty({ state: {} }, 'session', { get: () => { throw new Error('session'); } }), undefined],
    ['a throwing session.user getter gives nothing', { state: {}, session: throwing('user') }, undefined],
    ['a Proxy state whose reads throw skips to the session', { state: TRAP, session: { user: SESSION_USER } }, SESSION_USER],
    ['a Proxy context whose reads throw gives nothing', TRAP, undefined],
  ])('%s', (_name, holder, expected) => {
    expect(stateOrSessionPrincipal(holder)).toBe(expected);
  });
});

describe('firstPresentPrincipal (guarded path reads, first present value)', () => {
  const PATHS = [['user'], ['auth', 'payload'], ['session', 'user']] as const;
  it.each<[string, unknown, unknown]>([
    ['the first path when present', { user: ALICE, auth: { payload: JWT } }, ALICE],
    ['a nested path when the first is absent', { auth: { payload: JWT } }, JWT],
    ['skips a null value to the next path', { user: null, session: { user: SESSION_USER } }, SESSION_USER],
    ['skips a path whose middle step is missing', { auth: {}, session: { user: SESSION_USER } }, SESSION_USER],
    ['skips a path whose middle step is a primitive', { auth: 'x', session: { user: SESSION_USER } }, SESSION_USER],
    ['a throwing getter only skips its own path', Object.assign(throwing('user'), { session: { user: SESSION_USER } }), SESSION_USER],
    ['nothing when no path is present', { other: 1 }, undefined],
    ['nothing from a non-object root', 'req', undefined],
    ['nothing from a Proxy root whose reads throw', TRAP, undefined],
  ])('%s', (_name, root, expected) => {
    expect(firstPresentPrincipal(root, PATHS)).toBe(expected);
  });
});
