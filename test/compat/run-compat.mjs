// The compatibility matrix: @sentry/node 8, 9, 10 and 11 with Express 4/5 and Koa 2/3. Each cell is a fresh folder
// with those versions and the packed tarball installed, the fixture apps copied in, and the end-to-end suite run
// against it (SRU_FIXTURE_ROOT). Needs the npm registry. Usage: npm run test:compat [-- --only sentry8-express4-koa2]
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = path.join(root, '.tmp/compat');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

const CELLS = [
  { sentry: '8', express: '4', koa: '2' },
  { sentry: '8', express: '5', koa: '3' },
  { sentry: '9', express: '4', koa: '2' },
  { sentry: '9', express: '5', koa: '3' },
  { sentry: '10', express: '4', koa: '2' },
  { sentry: '10', express: '5', koa: '3' },
  { sentry: '11', express: '4', koa: '2' },
  { sentry: '11', express: '5', koa: '3' },
].map((cell) => ({ ...cell, name: `sentry${cell.sentry}-express${cell.express}-koa${cell.koa}` }));

const FIXTURE_DEPS = {
  'express-session': '^1',
  passport: '^0.7',
  'passport-local': '^1',
  'express-jwt': '^8',
  jsonwebtoken: '^9',
  'koa-jwt': '^4',
  'koa-session': '^7',
  '@koa/router': '^15',
};

mkdirSync(work, { recursive: true });
execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
for (const file of readdirSync(work).filter((file) => file.endsWith('.tgz'))) rmSync(path.join(work, file));
execFileSync('npm', ['pack', '--pack-destination', work], { cwd: root, stdio: 'ignore' });
const tarball = path.join(work, readdirSync(work).find((file) => file.endsWith('.tgz')));

const summary = [];
for (const cell of CELLS.filter((cell) => !only || cell.name === only)) {
  const dir = path.join(work, cell.name);
  console.log(`\n=== ${cell.name}`);
  mkdirSync(dir, { recursive: true });
  const dependencies = {
    '@sentry/node': `^${cell.sentry}`,
    express: `^${cell.express}`,
    koa: `^${cell.koa}`,
    ...FIXTURE_DEPS,
    'sentry-request-user': `file:${tarball}`,
  };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `compat-${cell.name}`, private: true, dependencies }, null, 2));
  // The tarball changes between runs under the same name: drop the lock entry and the copy so the new one is used.
  rmSync(path.join(dir, 'node_modules/sentry-request-user'), { recursive: true, force: true });
  rmSync(path.join(dir, 'package-lock.json'), { force: true });
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  if (install.status !== 0) {
    summary.push({ cell: cell.name, ok: false, note: 'npm install failed' });
    continue;
  }
  rmSync(path.join(dir, 'test'), { recursive: true, force: true });
  cpSync(path.join(root, 'test/fixtures'), path.join(dir, 'test/fixtures'), { recursive: true });
  cpSync(path.join(root, 'support'), path.join(dir, 'support'), { recursive: true });
  const versions = ['@sentry/node', 'express', 'koa'].map((name) => {
    const file = path.join(dir, 'node_modules', name, 'package.json');
    return existsSync(file) ? `${name}@${JSON.parse(execFileSync('cat', [file], { encoding: 'utf8' })).version}` : `${name}@?`;
  });
  console.log(versions.join(' '));
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules/jest/bin/jest.js'), 'test/e2e', '--ci'], {
    cwd: root,
    env: { ...process.env, SRU_FIXTURE_ROOT: dir },
    stdio: 'inherit',
  });
  summary.push({ cell: cell.name, versions: versions.join(' '), ok: result.status === 0 });
}

console.log('\ncompatibility matrix:');
for (const row of summary) console.log(`  ${row.ok ? '✓' : '✕'} ${row.cell}  ${row.versions ?? row.note ?? ''}`);
const failed = summary.filter((row) => !row.ok).length;
console.log(`compat: ${summary.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
