// One measured server (bench/hot-path/server.cjs, unchanged) under valgrind's callgrind, counting the guest
// instructions of every thread of the process (the main thread, V8's GC and compiler helper threads, libuv's pool),
// window by window: instrumentation off through start-up and warm-up (valgrind then only translates, ~3–5 × faster),
// `callgrind_control -i on`, then one dump per window of a fixed number of requests. Each dump holds the cost since
// the previous one, so start-up, warm-up and every other window cancel out. The load comes from this process, which
// is not under valgrind.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

const here = path.dirname(fileURLToPath(import.meta.url));
const serverFile = path.join(here, '..', 'hot-path', 'server.cjs');
const idle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const run = promisify(execFile);

// --smc-check=all-non-file: V8 writes, patches and reuses machine code in anonymous memory; valgrind must notice, or
// it runs stale translations of that code. --instr-atstart=no: start-up and warm-up run uninstrumented.
export const VALGRIND_ARGS = ['--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file'];

// Simulated first-level and last-level caches: instruction counts do not see a miss, which costs ~10 (L1) or ~100
// (memory) instructions' time. With them each cost is callgrind's cycle estimate (see `eventWeights`): a model, with
// sizes given here rather than taken from the host (this one reports a 318 MB last level, where nearly every miss
// would be a first touch): 32 KB 8-way first-level caches, an 8 MB 16-way last level, one cache for all threads.
export const CACHE_SIM_ARGS = ['--cache-sim=yes', '--I1=32768,8,64', '--D1=32768,8,64', '--LL=8388608,16,64'];

/** Why this machine cannot run the measure, or null when it can. */
export function valgrindMissing() {
  for (const tool of ['valgrind', 'callgrind_control']) {
    const probe = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (probe.error !== undefined || probe.status !== 0) return `${tool} not found (${probe.error?.code ?? `exit ${probe.status}`})`;
  }
  return null;
}

export function valgrindVersion() {
  return spawnSync('valgrind', ['--version'], { encoding: 'utf8' }).stdout.trim();
}

/** A fixed number of keep-alive requests; valgrind makes the server 30–100 × slower, hence the long timeout. */
function load(port, { requests, connections }) {
  return new Promise((resolve, reject) => {
    autocannon(
      { url: `http://127.0.0.1:${port}/`, amount: requests, connections, timeout: 120, headers: { 'x-forwarded-for': '198.51.100.7' } },
      (error, result) => {
        if (error) return reject(error);
        if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
          return reject(new Error(`bench server under valgrind: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`));
        }
        resolve(result['2xx']);
      },
    );
  });
}

/**
 * Start one server under callgrind, warm it up, then count `windows` windows of `requests` requests each (after one
 * unreported lead-in window). Returns per window the completed requests and the instructions by function.
 */
