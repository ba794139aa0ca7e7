/**
 * Benchmark 10: `runrec stale` over a generated execution root of 1,000
 * deliverables (3 recorded runs each) against `sha256sum` over the same
 * files, and its peak memory. The generator is shared with
 * tests/stale_test.ts.
 *
 * @module
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../../src/cli/permissions.ts";
import { bundleCli } from "../compile.ts";
import { encodeRecord } from "../../src/codec.ts";
import { hashFiles } from "../../src/hash.ts";
import { governedInputs } from "../../src/inputs.ts";
import { inputContextSha } from "../../src/manifest.ts";
import {
  AGENT_TYPE,
  HEADER,
  runIdPrefix,
  type RunRecord,
  SCHEMA_VERSION,
} from "../../src/schema.ts";
import { RECORD_FILE } from "../../src/deliverable.ts";
import { HASH_CACHE_FILE, RACY_MS } from "../../src/hash_cache.ts";
import { VERDICT_CACHE_FILE } from "../../src/verdict_cache.ts";
import {
  type Benchmark,
  best,
  type Context,
  formatBytes,
  formatCount,
  formatMB,
  formatMs,
  formatRuns,
  type Row,
  runChecked,
  runWithRss,
} from "./common.ts";

/** A generated execution root. */
export interface StaleRoot {
  /** The execution root. */
  root: string;
  /** Every deliverable folder, in order. */
  deliverables: string[];
  /** Every file a record of the root names (inputs and outputs), absolute, each once. */
  files: string[];
  /** Bytes of those files. */
  bytes: number;
}

/** Deliverables per package. */
const PER_PACKAGE = 100;

/** Random text to cut documents from: words of lowercase letters, lines of ~70. */
function textPool(random: () => number, size: number): string {
  const letters = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const r = random();
    letters[i] = r < 0.015 ? 10 : r < 0.17 ? 32 : 97 + Math.floor(((r - 0.17) / 0.83) * 26);
  }
  return new TextDecoder().decode(letters);
}

/** A document of about `size` bytes: a title, then a window of `pool` drawn from `random`. */
function text(pool: string, random: () => number, size: number, title: string): string {
  const start = Math.floor(random() * (pool.length - size));
  return `# ${title}\n\n${pool.slice(start, start + size)}\n`;
}

/** The three runs recorded per deliverable: agent, `--input` files, outputs. */
const RUNS = [
  ["4_DOCUMENTS", ["_CONTEXT.md", "_DEPENDENCIES.md"], [
    "Datasheet.md",
    "Specification.md",
    "Guidance.md",
    "Procedure.md",
  ]],
  ["DEPENDENCIES", ["_CONTEXT.md", "Datasheet.md", "Guidance.md", "Procedure.md"], [
    "Dependencies.csv",
  ]],
  ["CHIRALITY_FRAMEWORK", ["_CONTEXT.md", "Datasheet.md", "Guidance.md", "Procedure.md"], [
    "_SEMANTIC.md",
  ]],
] as const;

const DEPENDENCY_HEADER = "RegisterSchemaVersion,DependencyID,FromPackageID,FromDeliverableID," +
  "DependencyClass,AnchorType,Direction,DependencyType,TargetType,TargetPackageID," +
  "TargetDeliverableID,Statement,Status";

/**
 * Writes an execution root of `count` deliverables in packages of 100, each
 * with the host's files (sizes drawn from `random`), a `_REFERENCES.md`
 * naming the decomposition, its package's references and its own
 * Specification.md, a `Dependencies.csv` (v3.1) whose ACTIVE rows make each
 * deliverable consume the one before it in its package, and a
 * `RunRecords.csv` of three SUCCESS runs (4_DOCUMENTS, DEPENDENCIES,
 * CHIRALITY_FRAMEWORK) recording the files as they are: every check CLEAN.
 *
 * @example
 * ```ts
 * import { makeStaleRoot } from "./stale.ts";
 * const { deliverables } = await makeStaleRoot(await Deno.makeTempDir(), 3, Math.random);
 * console.log(deliverables.length); // 3
 * ```
 */
