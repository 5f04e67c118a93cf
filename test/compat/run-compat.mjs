// The compatibility matrix: @sentry/node 8, 9, 10 and 11 — the lowest published minor and the newest release of each
// major — with Express 4/5, Koa 2/3, Fastify 4/5, Hono 4 and NestJS 11 (Express 5 cells). Each cell is a folder of
// its own with those versions and the packed tarball installed from the registry, the fixture apps copied in, and the
// end-to-end suite run against it (SRU_FIXTURE_ROOT). Needs the npm registry.
//
//   npm run test:compat                                  the full matrix
//   node test/compat/run-compat.mjs --set ci             the CI subset (four cells, see CI below)
//   node test/compat/run-compat.mjs --only sentry8-express5-koa3-fastify5[,…]
//   node test/compat/run-compat.mjs --sentry 8.5.0,8.6.0 ad-hoc cells for exact versions (old frameworks)
//   … --files express,faults                             only the e2e files whose names start so
//   … --tarball path/to/sentry-request-user.tgz           test a given tarball instead of building and packing
//   … --no-build                                         pack dist as it is (CI: npm test built it)
//   … --fresh                                            delete the cells first (otherwise node_modules is reused)
//   … --report .tmp/compat-report.json                   where the JSON summary goes (CI's summary line reads it)
//
// An e2e file runs in a cell only when the cell has every framework it uses (fixture file and packages); otherwise it
// is skipped and the skip is printed. A cell fails when npm install fails, when Jest fails, or when Jest runs no test.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({
  options: {
    set: { type: 'string', default: 'full' },
    only: { type: 'string' },
    sentry: { type: 'string' },
    files: { type: 'string' },
    tarball: { type: 'string', default: process.env.SRU_COMPAT_TARBALL },
    work: { type: 'string', default: process.env.SRU_COMPAT_WORK ?? path.join(root, '.tmp/compat') },
    report: { type: 'string', default: path.join(root, '.tmp/compat-report.json') },
    fresh: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    'cell-timeout': { type: 'string', default: '1200' },
  },
});
const work = path.resolve(args.work);

/** Framework generations: the older majors together, the newer majors together. */
const GENERATIONS = {
  old: { express: '4', koa: '2', fastify: '4', deps: { '@fastify/jwt': '^8' } },
  new: {
    express: '5',
    koa: '3',
    fastify: '5',
    // NestJS 11 runs on Express 5 (its platform-express depends on it), so only the Express 5 cells have it.
    deps: {
      '@fastify/jwt': '^10',
      '@nestjs/core': '^11',
      '@nestjs/common': '^11',
      '@nestjs/platform-express': '^11',
      '@nestjs/platform-fastify': '^11',
      'reflect-metadata': '^0.2',
      rxjs: '^7',
    },
  },
};

/** `8` = the newest 8.x; `8.0` = the newest patch of 8.0 (the lowest minor); `8.5.0` = exactly that. */
function cell(sentry, generation) {
  const frameworks = GENERATIONS[generation];
  const spec = /^\d+$/.test(sentry) ? `^${sentry}` : /^\d+\.\d+$/.test(sentry) ? `~${sentry}.0` : sentry;
  return {
    name: `sentry${sentry}-express${frameworks.express}-koa${frameworks.koa}-fastify${frameworks.fastify}`,
    dependencies: {
      '@sentry/node': spec,
      express: `^${frameworks.express}`,
      koa: `^${frameworks.koa}`,
      fastify: `^${frameworks.fastify}`,
      ...frameworks.deps,
    },
  };
}

