// npm run bench:instructions [-- flags]: instructions per request on the hot path, counted by valgrind (callgrind)
// instead of timed, for a CPU measure that two shared cores do not blur. The same measured servers as the hot-path
// benchmark (hot-path/server.cjs + frameworks.cjs, unchanged): the app without us, its A/A copy, a no-op layer, a
// hand-written Sentry.setUser layer, sentryUser(); Express and Koa; tracing off and on. Each variant runs in its own
// process under valgrind; the load (autocannon) runs here, not under valgrind. Prints Markdown and writes it to
// bench/instructions-latest.md (or --out).
//
// Flags:
//   --quick                 Express, tracing off, fewer requests (~2.5 minutes here; full: 15–25 minutes, with the
//                           load average at 5–10 from other work)
//   --pkg [label=]DIR       the package under test: a checkout with a built dist/ (default: this repository);
//                           repeat it to count several builds side by side
//   --frameworks a,b        any of express, koa, fastify, hono (default: express,koa)
//   --tracing off,on        (default: both; quick: off)
//   --processes N           processes per variant (default 1), each with V8's own random hash and random seeds
//   --seeds N | a,b,c       one process per seed and variant, process i with the V8 flags `--hash-seed=S
//                           --random-seed=S` (S = i + 1, or the listed seeds): every variant sees the same seeds (a
//                           paired design), and a per-seed table shows how much of the spread the seed explains
//   --windows N  --requests N  --traced-requests N  --warmup N  --lead-in N  --parallel N
//   --connections N         keep-alive connections of the load (default 1: one request per event-loop turn, see below)
//   --v8-flags '...'        V8 flags for the measured servers (default --min-semi-space-size=16, as npm run bench)
//   --out FILE  --json FILE
//   --skip-diy 1            leave out the hand-written Sentry.setUser layer (ablations of our own builds: a process fewer)
//   --keep 1                keep the callgrind dumps (for callgrind_annotate); the directory is printed
//   --cache-sim 1           count callgrind's cycle estimate with simulated caches (Ir + 10 × L1 + 100 × last-level
//                           misses) instead of instructions: sees the cache misses a count does not (~2 × slower)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, quantile } from './stats.mjs';
import { CACHE_SIM_ARGS, VALGRIND_ARGS, classify, measureProcess, valgrindMissing, valgrindVersion } from './instructions/callgrind.mjs';
import { startSink } from './sink.mjs';
import { packagesUnderTestOrExit, parseBenchArgs } from './cli-args.mjs';

const require = createRequire(import.meta.url);
const { FRAMEWORKS } = require('./hot-path/frameworks.cjs');
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, '..');

const missing = valgrindMissing();
if (missing !== null) {
  console.error(`bench:instructions needs valgrind with callgrind (${missing}). Install it (Debian/Ubuntu: apt-get install valgrind) or use npm run bench, which times CPU instead.`);
  process.exit(2);
}

