/**
 * `runrec stale --propagate` and `runrec log`'s views against an independent
 * oracle (tests/oracles/stale_oracle.py, written from docs/TUTORIAL.md and
 * `--help`): seeded execution roots whose registers make chains, diamonds,
 * cycles and self-edges (RETIRED deliverables among them, rows inactive, of
 * another version, naming no deliverable, repeated, or with a quote never
 * closed), recorded through the CLI with runs that read their producers'
 * files, edits, and annotations; then the STALE and RETIRED entries (each
 * reason's cause, chain and runs), the cycles and warnings, in `--json` and
 * in the text, and `log` as a table, as Markdown, `--by path`, `-n`,
 * `--agent`, `--status`, `--since` and `--until` (a date, a stamp with and without
 * its zone, at an offset), and with a copy of a deliverable named beside the root
 * (the Folder column), compared with what the oracle reads.
 *
 * `RUNREC_TEST_SEED` replays a seed, `RUNREC_ORACLE_ROOTS` walks more roots
 * (3 by default), `RUNREC_ORACLE_STEPS` takes more steps in each (12 by
 * default), `RUNREC_ORACLE_EVERY=N` compares `stale` every N steps too (at
 * the end alone by default; `log` is compared at the end), and
 * `RUNREC_ORACLE_KEEP=DIR` copies the root of the first difference to DIR
 * and stops there.
 *
 * @module
 */
import { join } from "node:path";
import { readRecords } from "../src/reader.ts";
import { assertEquals } from "./assert.ts";
import { runCli } from "./cli.ts";
import { ROOT, tempDir, writeTree } from "./fixtures.ts";
import { seeded, SeededChoices } from "./seed.ts";

const ORACLE = join(ROOT, "tests", "oracles", "stale_oracle.py");
const AGENTS = ["DEPENDENCIES", "4_DOCUMENTS"];
const WORKING = "PKG-01_P/1_Working";
/** Free text with what the codec and Markdown escape: `|`, `%`, `;`, a newline, a backslash. */
const TEXTS = [
  "plain",
  "a | b",
  "100 % of\nlines",
  "=SUM(A1); x,y",
  "back\\slash `code` *em*",
  "\n_under_ [link](x) <b> &amp; # head\nmore",
  "tab\tü | é",
  "a long error line that goes on past the sixty characters a table cell holds, and on",
];
const HEADER = "RegisterSchemaVersion,DependencyID,FromPackageID,FromDeliverableID," +
  "FromDeliverableName,DependencyClass,AnchorType,Direction,DependencyType,TargetType," +
  "TargetPackageID,TargetDeliverableID,TargetRefID,TargetName,Statement,Status";

/** A seeded random walk over one execution root. */
class Walk extends SeededChoices {
  #edits = 0;
  /** Minutes before now of the next run's start: runs are ordered by their stamps. */
  clock = 2000;
  constructor(seed: number, readonly root: string, readonly ids: string[]) {
    super(seed);
  }

  unique(): string {
    return `edit ${++this.#edits} ${this.random()}\n`;
  }

  folder(id: string): string {
    return join(this.root, WORKING, `${id}_D`);
  }
}

/** A v3.1 row of `from`'s register about `target`, in one of the shapes the host writes. */
function row(walk: Walk, n: number, from: string, target: string, consumes: boolean): string {
  const direction = consumes
    ? walk.pick(["UPSTREAM", "INBOUND"])
    : walk.pick(["DOWNSTREAM", "OUTBOUND"]);
  const version = walk.chance(0.08) ? "v3.0" : "v3.1";
  const type = walk.chance(0.08) ? "FILE" : "DELIVERABLE";
  const status = walk.chance(0.12) ? walk.pick(["RETIRED", "INACTIVE", "PROPOSED"]) : "ACTIVE";
  const statement = walk.chance(0.5) ? '"needs, data"' : "needs data";
  return `${version},DEP-${n},PKG-01,${from},x,INTERFACE,DOC,${direction},INFORMATION,${type},` +
    `PKG-01,${target},,name,${statement},${status}`;
}

