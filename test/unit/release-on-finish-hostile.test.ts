import { channel } from 'node:diagnostics_channel';
import http from 'node:http';
import net from 'node:net';
import { inspect } from 'node:util';
import { EventFiller } from '../../src/binding/event-filler';
import type { FrameworkAccess } from '../../src/binding/framework';
import { releaseOnFinish, watchFinishedResponses } from '../../src/binding/release-on-finish';
import { RequestTie } from '../../src/binding/request-tie';
import { trustNothing } from '../../src/ip/trust';
import { ADAPTER_OPTION_NAMES } from '../../src/options/options';
import { parseOptions } from '../../src/options/parse-options';
import type { SentryHandle } from '../../src/sentry/locate-sentry';

const framework: FrameworkAccess<http.IncomingMessage> = {
  name: 'Node',
  request: (req) => req,
  response: () => undefined,
  detectPrincipal: (req) => (req as unknown as { user?: unknown }).user,
  callGetUser: () => undefined,
  mapUserArgument: (req) => req,
  frameworkTrust: () => ({ trust: trustNothing, trustsEveryHop: false }),
};
const filler = new EventFiller(parseOptions(undefined, ADAPTER_OPTION_NAMES, true), framework);
const handle = {
  carrier: { defaultIsolationScope: {} },
  acs: { getIsolationScope: () => ({}), getCurrentScope: () => ({}), withIsolationScope: (cb: (s: object) => unknown) => cb({}) },
} as unknown as SentryHandle;
watchFinishedResponses(handle);
const finish = channel('http.server.response.finish');

describe('the release on hostile requests', () => {
  it('the fork path looks for a displaced tie on an app’s strict Proxy of the request (unknown keys throw): nothing throws into the app', () => {
    const socket = new net.Socket();
    const req = new http.IncomingMessage(socket);
    // A "strict" wrapper: unknown keys throw (common dev-time guard). `socket` exists, so the request passes the checks.
    const strict = new Proxy(req, {
      get(target, key, receiver) {
        if (!(key in target)) throw new Error(`unknown property ${String(key)}`);
        return Reflect.get(target, key, receiver);
      },
    });
    const tie = new RequestTie(filler, strict, true, false);
    let thrown: unknown;
    try {
      releaseOnFinish(strict, tie as RequestTie<unknown>, true, true);
    } catch (error) {
      thrown = error;
    }
    socket.destroy();
    expect(thrown).toBeUndefined();
  });

  it('the tie on the request is invisible: spread does not copy it, util.inspect(req) does not print it or the principal it kept', () => {
    const socket = new net.Socket();
    const req = new http.IncomingMessage(socket) as http.IncomingMessage & { user?: unknown };
    req.user = { id: 'u1', email: 'ada@example.com', username: 'ada' };
    const tie = new RequestTie(filler, req, false, false);
    expect(releaseOnFinish(req, tie as RequestTie<unknown>, true)).toBe(true);
    const copied = Object.getOwnPropertySymbols({ ...req }).map(String);
    finish.publish({ request: req });
    delete req.user; // the app dropped it from the request; the tie still shows it
    const printed = inspect(req);
    socket.destroy();
    expect({ copied, printsTie: printed.includes('servingTie'), printsEmail: printed.includes('ada@example.com') }).toEqual({
      copied: expect.not.arrayContaining(['Symbol(sentry-request-user.servingTie)']),
      printsTie: false,
      printsEmail: false,
    });
  });
});