const { args, quick, number } = parseBenchArgs(process.argv.slice(2), { repeatable: ['pkg'] });
const settings = {
  windows: number('windows', 3),
  requests: number('requests', quick ? 100 : 150),
  tracedRequests: number('traced-requests', 75),
  warmup: number('warmup', quick ? 1000 : 4000),
  leadIn: number('lead-in', 100),
  // One keep-alive connection: each request is served alone in its event-loop turn. With 10, how many requests share
  // a turn depends on how fast the client runs beside valgrind, which moved the counts with the machine's load: Koa's
  // A/A floor was ±1-5 % and one build read 1.014-1.039 x a no-op layer across runs; with 1 it is ±0.1 %, and the
  // same ratio read 1.022 for both seeds.
  connections: number('connections', 1),
  processes: number('processes', 1),
  parallel: number('parallel', 2),
};
// --cache-sim 1: every count is callgrind's cycle estimate with simulated caches instead of instructions (slower).
const cacheSim = args['cache-sim'] === '1';
const v8Flags = (args['v8-flags'] ?? '--min-semi-space-size=16').split(' ').filter(Boolean);
// Process round i of every variant runs with seeds[i] (V8's string/symbol hash seed and its random seed), or with
// V8's per-process random seeds when --seeds is not given. Hash seeds decide, among other things, the order of
// descriptor arrays that Express's per-request hidden classes rebuild on every request: a cost that differs by
// process, which pooling over a fixed set of seeds, the same for every variant, averages out of the comparison.
const seeds = parseSeeds(args.seeds);
if (seeds !== null) {
  if (args.processes !== undefined && settings.processes !== seeds.length) {
    console.error(`--processes ${settings.processes} and --seeds ${args.seeds} (${seeds.length} seeds) disagree: --seeds alone sets one process per seed`);
    process.exit(2);
  }
  if (v8Flags.some((flag) => /^--(hash|random)-seed\b/.test(flag))) {
    console.error('--seeds sets --hash-seed and --random-seed itself: drop them from --v8-flags');
    process.exit(2);
  }
  settings.processes = seeds.length;
}
const seedFlags = (round) => (seeds === null ? [] : [`--hash-seed=${seeds[round]}`, `--random-seed=${seeds[round]}`]);
function parseSeeds(spec) {
  if (spec === undefined) return null;
  const list = /^\d+$/.test(spec) ? Array.from({ length: Number(spec) }, (_, i) => i + 1) : spec.split(',').map(Number);
  if (list.length === 0 || !list.every((seed) => Number.isInteger(seed) && seed > 0)) {
    console.error(`--seeds takes a count (--seeds 3: seeds 1, 2, 3) or a list of positive integers (--seeds 7,11,13), not ${spec}`);
    process.exit(2);
  }
  return list;
}
const frameworks = (args.frameworks ?? (quick ? 'express' : 'express,koa')).split(',');
const tracingModes = (args.tracing ?? (quick ? 'off' : 'off,on')).split(',').map((mode) => mode === 'on');
const packages = packagesUnderTestOrExit(args.pkg, repo);
for (const framework of frameworks) if (FRAMEWORKS[framework] === undefined) throw new Error(`unknown framework ${framework}`);

const VARIANTS = [
  { key: 'none', layer: 'none', label: 'app with @sentry/node, without us' },
  { key: 'none-again', layer: 'none', label: 'the same app again (A/A control)' },
  { key: 'noop', layer: 'noop', label: '+ a no-op middleware' },
  ...(args['skip-diy'] === '1' ? [] : [{ key: 'diy-user', layer: 'diy-user', label: '+ hand-written Sentry.setUser middleware' }]),
  // One per build under test; with several, each is named by its label.
  ...packages.map((pkg) =>
    packages.length === 1
      ? { key: 'sru', layer: 'sru', label: '+ sentryUser()', packageDir: pkg.dir }
      : { key: `sru ${pkg.label}`, layer: 'sru', label: `+ sentryUser() [${pkg.label}]`, packageDir: pkg.dir },
  ),
];

const version = (name) => JSON.parse(readFileSync(path.join(repo, 'node_modules', name, 'package.json'), 'utf8')).version;
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const lines = [];
const out = (line = '') => {
  lines.push(line);
  console.log(line);
};
const progress = (message) => process.stderr.write(`  … ${message}\n`);
const git = (dir) => {
  try {
    return execFileSync('git', ['-C', dir, 'log', '-1', '--format=%h %cI'], { encoding: 'utf8' }).trim();
  } catch {
    return 'not a git checkout';
  }
};

// Every process of every group is one job; jobs run `parallel` at a time (each valgrind runs its guest's threads one
// at a time, so it keeps one core busy). Instruction counts do not depend on which jobs share the cores; the order
// still alternates (reversed every other round) so that any time-dependent part spreads over the variants.
const groups = [];
const jobs = [];
for (const framework of frameworks) {
  for (const tracing of tracingModes) {
    const group = { framework, tracing, results: new Map(VARIANTS.map((variant) => [variant.key, []])) };
    groups.push(group);
    for (let round = 0; round < settings.processes; round++) {
      const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const variant of order) jobs.push({ group, variant, round });
    }
  }
}