export async function measureProcess({ framework, layer, tracing, dsn, packageDir, v8Flags, warmup, leadIn, requests, windows, connections, dir, tag, cacheSim = false }) {
  const child = spawn('valgrind', [...VALGRIND_ARGS, ...(cacheSim ? CACHE_SIM_ARGS : []), `--callgrind-out-file=${path.join(dir, `${tag}.%p`)}`, `--log-file=${path.join(dir, `${tag}.%p.log`)}`, process.execPath, ...v8Flags, serverFile], {
    cwd: path.join(here, '..', '..'),
    env: { ...process.env, BENCH_FRAMEWORK: framework, BENCH_LAYER: layer, BENCH_TRACING: tracing ? '1' : '0', BENCH_DSN: dsn, BENCH_PACKAGE_DIR: packageDir },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const control = async (...args) => {
    await run('callgrind_control', [...args, String(child.pid)]);
  };
  const started = Date.now();
  try {
    const port = await Promise.race([
      new Promise((resolve, reject) =>
        child.on('message', (message) => {
          if (message.ready) resolve(message.port);
          else if (message.failed) reject(new Error(`server failed: ${message.failed}`));
        }),
      ),
      exited.then(({ code, signal }) => {
        throw new Error(`server under valgrind exited (${code ?? signal}) before listening: ${stderr.slice(-2000)}`);
      }),
    ]);
    const startupMs = Date.now() - started;
    await load(port, { requests: warmup, connections });
    const warmupMs = Date.now() - started - startupMs;
    await control('--instr=on');
    const counts = [];
    for (let i = 0; i <= windows; i++) {
      const size = i === 0 ? leadIn : requests;
      const completed = await load(port, { requests: size, connections });
      await idle(50); // the server's own 'finish'/'close' callbacks of the last responses
      await control('--dump');
      if (i > 0) counts.push({ completed });
    }
    child.disconnect(); // server.cjs exits on disconnect; callgrind writes a last dump (not used)
    const ended = await Promise.race([exited, idle(60000).then(() => null)]);
    if (ended === null) child.kill('SIGKILL');
    const dumps = readdirSync(dir)
      .map((name) => ({ name, part: new RegExp(`^${tag}\\.${child.pid}\\.(\\d+)$`).exec(name)?.[1] }))
      .filter((file) => file.part !== undefined)
      .sort((a, b) => Number(a.part) - Number(b.part));
    if (dumps.length < windows + 1) throw new Error(`expected ${windows + 1} callgrind dumps, found ${dumps.length}`);
    // Dump 1 is the lead-in window.
    counts.forEach((count, i) => {
      count.dump = parseDump(readFileSync(path.join(dir, dumps[i + 1].name), 'utf8'));
    });
    return { counts, startupMs, warmupMs, totalMs: Date.now() - started, pid: child.pid };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/**
 * The weight of each event of a dump's `events:` line in one cost: the instruction count alone (Ir), or with
 * `--cache-sim=yes` callgrind's (and KCachegrind's) cycle estimate, Ir + 10 × L1 misses + 100 × last-level misses.
 */
function eventWeights(eventsLine) {
  const CYCLES = { Ir: 1, I1mr: 10, D1mr: 10, D1mw: 10, ILmr: 100, DLmr: 100, DLmw: 100 };
  return eventsLine.trim().split(/\s+/).map((event) => CYCLES[event] ?? 0);
}

/** One cost line's (or `totals:` line's) numbers, weighted; a line may leave out trailing zero events. */
function weightedCost(numbers, weights) {
  let cost = 0;
  for (let i = 0; i < numbers.length && i < weights.length; i++) cost += Number(numbers[i]) * weights[i];
  return cost;
}

/**
 * From a callgrind dump: the cost of each function (self cost, all threads merged: callgrind's default
 * --separate-threads=no) and the inclusive cost of each call edge ("caller\0callee"), in instructions, or in estimated
 * cycles where the dump has simulated cache events (see `eventWeights`). The line after `calls=` carries the edge's
 * inclusive cost; the sum of the other cost lines equals the dump's `totals:` line, which is checked.
 */
export function parseDump(text) {
  const names = new Map();
  const self = new Map();
  const edges = new Map();
  let weights = [1];
  let fn = '';
  let callee = '';
  let inclusiveLine = false;
  let sum = 0;
  let totals = Number.NaN;
  for (const line of text.split('\n')) {
    if (line.startsWith('fn=') || line.startsWith('cfn=')) {
      const match = /^c?fn=\((\d+)\)(?: (.*))?$/.exec(line);
      const name = match === null ? line.slice(line.indexOf('=') + 1) : (match[2] ?? names.get(match[1]));
      if (match !== null && match[2] !== undefined) names.set(match[1], match[2]);
      if (line.startsWith('fn=')) fn = name;
      else callee = name;
    } else if (line.startsWith('calls=')) inclusiveLine = true;
    else if (line.startsWith('events:')) weights = eventWeights(line.slice('events:'.length));
    else if (line.startsWith('totals:')) totals = weightedCost(line.slice('totals:'.length).trim().split(/\s+/), weights);
    else if (/^[-+*0-9]/.test(line)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 2) continue;
      const cost = weightedCost(fields.slice(1), weights);
      if (!Number.isFinite(cost)) continue;
      if (inclusiveLine) {
        inclusiveLine = false;
        const key = `${fn}\0${callee}`;
        edges.set(key, (edges.get(key) ?? 0) + cost);
      } else {
        self.set(fn, (self.get(fn) ?? 0) + cost);
        sum += cost;
      }
    }
  }
  if (Number.isFinite(totals) && totals !== sum) throw new Error(`callgrind dump: self costs sum to ${sum}, totals say ${totals}`);
  return { self, edges };
}

// Where an instruction went, by the C++ function it was executed in (JIT-compiled JavaScript has no symbol here and
// counts as "JS & runtime"). Leaf library functions (malloc, memcpy, popcount, locks, std::map) are charged to their
// caller where the caller is GC or compiler code. Approximate by construction: a name that fits neither pattern
// stays in "JS & runtime".
const GC = /Scaveng|Marking|MarkCompact|Sweep|Evacuat|GCTracer|v8::internal::Heap::|MemoryChunk|RememberedSet|SlotSet|TypedSlot|WeakObjects|PointersUpdating|Safepoint|ActiveSystemPages|heap::base::|cppgc::|RecordMigratedSlot|IterateObjectCache|LiveObjectRange|Worklist|MinorMC|PagedSpace|FreeList|MemoryAllocator|v8::internal::Page::|RootVisitor|ObjectVisitor|Compactor|GlobalHandles::|LocalHeap::|v8::internal::Space::|NewSpace|SemiSpace|LargeObjectSpace|HeapObject::SizeFromMap|YoungGeneration|OldGeneration|TableCleaner|CompilationCache\w*::Age/;
const COMPILER = /v8::internal::compiler::|v8::internal::maglev::|v8::internal::baseline::|CompilationJob|v8::internal::Compiler::|v8::internal::Zone|Assembler|v8::internal::interpreter::|v8::internal::(Pre)?Parser|v8::internal::Scanner|ParserBase|AstNodeFactory|AstValueFactory|DeclarationScope|v8::internal::Scope::|v8::internal::Deoptimizer|RelocIterator|SourcePosition|TranslationArrayBuilder|IdentityMapBase/;
const LEAF = /^(?:malloc|free|calloc|realloc|_int_\w+|malloc_consolidate|unlink_chunk\S*|__mem\w+|mem(?:cpy|set|move|cmp)\w*|__popcount\w+|pthread_\w+|__pthread_\w+|__lll_\w+|std::_Rb_tree\w*|operator new|operator delete|std::__detail::_Prime_rehash_policy)/;

/** A window's instructions split into GC, compiler (parsing, bytecode, Sparkplug, TurboFan, deopt) and the rest. */
export function classify({ self, edges }) {
  const category = (name) => (GC.test(name) ? 'gc' : COMPILER.test(name) ? 'compiler' : 'rest');
  const split = { total: 0, gc: 0, compiler: 0, rest: 0 };
  for (const [name, cost] of self) {
    split.total += cost;
    split[category(name)] += cost;
  }
  for (const [key, cost] of edges) {
    const [caller, callee] = key.split('\0');
    const to = category(caller);
    if (to === 'rest' || !LEAF.test(callee) || category(callee) !== 'rest') continue;
    split[to] += cost;
    split.rest -= cost;
  }
  return split;
}
