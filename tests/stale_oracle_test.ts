/**
 * `runrec stale`, `log` and `show` against an independent oracle
 * (tests/oracles/stale_oracle.py, Python's csv and hashlib, written from
 * SCHEMA.md): seeded execution roots, recorded through the CLI (`emit`,
 * `start`/`finish`, `annotate`) with files edited, deleted and re-created
 * between runs, `_STATUS.md` moved on, inputs made unreadable (a folder, a
 * dangling link, a loop, a FIFO, a file only root reads: then `stale` runs as
 * user nobody) and deliverable folders copied; then each agent's verdict,
 * baseline and changed inputs, every record's fields, and `log` over the whole
 * root (json, csv, md), compared with what the oracle reads.
 *
 * `RUNREC_TEST_SEED` replays a seed, `RUNREC_ORACLE_ROOTS` walks more roots
 * (2 by default), `RUNREC_ORACLE_STEPS` takes more steps in each (16 by
 * default; a multiple of 8), and `RUNREC_ORACLE_KEEP=DIR` copies the root of
 * the first difference to DIR and stops there.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { readRecords } from "../src/reader.ts";
import { assertEquals } from "./assert.ts";
import { runCli } from "./cli.ts";
import { git, ROOT, sampleAnnotation, tempDir, writeTree } from "./fixtures.ts";
import { runAsNobody } from "./support/nobody.ts";
import { encodeRecord } from "../src/codec.ts";
import { runIdPrefix, type RunRecord } from "../src/schema.ts";
import { fixedRandom, seeded } from "./seed.ts";

const ORACLE = join(ROOT, "tests", "oracles", "stale_oracle.py");
const AGENTS = ["4_DOCUMENTS", "DEPENDENCIES", "MY_AGENT"];
/** Data files, two named with what the codec escapes (SCHEMA.md 6.1). */
const DATA = ["a.md", "b.md", "c.md", "we;ird=na,me.md", "-dash ü 100%.md"];
/** Free text with what the codec escapes: `%`, `;`, `,`, quotes, a formula start, a newline, a tab. */
const TEXTS = ["", "plain", "=SUM(A1)", "-5; a,b", 'he said "done"', "100 % of\nlines", "\ttab; é"];
const REFS = ["refs/r1.txt", "refs/r2.txt", "refs/r3.txt", "../../../_Decomposition/D.md"];
const STATUSES = ["SUCCESS", "SUCCESS", "SUCCESS", "PARTIAL", "FAILED", "SKIPPED"];
const HOUR_MS = 3_600_000;
/** The host's lifecycle (HOST_FORMATS.md), RETIRED last: a retired deliverable is not compared. */
const LIFECYCLE = ["OPEN", "INITIALIZED", "SEMANTIC_READY", "IN_PROGRESS", "CHECKING", "ISSUED"];

/**
 * A `_STATUS.md` in one of the host's two shapes (HOST_FORMATS.md), its history oldest or newest
 * first: one row per state, each dated, Last Updated the newest row's date.
 */