const started = Date.now();
const sink = await startSink();
const dir = mkdtempSync(path.join(os.tmpdir(), 'sru-instructions-'));
const loadBefore = loadavg();
let done = 0;
const failures = [];
async function worker() {
  for (let job = jobs.shift(); job !== undefined; job = jobs.shift()) {
    const { group, variant, round } = job;
    const name = `${group.framework}/tracing-${group.tracing ? 'on' : 'off'}/${variant.key}#${round + 1}${seeds === null ? '' : ` (seed ${seeds[round]})`}`;
    try {
      const result = await measureProcess({
        framework: group.framework,
        layer: variant.layer,
        tracing: group.tracing,
        dsn: sink.dsn,
        packageDir: variant.packageDir ?? packages[0].dir,
        v8Flags: [...v8Flags, ...seedFlags(round)],
        warmup: group.tracing ? Math.round(settings.warmup / 3) : settings.warmup,
        leadIn: group.tracing ? Math.round(settings.leadIn / 2) : settings.leadIn,
        requests: group.tracing ? settings.tracedRequests : settings.requests,
        windows: settings.windows,
        connections: settings.connections,
        dir,
        cacheSim,
        tag: `${group.framework}-${group.tracing ? 'on' : 'off'}-${variant.key.replace(/\W+/g, '_')}-${round}`,
      });
      group.results.get(variant.key).push({
        round,
        seed: seeds?.[round] ?? null,
        startupMs: result.startupMs,
        warmupMs: result.warmupMs,
        totalMs: result.totalMs,
        windows: result.counts.map(({ completed, dump }) => ({ completed, ...classify(dump) })),
      });
      progress(`${name}: ${(result.totalMs / 1000).toFixed(0)} s (start-up ${(result.startupMs / 1000).toFixed(0)} s, warm-up ${(result.warmupMs / 1000).toFixed(0)} s; ${++done} done, ${jobs.length} queued; load ${loadavg()})`);
    } catch (error) {
      failures.push(`${name}: ${String(error?.message ?? error).slice(0, 500)}`);
      progress(`${name} FAILED: ${String(error?.message ?? error).slice(0, 300)}`);
    }
  }
}
await Promise.all(Array.from({ length: settings.parallel }, worker));
await sink.close();
if (args.keep === undefined) rmSync(dir, { recursive: true, force: true });
else progress(`callgrind dumps kept in ${dir}`);

// ---- report ----
const fmtK = (n) => (Number.isFinite(n) ? `${Math.round(n / 1000).toLocaleString('en-US')} k` : '—');
const fmtRatio = (r) => (Number.isFinite(r) ? r.toFixed(3) : '—');
const pct = (x) => (Number.isFinite(x) ? `±${(x * 100).toFixed(1)} %` : '—');
const windowsOf = (group, key) => group.results.get(key).flatMap((run) => run.windows);
const perRequest = (window, metric) => window[metric] / window.completed;
/** Instructions per request over every window of a variant together: the amortised cost of lumpy work (GC, TurboFan). */
const pooled = (group, key, metric) => {
  const windows = windowsOf(group, key);
  return windows.reduce((sum, w) => sum + w[metric], 0) / windows.reduce((sum, w) => sum + w.completed, 0);
};
/** Per-window ratios of JS & runtime to the app without us (or `baseKey`), paired by process round and window index. */
function pairedRatios(group, key, baseKey = 'none') {
  const ratios = [];
  for (const run of group.results.get(key)) {
    const base = group.results.get(baseKey).find((b) => b.round === run.round);
    if (base === undefined) continue;
    run.windows.forEach((w, i) => {
      if (base.windows[i] !== undefined) ratios.push(perRequest(w, 'rest') / perRequest(base.windows[i], 'rest'));
    });
  }
  return ratios;
}
const restRatio = (group, key, baseKey = 'none') => median(pairedRatios(group, key, baseKey));
const pooledRatio = (group, key, metric) => pooled(group, key, metric) / pooled(group, 'none', metric);
/** The A/A noise floor of JS & runtime, as in the hot-path report: the larger of |A/A − 1| and half the IQR of its per-window ratios. */
function restNoise(group) {
  const aa = pairedRatios(group, 'none-again');
  return Math.max(Math.abs(median(aa) - 1), (quantile(aa, 0.75) - quantile(aa, 0.25)) / 2);
}