export async function makeStaleRoot(
  root: string,
  count: number,
  random: () => number,
): Promise<StaleRoot> {
  const write = async (path: string, content: string) => {
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await Deno.writeTextFile(path, content);
  };
  const pool = textPool(random, 1 << 20);
  await write(join(root, "INIT.md"), "# Generated execution root\n");
  await write(
    join(root, "_Decomposition", "Decomposition.md"),
    text(pool, random, 128 << 10, "Decomposition"),
  );
  const deliverables: string[] = [];
  const files = new Set<string>();
  for (let i = 0; i < count; i++) {
    const pkg = String(Math.floor(i / PER_PACKAGE) + 1).padStart(2, "0");
    const item = String((i % PER_PACKAGE) + 1).padStart(2, "0");
    const id = `DEL-${pkg}-${item}`;
    const pkgDir = join(root, `PKG-${pkg}_Package_${pkg}`);
    if (i % PER_PACKAGE === 0) {
      await write(
        join(pkgDir, "0_References", "standard.md"),
        text(pool, random, 256 << 10, "Standard"),
      );
      await write(
        join(pkgDir, "0_References", "vendor.txt"),
        text(pool, random, 64 << 10, "Vendor"),
      );
    }
    const dir = join(pkgDir, "1_Working", `${id}_Item_${item}`);
    deliverables.push(dir);
    const previous = i % PER_PACKAGE === 0
      ? undefined
      : `DEL-${pkg}-${String(i % PER_PACKAGE).padStart(2, "0")}`;
    const size = () => (4 << 10) + Math.floor(random() * (28 << 10));
    const host: Record<string, string> = {
      "_CONTEXT.md": `# Context: ${id}\n\n**DeliverableID:** ${id}\n**Name:** Item ${item}\n`,
      "_STATUS.md": `# Status: ${id}\n\n**Current State:** SEMANTIC_READY\n`,
      "_DEPENDENCIES.md": `# Dependencies: ${id}\n\n## Run History\n- generated\n`,
      "_REFERENCES.md": `# References: ${id}\n\n## Applicable References\n` +
        "- [Decomposition](../../../_Decomposition/Decomposition.md)\n" +
        "- Standard — Location: ../../0_References/standard.md — design basis\n" +
        "- Vendor — Location: ../../0_References/vendor.txt — vendor data\n" +
        "- `Specification.md` — own specification\n",
      "Datasheet.md": text(pool, random, size(), `Datasheet ${id}`),
      "Specification.md": text(pool, random, size(), `Specification ${id}`),
      "Guidance.md": text(pool, random, size(), `Guidance ${id}`),
      "Procedure.md": text(pool, random, size(), `Procedure ${id}`),
      "_SEMANTIC.md": text(pool, random, 2 << 10, `Semantic ${id}`),
      "Dependencies.csv": `${DEPENDENCY_HEADER}\n` + (previous === undefined ? "" : (
        `v3.1,DEP-${pkg}-${item}-001,PKG-${pkg},${id},EXECUTION,NOT_APPLICABLE,UPSTREAM,` +
        `HANDOVER,DELIVERABLE,PKG-${pkg},${previous},Needs the item before,ACTIVE\n` +
        `v3.1,DEP-${pkg}-${item}-002,PKG-${pkg},${id},EXECUTION,NOT_APPLICABLE,UPSTREAM,` +
        `INTERFACE,DELIVERABLE,PKG-${pkg},${previous},Retired interface,RETIRED\n`
      )),
    };
    for (const [name, content] of Object.entries(host)) await write(join(dir, name), content);
    const lines = [HEADER];
    for (const [n, [agent, inputs, outputs]] of RUNS.entries()) {
      // Each deliverable's runs start 2 minutes after its producer's (the one before it in the
      // package), whose 1-minute runs have ended by then: no consumer ran before its producer.
      const started = new Date(Date.UTC(2026, 2, 1, 8 + 4 * n, 2 * (i % PER_PACKAGE)))
        .toISOString();
      const { hashes } = await governedInputs(dir, inputs);
      const written = await hashFiles(outputs.map((o) => join(dir, o)));
      const outputHashes = Object.fromEntries(
        outputs.map((o) => [o, written.get(join(dir, o)) as string]),
      );
      const record: RunRecord = {
        SchemaVersion: SCHEMA_VERSION,
        RunID: `${runIdPrefix(id, started)}001`,
        DeliverableID: id,
        AgentName: agent,
        AgentType: AGENT_TYPE,
        RunTimestamp: started,
        RunDuration: "PT1M",
        RunStatus: "SUCCESS",
        RunPassDirective: "FULL",
        InputContextSHA: inputContextSha(hashes),
        InputFiles: [...inputs],
        OutputFiles: [...outputs],
        StatusBefore: "OPEN",
        StatusAfter: "INITIALIZED",
        ErrorSummary: "",
        Notes: "",
        InputHashes: hashes,
        OutputHashes: outputHashes,
        GitHead: "",
        Host: "generated",
        RecordChecksum: "",
      };
      lines.push(encodeRecord(record));
      for (const path of [...Object.keys(hashes), ...outputs]) files.add(join(dir, path));
    }
    await Deno.writeTextFile(join(dir, RECORD_FILE), `${lines.join("\n")}\n`);
  }
  const list = [...files];
  let bytes = 0;
  for (const path of list) bytes += (await Deno.stat(path)).size;
  return { root, deliverables, files: list, bytes };
}