function statusText(states: readonly string[], table: boolean, newestFirst: boolean): string {
  const date = (i: number) =>
    `2026-0${1 + Math.floor(i / 28) % 9}-${String(1 + i % 28).padStart(2, "0")}`;
  const rows = states.map((state, i) =>
    table
      ? `| ${date(i)} | ${i ? states[i - 1] : "—"} | ${state} | AGENT | step ${i} |`
      : `- ${date(i)} — State set to ${state} (AGENT)`
  );
  if (newestFirst) rows.reverse();
  return [
    "# Status",
    "",
    `**Current State:** ${states.at(-1)}`,
    `**Last Updated:** ${date(states.length - 1)}`,
    "",
    "## History",
    ...(table ? ["", "| Date | From | To | Agent/Actor | Notes |", "|---|---|---|---|---|"] : []),
    ...rows,
    "",
  ].join("\n");
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

/** One agent's check as `stale --json` and the oracle both give it. */
interface Verdict {
  verdict: string;
  baseline: string | null;
  inputs: [string, string, string | null][];
}

/** A seeded random walk over one execution root. */
class Walk {
  readonly #random: () => number;
  #edits = 0;
  /** Each folder's lifecycle states so far, and its _STATUS.md shape. */
  readonly states = new Map<string, { states: string[]; table: boolean; newestFirst: boolean }>();
  /** Whether a file only its owner may read is in the root: the checks run as user nobody. */
  private = false;
  constructor(seed: number, readonly root: string, readonly folders: string[]) {
    this.#random = fixedRandom(seed);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#random() * items.length)];
  }

  chance(p: number): boolean {
    return this.#random() < p;
  }

  some<T>(items: readonly T[], most: number): T[] {
    const count = 1 + Math.floor(this.#random() * most);
    return [...new Set(Array.from({ length: count }, () => this.pick(items)))];
  }

  /** Text no earlier write of the walk gave a file. */
  unique(): string {
    return `edit ${++this.#edits} ${this.#random()}\n`;
  }
}

/** The `_REFERENCES.md` listing `listed`, each reference in one of the forms 5.1 reads. */
function referencesText(listed: readonly string[], comments: number): string {
  const lines = listed.map((path, i) =>
    [`- [Ref ${i}](${path})`, `- \`${path}\` — a reference`, `- ${path}`][i % 3]
  );
  const remarks = Array.from({ length: comments }, (_, i) => `Reviewed ${i + 1}.`);
  return [
    "# References",
    "",
    "## Applicable References",
    ...lines,
    "- https://example.org/spec",
    "",
    ...remarks,
    "",
  ]
    .join("\n");
}

async function runrec(...args: string[]): Promise<{ code: number; stdout: string }> {
  const result = await runCli(args);
  if (result.code !== 0 && !["annotate"].includes(args[0])) {
    throw new Error(`runrec ${args.join(" ")}: exit ${result.code}: ${result.stderr}`);
  }
  return result;
}

async function oracle(...args: string[]): Promise<unknown> {
  const output = await new Deno.Command("python3", {
    args: [ORACLE, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (output.code !== 0) {
    const why = new TextDecoder().decode(output.stderr).trim().split("\n").at(-1);
    throw new Error(`oracle ${args.join(" ")}: exit ${output.code}: ${why}`);
  }
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

/** A new execution root of `count` deliverables, each with data, references and a status. */
async function makeRoot(count: number): Promise<{ root: string; folders: string[] }> {
  const root = await tempDir({ prefix: "runrec-oracle-" });
  const files: Record<string, string> = {
    "INIT.md": "# Init\n",
    "_Decomposition/D.md": "# Decomposition\n",
  };
  const folders: string[] = [];
  for (let n = 1; n <= count; n++) {
    const folder = `PKG-01_P/1_Working/DEL-01-0${n}_Del${n}`;
    folders.push(join(root, folder));
    files[`${folder}/_STATUS.md`] = statusText(["OPEN"], n % 2 === 0, n === 1);
    files[`${folder}/_REFERENCES.md`] = referencesText(REFS.slice(0, 2), 0);
    for (const path of [...DATA, ...REFS.slice(0, 3)]) files[`${folder}/${path}`] = `${path}\n`;
  }
  files[".gitattributes"] = "RunRecords.csv merge=union eol=lf\n";
  files[".gitignore"] = "RunRecords.csv.lock\n";
  await writeTree(root, files);
  await Deno.chmod(root, 0o755); // user nobody walks it when a file is private to root
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "the project");
  return { root, folders };
}

/**
 * Appends an annotation as a runrec before checksum notes wrote it (docs/SCHEMA_EVOLUTION.md):
 * it names its RunID alone, so where a merge gave that RunID to two records it marks both, and a
 * withdrawal of it withdraws neither.
 */
async function olderAnnotation(walk: Walk, folder: string): Promise<void> {
  const file = join(folder, "RunRecords.csv");
  if (!(await exists(file))) return;
  const records: RunRecord[] = [];
  for await (const event of readRecords(file)) {
    if (event.kind === "record") records.push(event.record);
  }
  if (records.length === 0) return;
  const subject = walk.pick(records);
  const effect = subject.AgentName === "RUNREC_ANNOTATE" || walk.chance(0.6)
    ? "invalidates"
    : `supersedes=${walk.pick(records.filter((r) => r.AgentName !== "RUNREC_ANNOTATE")).RunID}`;
  const now = new Date().toISOString();
  const id = `${runIdPrefix(subject.DeliverableID, now)}${900 + ++olderAnnotations}`;
  const line = encodeRecord(sampleAnnotation({
    RunID: id,
    DeliverableID: subject.DeliverableID,
    RunTimestamp: now,
    Notes: `annotates=${subject.RunID}; ${effect}; note=an older runrec`,
    Host: "older",
  }));
  await Deno.writeTextFile(file, `${line}\n`, { append: true });
}

/** Annotations {@linkcode olderAnnotation} wrote: each takes a SEQ of its own. */
let olderAnnotations = 0;

/** Annotates a record of `folder`, picked at random: invalidates it, or supersedes another by it. */
async function annotate(walk: Walk, folder: string): Promise<void> {
  const records: { id: string; agent: string; line: number }[] = [];
  if (!(await exists(join(folder, "RunRecords.csv")))) return;
  for await (const event of readRecords(join(folder, "RunRecords.csv"))) {
    if (event.kind === "record") {
      records.push({ id: event.record.RunID, agent: event.record.AgentName, line: event.line });
    }
  }
  if (records.length === 0) return;
  const subject = walk.pick(records);
  const effect = subject.agent === "RUNREC_ANNOTATE" || walk.chance(0.6)
    ? ["--invalidates"]
    : ["--supersedes", walk.pick(records).id];
  // --line picks one of two records a merge left with one RunID.
  const line = walk.chance(0.5) ? ["--line", String(subject.line)] : [];
  await runrec("annotate", folder, subject.id, ...effect, ...line, "--note", "oracle walk");
}

/** One step of the walk in one deliverable: a run recorded, a file edited, an annotation. */
async function step(walk: Walk, folder: string, listed: Map<string, string[]>): Promise<void> {
  const roll = walk.pick([
    "emit",
    "emit",
    "emit",
    "emit",
    "startFinish",
    "startFinish",
    "edit",
    "edit",
    "edit",
    "delete",
    "references",
    "annotate",
    "annotate",
    "olderAnnotation",
    "sameStamp",
    "overlap",
    "branch",
    "lifecycle",
    "lifecycle",
    "lifecycle",
    "fault",
    "fault",
    "fault",
    "copy",
    "copy",
  ]);
  const agent = walk.pick(AGENTS);
  const write = async (path: string) => {
    await heal(join(folder, path));
    await Deno.mkdir(join(folder, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(folder, path), walk.unique());
  };
  const outputs = async (): Promise<string[]> => {
    if (!walk.chance(0.7)) return [];
    const path = walk.chance(0.2) ? "shared.md" : `out_${agent}.md`;
    // Mostly written anew; else recorded again as it is (bytes another run recorded too).
    if (walk.chance(0.8) || !(await exists(join(folder, path)))) await write(path);
    return ["--output", path];
  };
  // A folder among them (SCHEMA.md 5.2): walked again by stale, a file added to it is "added".
  const inputs = () =>
    walk.some([...DATA, "refs/r3.txt", "refs", "_STATUS.md"], 2).flatMap((p) => ["--input", p]);
  const outcome = (status: string) => [
    "--status",
    status,
    ...(["FAILED", "PARTIAL"].includes(status) ? ["--error", walk.pick(TEXTS) || "short"] : []),
    ...(walk.chance(0.5) ? ["--notes", walk.pick(TEXTS)] : []),
  ];
  switch (roll) {
    case "emit": {
      const ago = walk.pick([1, 5, 30, 72]) * HOUR_MS;
      const started = walk.chance(0.3)
        ? ["--started", new Date(Date.now() - ago).toISOString()]
        : [];
      // A duration that ends before now: soon after the start, halfway, or just before now.
      const seconds = Math.floor((ago / 1000) * walk.pick([0.01, 0.5, 0.99]));
      const duration = started.length && walk.chance(0.6) ? ["--duration", `PT${seconds}S`] : [];
      await runrec(
        "emit",
        folder,
        "--agent",
        agent,
        ...outcome(walk.pick(STATUSES)),
        ...(walk.chance(0.3) ? ["--pass", walk.pick(TEXTS)] : []),
        ...inputs(),
        ...(await outputs()),
        ...started,
        ...duration,
      );
      break;
    }
    case "startFinish": {
      const token = (await runrec("start", folder, "--agent", agent, ...inputs())).stdout.trim();
      if (walk.chance(0.5)) await write(walk.pick(DATA));
      await runrec("finish", token, ...outcome(walk.pick(STATUSES)), ...(await outputs()));
      break;
    }
    case "edit":
      await write(walk.pick([...DATA, ...REFS.slice(0, 3), `refs/added ${walk.pick([1, 2])}.txt`]));
      break;
    case "delete":
      await Deno.remove(join(folder, walk.pick([...DATA, ...REFS.slice(0, 3)])), {
        recursive: true,
      })
        .catch(() => {});
      break;
    case "lifecycle": {
      // The host moves the deliverable on (SCHEMA.md 5.4: a note), or edits it otherwise (DIRTY).
      const shape = walk.states.get(folder)!;
      const next = walk.chance(0.1)
        ? "RETIRED"
        : LIFECYCLE[(LIFECYCLE.indexOf(shape.states.at(-1)!) + 1) % LIFECYCLE.length];
      shape.states.push(next);
      const text = statusText(shape.states, shape.table, shape.newestFirst);
      const remark = walk.chance(0.2) ? "Reviewed by hand.\n" : "";
      await heal(join(folder, "_STATUS.md"));
      await Deno.writeTextFile(join(folder, "_STATUS.md"), text + remark);
      break;
    }
    case "fault": {
      // An input that cannot be read now: a folder where a file was, a dangling link, a link loop,
      // a FIFO, a file only root may read (the checks then run as user nobody).
      const path = join(folder, walk.pick([...DATA, ...REFS.slice(0, 3), "_STATUS.md"]));
      await heal(path);
      await Deno.remove(path).catch(() => {});
      const fault = walk.pick(["folder", "dangling", "loop", "fifo", "private", "private"]);
      if (fault === "folder") await writeTree(path, { "inside.md": walk.unique() });
      else if (fault === "dangling") await Deno.symlink("nowhere.md", path);
      else if (fault === "loop") await Deno.symlink(path.split("/").at(-1)!, path);
      else if (fault === "fifo") await command("mkfifo", path);
      else {
        await Deno.writeTextFile(path, walk.unique(), { mode: 0o600 });
        await Deno.chmod(path, 0o600);
        walk.private = true;
      }
      break;
    }
    case "copy": {
      // A copy of the deliverable folder: the same ID in another package, under a new ID (its
      // records name the original, which has its own folder: a copy's), or in _Archive/ (not
      // checked under the root). A copy takes part in the walk from now on.
      const id = folder.match(/DEL-\d+-\d+/)![0];
      const where = walk.pick([
        `PKG-02_Q/1_Working/${id}_Copy`,
        `PKG-01_P/1_Working/DEL-01-${10 + walk.folders.length}_Copy`,
        `_Archive/${id}_Old`,
      ]);
      const copy = join(walk.root, where);
      if (await exists(copy)) break;
      await Deno.mkdir(join(copy, ".."), { recursive: true });
      await command("cp", "-a", folder, copy);
      await Deno.remove(join(copy, ".runrec"), { recursive: true }).catch(() => {});
      if (!where.startsWith("_")) {
        walk.folders.push(copy);
        walk.states.set(copy, {
          ...walk.states.get(folder)!,
          states: [...walk.states.get(folder)!.states],
        });
        listed.set(copy, listed.get(folder)!);
      }
      break;
    }
    case "references": {
      const now = listed.get(folder)!;
      const next = walk.chance(0.3)
        ? now
        : now.includes(walk.pick(REFS))
        ? now.filter((p) => !walk.chance(0.5) || p === now[0])
        : [...new Set([...now, walk.pick(REFS)])];
      listed.set(folder, next);
      await Deno.writeTextFile(
        join(folder, "_REFERENCES.md"),
        referencesText(next, Math.floor(walk.chance(0.5) ? 1 : 2)),
      );
      break;
    }
    case "annotate":
      await annotate(walk, folder);
      break;
    case "olderAnnotation":
      await olderAnnotation(walk, folder);
      break;
    case "sameStamp": {
      // Runs stamped alike (two branches each ran the agent): ended alike or not, read alike or not.
      const started = new Date(Date.now() - walk.pick([2, 9]) * HOUR_MS).toISOString();
      const input = walk.pick(DATA);
      for (const duration of ["PT10M", walk.pick(["PT10M", "PT11M", "PT9M"])]) {
        const read = walk.chance(0.5) ? input : walk.pick(DATA);
        await runrec(
          "emit",
          folder,
          "--agent",
          agent,
          ...["--status", "SUCCESS", "--input", read],
          ...["--started", started, "--duration", duration],
        );
      }
      break;
    }
    case "overlap": {
      // Two runs of one agent overlap: the one that started first finishes last.
      const first = (await runrec("start", folder, "--agent", agent, ...inputs())).stdout.trim();
      if (walk.chance(0.7)) await write(walk.pick(DATA));
      const second = (await runrec("start", folder, "--agent", agent, ...inputs())).stdout.trim();
      await write("shared.md");
      await runrec("finish", second, "--status", "SUCCESS", "--output", "shared.md");
      await write("shared.md");
      await runrec("finish", first, ...outcome(walk.pick(STATUSES)), "--output", "shared.md");
      break;
    }
    case "branch": {
      // A run recorded in another work tree of the repository (its own journal, so its own SEQ)
      // and one here, in the same minute, joined by a union merge: one RunID, two records.
      const root = walk.root;
      // git adds no FIFO: each becomes a file again first.
      for (const each of walk.folders) {
        for (const path of [...DATA, ...REFS.slice(0, 3), "_STATUS.md"]) {
          const stat = await Deno.lstat(join(each, path)).catch(() => null);
          if (stat && !stat.isFile && !stat.isSymlink && !stat.isDirectory) {
            await heal(join(each, path));
          }
        }
      }
      const side = `${root}-side`;
      await git(root, "add", "-A");
      await git(root, "commit", "-qm", "before the branch", "--allow-empty");
      await git(root, "worktree", "add", "-qb", "side", side);
      const there = join(side, folder.slice(root.length));
      await runrec("emit", there, "--agent", agent, ...outcome(walk.pick(STATUSES)), ...inputs());
      if (walk.chance(0.5)) await annotate(walk, there);
      await git(side, "add", "-A");
      await git(side, "commit", "-qm", "a run on the branch");
      if (walk.chance(0.5)) await write(walk.pick(DATA));
      await runrec(
        "emit",
        folder,
        "--agent",
        walk.pick(AGENTS),
        ...outcome(walk.pick(STATUSES)),
        ...inputs(),
      );
      if (walk.chance(0.5)) await annotate(walk, folder);
      await git(root, "add", "-A");
      await git(root, "commit", "-qm", "a run on main");
      if (walk.chance(0.4)) {
        // The branch's commit cherry-picked here, and a later run there: the merge repeats its line.
        await git(root, "cherry-pick", "side");
        await runrec("emit", there, "--agent", agent, "--status", "SUCCESS", ...inputs());
        await git(side, "add", "-A");
        await git(side, "commit", "-qm", "a later run on the branch");
      }
      await git(root, "merge", "-q", "--no-edit", "side");
      await git(root, "worktree", "remove", "--force", side);
      await git(root, "branch", "-qD", "side");
      break;
    }
  }
}

/** Puts a regular file where `path` is a FIFO, a link or a folder (made by the fault step). */
async function heal(path: string): Promise<void> {
  const stat = await Deno.lstat(path).catch(() => null);
  if (stat && !stat.isFile) await Deno.remove(path, { recursive: true });
}

async function command(name: string, ...args: string[]): Promise<void> {
  const output = await new Deno.Command(name, { args, stderr: "piped" }).output();
  if (output.code !== 0) throw new Error(`${name} ${args.join(" ")}: exit ${output.code}`);
}

/** How many checks of each verdict the roots gave, printed with the seed. */
const tally = new Map<string, number>();

/** The fields in which `got` differs from `expected`, each named with its RunID and line. */
function fieldDifferences(
  what: string,
  got: Record<string, unknown>,
  expected: Record<string, unknown> = {},
): string[] {
  const names = new Set([...Object.keys(got), ...Object.keys(expected)]);
  return [...names].filter((name) => JSON.stringify(got[name]) !== JSON.stringify(expected[name]))
    .map((name) =>
      `${what} ${got.RunID}@${got.line} ${name}: runrec ${JSON.stringify(got[name])}, oracle ${
        JSON.stringify(expected[name])
      }`
    );
}

/** The differences between runrec's and the oracle's answers for one root, with the count compared. */
async function compareRoot(
  walk: Walk,
  records: boolean,
): Promise<{ compared: number; differences: string[] }> {
  const differences: string[] = [];
  let compared = 0;
  // The whole root, as `stale .` checks it: copies, and _Archive/ left out. With a file only root
  // may read, runrec runs as user nobody, and the oracle reads as one (--as-other).
  const staleRun = walk.private
    ? await runAsNobody(["stale", walk.root, "--json"])
    : await runCli(["stale", walk.root, "--json"]);
  if (walk.private) tally.set("as nobody", (tally.get("as nobody") ?? 0) + 1);
  const report = JSON.parse(staleRun.stdout);
  const byOracle = await oracle(
    ...(walk.private ? ["--as-other"] : []),
    "stale-root",
    walk.root,
  ) as Record<
    string,
    (Verdict & { agent: string; noted?: Record<string, number> })[]
  >;
  for (
    const folder of Object.keys(
      report.checks.reduce(
        (all: Record<string, 1>, c: { folder: string }) => ({ ...all, [c.folder]: 1 }),
        {},
      ),
    )
  ) {
    if (!(folder in byOracle)) differences.push(`stale ${folder}: only runrec checks it`);
  }
  for (const folder of Object.keys(byOracle)) {
    const id = folder.slice(walk.root.length + 1);
    const ours = new Map<string, Verdict>();
    for (
      const check of report.checks.filter((c: { folder: string }) => c.folder === folder)
    ) {
      ours.set(check.agent, {
        verdict: check.verdict,
        baseline: check.baseline?.RunID ?? null,
        inputs: check.inputs.map((
          c: { path: string; change: string; since?: string },
        ) => [c.path, c.change, c.since ?? null])
          .sort((a: string[], b: string[]) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1),
      });
    }
    for (const check of byOracle[folder]) {
      compared++;
      const kind = check.verdict + (check.inputs.some((c) => c[2]) ? " with since" : "");
      tally.set(kind, (tally.get(kind) ?? 0) + 1);
      const intoFolder = check.inputs.filter(([path, change]) =>
        change === "added" && path.startsWith("refs/added")
      );
      tally.set("added to a folder", (tally.get("added to a folder") ?? 0) + intoFolder.length);
      const { agent, noted, ...expected } = check;
      for (const [what, n] of Object.entries(noted ?? {})) {
        tally.set(what, (tally.get(what) ?? 0) + n);
      }
      expected.inputs.sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
      const got = ours.get(agent);
      ours.delete(agent);
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        differences.push(
          `stale ${id} ${agent}: runrec ${JSON.stringify(got)}, oracle ${JSON.stringify(expected)}`,
        );
      }
    }
    for (const agent of ours.keys()) {
      differences.push(`stale ${id} ${agent}: only runrec checks it`);
    }
    if (!records || !walk.folders.includes(folder)) continue;
    if (!(await exists(join(folder, "RunRecords.csv")))) continue; // no runs recorded here yet

    const file = join(folder, "RunRecords.csv");
    const expected = await oracle("records", file) as Record<string, unknown>[];
    const ids = expected.map((r) => r.RunID);
    tally.set("RunIDs shared", (tally.get("RunIDs shared") ?? 0) + ids.length - new Set(ids).size);
    const lines = (await Deno.readTextFile(file)).split("\n").filter((l) => l.startsWith("v1.0,"));
    tally.set(
      "lines repeated",
      (tally.get("lines repeated") ?? 0) + lines.length - new Set(lines).size,
    );
    const shown = (r: Record<string, unknown>) => {
      const { annotations: _a, recordFile: _f, ...rest } = r;
      return {
        ...rest,
        invalidatedBy: [...rest.invalidatedBy as string[]].sort(),
        supersededBy: [...rest.supersededBy as string[]].sort(),
      };
    };
    const inOrder = [...expected].sort((a, b) => {
      const at = String(a.RunTimestamp), bt = String(b.RunTimestamp);
      return Date.parse(at) - Date.parse(bt) || at.localeCompare(bt) ||
        Number(a.line) - Number(b.line);
    });
    const logged =
      (JSON.parse((await runrec("log", folder, "--json")).stdout) as Record<string, unknown>[]).map(
        shown,
      );
    compared += inOrder.length;
    const order = (records: Record<string, unknown>[]) =>
      records.map((r) => `${r.RunID}@${r.line}`).join(" ");
    if (order(logged) !== order(inOrder)) {
      differences.push(`log ${id} order: runrec ${order(logged)}; oracle ${order(inOrder)}`);
    }
    for (const [i, record] of logged.entries()) {
      differences.push(...fieldDifferences(`log ${id}`, record, inOrder[i]));
    }
    for (const record of expected) {
      const result = await runrec(
        "show",
        folder,
        String(record.RunID),
        "--line",
        String(record.line),
        "--json",
      );
      compared++;
      differences.push(...fieldDifferences(`show ${id}`, shown(JSON.parse(result.stdout)), record));
    }
  }
  if (records) {
    const found = await compareLogs(walk, Object.keys(byOracle));
    compared += found.compared;
    differences.push(...found.differences);
  }
  return { compared, differences };
}

/**
 * `log ROOT` over every record file beneath it (copies too): `--json` in the order the help gives
 * (by RunTimestamp across files, ties in file order), and `--format csv` (each record's line byte
 * for byte under the header) against the oracle's records, in that order.
 */
async function compareLogs(
  walk: Walk,
  folders: string[],
): Promise<{ compared: number; differences: string[] }> {
  const differences: string[] = [];
  const expected: { file: string; line: number; RunTimestamp: string; raw: string }[] = [];
  for (const folder of folders) {
    const file = join(folder, "RunRecords.csv");
    if (!(await exists(file))) continue;
    const lines = (await Deno.readTextFile(file)).split("\n");
    for (const r of await oracle("records", file) as { line: number; RunTimestamp: string }[]) {
      expected.push({ file, line: r.line, RunTimestamp: r.RunTimestamp, raw: lines[r.line - 1] });
    }
  }
  const ns = (t: string) => {
    const [, whole, fraction = ""] = t.match(/^(.*?)(?:\.(\d+))?Z$/)!;
    return BigInt(Date.parse(`${whole}Z`)) * 1_000_000n + BigInt(fraction.padEnd(9, "0"));
  };
  const inOrder = expected.map((r, i) => ({ ...r, i })).sort((a, b) => {
    const d = ns(a.RunTimestamp) - ns(b.RunTimestamp);
    return d < 0n ? -1 : d > 0n ? 1 : a.i - b.i;
  });
  const logged = JSON.parse((await runrec("log", walk.root, "--json")).stdout) as {
    recordFile: string;
    line: number;
  }[];
  const order = (rs: { file: string; line: number }[]) =>
    rs.map((r) => `${r.file.slice(walk.root.length + 1)}@${r.line}`);
  const ours = order(logged.map((r) => ({ file: resolve(r.recordFile), line: r.line })));
  const theirs = order(inOrder);
  for (const [i, entry] of ours.entries()) {
    if (entry !== theirs[i]) {
      differences.push(`log root order at ${i}: runrec ${entry}, oracle ${theirs[i]}`);
      break;
    }
  }
  if (ours.length !== theirs.length) {
    differences.push(`log root: runrec ${ours.length} records, oracle ${theirs.length}`);
  }
  const csv = (await runrec("log", walk.root, "--format", "csv")).stdout;
  const header = (await Deno.readTextFile(inOrder[0]?.file ?? "/dev/null")).split("\n")[0];
  const csvExpected = inOrder.length ? [header, ...inOrder.map((r) => r.raw), ""].join("\n") : "";
  if (csv !== csvExpected) {
    const got = csv.split("\n"), want = csvExpected.split("\n");
    const at = got.findIndex((l, i) => l !== want[i]);
    differences.push(`log root csv line ${at + 1}: runrec ${got[at]}, oracle ${want[at]}`);
  }
  // md: one row per record in that order, its RunID (and marks), Timestamp, Agent, Status and
  // Duration as recorded; a Folder column first when two files hold records of one deliverable.
  // (Pass and Error are escaped as Markdown, a rule the help names but does not spell out.)
  const md = (await runrec("log", walk.root, "--format", "md")).stdout.split("\n")
    .filter((l) => l.startsWith("| "));
  const ids = new Map<string, Set<string>>();
  const records = new Map<string, Record<string, string & string[]>>();
  for (const folder of folders) {
    const file = join(folder, "RunRecords.csv");
    if (!(await exists(file))) continue;
    for (const r of await oracle("records", file) as Record<string, string & string[]>[]) {
      ids.set(r.DeliverableID, new Set([...ids.get(r.DeliverableID) ?? [], file]));
      records.set(`${file}@${r.line}`, r);
    }
  }
  const folderColumn = [...ids.values()].some((files) => files.size > 1);
  if (md.length && md[0].startsWith("| Folder |") !== folderColumn) {
    differences.push(`log root md: Folder column ${!folderColumn}, oracle ${folderColumn}`);
  }
  for (const [i, entry] of inOrder.entries()) {
    const r = records.get(`${entry.file}@${entry.line}`)!;
    const cells = (md[i + 1] ?? "").split(" | ").slice(folderColumn ? 1 : 0);
    const want = [r.RunID, r.RunTimestamp, r.AgentName, r.RunStatus];
    const status = cells[3] ?? "";
    const got = [cells[0]?.replace(/^\| /, ""), cells[1], cells[2], status.split(" ")[0]];
    // Marked as its annotations say (log --help): [INVALIDATED], [SUPERSEDED by RUN-…], both in
    // one ("; " between); an annotation withdrawn, [withdrawn by RUN-…].
    const mark = status.match(/\[(.*)\]/)?.[1].split("; ") ?? [];
    const marks = r.AgentName === "RUNREC_ANNOTATE"
      ? mark.some((m) => m.startsWith("withdrawn by ")) === (r.invalidatedBy.length > 0)
      : mark.includes("INVALIDATED") === (r.invalidatedBy.length > 0) &&
        mark.some((m) => m.startsWith("SUPERSEDED by ")) === (r.supersededBy.length > 0);
    if (
      JSON.stringify(got) !== JSON.stringify(want) || !marks ||
      !md[i + 1].includes(` ${r.RunDuration} |`)
    ) {
      differences.push(
        `log root md row ${i + 1}: ${md[i + 1]}; oracle ${want.join(" ")} ${r.RunDuration} ${
          JSON.stringify([r.invalidatedBy, r.supersededBy])
        }`,
      );
      break;
    }
  }
  return { compared: theirs.length + 1, differences };
}

Deno.test("stale, log and show agree with the oracle on seeded execution roots", async () => {
  const { seed } = seeded("stale oracle", {});
  const roots = Number(Deno.env.get("RUNREC_ORACLE_ROOTS") ?? 2);
  const steps = 8 * Math.ceil(Number(Deno.env.get("RUNREC_ORACLE_STEPS") ?? 16) / 8);
  let compared = 0;
  const differences: string[] = [];
  for (let n = 0; n < roots; n++) {
    const { root, folders } = await makeRoot(2);
    const walk = new Walk(seed + n, root, folders);
    const listed = new Map(folders.map((f) => [f, REFS.slice(0, 2)]));
    folders.forEach((f, i) =>
      walk.states.set(f, { states: ["OPEN"], table: i % 2 === 1, newestFirst: i === 0 })
    );
    // stale is compared every 8 steps, and log and show once at the end.
    for (let i = 1; i <= steps; i++) {
      await step(walk, walk.pick(folders), listed);
      if (i % 8 !== 0) continue;
      const found = await compareRoot(walk, i === steps);
      compared += found.compared;
      differences.push(
        ...found.differences.map((d) => `root ${n} (seed ${seed + n}) step ${i}: ${d}`),
      );
      const keep = Deno.env.get("RUNREC_ORACLE_KEEP");
      if (keep && found.differences.length) {
        await new Deno.Command("cp", { args: ["-a", root, keep] }).output();
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