/** One process's JS & runtime instructions per request over all of its windows together. */
const processRest = (run) => run.windows.reduce((sum, w) => sum + w.rest, 0) / run.windows.reduce((sum, w) => sum + w.completed, 0);
/** Per process round (with --seeds: per seed), a variant's JS & runtime per request ÷ the base variant's in the same round. */
function roundRatios(group, key, baseKey) {
  const ratios = new Map();
  for (const run of group.results.get(key)) {
    const base = group.results.get(baseKey).find((b) => b.round === run.round);
    if (base !== undefined) ratios.set(run.round, processRest(run) / processRest(base));
  }
  return ratios;
}
// Two-sided 95 % Student t quantiles by degrees of freedom (1–10; 2.0 beyond).
const T95 = [Number.NaN, 12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23];
/** Mean of the per-round ratios, the half-width of its 95 % interval (rounds as independent draws), min and max. */
function overRounds(ratios) {
  const values = [...ratios.values()].filter(Number.isFinite);
  const n = values.length;
  const mean = values.reduce((sum, v) => sum + v, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1)) : Number.NaN;
  return { n, mean, half: ((T95[n - 1] ?? 2) * sd) / Math.sqrt(n), min: Math.min(...values), max: Math.max(...values) };
}
const fmtOver = ({ n, mean, half, min, max }) =>
  n === 0 ? '—' : `${fmtRatio(mean)}${Number.isFinite(half) ? ` ±${half.toFixed(3)}` : ''} (${fmtRatio(min)}–${fmtRatio(max)})`;
const roundName = (round) => (seeds === null ? `process ${round + 1}` : `seed ${seeds[round]}`);

