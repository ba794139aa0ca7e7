/**
 * Hostile input: every bad file under `tests/fixtures/bad/` (and the huge ones
 * made here, too large to commit) given to the real CLI under the production
 * flags, each with the exact output and exit code `expected.json` holds for
 * it, within a bound on time and peak memory (`/usr/bin/time`), with no stack
 * trace and the file unchanged.
 *
 * A record file (`.csv`) is checked by `runrec validate` (or the command its
 * case names) run in its folder, so the output names it by its bare name. A
 * host file (`.md`) is copied into a fresh deliverable as the file its case
 * names (`_STATUS.md`, `_CONTEXT.md`, `_REFERENCES.md`), then `runrec emit
 * --json` records a run there: the record must be written, with the fields and
 * notes the case gives.
 *
 * @module
 */
import { join, relative } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { checksumOf, encodeRecord, splitCells } from "../src/codec.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { COLUMNS, HEADER } from "../src/schema.ts";
import { ROOT, sampleRecord, tempDir, writeTree } from "./fixtures.ts";

/** The folder of the bad files and of `expected.json`. */
export const BAD = join(ROOT, "tests", "fixtures", "bad");

/** One bad input and what runrec must make of it. */
interface BadCase {
  /** The file under `tests/fixtures/bad/`, or the name of one made by {@linkcode generate}. */
  file: string;
  /** What is wrong with it. */
  what: string;
  /** Made at test time (too large to commit): the name of its maker. */
  generate?: keyof typeof GENERATORS;
  /** For a host file: the name it takes in the deliverable. */
  as?: "_STATUS.md" | "_CONTEXT.md" | "_REFERENCES.md";
  /** The CLI arguments; `{file}` is the file. Default: `validate {file}` (a host file: emit). */
  command?: string[];
  /** The exit code it must give. */
  exit: number;
  /** The exact standard output (record files). */
  stdout?: string;
  /** Fields the written record must hold (host files). */
  record?: Record<string, string>;
  /** Notes the written record must hold, each exactly (host files). */
  notes?: string[];
  /**
   * The most CPU seconds (user and system) it may take (default 5): CPU time,
   * not wall time, so that a machine busy with other work does not fail it.
   */
  maxSeconds?: number;
  /** The most MiB of peak resident memory it may use (default 150). */
  maxRssMb?: number;
}

/** A record line whose Notes cell is `notes` (already escaped), with a valid checksum. */
function lineWithNotes(notes: string): string {
  const cells = splitCells(encodeRecord(sampleRecord())).slice(0, -1);
  cells[COLUMNS.indexOf("Notes")] = notes;
  const body = cells.join(",");
  return `${body},${checksumOf(body)}`;
}

/** Makers of the files too large to commit. */
const GENERATORS = {
  /** A record whose Notes is 50 MB of plain text: one line past the line limit. */
  "line-50mb": () => `${HEADER}\n${lineWithNotes("x".repeat(50_000_000))}\n`,
  /** A record whose Notes is a 50 MB field of `%` escapes. */
  "field-50mb-escapes": () => `${HEADER}\n${lineWithNotes("%0A".repeat(50_000_000 / 3))}\n`,
  /** 50 MB of one line that never ends. */
  "no-newline-50mb": () => "v1.0,".repeat(10_000_000),
  /** A `_STATUS.md` of 50 MB: a Current State line of that length. */
  "status-50mb": () => `**Current State:** ${"OPEN".repeat(12_500_000)}\n`,
  /** A `_CONTEXT.md` of 50 MB. */
  "context-50mb": () => `**DeliverableID:** DEL-01-02\n${"x".repeat(50_000_000)}\n`,
  /** A `_REFERENCES.md` of 50 MB of bullets. */
  "references-50mb": () => "- missing/file.md\n".repeat(50_000_000 / 18),
  /** A `_REFERENCES.md` under the size limit with 20,000 references. */
  "references-20000": () =>
    Array.from({ length: 20_000 }, (_, i) => `- missing/file${i}.md\n`).join(""),
};

/** Wall seconds after which a run counts as hung, however busy the machine. */
const HANG_SECONDS = 120;

