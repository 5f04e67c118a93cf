// npm run bench:per-event-instructions [-- flags]: instructions per event fill, counted by valgrind (callgrind), for
// builds side by side in one process. Timed medians of the fill (bench/run.mjs --only micro) move by up to 2 × with
// this machine's load and switch between two levels within one process; a count of the same work does not.
// Every build's tasks (bench/per-event.mjs: our fill of a bare event, the SDK's request-data path, our fill after the
// SDK's) run in one process under callgrind, warmed up uninstrumented, then counted in blocks alternated across
// builds; per block, instructions are split into GC, compiler and JS & runtime (bench/instructions/callgrind.mjs), an
// empty block's count is subtracted, and the median over rounds is reported.
//
// Flags: --pkg [label=]DIR (repeatable; default this repo)  --rounds N (3)  --per-block N (5000)  --warmup N (30000)
//        --tasks fill,fillAfterSdk,sdkPath  --out FILE (default bench/per-event-instructions-latest.md)
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packagesUnderTestOrExit, parseBenchArgs } from './cli-args.mjs';
import { PER_EVENT_TASK_NAMES } from './per-event.mjs';
import { VALGRIND_ARGS, classify, parseDump, valgrindMissing, valgrindVersion } from './instructions/callgrind.mjs';
import { median } from './stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, '..');
const missing = valgrindMissing();
if (missing !== null) {
  console.error(`bench:per-event-instructions needs valgrind with callgrind (${missing}). Install it (Debian/Ubuntu: apt-get install valgrind) or use npm run bench -- --only micro, which times the fill instead.`);
  process.exit(2);
}
const { args, number } = parseBenchArgs(process.argv.slice(2), { repeatable: ['pkg'] });
const packages = packagesUnderTestOrExit(args.pkg, repo);
const tasks = (args.tasks ?? 'fill,fillAfterSdk,sdkPath').split(',');
for (const task of tasks) {
  if (PER_EVENT_TASK_NAMES[task] === undefined) {
    console.error(`unknown task ${task} (known: ${Object.keys(PER_EVENT_TASK_NAMES).join(', ')})`);
    process.exit(2);
  }
}
const settings = { perBlock: number('per-block', 5000), rounds: number('rounds', 3), warmup: number('warmup', 30000) };

const dir = mkdtempSync(path.join(os.tmpdir(), 'sru-per-event-'));
const started = Date.now();
const guest = spawn(
  'valgrind',
  [...VALGRIND_ARGS, `--callgrind-out-file=${path.join(dir, 'cg.%p')}`, `--log-file=${path.join(dir, 'valgrind.log')}`, process.execPath, path.join(here, 'instructions', 'per-event-guest.mjs'), JSON.stringify({ dirs: packages.map((pkg) => pkg.dir), tasks, ...settings })],
  { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
);
let output = '';
guest.stdout.on('data', (chunk) => (output += chunk));
guest.stderr.on('data', (chunk) => (output += chunk));
const code = await new Promise((resolve) => guest.on('exit', resolve));
if (code !== 0) {
  console.error(`the counted process failed (${code}):\n${output.slice(-3000)}`);
  process.exit(1);
}

// One dump per block, named `b<build>_<task>#<round>` or `empty#<round>`.
const counts = new Map();
for (const file of readdirSync(dir).filter((name) => /^cg\.\d+\.\d+$/.test(name))) {
  const text = readFileSync(path.join(dir, file), 'utf8');
  const label = /^desc: Trigger: dump (\S+)#(\d+)$/m.exec(text);
  if (label === null) continue;
  const split = classify(parseDump(text));
  if (!counts.has(label[1])) counts.set(label[1], []);
  counts.get(label[1]).push(split);
}
rmSync(dir, { recursive: true, force: true });
const empty = median(counts.get('empty').map((split) => split.rest));
const perOp = (label, part) => (counts.get(label) ?? []).map((split) => (part === 'rest' ? split.rest - empty : split[part]) / settings.perBlock);
const k = (n) => `${(n / 1000).toFixed(1)} k`;

const lines = [];
const out = (line = '') => {
  lines.push(line);
  console.log(line);
};
out(`## Per event, counted (${new Date(started).toISOString()})`);
out();
out(`${valgrindVersion()}, node ${process.version}; ${settings.rounds} rounds of ${settings.perBlock.toLocaleString('en-US')} calls per task and build, after ${settings.warmup.toLocaleString('en-US')} uninstrumented calls of each; the median count of an empty block (${k(empty)}: the toggling itself) subtracted. JS & runtime per call: median over rounds (min–max); GC and compiler per call: mean over rounds.`);
out();
out(`| task | build | JS & runtime / call | × ${packages[0].label} | GC / call | compiler / call |`);
out('|---|---|---:|---:|---:|---:|');
for (const task of tasks) {
  const first = median(perOp(`b0_${task}`, 'rest'));
  packages.forEach((pkg, build) => {
    const label = `b${build}_${task}`;
    const rest = perOp(label, 'rest');
    const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
    out(`| ${PER_EVENT_TASK_NAMES[task]} | ${pkg.label} | ${k(median(rest))} (${k(Math.min(...rest))}–${k(Math.max(...rest))}) | ${(median(rest) / first).toFixed(3)} | ${Math.round(mean(perOp(label, 'gc')))} | ${Math.round(mean(perOp(label, 'compiler')))} |`);
  });
}
out();
out(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);
writeFileSync(args.out ?? path.join(here, 'per-event-instructions-latest.md'), `${lines.join('\n')}\n`);
