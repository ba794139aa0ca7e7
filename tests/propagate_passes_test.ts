/**
 * `stale --propagate` reads a long history in passes that keep only the runs its answers ask of
 * (propmem-40 F1): every answer is the one it gives holding every run. Seeded execution roots,
 * weighed both ways: deliverables whose registers make chains, cycles and cycles of one; runs of
 * several agents out of time order (a union merge), overlapping, PARTIAL, FAILED and SKIPPED,
 * reading the producers' files (their bytes now or others) and writing files (some on disk as
 * they recorded them, some naming none, some saying `exec` saw them change nothing);
 * annotations that invalidate and supersede; a repeated line and a corrupt one.
 *
 * @module
 */
import { join } from "node:path";
import { annotationNotes } from "../src/annotations.ts";
import { checksumOf, encodeRecord } from "../src/codec.ts";
import { inputContextSha } from "../src/manifest.ts";
import { HEADER, runIdPrefix, type RunRecord } from "../src/schema.ts";
import { sha256Hex } from "../src/sha256.ts";
import { changedNothingNote } from "../src/snapshot.ts";
import { checkStaleness, type StaleOptions } from "../src/stale.ts";
import { streamed } from "../src/stale_history.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assert, assertEquals } from "./assert.ts";
import { sampleAnnotation, sampleRecord, tempDir } from "./fixtures.ts";
import { seededRandom } from "./seed.ts";

const WORKING = "PKG-03_Plant/1_Working";
const AGENTS = ["2_SPEC", "4_DOCUMENTS", "7_REVIEW"];
const STATUSES = ["SUCCESS", "SUCCESS", "PARTIAL", "FAILED", "SKIPPED"];
/** What the files hold, one of these each: runs record the same bytes again and again. */
const CONTENTS = ["one\n", "two\n"];
const FILES = ["Datasheet.md", "Report.md"];
const START = Date.parse("2026-03-01T08:00:00Z");
const REGISTER_HEADER = "RegisterSchemaVersion,DependencyID,FromPackageID,FromDeliverableID," +
  "FromDeliverableName,DependencyClass,AnchorType,Direction,DependencyType,TargetType," +
  "TargetPackageID,TargetDeliverableID,TargetRefID,TargetName,Statement,Status";

/** A record with its RecordChecksum. */
function sealed(record: RunRecord): RunRecord {
  const line = encodeRecord(record);
  return { ...record, RecordChecksum: checksumOf(line.slice(0, line.lastIndexOf(","))) };
}

/** An execution root drawn from `random`: its deliverables' folders, by ID. */
async function writeRoot(random: () => number): Promise<{ root: string; folders: string[] }> {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const root = join(await tempDir({ prefix: "runrec-propagate-passes-" }), "root");
  const count = 3 + Math.floor(random() * 3);
  const ids = Array.from({ length: count }, (_, i) => `DEL-03-0${i + 1}`);
  const folderOf = (id: string) => `${id}_D${id.slice(-1)}`;
  await Deno.mkdir(join(root, WORKING), { recursive: true });
  await Deno.writeTextFile(join(root, "INIT.md"), "# Session\n");
  // Each deliverable consumes one to three others: chains, cycles, now and then itself.
  const producersOf = new Map(ids.map((id) => {
    const others = ids.filter((other) => other !== id || random() < 0.1);
    return [id, [
      ...new Set(Array.from({ length: 1 + Math.floor(random() * 2) }, () => pick(others))),
    ]];
  }));
  for (const id of ids) {
    const dir = join(root, WORKING, folderOf(id));
    await Deno.mkdir(dir);
    for (const file of FILES) await Deno.writeTextFile(join(dir, file), pick(CONTENTS));
    const rows = producersOf.get(id)!.map((producer, i) =>
      `v3.1,D${i},PKG-03,${id},x,INTERFACE,DOC,UPSTREAM,INFORMATION,DELIVERABLE,PKG-03,` +
      `${producer},,name,needs data,ACTIVE`
    );
    await Deno.writeTextFile(
      join(dir, "Dependencies.csv"),
      [REGISTER_HEADER, ...rows].join("\n") + "\n",
    );
    await writeHistory(dir, id, producersOf.get(id)!.map(folderOf), random);
  }
  return { root, folders: ids.map((id) => join(root, WORKING, folderOf(id))) };
}

