import { existsSync } from 'node:fs';
import path from 'node:path';

// The benchmarks' command line: `--quick` alone, every other `--flag value`; flags named in `repeatable` collect
// their values in an array (`--pkg a --pkg b`). `number(name, fallback)` reads a numeric flag.
export function parseBenchArgs(argv, { repeatable = [] } = {}) {
  const args = Object.fromEntries(repeatable.map((name) => [name, []]));
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--quick') args.quick = true;
    else if (flag.startsWith('--')) {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${flag} needs a value`);
      const name = flag.slice(2);
      if (repeatable.includes(name)) args[name].push(value);
      else args[name] = value;
    } else throw new Error(`unknown argument ${flag}`);
  }
  const number = (name, fallback) => (args[name] === undefined ? fallback : Number(args[name]));
  return { args, quick: args.quick === true, number };
}

/**
 * `--pkg [label=]DIR` values → the builds under test (default: `repo` itself), each a checkout with a built `dist/`.
 * Repeat the flag to measure builds side by side in one run.
 */
export function packagesUnderTest(specs, repo) {
  return (specs.length > 0 ? specs : [`this repo=${repo}`]).map((spec) => {
    const [label, dir] = spec.includes('=') ? spec.split(/=(.*)/s) : [path.basename(path.resolve(spec)), spec];
    const resolved = path.resolve(dir);
    if (!existsSync(path.join(resolved, 'dist', 'cjs', 'adapters', 'express.js'))) {
      throw new Error(`${resolved} has no built dist/ (run npm run build there)`);
    }
    return { label, dir: resolved };
  });
}

/** `packagesUnderTest`, or the reason on stderr and exit code 2 (a bad `--pkg` is a usage error). */
export function packagesUnderTestOrExit(specs, repo) {
  try {
    return packagesUnderTest(specs, repo);
  } catch (error) {
    console.error(error.message);
    process.exit(2);
  }
}