out(`# Instructions per request (${quick ? 'quick' : 'full'}), ${new Date(started).toISOString()}`);
out();
out(`- machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}; load average ${loadBefore} at start, ${loadavg()} at the end (instruction counts do not depend on it)`);
out(`- node ${process.version}; ${valgrindVersion()}; @sentry/node ${version('@sentry/node')}; express ${version('express')}; koa ${version('koa')}`);
if (cacheSim) {
  out('- **unit: estimated cycles** (`--cache-sim 1`): every "instructions" figure below is Ir + 10 × L1 misses + 100 ×');
  out('  last-level misses of callgrind\'s simulated caches (its cycle estimate), not the instruction count.');
}
out(`- measured servers: \`valgrind ${[...VALGRIND_ARGS, ...(cacheSim ? CACHE_SIM_ARGS : [])].join(' ')} node ${v8Flags.join(' ')} bench/hot-path/server.cjs\``);
out(`- package under test: ${packages.map((pkg) => `${pkg.label} = ${pkg.dir} (${git(pkg.dir)})`).join('; ')}`);
out(`- per process: ${settings.warmup} warm-up requests uninstrumented (tracing on: ${Math.round(settings.warmup / 3)}), a lead-in window of ${settings.leadIn} (${Math.round(settings.leadIn / 2)}), then ${settings.windows} counted windows of ${settings.requests} requests (tracing on: ${settings.tracedRequests}); ${settings.connections} keep-alive connections; ${settings.processes} process(es) per variant${seeds === null ? ' (V8\'s random seeds)' : `, seeds ${seeds.join(', ')} (\`--hash-seed=S --random-seed=S\`, the same for every variant)`}`);
out();
out('Instructions are guest instructions of every thread of the server process (JavaScript, V8\'s runtime, its GC and');
out('compiler threads, libuv, libc), counted by callgrind between dumps taken after each window; start-up and warm-up');
out('are outside every window. They are split by the C++ function executing them into **GC**, **compiler** (parser,');
out('bytecode, Sparkplug, TurboFan, deopt) and **JS & runtime** (everything else: JIT-compiled code, builtins, inline');
out('caches, Node, libc). GC and compiler work comes in lumps (a scavenge every ~1,000 requests, TurboFan jobs that are');
out('still running after the warm-up), so they are given pooled over all windows (instructions / requests) and read');
out('against the A/A pair\'s difference. **JS & runtime** is the steady part: per window instructions / requests, the');
out('median over windows, and its ratio to the app without us paired by window index; its **noise floor** is the A/A');
out('control\'s: the larger of |A/A − 1| and half the interquartile range of its per-window ratios.');
out();
out('One A/A pair per group samples the process-to-process spread once: V8 tiers code up (and sometimes back down)');
out('at moments that differ between processes. The **compiler** column shrinks with the warm-up but does not vanish (Koa,');
out('tracing off: ~900 k a request after 1,000 warm-up requests, ~100 k after 20,000, and TurboFan still recompiling in');
out('lumps after 60,000), so it is read pooled, not as a sign of steady state. With tracing on the ratios moved by several percent between runs');
out('whose A/A pairs looked tight; `--processes N` runs N processes per variant and pools their windows. V8 also');
out('seeds its string hashes randomly per process, which moves some costs (Express rebuilds hidden classes per request,');
out('whose descriptor order follows the hashes); `--seeds N` gives process i of every variant the same fixed seed, and');
out('with several processes a per-process table gives each ratio against the same round\'s app without us: their mean,');
out('a 95 % interval treating the rounds as independent draws (Student t), and min–max.');
out();

const summary = [];
for (const group of groups) {
  const title = `${FRAMEWORKS[group.framework].label}, tracing ${group.tracing ? 'on (tracesSampleRate 1)' : 'off'}`;
  out(`## ${title}`);
  out();
  if (group.results.get('none').length === 0) {
    out('not measured (the app without us failed; see below)');
    out();
    continue;
  }
  out('| variant | JS & runtime /req | × none | GC /req | compiler /req | all /req | × none | JS & runtime per window (k) |');
  out('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const variant of VARIANTS) {
    const windows = windowsOf(group, variant.key);
    if (windows.length === 0) {
      out(`| ${variant.label} | not measured | | | | | | |`);
      continue;
    }
    const base = variant.key === 'none';
    out(
      `| ${variant.label} | ${fmtK(median(windows.map((w) => perRequest(w, 'rest'))))} | ${base ? '1' : fmtRatio(restRatio(group, variant.key))} | ` +
        `${fmtK(pooled(group, variant.key, 'gc'))} | ${fmtK(pooled(group, variant.key, 'compiler'))} | ${fmtK(pooled(group, variant.key, 'total'))} | ` +
        `${base ? '1' : fmtRatio(pooledRatio(group, variant.key, 'total'))} | ${windows.map((w) => Math.round(perRequest(w, 'rest') / 1000)).join(', ')} |`,
    );
  }
  const noise = restNoise(group);
  const aaTotal = pooledRatio(group, 'none-again', 'total');
  const aaGc = pooledRatio(group, 'none-again', 'gc');
  out();
  out(`Noise floor (A/A): JS & runtime ${pct(noise)}; all instructions ${pct(Math.abs(aaTotal - 1))} (A/A ${fmtRatio(aaTotal)}), of which GC ${fmtRatio(aaGc)} ×.`);
  out();
  const layerKeys = VARIANTS.map((variant) => variant.key).filter((key) => key !== 'none');
  const sruKeys = layerKeys.filter((key) => key.startsWith('sru'));
  const rounds = [...new Set(group.results.get('none').map((run) => run.round))].sort((a, b) => a - b);
  if (settings.processes > 1) {
    const ratios = Object.fromEntries(layerKeys.map((key) => [key, roundRatios(group, key, 'none')]));
    const overNoop = Object.fromEntries(sruKeys.map((key) => [key, roundRatios(group, key, 'noop')]));
    const label = (key) => VARIANTS.find((variant) => variant.key === key).label.replace(/^\+ /, '');
    out('Per process, JS & runtime over all of its windows, × the same round\'s app without us:');
    out();
    out(`| round | app without us /req | ${layerKeys.map(label).join(' | ')} | ${sruKeys.map((key) => `${label(key)} ÷ no-op`).join(' | ')} |`);
    out(`|---|---:|${layerKeys.map(() => '---:|').join('')}${sruKeys.map(() => '---:|').join('')}`);
    for (const round of rounds) {
      const base = group.results.get('none').find((run) => run.round === round);
      out(`| ${roundName(round)} | ${fmtK(processRest(base))} | ${layerKeys.map((key) => fmtRatio(ratios[key].get(round))).join(' | ')} | ${sruKeys.map((key) => fmtRatio(overNoop[key].get(round))).join(' | ')} |`);
    }
    out(`| mean ±95 % (min–max) | ${fmtK(overRounds(new Map(rounds.map((round) => [round, processRest(group.results.get('none').find((run) => run.round === round))]))).mean)} | ${layerKeys.map((key) => fmtOver(overRounds(ratios[key]))).join(' | ')} | ${sruKeys.map((key) => fmtOver(overRounds(overNoop[key]))).join(' | ')} |`);
    out();
  }
  for (const key of VARIANTS.map((variant) => variant.key).filter((key) => key !== 'none' && key !== 'none-again')) {
    if (windowsOf(group, key).length === 0) continue;
    summary.push({ title, key, overRounds: overRounds(roundRatios(group, key, 'none')), overRoundsNoop: key === 'noop' ? null : overRounds(roundRatios(group, key, 'noop')), aaRounds: overRounds(roundRatios(group, 'none-again', 'none')), overNoop: key === 'noop' ? Number.NaN : restRatio(group, key, 'noop'), rest: restRatio(group, key), aaRest: restRatio(group, 'none-again'), noise, total: pooledRatio(group, key, 'total'), aaTotal, gc: pooledRatio(group, key, 'gc'), aaGc });
  }
}

