// node bench/instructions/function-diff.mjs DIR TAG_A TAG_B [--requests 150] [--top 30]
// Where two variants' instructions differ, by the function executing them: the dumps `bench:instructions --keep 1`
// kept in DIR (files `<TAG>-<process>.<pid>.<part>`, e.g. TAG = koa-off-noop or koa-off-sru_head), every counted
// window of every process pooled, per request. JIT-compiled JavaScript has no symbol under valgrind, so its addresses
// are pooled as "[JIT code]"; V8's builtins (`Builtins_*`), runtime and GC keep their names. GC and compiler work come
// in lumps (read them pooled over more processes); the builtins and "[JIT code]" are the steady part.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDump } from './callgrind.mjs';

const [dir, tagA, tagB, ...rest] = process.argv.slice(2);
if (tagB === undefined) {
  console.error('usage: node bench/instructions/function-diff.mjs DIR TAG_A TAG_B [--requests N] [--top N]');
  process.exit(2);
}
const flag = (name, fallback) => {
  const at = rest.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(rest[at + 1]);
};
const requestsPerWindow = flag('requests', 150);
const top = flag('top', 30);

/** Self cost per request by function, over every counted window (part 1 is the lead-in; the unnumbered file is the exit dump). */
function perRequest(tag) {
  const totals = new Map();
  let windows = 0;
  const pattern = new RegExp(`^${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+\\.\\d+\\.(\\d+)$`);
  for (const name of readdirSync(dir)) {
    const part = pattern.exec(name)?.[1];
    if (part === undefined || part === '1') continue;
    windows++;
    for (const [fn, cost] of parseDump(readFileSync(path.join(dir, name), 'utf8')).self) {
      const key = /^0x[0-9a-f]+('\d+)?$/.test(fn) ? '[JIT code]' : fn;
      totals.set(key, (totals.get(key) ?? 0) + cost);
    }
  }
  if (windows === 0) throw new Error(`no counted windows for ${tag} in ${dir}`);
  for (const [key, cost] of totals) totals.set(key, cost / (windows * requestsPerWindow));
  return { totals, windows };
}

const a = perRequest(tagA);
const b = perRequest(tagB);
const sum = (map) => [...map.values()].reduce((s, v) => s + v, 0);
console.log(`${tagA}: ${a.windows} windows, ${Math.round(sum(a.totals))} instructions/request; ${tagB}: ${b.windows} windows, ${Math.round(sum(b.totals))}`);
console.log('difference  A/request  B/request  function');
const rows = [...new Set([...a.totals.keys(), ...b.totals.keys()])]
  .map((fn) => ({ fn, x: a.totals.get(fn) ?? 0, y: b.totals.get(fn) ?? 0 }))
  .sort((p, q) => Math.abs(q.y - q.x) - Math.abs(p.y - p.x));
for (const { fn, x, y } of rows.slice(0, top)) {
  console.log(`${Math.round(y - x).toString().padStart(10)} ${Math.round(x).toString().padStart(10)} ${Math.round(y).toString().padStart(10)}  ${fn.slice(0, 140)}`);
}