/** The record file of deliverable `id` in `dir`, whose runs read the files of `producers`. */
async function writeHistory(
  dir: string,
  id: string,
  producers: string[],
  random: () => number,
): Promise<void> {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const seq = new Map<string, number>();
  const runIdAt = (at: string) => {
    const prefix = runIdPrefix(id, at);
    seq.set(prefix, (seq.get(prefix) ?? 0) + 1);
    return `${prefix}${String(seq.get(prefix)).padStart(3, "0")}`;
  };
  const runs: RunRecord[] = [];
  const count = 10 + Math.floor(random() * 50);
  for (let i = 0; i < count; i++) {
    // Mostly in time order; some runs of a merged branch stamped back in time.
    const minutes = random() < 0.15 ? Math.floor(random() * i) * 5 : i * 5 + random() * 40;
    const at = new Date(START + Math.floor(minutes) * 60_000).toISOString();
    const status = pick(STATUSES);
    const inputs: Record<string, string> = {};
    for (const producer of producers) {
      if (random() < 0.8) inputs[`../${producer}/${pick(FILES)}`] = sha256Hex(pick(CONTENTS));
    }
    const outputs: Record<string, string> = {};
    for (const file of FILES) if (random() < 0.5) outputs[file] = sha256Hex(pick(CONTENTS));
    const changedNothing = Object.keys(outputs).length === 0 && random() < 0.5;
    runs.push(sealed(sampleRecord({
      RunID: runIdAt(at),
      DeliverableID: id,
      AgentName: pick(AGENTS),
      RunTimestamp: at,
      // Some runs overlap the next ones.
      RunDuration: pick(["PT2M", "PT2M", "PT20M", "PT90M"]),
      RunStatus: status,
      ErrorSummary: status === "FAILED" || status === "PARTIAL" ? "exit 1" : "",
      ...(status === "SKIPPED" ? { StatusAfter: "OPEN" } : {}),
      InputContextSHA: inputContextSha(inputs),
      InputFiles: Object.keys(inputs),
      OutputFiles: Object.keys(outputs),
      InputHashes: inputs,
      OutputHashes: outputs,
      Notes: changedNothing ? changedNothingNote(".") : `run ${i}`,
    })));
  }
  const lines = [HEADER, ...runs.map(encodeRecord)];
  const annotate = (target: RunRecord, effect: { invalidates?: true; supersedes?: string }) => {
    const at = new Date(START + (count * 5 + 60 + lines.length) * 60_000).toISOString();
    const checksums = Object.fromEntries(
      runs.filter((r) => r.RunID === target.RunID || r.RunID === effect.supersedes)
        .map((r) => [r.RunID, r.RecordChecksum]),
    );
    const annotation = sealed(sampleAnnotation({
      RunID: runIdAt(at),
      DeliverableID: id,
      RunTimestamp: at,
      Notes: annotationNotes(target.RunID, effect, "seeded", checksums),
    }));
    // Annotations land anywhere: a merge puts a branch's among the other lines.
    lines.splice(1 + Math.floor(random() * (lines.length - 1)), 0, encodeRecord(annotation));
  };
  for (let i = 0; i < 1 + count / 8; i++) {
    const target = pick(runs);
    if (random() < 0.6) annotate(target, { invalidates: true });
    else annotate(pick(runs), { supersedes: target.RunID });
  }
  // A line repeated byte for byte, and now and then a corrupt one.
  lines.push(lines[1 + Math.floor(random() * count)]);
  if (random() < 0.3) lines.push(lines[2].replace(/.$/, (c) => c === "0" ? "1" : "0"));
  await Deno.writeTextFile(join(dir, RECORD_FILE), `${lines.join("\n")}\n`);
}

/** `stale --propagate`'s report of `targets`, each history held whole or read in passes. */
async function weighed(targets: string[], inPasses: boolean, options: StaleOptions = {}) {
  const before = streamed.fromBytes;
  streamed.fromBytes = inPasses ? 0 : Infinity;
  try {
    return await checkStaleness(targets, { workers: 0, propagate: true, ...options });
  } finally {
    streamed.fromBytes = before;
  }
}

Deno.test("stale --propagate: histories read in passes that keep only the runs propagation asks of give every answer holding every run gives, on seeded roots with chains, cycles, annotations, merges, overlaps and files rewritten (propmem-40 F1)", async () => {
  const random = seededRandom("propagate passes");
  let staleFound = 0;
  let invalidatedFound = 0;
  for (let round = 0; round < 20; round++) {
    const { root, folders } = await writeRoot(random);
    const alone = folders[Math.floor(random() * folders.length)];
    const agent = AGENTS[Math.floor(random() * AGENTS.length)];
    for (
      const [targets, options] of [[[root], {}], [[alone], {}], [[alone], {
        agents: [agent],
      }]] as const
    ) {
      const held = await weighed([...targets], false, options);
      const passed = await weighed([...targets], true, options);
      assertEquals(passed, held, `round ${round}, ${targets}, ${JSON.stringify(options)}`);
      staleFound += held.stale.length;
      invalidatedFound += held.stale.filter((s) => s.reasons.some((r) => r.invalidated)).length;
    }
  }
  // The histories make the answers the rules weigh: STALE, and through invalidated runs.
  assert(
    staleFound > 0 && invalidatedFound > 0,
    `${staleFound} STALE, ${invalidatedFound} invalidated`,
  );
});