const FULL = [
  cell('8.0', 'old'),
  cell('8', 'old'),
  cell('8', 'new'),
  cell('9.0', 'old'),
  cell('9', 'old'),
  cell('9', 'new'),
  cell('10.0', 'old'),
  cell('10', 'old'),
  cell('10', 'new'),
  cell('11.0', 'new'),
  cell('11', 'old'),
  cell('11', 'new'),
];
/**
 * CI: what fits beside lint, npm test and the pack check in 15 minutes on 2 cores (a cell costs about 150–190 s of CPU).
 * npm test already covers the newest @sentry/node 11 with the newest frameworks; these four add the oldest supported
 * SDK (flat global carrier) with the oldest frameworks, the newest 8.x with Express 5/Nest, the newest 9.x (logs) and
 * the newest 10.x (dataCollection beside sendDefaultPii). The other cells run with the full matrix.
 */
const CI = [cell('8.0', 'old'), cell('8', 'new'), cell('9', 'old'), cell('10', 'new')];

/** Packages the fixtures use beside the framework itself. */
const FIXTURE_DEPS = {
  'express-session': '^1',
  passport: '^0.7',
  'passport-local': '^1',
  'express-jwt': '^8',
  jsonwebtoken: '^9',
  'koa-jwt': '^4',
  'koa-session': '^7',
  '@koa/router': '^15',
  hono: '^4',
  '@hono/node-server': '^2',
};

/** What a framework's fixture needs in a cell. */
const FRAMEWORK_PACKAGES = {
  express: ['express', 'express-session', 'passport', 'passport-local', 'express-jwt'],
  koa: ['koa', 'koa-jwt', 'koa-session', '@koa/router'],
  fastify: ['fastify', '@fastify/jwt'],
  hono: ['hono', '@hono/node-server'],
  nest: ['@nestjs/core', '@nestjs/common', '@nestjs/platform-express', '@nestjs/platform-fastify', 'reflect-metadata', 'rxjs', 'express'],
};
const FRAMEWORKS = Object.keys(FRAMEWORK_PACKAGES);
/** The entry point of the package under test that each framework's fixture imports. */
const FRAMEWORK_ADAPTER = { express: './express', koa: './koa', fastify: './fastify', hono: './hono', nest: './express' };

let cells;
if (args.sentry) {
  cells = args.sentry.split(',').map((version) => cell(version.trim(), 'old'));
} else {
  cells = args.set === 'ci' ? CI : FULL;
  if (args.set !== 'ci' && args.set !== 'full') throw new Error(`--set must be "full" or "ci", not "${args.set}"`);
}
if (args.only) {
  const wanted = new Set(args.only.split(','));
  const known = new Set([...FULL, ...cells].map((each) => each.name));
  for (const name of wanted) if (!known.has(name)) throw new Error(`--only: no cell "${name}"; cells: ${[...known].join(', ')}`);
  cells = [...FULL, ...cells].filter((each, index, all) => wanted.has(each.name) && all.findIndex((other) => other.name === each.name) === index);
}

/** The e2e files and the fixture frameworks each one starts (read from its e2eSuite/startFixture/app calls). */
function e2eFiles() {
  const dir = path.join(root, 'test/e2e');
  const prefixes = args.files?.split(',');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.e2e.test.ts') && (!prefixes || prefixes.some((prefix) => file.startsWith(prefix))))
    .sort()
    .map((file) => {
      const text = readFileSync(path.join(dir, file), 'utf8');
      // Runs something from the cell: a fixture through the harness, or a file of its own under SRU_FIXTURE_ROOT.
      const usesFixtures = /\b(e2eSuite|startFixture)\s*\(|SRU_FIXTURE_ROOT/.test(text);
      const frameworks = new Set();
      for (const match of text.matchAll(/['"](express|koa|fastify|hono|nest)['"]/g)) frameworks.add(match[1]);
      return { file: path.join('test/e2e', file), usesFixtures, frameworks: [...frameworks] };
    });
}

/** Process groups still running, killed if this script is interrupted (they are detached so a timeout can kill all). */
const running = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const pid of running) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    process.exit(130);
  });
}

