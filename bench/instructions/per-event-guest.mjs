// Runs under callgrind (--instr-atstart=no), started by bench/per-event-instructions.mjs. Loads the per-event tasks
// of every build, runs them all uninstrumented to warm up, then counts blocks of one task of one build at a time:
// `callgrind_control -i on`, the block, a dump named after it, `-i off`. Blocks go in an order reversed every other
// round, with an empty block per round to subtract what the toggling itself costs.
// Argv: JSON { dirs: [...], tasks: [...], perBlock, rounds, warmup }.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const { dirs, tasks, perBlock, rounds, warmup } = JSON.parse(process.argv[2]);
const blocks = [{ name: 'empty', fn: () => 0 }];
for (const [build, dir] of dirs.entries()) {
  // A module instance per build: the task closures of one build are not the closures of another, so no call site is
  // shared (and made polymorphic) between builds; otherwise the order of the builds changes their counts.
  const { perEventTasks } = await import(`../per-event.mjs?build=${build}`);
  const built = perEventTasks(dir);
  if (typeof built === 'string') throw new Error(`${dir}: ${built}`);
  for (const task of tasks) blocks.push({ name: `b${build}_${task}`, fn: built[task] });
}

let sink = 0;
for (let i = 0; i < warmup; i++) for (const block of blocks) sink ^= block.fn() ? 1 : 0;
const pid = String(process.pid);
for (let round = 0; round < rounds; round++) {
  for (const block of round % 2 === 0 ? blocks : [...blocks].reverse()) {
    await run('callgrind_control', ['-i', 'on', pid]);
    for (let i = 0; i < perBlock; i++) sink ^= block.fn() ? 1 : 0;
    await run('callgrind_control', ['-d', `${block.name}#${round}`, pid]);
    await run('callgrind_control', ['-i', 'off', pid]);
  }
}
process.stdout.write(`done ${sink}\n`);
