// node bench/koa-context-reads.mjs: what reading the principal chain (ctx.state.user → ctx.state.auth →
// ctx.session.user) costs on real Koa contexts of an anonymous request (every path absent, as on most requests): the
// package's generic reader (`firstPresentPrincipal`, Reflect.get per step, from dist/) against direct reads at
// monomorphic sites (`stateOrSessionPrincipal`, what the Koa adapter uses since 9921d34). The absent `ctx.session` is
// looked up through Koa's large context prototypes; a cached read remembers the miss, Reflect.get walks the chain every
// time. Nanoseconds per chain, the last of three rounds; a timed micro with no A/A control, for the mechanism only (the
// gap is ~10×). Run `npm run build` first.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Koa = require('koa');
const { firstPresentPrincipal, stateOrSessionPrincipal } = require('../dist/cjs/src/binding/detect-principal.js');

const app = new Koa();
const contexts = Array.from({ length: 2000 }, () => {
  const req = { headers: {}, url: '/', method: 'GET', socket: {} };
  const res = { getHeader() {}, setHeader() {}, removeHeader() {}, statusCode: 404 };
  return app.createContext(req, res);
});
const PATHS = [['state', 'user'], ['state', 'auth'], ['session', 'user']];
const readers = {
  'generic (Reflect.get per step)': (ctx) => firstPresentPrincipal(ctx, PATHS),
  'direct reads (stateOrSessionPrincipal)': stateOrSessionPrincipal,
};
for (const [name, read] of Object.entries(readers)) {
  let ns = 0;
  for (let round = 0; round < 3; round++) {
    let found = 0;
    const start = process.hrtime.bigint();
    for (let r = 0; r < 200; r++) for (const ctx of contexts) if (read(ctx) !== undefined) found++;
    ns = Number(process.hrtime.bigint() - start) / (200 * contexts.length);
    if (found !== 0) throw new Error('an anonymous context has no principal');
  }
  console.log(`${name.padEnd(40)} ${ns.toFixed(1)} ns/chain`);
}