/** The registers of a root: chains, diamonds, cycles, self-edges, rows of every kind. */
function registers(walk: Walk): Record<string, string> {
  const rows = new Map<string, string[]>(walk.ids.map((id) => [id, []]));
  let n = 0;
  const edge = (producer: string, consumer: string) => {
    // Written in the consumer's register (UPSTREAM) or the producer's (DOWNSTREAM).
    if (walk.chance(0.7)) rows.get(consumer)!.push(row(walk, ++n, consumer, producer, true));
    else rows.get(producer)!.push(row(walk, ++n, producer, consumer, false));
  };
  const ids = walk.ids;
  // A chain in order, a few more edges forward (diamonds), a few backward (cycles).
  for (let i = 1; i < ids.length; i++) if (walk.chance(0.8)) edge(ids[i - 1], ids[i]);
  for (let k = 0; k < 2; k++) {
    const a = walk.pick(ids), b = walk.pick(ids);
    if (a < b) edge(a, b);
  }
  if (walk.chance(0.5)) {
    const a = walk.pick(ids), b = walk.pick(ids);
    if (a !== b) edge(a > b ? a : b, a > b ? b : a);
  }
  if (walk.chance(0.3)) {
    const a = walk.pick(ids);
    rows.get(a)!.push(row(walk, ++n, a, a, true)); // consumes itself
  }
  if (walk.chance(0.3)) {
    const a = walk.pick(ids);
    rows.get(a)!.push(row(walk, ++n, a, "DEL-09-99", true)); // no such deliverable
  }
  const files: Record<string, string> = {};
  for (const [id, list] of rows) {
    if (list.length && walk.chance(0.2)) list.push(list[0]); // a row repeated
    if (list.length && walk.chance(0.2)) {
      // A quote never closed, somewhere among the rows.
      const at = Math.floor(walk.chance(0.5) ? 0 : list.length);
      list.splice(
        at,
        0,
        `v3.1,DEP-X,PKG-01,${id},x,INTERFACE,DOC,UPSTREAM,I,DELIVERABLE,PKG-01,${
          walk.pick(ids)
        },,name,"open,ACTIVE`,
      );
    }
    if (list.length === 0 && walk.chance(0.7)) continue;
    if (walk.chance(0.08)) {
      // The simplified layout of examples/: no v3.1 columns, a warning, no edges.
      files[`${WORKING}/${id}_D/Dependencies.csv`] =
        "RegisterSchemaVersion,DependencyID,FromDeliverableID,ToDeliverableID,Status\n" +
        `v3.1,DEP-S,${id},${walk.pick(ids)},OPEN\n`;
      continue;
    }
    files[`${WORKING}/${id}_D/Dependencies.csv`] = [HEADER, ...list].join("\n") + "\n";
  }
  return files;
}

