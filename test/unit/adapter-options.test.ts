import { sentryUser as expressSentryUser } from '../../adapters/express.js';
import { sentryUser as koaSentryUser } from '../../adapters/koa.js';

// Construction is where configuration mistakes surface, with a message that says the fix.
describe.each([
  ['express', expressSentryUser as (options?: unknown) => unknown],
  ['koa', koaSentryUser as (options?: unknown) => unknown],
])('%s sentryUser(options)', (_name, sentryUser) => {
  it.each<[string, unknown, RegExp]>([
    ['unknown key with a suggestion', { getuser: () => 1 }, /unknown option 'getuser' \(did you mean 'getUser'\?\)/],
    ['unknown key far from any option lists the known ones', { color: 'red' }, /Known options: getUser, mapUser/],
    ['trustProxy true', { trustProxy: true }, /trust every hop/],
    ['secret-looking extraKeys entry', { extraKeys: ['plan', 'passwordHash'] }, /'passwordHash' looks like a secret.*remove it/],
    ['extraKeys not an array', { extraKeys: 'plan' }, /extraKeys must be an array/],
    ['getUser not a function', { getUser: 'req.user' }, /getUser must be a function/],
    ['mapUser not a function', { mapUser: {} }, /mapUser must be a function/],
    ['pii not a boolean', { pii: 'yes' }, /pii must be true or false/],
    ['setUserIp not a boolean', { setUserIp: 1 }, /setUserIp must be true or false/],
    ['clientIp is a core-only option', { clientIp: '1.2.3.4' }, /unknown option 'clientIp'/],
  ])('%s throws a TypeError that says the fix', (_case, options, message) => {
    expect(() => sentryUser(options)).toThrow(TypeError);
    expect(() => sentryUser(options)).toThrow(message);
  });

  it('accepts every documented option', () => {
    expect(() =>
      sentryUser({
        getUser: () => undefined,
        mapUser: () => undefined,
        extraKeys: ['plan'],
        trustProxy: ['10.0.0.0/8'],
        forwardedHeader: 'forwarded',
        clientIpHeader: 'cf-connecting-ip',
        pii: false,
        setUserIp: true,
      }),
    ).not.toThrow();
  });
});

describe('without Sentry initialised the middleware passes the request straight through', () => {
  it('express', () => {
    let called = 0;
    expressSentryUser()({ headers: {}, socket: { remoteAddress: '127.0.0.1' } } as never, {} as never, () => called++);
    expect(called).toBe(1);
  });

  it('koa', async () => {
    let called = 0;
    const ctx = { req: { headers: {}, socket: { remoteAddress: '127.0.0.1' } }, state: {} } as never;
    await koaSentryUser()(ctx, async () => {
      called++;
    });
    expect(called).toBe(1);
  });
});
