/**
 * `deno task stress`: the long reliability runs. The full fault sweep (every
 * file-system call each write path makes on the project or the spool, each
 * failed with EIO, ENOSPC and EINTR and killed right before and right after
 * it), short writes at several cut points, 200 randomly timed `kill -9`s of
 * emits (half during a spool replay), 16 processes x 100 emits into one
 * deliverable and into 16, the overlap detector, and 8 loops x 50 of every
 * kind of write (emit, start, finish, annotate, flush, reap) into one
 * deliverable (4 x 15 with `--minutes`). Prints the figures docs/RELIABILITY.md quotes; exits 1 if any
 * promise broke.
 *
 * Usage: deno task stress [--minutes M] [--parallel N]
 *
 * `--minutes` bounds the fault sweep: when the full sweep would not fit,
 * an evenly spread, seeded share of it runs, and the output says how much.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { seeded, seededRandom } from "../tests/seed.ts";
import { contend } from "../tests/support/contention.ts";
import { mixedOps } from "../tests/support/mixed_ops.ts";
import {
  type CaseResult,
  casesOf,
  describe,
  type FaultCase,
  PATHS,
  randomKill,
  runCase,
  runShortWrite,
  summarise,
} from "../tests/support/faults.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { minutes: { type: "string" }, parallel: { type: "string" } },
});
const parallel = Number(values.parallel ?? navigator.hardwareConcurrency ?? 2);
const budgetMs = values.minutes === undefined ? Infinity : Number(values.minutes) * 60_000;
const started = Date.now();
const broken: string[] = [];
const all: CaseResult[] = [];
/**
 * Each phase's wall and CPU seconds, in the figures: which one a slower run spent its time in.
 * CPU seconds (this process and the processes it waited for) tell a slower runrec from a busier
 * machine, which only the wall seconds grow with.
 */
const phases: { name: string; seconds: number; cpuSeconds: number }[] = [];
let phaseStarted = { at: started, cpu: cpuSeconds() };

/** Notes the phase just ended and how long it took. */
function phaseEnded(name: string): void {
  const now = { at: Date.now(), cpu: cpuSeconds() };
  phases.push({
    name,
    seconds: Math.round((now.at - phaseStarted.at) / 1000),
    cpuSeconds: Math.round(now.cpu - phaseStarted.cpu),
  });
  phaseStarted = now;
}

/**
 * User and system seconds of this process and of the processes it waited for (their children
 * too), from Linux's /proc/<pid>/stat, read by `cat` (Deno refuses /proc to a process without
 * --allow-all); NaN elsewhere.
 */
function cpuSeconds(): number {
  try {
    const { stdout } = new Deno.Command("cat", { args: [`/proc/${Deno.pid}/stat`] }).outputSync();
    const stat = new TextDecoder().decode(stdout);
    // After the command's name in parentheses: utime, stime, cutime and cstime are fields 12-15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0);
    return ticks / 100; // USER_HZ, 100 on every Linux build
  } catch {
    return NaN;
  }
}

function keep(result: CaseResult): void {
  all.push(result);
  if (result.violations.length > 0) {
    broken.push(describe(result));
    console.log(`BROKEN ${describe(result)}`);
  }
}

// 1. The fault sweep, in a seeded order so that a budget cut leaves an even spread.
const random = seededRandom("stress sweep");
const cases: FaultCase[] = [];
for (const path of PATHS) cases.push(...await casesOf(path));
for (let i = cases.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [cases[i], cases[j]] = [cases[j], cases[i]];
}
console.log(`fault sweep: ${cases.length} cases over ${PATHS.join(", ")}`);
let next = 0;
const sweepEnd = started + budgetMs;
await Promise.all(Array.from({ length: parallel }, async () => {
  while (next < cases.length && Date.now() < sweepEnd) {
    const c = cases[next++];
    keep(await runCase(c.path, c.site, c.fault));
    if (all.length % 100 === 0) console.log(`  ${all.length} cases done`);
  }
}));
if (all.length < cases.length) {
  console.log(`fault sweep cut by --minutes: ${all.length} of ${cases.length} cases run`);
}
phaseEnded("fault sweep");

// 2. Short writes: the record's write cut after 1 byte, mid-record and one byte short.
for (const path of PATHS.filter((p) => p !== "start")) { // start writes no record
  for (const room of [1, 200, 399]) keep(await runShortWrite(path, room));
  // The same with the user's spool on that full disk too: the record's only way out is stderr.
  keep(await runShortWrite(path, 200, true));
}
phaseEnded("short writes");

// 3. Randomly timed kill -9s: 100 of plain emits, 100 during a spool replay.
const killRandom = seededRandom("stress kills");
let kills = 0;
let killsLanded = 0;
let kill = 0;
await Promise.all(Array.from({ length: parallel }, async () => {
  while (kill < 200) {
    const replay = kill++ % 2 === 1;
    const result = await randomKill(replay, killRandom, replay ? 30 : 400);
    kills++;
    if (result.landed) killsLanded++;
    if (result.violations.length > 0) broken.push(describe(result));
  }
}));
phaseEnded("kill -9s");

// 4. Contention: 16 x 100 into one deliverable (traced: the overlap detector) and into 16.
const shared = await contend({ writers: 16, perWriter: 100, shared: true, traced: true });
phaseEnded("contention shared");
const spread = await contend({ writers: 16, perWriter: 100, shared: false, traced: false });
phaseEnded("contention spread");
for (const v of [...shared.violations, ...spread.violations]) broken.push(`contention: ${v}`);

// 5. Every kind of writer at once: 8 loops x 50 of emit, start, finish, annotate, flush, reap
// (4 x 15 in a bounded run: the full one takes ~5 minutes of two cores).
const [loops, perLoop] = values.minutes === undefined ? [8, 50] : [4, 15];
const mixed = await mixedOps({
  writers: loops,
  perWriter: perLoop,
  seed: seeded("stress mixed", {}).seed,
});
for (const v of mixed.violations) broken.push(`mixed operations: ${v}`);
phaseEnded("mixed ops");

console.log("\nfigures:");
for (const [path, s] of summarise(all)) {
  console.log(
    `  ${path}: ${s.cases} cases, ${s.landed} landed on their site, ${s.violations} broken`,
  );
}
console.log(`  faults tried: ${all.length}`);
console.log(
  `  kill -9 of emits: ${kills} (${killsLanded} killed before they ended; half during a replay)`,
);
console.log(
  `  16 x 100 into one deliverable: ${shared.inFiles} records (${shared.spooled} spooled at the ` +
    `lock's deadline, then flushed), ${shared.holdings} lock holdings checked for overlap`,
);
console.log(`  16 x 100 into 16 deliverables: ${spread.inFiles} records`);
console.log(
  `  ${loops} x ${perLoop} mixed operations (${JSON.stringify(mixed.ops)}): ` +
    `${mixed.records} records, ` +
    `${mixed.uniqueRunIds} RunIDs, ${mixed.started} runs started, ${mixed.reapedThenFinished} ` +
    `of them reaped, then finished`,
);
console.log(`  records lost or duplicated, promises broken: ${broken.length}`);
for (const { name, seconds, cpuSeconds } of phases) {
  console.log(`  ${name}: ${seconds} s (${cpuSeconds} CPU s)`);
}
console.log(`  took ${Math.round((Date.now() - started) / 1000)} s`);
if (broken.length > 0) {
  for (const b of broken) console.log(`BROKEN ${b}`);
  Deno.exit(1);
}