/** Benchmark 10. */
export const staleBench: Benchmark = {
  id: 10,
  name: "stale",
  title: "runrec stale over 1,000 deliverables vs sha256sum over the same files; peak RSS",
  async run(ctx: Context): Promise<Row[]> {
    const count = ctx.quick ? 200 : 1000;
    const rounds = ctx.quick ? 3 : 5;
    ctx.progress(`generating an execution root of ${formatCount(count)} deliverables`);
    // A fixed seed: every run of the benchmark hashes the same bytes.
    let state = 11;
    const random = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 4294967296;
    };
    const generated = await makeStaleRoot(join(ctx.tmp, "root"), count, random);
    // One deliverable in 50 gets an edited Specification.md: their checks are DIRTY.
    const edited = generated.deliverables.filter((_, i) => i % 50 === 7);
    for (const dir of edited) {
      await Deno.writeTextFile(join(dir, "Specification.md"), "\nedited\n", { append: true });
    }
    // A git repository, as an execution root is: stale keeps its hash cache in `.git`.
    await runChecked("git", ["init", "-q", generated.root]);
    // Both of stale's caches: the hashes and the kept verdicts.
    const caches = [HASH_CACHE_FILE, VERDICT_CACHE_FILE].map((f) =>
      join(generated.root, ".git", f)
    );
    const dropCache = () => Promise.all(caches.map((cache) => Deno.remove(cache).catch(() => {})));
    // Files written less than RACY_MS before they are read are not kept (racy git): wait that out.
    await new Promise((r) => setTimeout(r, RACY_MS + 500));
    const list = join(ctx.tmp, "files.list");
    await Deno.writeTextFile(list, generated.files.map((p) => `${p}\0`).join(""));
    const sumArgs = ["-0", "-a", list, "sha256sum"];
    ctx.progress("bundling the CLI as deno task compile does");
    const bundle = await bundleCli(join(ctx.tmp, "bundle"));
    const staleArgs = ["run", ...FULL_FLAGS, bundle, "stale"];
    // The file system work stale's design asks for, none of its judging: what stale cannot beat.
    const floorArgs = ["run", ...FULL_FLAGS, new URL("./stale_floor.ts", import.meta.url).pathname];
    // What a kept verdict per deliverable costs at least: the search, both caches
    // parsed, a `stat` per dependency; the report stands in for the verdict file.
    const verdicts = join(ctx.tmp, "verdicts.json");
    const hitFloorArgs = [
      "run",
      ...FULL_FLAGS,
      new URL("./stale_hit_floor.ts", import.meta.url).pathname,
      generated.root,
      verdicts,
    ];

    ctx.progress("warm-up and cross-check: the edited deliverables, and only they, are DIRTY");
    await dropCache();
    const warm = await runChecked(ctx.deno, [...staleArgs, generated.root, "--json"], {
      stdout: "piped",
    }, 1);
    const { summary, filesHashed } = JSON.parse(warm.stdout);
    await Deno.writeTextFile(verdicts, warm.stdout);
    if (filesHashed !== generated.files.length) {
      throw new Error(
        `stale hashed ${filesHashed} files without a cache, not all ${generated.files.length}`,
      );
    }
    const dirtyWanted = edited.length * RUNS.length;
    if (summary.checks !== count * RUNS.length || summary.DIRTY !== dirtyWanted) {
      throw new Error(
        `stale found ${summary.DIRTY} DIRTY of ${summary.checks} checks, expected ${dirtyWanted} of ${
          count * RUNS.length
        }`,
      );
    }
    await runChecked("xargs", sumArgs);

    const staleMs: number[] = []; // with both caches filled, as the run before left them
    const coldMs: number[] = []; // with neither: every file read, every deliverable judged
    const sumMs: number[] = [];
    const rss: number[] = [];
    const cpu: number[] = [];
    const coldCpu: number[] = [];
    const sumCpu: number[] = []; // CPU time stays comparable when other work shares the machine
    const floorMs: number[] = [];
    const hitFloorMs: number[] = [];
    const hitFloorCpu: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      ctx.progress(`round ${round}/${rounds}`);
      await dropCache();
      const cold = await runWithRss(ctx.deno, [...staleArgs, generated.root], ctx.tmp);
      if (cold.code !== 1) throw new Error(`runrec stale exited ${cold.code}: ${cold.stderr}`);
      coldMs.push(cold.ms);
      coldCpu.push(cold.cpuMs);
      const ours = await runWithRss(ctx.deno, [...staleArgs, generated.root], ctx.tmp);
      if (ours.code !== 1) throw new Error(`runrec stale exited ${ours.code}: ${ours.stderr}`);
      staleMs.push(ours.ms);
      rss.push(ours.peakRss);
      cpu.push(ours.cpuMs);
      const theirs = await runWithRss("xargs", sumArgs, ctx.tmp);
      sumMs.push(theirs.ms);
      sumCpu.push(theirs.cpuMs);
      const floor = await runWithRss(ctx.deno, [...floorArgs, generated.root], ctx.tmp);
      if (floor.code !== 0) {
        throw new Error(`the stale floor exited ${floor.code}: ${floor.stderr}`);
      }
      floorMs.push(floor.ms);
      const hit = await runWithRss(ctx.deno, hitFloorArgs, ctx.tmp);
      if (hit.code !== 0) throw new Error(`the verdict floor exited ${hit.code}: ${hit.stderr}`);
      hitFloorMs.push(hit.ms);
      hitFloorCpu.push(hit.cpuMs);
    }
    const filled = await runChecked(ctx.deno, [...staleArgs, generated.root, "--json"], {
      stdout: "piped",
    }, 1);
    if (JSON.parse(filled.stdout).filesHashed !== 0) {
      throw new Error(
        "stale with its hash cache filled still read files: the rows are not of a filled cache",
      );
    }
    // Once: 20 deliverables (none of the DIRTY ones) edited after both caches were filled. Their
    // checks are judged again, their edited files read; every other check is kept. Not a best of
    // rounds: a second round would find the first's edits too recent to keep (RACY_MS).
    ctx.progress("20 deliverables edited since the caches were filled");
    const touched = generated.deliverables.filter((_, i) => i % 50 === 23).slice(0, 20);
    for (const dir of touched) {
      await Deno.writeTextFile(join(dir, "Guidance.md"), "\nedited\n", { append: true });
    }
    const afterEdits = await runWithRss(ctx.deno, [...staleArgs, generated.root], ctx.tmp);
    if (afterEdits.code !== 1) {
      throw new Error(`runrec stale exited ${afterEdits.code}: ${afterEdits.stderr}`);
    }
    // Judged warm, as git's status is with its index: the state a second run finds.
    const ratio = best(staleMs) / best(sumMs);
    const coldRatio = best(coldMs) / best(sumMs);
    const pass = ratio <= 1.3;
    const peak = Math.max(...rss);
    ctx.print(
      `  ${formatCount(count)} deliverables, ${formatCount(count * RUNS.length)} records, ${
        formatCount(generated.files.length)
      } distinct files (${formatBytes(generated.bytes)}); page cache warm; best of ${rounds}`,
    );
    ctx.print(
      `  runrec stale ROOT, no cache      best ${formatMs(best(coldMs))}   runs: ${
        formatRuns(coldMs)
      }   CPU ${formatMs(Math.min(...coldCpu))}`,
    );
    ctx.print(
      `  runrec stale ROOT, caches filled best ${formatMs(best(staleMs))}   runs: ${
        formatRuns(staleMs)
      }   CPU ${formatMs(Math.min(...cpu))}   peak RSS ${formatMB(peak)}`,
    );
    ctx.print(
      `  20 deliverables edited since     once ${formatMs(afterEdits.ms)}   CPU ${
        formatMs(afterEdits.cpuMs)
      }`,
    );
    ctx.print(
      `  xargs -0 -a LIST sha256sum       best ${formatMs(best(sumMs))}   runs: ${
        formatRuns(sumMs)
      }`,
    );
    ctx.print(
      `  stale's floor (stale_floor.ts)   best ${formatMs(best(floorMs))}   runs: ${
        formatRuns(floorMs)
      }`,
    );
    ctx.print(
      `  a kept verdict's floor           best ${formatMs(best(hitFloorMs))}   runs: ${
        formatRuns(hitFloorMs)
      }   CPU ${formatMs(Math.min(...hitFloorCpu))}`,
    );
    ctx.print(
      `  ratio (time stale / sha256sum) cache filled ${ratio.toFixed(2)}   target <= 1.30   ${
        pass ? "PASS" : "FAIL"
      }; no cache ${coldRatio.toFixed(2)}`,
    );
    // A time against sha256sum's best, for information.
    const againstSha256sum = (what: string, ms: number): Row => ({
      bench: "10 stale",
      what: `${what} (time)`,
      measured: formatMs(ms),
      reference: `sha256sum via xargs: ${formatMs(best(sumMs))}`,
      ratio: (ms / best(sumMs)).toFixed(2),
      target: "— (informational)",
      verdict: "INFO",
    });
    return [
      {
        bench: "10 stale",
        what: `runrec stale, ${formatCount(count)} deliverables, ${
          formatCount(generated.files.length)
        } files, hash and verdict caches filled (time)`,
        measured: formatMs(best(staleMs)),
        reference: `sha256sum via xargs: ${formatMs(best(sumMs))}`,
        ratio: ratio.toFixed(2),
        target: "≤ 1.30",
        verdict: pass ? "PASS" : "FAIL",
      },
      againstSha256sum(
        "runrec stale, no cache: every file read, every deliverable judged",
        best(coldMs),
      ),
      againstSha256sum(
        "20 deliverables edited since the caches were filled: one run",
        afterEdits.ms,
      ),
      againstSha256sum(
        "its floor: stale's listings, reads and hashes, no judging",
        best(floorMs),
      ),
      againstSha256sum(
        "a kept verdict's floor: the search, both caches parsed, a stat per dependency",
        best(hitFloorMs),
      ),
      {
        bench: "10 stale",
        what: "runrec stale, caches filled, CPU time (user + system, all threads)",
        measured: formatMs(Math.min(...cpu)),
        reference: `sha256sum via xargs: ${formatMs(Math.min(...sumCpu))}`,
        ratio: (Math.min(...cpu) / Math.min(...sumCpu)).toFixed(2),
        target: "— (informational)",
        verdict: "INFO",
      },
      {
        bench: "10 stale",
        what: "runrec stale, caches filled, peak RSS",
        measured: formatMB(peak),
        reference: "—",
        ratio: "—",
        target: "— (informational)",
        verdict: "INFO",
      },
    ];
  },
};