function run(command, argv, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, argv, { ...options, detached: true });
    running.add(child.pid);
    const timeoutS = options.timeoutS;
    const timer = timeoutS
      ? setTimeout(() => {
          console.log(`\n[compat] ${path.basename(command)} ${argv[0] ?? ''} exceeded ${timeoutS} s: killing its process group`);
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }, timeoutS * 1000)
      : undefined;
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      running.delete(child.pid);
      resolve({ code, signal });
    });
  });
}

/** Whether the installed package exports `entry` for require() and ships the file it points to. */
function adapterShipped(dir, entry) {
  const packageDir = path.join(dir, 'node_modules/sentry-request-user');
  const target = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')).exports?.[entry]?.require;
  const file = typeof target === 'string' ? target : target?.default;
  return typeof file === 'string' && existsSync(path.join(packageDir, file));
}

function versionIn(dir, name) {
  const file = path.join(dir, 'node_modules', name, 'package.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : undefined;
}

// The tarball: given, or built and packed from this checkout. (`npm run test:compat` has just built dist.)
mkdirSync(work, { recursive: true });
let tarball = args.tarball && path.resolve(args.tarball);
if (!tarball) {
  if (!args['no-build'] && process.env.npm_lifecycle_event !== 'test:compat') execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  const packDir = path.join(work, 'pack');
  rmSync(packDir, { recursive: true, force: true });
  mkdirSync(packDir);
  execFileSync('npm', ['pack', '--pack-destination', packDir], { cwd: root, stdio: 'ignore' });
  tarball = path.join(packDir, readdirSync(packDir).find((file) => file.endsWith('.tgz')));
}
// Named by content, so a changed tarball is a changed dependency for npm (no stale copy from an earlier run).
const tarballHash = createHash('sha256').update(readFileSync(tarball)).digest('hex').slice(0, 12);
console.log(`[compat] tarball ${tarball} (sha256 ${tarballHash}…), cells in ${work}`);

/** Writes the cell's package.json and installs it; resolves to an error note or undefined. */
async function install(each) {
  const dir = path.join(work, each.name);
  if (args.fresh) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(dir).filter((file) => /^sentry-request-user-.*\.tgz$/.test(file))) rmSync(path.join(dir, file));
  const local = `sentry-request-user-${tarballHash}.tgz`;
  copyFileSync(tarball, path.join(dir, local));
  const dependencies = { ...FIXTURE_DEPS, ...each.dependencies, 'sentry-request-user': `file:./${local}` };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `compat-${each.name}`, private: true, dependencies }, null, 2));
  const started = Date.now();
  const result = await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeoutS: 600,
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  if (result.code !== 0) return { error: `npm install failed (${result.code ?? result.signal})`, seconds };
  rmSync(path.join(dir, 'test'), { recursive: true, force: true });
  cpSync(path.join(root, 'test/fixtures'), path.join(dir, 'test/fixtures'), { recursive: true });
  cpSync(path.join(root, 'support'), path.join(dir, 'support'), { recursive: true });
  return { seconds };
}