/** Runs the CLI in `cwd` under `/usr/bin/time`: exit code, output, peak RSS, CPU and wall seconds. */
async function runMeasured(args: string[], cwd: string, env: Record<string, string> = {}) {
  const started = performance.now();
  const output = await new Deno.Command("/usr/bin/time", {
    args: [
      "-f",
      "peak-rss-kb %M cpu-s %U %S",
      Deno.execPath(),
      "run",
      ...FULL_FLAGS,
      CLI_ENTRY,
    ]
      .concat(args),
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  const wallSeconds = (performance.now() - started) / 1000;
  const stderr = new TextDecoder().decode(output.stderr);
  const measured = /peak-rss-kb (\d+) cpu-s ([0-9.]+) ([0-9.]+)\s*$/.exec(stderr);
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: stderr.replace(/peak-rss-kb .*\s*$/, ""),
    peakMb: Number(measured?.[1]) / 1024,
    cpuSeconds: Number(measured?.[2]) + Number(measured?.[3]),
    wallSeconds,
  };
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A deliverable in a fresh execution root, its host files sound, `loop` a link to itself. */
async function deliverable(): Promise<string> {
  const root = await tempDir({ prefix: "runrec-hostile-" });
  const del = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  await writeTree(root, {
    "INIT.md": "# Init\n",
    "PKG-01_Pkg/0_References/ref.txt": "reference\n",
    "PKG-01_Pkg/1_Working/DEL-01-02_Thing/_CONTEXT.md": "**DeliverableID:** DEL-01-02\n",
    "PKG-01_Pkg/1_Working/DEL-01-02_Thing/_STATUS.md": "**Current State:** OPEN\n",
    "PKG-01_Pkg/1_Working/DEL-01-02_Thing/Datasheet.md": "# Datasheet\n",
    "home/.keep": "",
  });
  await Deno.symlink(".", join(del, "loop"));
  return del;
}

/** Checks one case; returns what went wrong, one line each. */
async function check(c: BadCase): Promise<string[]> {
  const failures: string[] = [];
  const fail = (why: string) => failures.push(`${c.file}: ${why}`);
  let cwd = BAD;
  let path = join(BAD, c.file);
  let env: Record<string, string> = {};
  if (c.as !== undefined) {
    cwd = await deliverable();
    path = join(cwd, c.as);
    env = { HOME: join(cwd, "..", "..", "..", "home") };
    if (c.generate) await Deno.writeTextFile(path, GENERATORS[c.generate]());
    else await Deno.copyFile(join(BAD, c.file), path);
  } else if (c.generate) {
    cwd = await tempDir({ prefix: "runrec-hostile-" });
    path = join(cwd, c.file);
    await Deno.writeTextFile(path, GENERATORS[c.generate]());
  }
  const before = await sha256(path);
  const args = (c.command ??
    (c.as
      ? ["emit", ".", "--agent", "A", "--status", "SUCCESS", "--json"]
      : ["validate", "{file}"])).map((a) => a === "{file}" ? c.file : a);
  const run = await runMeasured(args, cwd, env);

  if (run.code !== c.exit) {
    fail(`exit ${run.code}, expected ${c.exit}: ${run.stderr.slice(0, 300)}`);
  }
  if (/\n\s+at |Uncaught|panicked|Fatal/.test(run.stderr)) fail(`stack trace: ${run.stderr}`);
  if (c.stdout !== undefined && run.stdout !== c.stdout) {
    fail(`stdout differs:\n--- got\n${run.stdout}--- expected\n${c.stdout}`);
  }
  if (c.as !== undefined) {
    let record: Record<string, string> = {};
    try {
      record = JSON.parse(run.stdout);
    } catch {
      fail(`no record printed: ${run.stdout.slice(0, 200)} ${run.stderr.slice(0, 300)}`);
    }
    assert(typeof record.RunID === "string");
    if (!/^RUN-DEL-/.test(record.RunID ?? "")) fail(`record not written: ${run.stderr}`);
    for (const [field, value] of Object.entries(c.record ?? {})) {
      if (record[field] !== value) fail(`${field} is ${JSON.stringify(record[field])}`);
    }
    const notes = (record.Notes ?? "").split(" | ");
    // `{up}`: the `..` steps from the deliverable to `/`, which depend on where temp folders are.
    const up = relative(cwd, "/");
    for (const note of (c.notes ?? []).map((n) => n.replaceAll("{up}", up))) {
      if (!notes.includes(note)) fail(`note missing: ${note}\nnotes: ${notes.join("\n")}`);
    }
  }
  if ((await sha256(path)) !== before) fail("the file was modified");
  const [maxSeconds, maxRssMb] = [c.maxSeconds ?? 5, c.maxRssMb ?? 150];
  if (!(run.cpuSeconds <= maxSeconds)) {
    fail(`took ${run.cpuSeconds.toFixed(1)} CPU s, bound ${maxSeconds} s`);
  }
  if (run.wallSeconds > HANG_SECONDS) fail(`took ${run.wallSeconds.toFixed(0)} s: hung`);
  if (!(run.peakMb > 0 && run.peakMb <= maxRssMb)) {
    fail(`peak RSS ${run.peakMb.toFixed(0)} MiB, bound ${maxRssMb} MiB`);
  }
  return failures;
}

/** The cases, checked to name every committed bad file once. */
async function cases(): Promise<BadCase[]> {
  const all: BadCase[] = JSON.parse(await Deno.readTextFile(join(BAD, "expected.json"))).cases;
  const committed = [...Deno.readDirSync(BAD)].map((e) => e.name).filter((n) =>
    n !== "expected.json"
  ).sort();
  const listed = all.filter((c) => !c.generate).map((c) => c.file).sort();
  assertEquals(listed, committed, "every bad file has one case, every case its file");
  return all;
}

Deno.test("hostile input: each bad file gives its exact message and exit code, in bounded time and memory, unchanged", async () => {
  const all = await cases();
  assert(all.length >= 40, `${all.length} cases`);
  const failures: string[] = [];
  // Two at a time: the machine has two cores, and each run is a process of its own.
  const queue = [...all];
  const worker = async () => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
      failures.push(...await check(c));
    }
  };
  await Promise.all([worker(), worker()]);
  console.log(`hostile input: ${all.length} bad files tried, ${failures.length} failures`);
  assertEquals(failures, []);
});
