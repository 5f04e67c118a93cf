// Packs the package and runs fresh consumers against the tarball: CommonJS and ESM (run), TypeScript ESM and CJS
// (typechecked under NodeNext and bundler resolution), every entry point loaded, and publint. The consumers resolve express, koa and @sentry/node from the repository's
// node_modules (the parent folders), but this package only from the tarball installed into their own node_modules.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = path.join(root, '.tmp/pack');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const results = [];
function check(name, run) {
  try {
    run();
    results.push({ name, ok: true });
    console.log(`  ✓ ${name}`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`  ✕ ${name}\n${String(error.stdout || '')}${String(error.stderr || '')}${error.stdout ? '' : error.message}`);
  }
}
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: 'pipe' });

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// Without a build, as a clean checkout is: `npm pack` (and so `npm publish`) must build the package itself (prepack).
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
run(npm, ['pack', '--pack-destination', work], root);
const tarball = readdirSync(work).find((file) => file.endsWith('.tgz'));
const consumer = path.join(work, 'consumer');
cpSync(path.join(root, 'test/pack/consumer'), consumer, { recursive: true });
writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
run(npm, ['install', '--no-save', '--no-audit', '--no-fund', '--offline', '--ignore-scripts', path.join(work, tarball)], consumer);

console.log(`packed ${tarball}`);
check('tarball contains only dist, README, LICENSE and package.json, and the build (packed from a checkout without one)', () => {
  const listing = run('tar', ['-tzf', path.join(work, tarball)], work).trim().split('\n');
  for (const entry of ['package/dist/cjs/src/index.js', 'package/dist/esm/src/index.js']) if (!listing.includes(entry)) throw new Error(`${entry} missing: ${listing.join(', ')}`);
  const unexpected = listing.filter((file) => !/^package\/(dist\/|README\.md$|LICENSE$|package\.json$)/.test(file));
  if (unexpected.length > 0) throw new Error(`unexpected files: ${unexpected.join(', ')}`);
});
check('CommonJS consumer (require) runs the core and the Express adapter', () => run(process.execPath, ['cjs-express.cjs'], consumer));
check('ESM consumer (import) runs the core and the Koa adapter', () => run(process.execPath, ['esm-koa.mjs'], consumer));
check('every entry point loads and exports its function, from CommonJS and from ESM', () => {
  run(process.execPath, ['entry-points.cjs'], consumer);
  run(process.execPath, ['entry-points.mjs'], consumer);
});
check('strict TypeScript consumers (ESM and CJS, NodeNext) typecheck framework-typed callbacks without casts', () =>
  run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], consumer));
check('the same ESM consumer typechecks under bundler resolution', () =>
  run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.bundler.json'], consumer));
check("the package's own declarations typecheck without skipLibCheck", () => {
  // The framework type packages our declarations import have errors of their own under skipLibCheck: false
  // (@types/koa against content-disposition's types); only errors in our declarations count.
  let output = '';
  try {
    run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.dts.json'], consumer);
  } catch (error) {
    output = String(error.stdout || '') + String(error.stderr || '');
  }
  const ours = output.split('\n').filter((line) => line.includes('node_modules/sentry-request-user/'));
  if (ours.length > 0) throw new Error(ours.join('\n'));
});
check('publint finds nothing', () => {
  const output = run(process.execPath, [path.join(root, 'node_modules/publint/src/cli.js'), path.join(consumer, 'node_modules/sentry-request-user'), '--strict'], root);
  if (/error|warning|suggestion/i.test(output.replace(/No issues found/i, ''))) throw new Error(output);
});

const passed = results.filter((result) => result.ok).length;
const failed = results.length - passed;
mkdirSync(path.join(root, '.tmp'), { recursive: true });
writeFileSync(path.join(root, '.tmp/pack-report.json'), JSON.stringify({ passed, failed }));
console.log(`pack: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
