import {
  resolveClientIp,
  toSentryRequest,
  toSentryUser,
  type RequestLike,
  type ResolveClientIpOptions,
  type ToSentryRequestOptions,
  type ToSentryUserOptions,
} from '../../src/index.js';
import { ADAPTER_OPTION_NAMES, REQUEST_OPTION_NAMES, RESOLVE_OPTION_NAMES, USER_OPTION_NAMES } from '../../src/options/options.js';

const req: RequestLike = { headers: {}, socket: { remoteAddress: '127.0.0.1' } };

type Call = (options: unknown) => unknown;
const callResolve: Call = (options) => resolveClientIp(req, options as ResolveClientIpOptions);
const callUser: Call = (options) => toSentryUser({ id: 1 }, options as ToSentryUserOptions);
const callRequest: Call = (options) => toSentryRequest(req, options as ToSentryRequestOptions);

// Each core function accepts exactly the options it reads; one it would silently ignore is a configuration mistake.
describe.each<[string, Call, readonly string[], Record<string, unknown>, RegExp]>([
    ['resolveClientIp', callResolve, RESOLVE_OPTION_NAMES, { trustProxy: 'loopback', forwardedHeader: 'forwarded', clientIpHeader: 'x-real-ip' }, /Known options: trustProxy, forwardedHeader, clientIpHeader\./],
    ['toSentryUser', callUser, USER_OPTION_NAMES, { pii: true, extraKeys: ['plan'] }, /Known options: pii, extraKeys\./],
    ['toSentryRequest', callRequest, REQUEST_OPTION_NAMES, { trustProxy: 1, forwardedHeader: 'x-forwarded-for', clientIpHeader: 'cf-connecting-ip', pii: true, clientIp: '198.51.100.7' }, /Known options: trustProxy, forwardedHeader, clientIpHeader, pii, clientIp\./],
])('%s options', (_name, call, names, everyOption, knownOptions) => {
  it('accepts every option it reads', () => {
    expect(Object.keys(everyOption)).toEqual([...names]);
    expect(() => call(everyOption)).not.toThrow();
  });

  const ignored: string[] = ADAPTER_OPTION_NAMES.filter((option) => !names.includes(option));
  if (!names.includes('clientIp')) ignored.push('clientIp');
  it.each(ignored)(
    'rejects %s, which it would ignore, and lists the options it knows',
    (option) => {
      const options = { [option]: option === 'extraKeys' ? ['plan'] : option === 'getUser' || option === 'mapUser' ? () => undefined : true };
      expect(() => call(options)).toThrow(TypeError);
      expect(() => call(options)).toThrow(new RegExp(`unknown option '${option}'`));
      expect(() => call(options)).toThrow(knownOptions);
    },
  );
});

describe('option names', () => {
  it.each<[string, Call, Record<string, unknown>, string]>([
    ['resolveClientIp: a misspelt option', callResolve, { trustproxy: 1 }, "unknown option 'trustproxy' (did you mean 'trustProxy'?)"],
    ['resolveClientIp: a near miss', callResolve, { forwardHeader: 'forwarded' }, "(did you mean 'forwardedHeader'?)"],
    ['toSentryUser: a misspelt option', callUser, { extraKey: ['plan'] }, "(did you mean 'extraKeys'?)"],
    ['toSentryUser: PII spelt in capitals', callUser, { PII: true }, "(did you mean 'pii'?)"],
    ['toSentryRequest: a misspelt option', callRequest, { clientIP: '1.2.3.4' }, "(did you mean 'clientIp'?)"],
  ])('%s gets a suggestion', (_name, call, options, message) => {
    expect(() => call(options)).toThrow(message);
  });

  it('the same options object is judged per function: fine for toSentryRequest, wrong for resolveClientIp', () => {
    const options = { trustProxy: 'loopback', pii: true };
    expect(toSentryRequest(req, options).env?.REMOTE_ADDR).toBe('127.0.0.1');
    expect(() => resolveClientIp(req, options as ResolveClientIpOptions)).toThrow(/unknown option 'pii'/);
    // …and after the failure, the object is still fine where it was fine.
    expect(() => toSentryRequest(req, options)).not.toThrow();
  });

  it('the types reject what the runtime rejects', () => {
    // Compile-time: each @ts-expect-error fails `npm run lint` if the option type started to accept the key.
    // @ts-expect-error resolveClientIp does not read pii
    expect(() => resolveClientIp(req, { pii: true })).toThrow(TypeError);
    // @ts-expect-error toSentryUser does not read trustProxy
    expect(() => toSentryUser({ id: 1 }, { trustProxy: 1 })).toThrow(TypeError);
    // @ts-expect-error toSentryRequest does not read extraKeys
    expect(() => toSentryRequest(req, { extraKeys: ['plan'] })).toThrow(TypeError);
  });
});