out('## Summary: × the app without us');
out();
out('| group | layer | JS & runtime (A/A; noise floor) | JS & runtime × no-op layer | all instructions (A/A) | GC (A/A) |');
out('|---|---|---:|---:|---:|---:|');
for (const row of summary) {
  out(`| ${row.title} | ${row.key} | ${fmtRatio(row.rest)} (${fmtRatio(row.aaRest)}; ${pct(row.noise)}) | ${fmtRatio(row.overNoop)} | ${fmtRatio(row.total)} (${fmtRatio(row.aaTotal)}) | ${fmtRatio(row.gc)} (${fmtRatio(row.aaGc)}) |`);
}
out();
if (settings.processes > 1) {
  out(`## Summary over processes (${seeds === null ? `${settings.processes} per variant, V8's random seeds` : `seeds ${seeds.join(', ')}`}): JS & runtime, mean of the per-process ratios ±95 % (min–max)`);
  out();
  out('| group | layer | × the app without us | A/A control | × the no-op layer |');
  out('|---|---|---:|---:|---:|');
  for (const row of summary) out(`| ${row.title} | ${row.key} | ${fmtOver(row.overRounds)} | ${fmtOver(row.aaRounds)} | ${row.overRoundsNoop === null ? '—' : fmtOver(row.overRoundsNoop)} |`);
  out();
}
if (failures.length > 0) {
  out('## Failed processes');
  out();
  for (const failure of failures) out(`- ${failure}`);
  out();
}
out(`(total ${((Date.now() - started) / 1000).toFixed(0)} s; ${sink.stats().envelopes} envelopes reached the loopback sink)`);
writeFileSync(args.out ? path.resolve(args.out) : path.join(here, 'instructions-latest.md'), `${lines.join('\n')}\n`);
if (args.json) writeFileSync(path.resolve(args.json), JSON.stringify({ settings, v8Flags, seeds, packages, groups: groups.map((g) => ({ ...g, results: Object.fromEntries(g.results) })) }, null, 1));
process.exit(failures.length > 0 ? 1 : 0);
