import express from 'express';
import { expressFrameworkTrust } from '../../src/binding/framework-trust.js';
import { parseIpAddress } from '../../src/ip/parse-ip.js';

// Express's `trust proxy` setting is compiled by Express (proxy-addr) into `trust proxy fn`, which parses the address
// with ipaddr.js on every call. Where the setting is a hop count or an address list, we compile it ourselves: the
// same answers, without calling Express's function per resolution.

const ADDRESSES = ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', 'fc00::1', '169.254.1.1', 'fe80::1', '198.51.100.7', '2001:db8::1', '::ffff:10.0.0.1'];

function appWith(setting: unknown): { app: express.Express; calls: () => number } {
  const app = express();
  app.set('trust proxy', setting);
  const compiled = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  let calls = 0;
  // The spy is what the middleware finds as `trust proxy fn`; the answers are Express's own.
  const spy = (address: string, hop: number): boolean => {
    calls++;
    return compiled(address, hop);
  };
  const get = app.get.bind(app);
  app.get = ((name: string) => (name === 'trust proxy fn' ? spy : get(name))) as typeof app.get;
  return { app, calls: () => calls };
}

describe("Express's trust proxy setting", () => {
  it.each([['loopback'], ['loopback, uniquelocal'], ['linklocal'], [['10.0.0.0/8', '::1']], ['198.51.100.0/24'], ['10.0.0.0/255.0.0.0'], [2], [0]])(
    '%j: the same answer as Express for every address and hop, without calling Express’s function',
    (setting) => {
      const { app, calls } = appWith(setting);
      const express = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
      const ours = expressFrameworkTrust(app).trust;
      for (const address of ADDRESSES) {
        const parsed = parseIpAddress(address);
        expect(parsed).toBeDefined();
        for (let hop = 0; hop < 3; hop++) {
          const before = calls();
          expect([address, hop, ours(address, hop, parsed!)]).toEqual([address, hop, express(address, hop)]);
          expect(calls()).toBe(before + 1); // only the comparison's own call
        }
      }
    },
  );

  it.each([[1.5], [true], [(address: string) => address === '10.0.0.1']])(
    '%p: a setting we do not compile ourselves keeps Express’s own function',
    (setting) => {
      const { app, calls } = appWith(setting);
      const express = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
      const ours = expressFrameworkTrust(app).trust;
      const parsed = parseIpAddress('10.0.0.1');
      expect(ours('10.0.0.1', 0, parsed!)).toBe(express('10.0.0.1', 0));
      expect(calls()).toBe(2);
    },
  );
});
