import type { RequestLike } from '../../src/request-like';
import { withoutClientWrittenAddress } from '../../src/sentry/unbound-event';
import type { SentryEventShape } from '../../src/sentry/sdk-shapes';

// Events of a request we hold no tie for (no trusted resolution): the SDK's guess from client-settable headers never
// arrives; what the app set itself does, unless a client could have written it.
const spoofed: RequestLike = { headers: { 'x-client-ip': '5.5.5.5', 'x-forwarded-for': '6.6.6.6, 10.0.0.1' } };
const plain: RequestLike = { headers: { host: 'example.test' } };

describe('withoutClientWrittenAddress: the user.ip_address of an event no tie fills', () => {
  it.each<[string, RequestLike, SentryEventShape['user'], unknown, SentryEventShape['user']]>([
    ["an address the app set that an address header carries is kept (req.ip behind the app's trusted proxy)", spoofed, { ip_address: '5.5.5.5' }, '6.6.6.6', { ip_address: '6.6.6.6' }],
    ["the SDK's guess from X-Client-IP is removed, and an emptied user with it", spoofed, { ip_address: '5.5.5.5' }, undefined, undefined],
    ["the SDK's guess from X-Forwarded-For is removed, the rest of the user stays", spoofed, { id: 'u1', ip_address: '6.6.6.6' }, undefined, { id: 'u1' }],
    ["the app's own address (no header carries it) replaces the SDK's guess over it", spoofed, { ip_address: '5.5.5.5' }, '203.0.113.50', { ip_address: '203.0.113.50' }],
    ["the app's own address replaces the SDK's socket peer over it (@sentry/node 9)", plain, { ip_address: '127.0.0.1' }, '203.0.113.50', { ip_address: '203.0.113.50' }],
    ["an address no header carries (the SDK's socket peer) stays", plain, { ip_address: '198.51.100.4' }, undefined, { ip_address: '198.51.100.4' }],
    ['"{{auto}}", which a server never sends, is removed', plain, { id: 'u1', ip_address: '{{auto}}' }, undefined, { id: 'u1' }],
    ['nothing is added where the event has no address (a switched-off category stays off)', spoofed, { id: 'u1' }, '203.0.113.50', { id: 'u1' }],
  ])('%s', (_name, request, user, appSetIp, expected) => {
    const event: SentryEventShape = user === undefined ? {} : { user: { ...user } };
    const result = withoutClientWrittenAddress(event, request, appSetIp, false);
    expect(result.user).toEqual(expected);
  });

  it.each([
    ['that an address header carries is not believed (it may be the integration’s guess)', '6.6.6.6', undefined],
    ['that no address header carries is the app’s', '203.0.113.50', { ip_address: '203.0.113.50' }],
  ])("with Sentry's Hono integration (its header guess sits on the scope's user), a scope address %s", (_name, scopeIp, expected) => {
    const event: SentryEventShape = { user: { ip_address: scopeIp } };
    expect(withoutClientWrittenAddress(event, spoofed, scopeIp, true).user).toEqual(expected);
  });

  it('an event without a user is left alone', () => {
    expect(withoutClientWrittenAddress({ message: 'm' }, spoofed, '203.0.113.50', false)).toEqual({ message: 'm' });
  });
});