const files = e2eFiles();
const summary = [];
// Install the next cell while the current one runs its tests: installing waits on the network, testing on the CPU.
const installs = [];
const installAt = (index) => (installs[index] ??= index < cells.length ? install(cells[index]) : undefined);
for (let index = 0; index < cells.length; index++) {
  const each = cells[index];
  const dir = path.join(work, each.name);
  const installed = await installAt(index);
  void installAt(index + 1);
  console.log(`\n=== ${each.name}`);
  if (installed.error) {
    console.log(`[compat] ${installed.error}`);
    summary.push({ cell: each.name, ok: false, note: installed.error, passed: 0, failed: 0 });
    continue;
  }
  const versions = ['@sentry/node', 'express', 'koa', 'fastify', 'hono', '@nestjs/core']
    .map((name) => [name, versionIn(dir, name)])
    .filter(([, version]) => version)
    .map(([name, version]) => `${name}@${version}`)
    .join(' ');
  console.log(`${versions} (installed in ${installed.seconds} s)`);

  const available = new Map(
    FRAMEWORKS.map((framework) => {
      if (!existsSync(path.join(dir, `test/fixtures/${framework}-app.cjs`))) return [framework, `no test/fixtures/${framework}-app.cjs`];
      const missing = FRAMEWORK_PACKAGES[framework].filter((name) => !versionIn(dir, name));
      if (missing.length > 0) return [framework, `${missing.join(', ')} not installed in this cell`];
      return [framework, adapterShipped(dir, FRAMEWORK_ADAPTER[framework]) ? true : `the tarball has no sentry-request-user/${FRAMEWORK_ADAPTER[framework].slice(2)}`];
    }),
  );
  const selected = [];
  const skipped = [];
  for (const entry of files) {
    const missing = entry.frameworks.filter((framework) => available.get(framework) !== true);
    if (!entry.usesFixtures) skipped.push({ file: entry.file, why: 'runs nothing from the cell (the same in every cell: npm test runs it)' });
    else if (missing.length > 0) skipped.push({ file: entry.file, why: missing.map((framework) => `needs ${framework}: ${available.get(framework)}`).join('; ') });
    else selected.push(entry.file);
  }
  for (const skip of skipped) console.log(`[compat] SKIPPED in ${each.name}: ${skip.file} — ${skip.why}`);

  const jestReport = path.join(dir, 'jest-report.json');
  rmSync(jestReport, { force: true });
  const started = Date.now();
  const result = await run(process.execPath, [path.join(root, 'node_modules/jest/bin/jest.js'), '--ci', '--json', `--outputFile=${jestReport}`, '--runTestsByPath', ...selected], {
    cwd: root,
    env: { ...process.env, SRU_FIXTURE_ROOT: dir },
    stdio: 'inherit',
    timeoutS: Number(args['cell-timeout']),
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  let passed = 0;
  let failed = 1;
  let note = '';
  try {
    const report = JSON.parse(readFileSync(jestReport, 'utf8'));
    passed = report.numPassedTests;
    failed = report.numFailedTests + report.numRuntimeErrorTestSuites;
  } catch {
    note = 'no Jest report';
  }
  const ok = result.code === 0 && failed === 0 && passed > 0;
  if (!ok && !note) note = result.code === 0 ? 'no test ran' : `jest exited with ${result.code ?? result.signal}`;
  summary.push({
    cell: each.name,
    versions,
    ok,
    passed,
    failed,
    skippedFiles: skipped.map((skip) => skip.file),
    installSeconds: installed.seconds,
    testSeconds: seconds,
    note,
  });
}

console.log('\ncompatibility matrix:');
for (const row of summary) {
  const skips = row.skippedFiles?.length ? `  (skipped: ${row.skippedFiles.map((file) => path.basename(file)).join(', ')})` : '';
  console.log(`  ${row.ok ? '✓' : '✕'} ${row.cell}  ${row.versions ?? ''}  ${row.passed} passed, ${row.failed} failed, ${row.testSeconds ?? 0} s${row.note ? `  ${row.note}` : ''}${skips}`);
}
const failedCells = summary.filter((row) => !row.ok).length;
const totals = { passed: summary.reduce((sum, row) => sum + row.passed, 0), failed: summary.reduce((sum, row) => sum + row.failed, 0) };
mkdirSync(path.dirname(path.resolve(args.report)), { recursive: true });
writeFileSync(args.report, JSON.stringify({ tarball: tarballHash, cellsPassed: summary.length - failedCells, cellsFailed: failedCells, ...totals, cells: summary }, null, 2));
console.log(`compat: ${summary.length - failedCells} cells passed, ${failedCells} failed (${totals.passed} tests passed, ${totals.failed} failed)`);
process.exit(failedCells === 0 ? 0 : 1);
