// Builds dist/esm (ES modules) and dist/cjs (CommonJS) from one source tree, each with its own declarations.
// Each output folder gets a package.json naming its module type, so Node and TypeScript read the `.js` and
// `.d.ts` files inside it the right way whatever the root package.json says.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

rmSync('dist', { recursive: true, force: true });
const builds = [
  { dir: 'dist/esm', module: 'ES2022', moduleResolution: 'Bundler', type: 'module' },
  { dir: 'dist/cjs', module: 'CommonJS', moduleResolution: 'Node10', type: 'commonjs' },
];
for (const build of builds) {
  execFileSync(
    process.execPath,
    [tsc, '-p', 'tsconfig.build.json', '--outDir', build.dir, '--module', build.module, '--moduleResolution', build.moduleResolution],
    { stdio: 'inherit' },
  );
  mkdirSync(build.dir, { recursive: true });
  writeFileSync(`${build.dir}/package.json`, `${JSON.stringify({ type: build.type })}\n`);
}