async function oracle(...args: string[]): Promise<unknown> {
  const output = await new Deno.Command("python3", {
    args: [ORACLE, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (output.code !== 0) {
    const why = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-3).join(" / ");
    throw new Error(`oracle ${args.join(" ")}: exit ${output.code}: ${why}`);
  }
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

async function runrec(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await runCli(args);
  if (result.code !== 0 && !["stale", "annotate"].includes(args[0])) {
    throw new Error(`runrec ${args.join(" ")}: exit ${result.code}: ${result.stderr}`);
  }
  return result;
}

/** A new execution root of `count` deliverables with its registers. */
async function makeRoot(seed: number, count: number): Promise<Walk> {
  const root = await tempDir({ prefix: "runrec-propagate-oracle-" });
  const ids = Array.from({ length: count }, (_, i) => `DEL-01-0${i + 1}`);
  const walk = new Walk(seed, root, ids);
  const files: Record<string, string> = { "INIT.md": "# Init\n", "_Decomposition/D.md": "# D\n" };
  for (const id of ids) {
    const state = walk.chance(0.15) ? "RETIRED" : "OPEN";
    files[`${WORKING}/${id}_D/_STATUS.md`] = `# Status\n\n**Current State:** ${state}\n`;
    files[`${WORKING}/${id}_D/Datasheet.md`] = `# ${id}\n`;
    files[`${WORKING}/${id}_D/Out.md`] = `out ${id}\n`;
    files[`${WORKING}/${id}_D/Notes.md`] = `notes ${id}\n`;
  }
  Object.assign(files, registers(walk));
  await writeTree(root, files);
  return walk;
}

/** The records of a folder: RunID and line of each (annotations too). */
async function recordsOf(folder: string): Promise<{ id: string; line: number; agent: string }[]> {
  const found: { id: string; line: number; agent: string }[] = [];
  const file = join(folder, "RunRecords.csv");
  if (!(await Deno.lstat(file).then(() => true, () => false))) return found;
  for await (const event of readRecords(file)) {
    if (event.kind === "record") {
      found.push({ id: event.record.RunID, line: event.line, agent: event.record.AgentName });
    }
  }
  return found;
}

/** Which producers' files each agent of each deliverable reads, fixed for the walk. */
function readsOf(walk: Walk): Map<string, string[]> {
  const reads = new Map<string, string[]>();
  for (const id of walk.ids) {
    for (const agent of AGENTS) {
      const others = walk.ids.filter((o) => o !== id && walk.chance(0.4));
      reads.set(
        `${id} ${agent}`,
        // One file of each, or both: a run that reads one of two again leaves the other's outputs
        // made from what the earlier run read (the earlier run is compared too).
        others.flatMap((o) =>
          walk.pick([["Out.md"], ["Out.md"], ["Datasheet.md"], ["Out.md", "Datasheet.md"]])
            .map((file) => `../${o}_D/${file}`)
        ),
      );
    }
  }
  return reads;
}

/** One step: a run (reading its producers' files, writing its Out.md), an edit, an annotation. */
async function step(walk: Walk, reads: Map<string, string[]>): Promise<void> {
  const id = walk.pick(walk.ids);
  const folder = walk.folder(id);
  const roll = walk.pick(["run", "run", "run", "run", "run", "edit", "annotate", "retire"]);
  walk.clock -= walk.pick([3, 10, 30]);
  if (roll === "run") {
    const agent = walk.pick(AGENTS);
    const status = walk.pick(["SUCCESS", "SUCCESS", "SUCCESS", "PARTIAL", "FAILED"]);
    // What the agent reads of its producers, or now and then a part of it.
    const upstream = reads.get(`${id} ${agent}`)!;
    const part = walk.chance(0.25);
    const inputs = ["Datasheet.md", ...(part ? upstream.filter(() => walk.chance(0.5)) : upstream)];
    const outputs: string[] = [];
    // A run that read a part mostly writes nothing: what an earlier run wrote stays its.
    if (walk.chance(part ? 0.3 : 0.7)) {
      if (walk.chance(0.8)) await Deno.writeTextFile(join(folder, "Out.md"), walk.unique());
      outputs.push("Out.md");
    }
    // Mostly a minute long; sometimes long enough to overlap the next runs.
    const duration = walk.chance(0.8) ? "PT1M" : `PT${walk.pick([20, 60])}M`;
    const started = new Date(Date.now() - walk.clock * 60_000).toISOString();
    await runrec(
      "emit",
      folder,
      "--agent",
      agent,
      "--status",
      status,
      "--started",
      started,
      "--duration",
      duration,
      ...inputs.flatMap((p) => ["--input", p]),
      ...outputs.flatMap((p) => ["--output", p]),
      ...(status === "SUCCESS" ? [] : ["--error", walk.pick(TEXTS)]),
      ...(walk.chance(0.4) ? ["--pass", walk.pick(TEXTS)] : []),
      ...(walk.chance(0.4) ? ["--notes", walk.pick(TEXTS)] : []),
    );
  } else if (roll === "edit") {
    await Deno.writeTextFile(join(folder, walk.pick(["Datasheet.md", "Out.md"])), walk.unique());
  } else if (roll === "annotate") {
    const all = await recordsOf(folder);
    const annotations = all.filter((r) => r.agent === "RUNREC_ANNOTATE");
    if (annotations.length && walk.chance(0.2)) {
      // An annotation withdrawn (invalidated itself): it no longer applies anywhere.
      const subject = walk.pick(annotations);
      await runrec("annotate", folder, subject.id, "--invalidates", "--note", "withdrawn");
      return;
    }
    const records = all.filter((r) => r.agent !== "RUNREC_ANNOTATE");
    if (records.length === 0) return;
    const subject = walk.pick(records);
    const effect = walk.chance(0.6) ? ["--invalidates"] : ["--supersedes", walk.pick(records).id];
    if (effect[1] === subject.id) return;
    await runrec(
      "annotate",
      folder,
      subject.id,
      ...effect,
      "--line",
      String(subject.line),
      "--note",
      "oracle",
    );
  } else {
    const state = walk.chance(0.5) ? "RETIRED" : "OPEN";
    await Deno.writeTextFile(
      join(folder, "_STATUS.md"),
      `# Status\n\n**Current State:** ${state}\n`,
    );
  }
}

/** How many of each thing the roots gave, printed with the seed. */
const tally = new Map<string, number>();
function count(what: string, n = 1): void {
  tally.set(what, (tally.get(what) ?? 0) + n);
}

interface Reason {
  cause: string;
  chain: { producer: string; consumer: string; dependencyId: string }[];
  ranSince?: { RunID: string; line: number; consumerRun: { RunID: string; line: number } };
  invalidated?: {
    RunID: string;
    line: number;
    consumerRun: { RunID: string; line: number };
    annotation: { RunID: string; note: string };
  };
}
interface Entry {
  deliverableId: string;
  lastRun: { RunID: string; line: number } | null;
  reasons: Reason[];
}

/** A reason as one line: its chain of IDs, its cause and the runs it names. */
function said(r: Reason): string {
  const chain = [r.chain[0]?.producer, ...r.chain.map((e) => `${e.consumer}[${e.dependencyId}]`)]
    .join(">");
  const run = r.ranSince ?? r.invalidated;
  return `${chain} ${r.cause}` +
    (run
      ? ` ${run.RunID}@${run.line} read by ${run.consumerRun.RunID}@${run.consumerRun.line}`
      : "") +
    (r.invalidated
      ? ` annotation ${r.invalidated.annotation.RunID} ${r.invalidated.annotation.note}`
      : "");
}

/** A reason as the text gives it, after "via" (docs/TUTORIAL.md, propagate_test's examples). */
function via(r: Reason): string {
  const first = r.chain[0];
  const chain = [first.producer, ...r.chain.map((e) => `${e.consumer} [${e.dependencyId}]`)]
    .join(" → ");
  const producer = `${first.producer}'s`, consumer = `${first.consumer}'s`;
  const why = r.ranSince
    ? `${producer} ${r.ranSince.RunID} ran since ${consumer} ${r.ranSince.consumerRun.RunID}`
    : r.invalidated
    ? `${producer} ${r.invalidated.RunID}, which ${consumer} ${r.invalidated.consumerRun.RunID} ` +
      `may have read, was invalidated by ${r.invalidated.annotation.RunID}: ` +
      r.invalidated.annotation.note
    : `${first.producer} is DIRTY`;
  return `  via ${chain}  (${why})`;
}

/**
 * The text's STALE and RETIRED entries (each header, then its reasons in any order), its cycles
 * and its summary's end, as the oracle's answer gives them; `folders` maps an ID to the folder
 * runrec names.
 */
function textOf(
  want: { stale: Entry[]; retired: Entry[]; cycles: string[][] },
  folders: Map<string, string>,
): string[] {
  const lines: string[] = [];
  const block = (e: Entry, retired: boolean) => {
    const head = `${retired ? "RETIRED     " : "STALE       "} ${e.deliverableId}  last run ${
      e.lastRun?.RunID ?? "-"
    }  ${folders.get(e.deliverableId)}`;
    lines.push(
      head + (retired ? "  (RETIRED in _STATUS.md: not STALE, not counted)" : ""),
      ...e.reasons.map(via).sort(),
    );
  };
  want.stale.forEach((e) => block(e, false));
  want.retired.forEach((e) => block(e, true));
  lines.push(...want.cycles.map((c) => `cycle        ${c.join(" → ")}`));
  const retired = want.retired.length ? `; ${want.retired.length} RETIRED not counted` : "";
  lines.push(`; ${want.stale.length} STALE, ${want.cycles.length} cycle(s)${retired}`);
  return lines;
}

/** The same lines of runrec's text: each entry's reasons sorted, its summary's end. */
function textLines(stdout: string): string[] {
  const lines: string[] = [];
  let reasons: string[] = [];
  const flush = () => {
    lines.push(...reasons.sort());
    reasons = [];
  };
  for (const line of stdout.split("\n")) {
    if (/^(STALE|RETIRED) +DEL-\S+ {2}last run /.test(line) || line.startsWith("cycle ")) {
      flush();
      lines.push(line);
    } else if (line.startsWith("  via ")) reasons.push(line);
    else if (/^\d+ checks?: /.test(line)) {
      flush();
      lines.push(line.slice(line.indexOf("; ", line.indexOf("NO_BASELINE"))));
    }
  }
  return lines;
}

function entries(list: Entry[]): Record<string, string[]> {
  return Object.fromEntries(
    list.map((e) => [
      e.deliverableId,
      [
        `last ${e.lastRun ? `${e.lastRun.RunID}@${e.lastRun.line}` : "none"}`,
        ...e.reasons.map(said).sort(),
      ],
    ]),
  );
}

/** The differences between `stale ROOT --propagate` and the oracle for one root. */
async function comparePropagate(walk: Walk): Promise<{ compared: number; differences: string[] }> {
  const differences: string[] = [];
  const result = await runrec("stale", walk.root, "--propagate", "--json");
  const got = JSON.parse(result.stdout);
  const want = await oracle("propagate", walk.root) as {
    stale: Entry[];
    retired: Entry[];
    cycles: string[][];
    warnings: string[];
    code: number;
    noted: Record<string, number>;
  };
  for (const [what, n] of Object.entries(want.noted)) count(what, n);
  let compared = 0;
  for (const part of ["stale", "retired"] as const) {
    const ours = entries(got[part]), theirs = entries(want[part]);
    for (const id of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
      compared++;
      count(`${part} entries`, theirs[id] ? 1 : 0);
      for (const e of want[part].filter((e) => e.deliverableId === id)) {
        for (const r of e.reasons) count(`${r.cause}${r.chain.length > 1 ? " (passed on)" : ""}`);
      }
      if (JSON.stringify(ours[id]) !== JSON.stringify(theirs[id])) {
        differences.push(
          `${part} ${id}: runrec ${JSON.stringify(ours[id])}, oracle ${JSON.stringify(theirs[id])}`,
        );
      }
    }
  }
  compared += 3;
  count("cycles", want.cycles.length);
  if (JSON.stringify(got.cycles) !== JSON.stringify(want.cycles)) {
    differences.push(
      `cycles: runrec ${JSON.stringify(got.cycles)}, oracle ${JSON.stringify(want.cycles)}`,
    );
  }
  count("warnings", want.warnings.length);
  // Their order is not said (runrec gives a register's unparsable lines first): compared as sets.
  if (JSON.stringify([...got.warnings].sort()) !== JSON.stringify([...want.warnings].sort())) {
    differences.push(
      `warnings: runrec ${JSON.stringify(got.warnings)}, oracle ${JSON.stringify(want.warnings)}`,
    );
  }
  if (result.code !== want.code) {
    differences.push(`exit: runrec ${result.code}, oracle ${want.code}`);
  }
  // One deliverable named alone: its own entry as the root's answer gives it, those upstream of it
  // checked too, those downstream of it with the reasons that pass through it, the cycles of it and
  // of those upstream or downstream of it, and the exit code.
  // Any one, and one of the first two, which the chain of registers makes a producer.
  for (const target of new Set([walk.pick(walk.ids), walk.pick(walk.ids.slice(0, 2))])) {
    const aloneRun = await runrec("stale", walk.folder(target), "--propagate", "--json");
    const alone = JSON.parse(aloneRun.stdout);
    const aloneWant = await oracle("propagate-alone", walk.root, target) as {
      entry: (Entry & { part: string }) | null;
      upstream: string[];
      downstream: (Entry & { part: string })[];
      code: number;
      cycles: string[][];
    };
    const aloneEntries: (Entry & { part: string })[] = [
      ...alone.stale.map((e: Entry) => ({ ...e, part: "stale" })),
      ...alone.retired.map((e: Entry) => ({ ...e, part: "retired" })),
    ];
    const shown = (e: (Entry & { part: string }) | null | undefined) =>
      e ? [e.deliverableId, e.part, ...entries([e])[e.deliverableId]] : null;
    const byId = (a: Entry, b: Entry) => a.deliverableId < b.deliverableId ? -1 : 1;
    const aloneGot = JSON.stringify({
      entry: shown(aloneEntries.find((e) => e.deliverableId === target)),
      upstream: [...new Set(alone.upstream.map((c: { deliverableId: string }) => c.deliverableId))]
        .sort(),
      downstream: aloneEntries.filter((e) => e.deliverableId !== target).sort(byId).map(shown),
      code: aloneRun.code,
      cycles: alone.cycles,
    });
    count("downstream of one named alone", aloneWant.downstream.length);
    const aloneExpected = JSON.stringify({
      entry: shown(aloneWant.entry),
      upstream: aloneWant.upstream,
      downstream: aloneWant.downstream.sort(byId).map(shown),
      code: aloneWant.code,
      cycles: aloneWant.cycles,
    });
    compared++;
    count("named alone");
    if (aloneGot !== aloneExpected) {
      differences.push(`stale ${target} alone: runrec ${aloneGot}, oracle ${aloneExpected}`);
    }
  }
  // The text: the same entries, reasons, cycles and counts.
  const text = await runrec("stale", walk.root, "--propagate");
  const folders = new Map<string, string>(
    [...got.stale, ...got.retired].map((
      e: Entry & { folder: string },
    ) => [e.deliverableId, e.folder]),
  );
  const ours = textLines(text.stdout), theirs = textOf(want, folders);
  compared++;
  const at = ours.findIndex((line, i) => line !== theirs[i]);
  if (at >= 0 || ours.length !== theirs.length) {
    const i = at >= 0 ? at : Math.min(ours.length, theirs.length);
    differences.push(
      `text line ${i}: runrec ${JSON.stringify(ours[i])}, oracle ${JSON.stringify(theirs[i])}`,
    );
  }
  return { compared, differences };
}

/** `log ROOT` as a table and as Markdown, in both orders, with -n and the filters. */
async function compareLog(walk: Walk): Promise<{ compared: number; differences: string[] }> {
  const differences: string[] = [];
  // In a folder whose name has what a Markdown cell escapes.
  const copies = join(await tempDir({ prefix: "runrec-oracle-copy-" }), "a|b&c<d");
  await Deno.mkdir(copies);
  const copy = join(copies, `${walk.ids[0]}_D`);
  await new Deno.Command("cp", { args: ["-R", walk.folder(walk.ids[0]), copy] }).output();
  const options = [
    [],
    ["--format", "md"],
    ["--by", "path"],
    ["--by", "path", "--format", "md", "-n", String(1 + Math.floor(walk.clock % 7))],
    ["-n", String(1 + Math.floor(walk.clock % 5))],
    ["--agent", walk.pick(["dependencies", "4_DOCUMENTS,runrec_annotate", "DEPENDENCIES"])],
    ["--status", walk.pick(["success,PARTIAL", "FAILED", "skipped"]), "--format", "md"],
    ["--agent", "4_documents", "--status", "SUCCESS", "-n", "2", "--by", "path"],
    ...await timeWindows(walk),
    // A copy of one deliverable named beside the root (a second worktree): the Folder column.
    ...[[], ["--format", "md", "--by", "path"], ["--status", "FAILED", "-n", "2"]].map((
      option,
    ) => [copy, ...option]),
  ];
  for (const option of options) {
    const got = (await runrec("log", walk.root, ...option)).stdout;
    const want = await oracleText("log", walk.root, ...option);
    count("log rows", want.split("\n").length - 2);
    if (got !== want) {
      const ours = got.split("\n"), theirs = want.split("\n");
      const at = ours.findIndex((line, i) => line !== theirs[i]);
      differences.push(
        `log ${option.join(" ")} line ${at + 1}: runrec ${JSON.stringify(ours[at])}, oracle ${
          JSON.stringify(theirs[at])
        }`,
      );
    }
  }
  return { compared: options.length, differences };
}

/**
 * `--since`/`--until` around a stamp one of the root's records holds: that stamp itself (at or
 * after it, before it), its day, and the same instant without a zone and at an offset.
 */
async function timeWindows(walk: Walk): Promise<string[][]> {
  const listed = JSON.parse((await runrec("log", walk.root, "--json")).stdout) as {
    RunTimestamp: string;
  }[];
  if (listed.length === 0) return [];
  const stamp = walk.pick(listed).RunTimestamp;
  const later = new Date(Date.parse(stamp) + 2 * 3_600_000).toISOString();
  const offset = `${later.slice(0, -1)}+02:00`; // the same instant, two hours east
  return [
    ["--since", stamp],
    ["--until", stamp, "--format", "md"],
    ["--since", stamp.slice(0, 10), "--until", offset, "--by", "path"],
    ["--since", stamp.slice(0, -1), "--agent", "dependencies", "-n", "3"],
  ];
}

async function oracleText(...args: string[]): Promise<string> {
  const output = await new Deno.Command("python3", { args: [ORACLE, ...args], stdout: "piped" })
    .output();
  return new TextDecoder().decode(output.stdout);
}

Deno.test("stale --propagate and log's views agree with the oracle on seeded execution roots", async () => {
  const { seed } = seeded("propagate oracle", {});
  const roots = Number(Deno.env.get("RUNREC_ORACLE_ROOTS") ?? 3);
  const steps = Number(Deno.env.get("RUNREC_ORACLE_STEPS") ?? 12);
  const every = Number(Deno.env.get("RUNREC_ORACLE_EVERY") ?? steps);
  let compared = 0;
  const differences: string[] = [];
  for (let n = 0; n < roots; n++) {
    const walk = await makeRoot(seed + n, 4 + (n % 3));
    const reads = readsOf(walk);
    for (let i = 1; i <= steps; i++) {
      await step(walk, reads);
      if (i % every !== 0 && i !== steps) continue;
      const found = await comparePropagate(walk);
      if (i === steps) {
        const logged = await compareLog(walk);
        found.compared += logged.compared;
        found.differences.push(...logged.differences);
      }
      compared += found.compared;
      differences.push(
        ...found.differences.map((d) => `root ${n} (seed ${seed + n}) step ${i}: ${d}`),
      );
      const keep = Deno.env.get("RUNREC_ORACLE_KEEP");
      if (keep && found.differences.length) {
        await new Deno.Command("cp", { args: ["-a", walk.root, keep] }).output();
        throw new Error(`kept in ${keep}: ${found.differences.join("\n")}`);
      }
    }
  }
  console.log(
    `${roots} roots, ${compared} checks compared, ${differences.length} differences`,
    JSON.stringify(Object.fromEntries(tally)),
  );
  assertEquals(differences, []);
});
