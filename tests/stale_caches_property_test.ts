/**
 * `stale`'s caches (the hash cache, and whatever else it keeps as `runrec-*` in the common git
 * folder) against no caches at all: a seeded walk over an aged root (tests/support/aged_root.ts:
 * every file two minutes old, so the first run keeps them all), each step one or more mutations
 * that keep a file's `stat` as close to the old one as a program can (a same-size edit with its
 * mtime put back, a file renamed over another, a package folder moved out for a symbolic link, a
 * `.git` begun above the deliverables, ...), then `stale` run with the caches as they are and
 * without them (every `runrec-*` file moved aside, and put back after). The two must say the
 * same: a kept answer used after what it depended on changed would be a wrong CLEAN.
 *
 * `RUNREC_TEST_SEED` replays a seed (root n walks seed + n: with `RUNREC_CACHES_ROOTS=1`, the one
 * root a failure names), `RUNREC_CACHES_ROOTS` walks more roots (5 by default),
 * `RUNREC_CACHES_STEPS` takes more steps in each (8 by default), and `RUNREC_CACHES_KEEP=DIR`
 * copies the image's files (the root, the folders beside it, the caches) to DIR at the first
 * difference and stops there.
 *
 * @module
 */
import { join } from "node:path";
import { makeStaleRoot } from "../scripts/bench/stale.ts";
import { assert, assertEquals } from "./assert.ts";
import { type CliResult, runCliProcess } from "./cli.ts";
import { git, tempDir } from "./fixtures.ts";
import { ageInPlace } from "./support/aged_root.ts";
import { sh } from "./support/sh.ts";
import { fixedRandom, seeded, SeededChoices } from "./seed.ts";

/** Counters of what a run read, not of what it found: a cache changes them by design. */
const COUNTERS = [
  "filesHashed", // files read: fewer with a cache
  "filesCached", // files whose kept hash was used: none without
];

const INPUTS = ["Datasheet.md", "Guidance.md", "Procedure.md", "_CONTEXT.md"];
const OUTPUTS = ["Specification.md", "Dependencies.csv", "_SEMANTIC.md"];
const AGENTS = [[], ["--agent", "4_DOCUMENTS"], ["--agent", "dependencies,CHIRALITY_FRAMEWORK"]];
const STATES = ["OPEN", "INITIALIZED", "SEMANTIC_READY", "IN_PROGRESS", "CHECKING", "RETIRED"];

/** A seeded walk over one aged root. */
class Walk extends SeededChoices {
  #edits = 0;
  constructor(seed: number, readonly mount: string, readonly root: string, public dels: string[]) {
    super(seed);
  }
  unique(): string {
    return `edit ${++this.#edits}\n`;
  }
}

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

/** Runs a shell script in `cwd`: the walk's mutations are what a user's shell would do. */
const run = (cwd: string, script: string, ...args: string[]) => sh(cwd, script, args);

/** Replaces `path`'s bytes with others of the same size and puts its mtime back (`touch -d`). */
async function sameSizeEdit(path: string): Promise<void> {
  const info = await Deno.lstat(path).catch(() => undefined);
  if (!info?.isFile || info.size < 2) return;
  const bytes = Deno.readFileSync(path);
  bytes[bytes.length - 2] = bytes[bytes.length - 2] === 0x41 ? 0x42 : 0x41;
  Deno.writeFileSync(path, bytes);
  await run(".", 'touch -d "@$1" "$2"', String(info.mtime!.getTime() / 1000), path);
}

/**
 * Changes above the deliverables, none of their files touched: stale57's two wrong CLEANs
 * (`referencesMoved`, `gitAbove`) and their kin.
 */
const ABOVE = ["referencesMoved", "gitAbove", "initAbove", "decompositionAbove", "referenceEdit"];

/** Every mutation, the likelier twice. */
const KINDS = [
  "sameSize",
  "sameSize",
  "renameOver",
  "swap",
  "recreate",
  "symlink",
  "fifo",
  "folder",
  "inputFolderAdd",
  "inputFolderRemove",
  "referenceLine",
  ...ABOVE,
  "emit",
  "annotate",
  "recordLine",
  "status",
  "contextId",
  "output",
  "renameFolder",
  "renameBack",
  "replaceFolder",
  "sibling",
];

/** One mutation of `kinds`, picked at random; returns what it did, for the report. */
async function mutate(walk: Walk, kinds: readonly string[]): Promise<string> {
  const del = walk.pick(walk.dels);
  const other = walk.pick(walk.dels);
  const pkg = join(del, "..", "..");
  const input = walk.pick(INPUTS.slice(0, 3));
  const at = (name: string) => join(del, name);
  const kind = walk.pick(kinds);
  const rel = del.slice(walk.root.length + 1);
  switch (kind) {
    case "sameSize": {
      const name = walk.pick([...INPUTS, "Inputs/one.md"]);
      await sameSizeEdit(at(name));
      return `${kind} ${rel}/${name}`;
    }
    case "renameOver": {
      // Another deliverable's old file (a kept hash under its own path) renamed over this one's.
      const from = join(other, walk.pick(INPUTS.slice(0, 3)));
      if (from === at(input) || !(await Deno.lstat(from).catch(() => undefined))?.isFile) {
        return "none";
      }
      // A folder a step made in its place is no file to rename over.
      if ((await Deno.lstat(at(input)).catch(() => undefined))?.isDirectory) {
        await Deno.remove(at(input), { recursive: true });
      }
      await Deno.rename(from, at(input));
      return `${kind} ${from.slice(walk.root.length + 1)} over ${rel}/${input}`;
    }
    case "swap": {
      const [a, b] = [at("Datasheet.md"), at(walk.pick(["Guidance.md", "Procedure.md"]))];
      if (!(await exists(a)) || !(await exists(b))) return "none";
      await run(del, 'mv "$1" swap.tmp && mv "$2" "$1" && mv swap.tmp "$2"', a, b);
      return `${kind} ${rel}: ${a.split("/").at(-1)} ${b.split("/").at(-1)}`;
    }
    case "recreate": {
      // A file only: reading a FIFO a step made would wait for a writer.
      if (!(await Deno.lstat(at(input)).catch(() => undefined))?.isFile) return "none";
      const bytes = await Deno.readFile(at(input));
      await Deno.remove(at(input));
      await Deno.writeFile(at(input), bytes);
      return `${kind} ${rel}/${input} (same bytes)`;
    }
    case "symlink": {
      // To a copy of its own bytes, then to another file: the path's stat is the target's.
      const target = walk.chance(0.5) ? join(other, input) : at("Guidance.md");
      if (target === at(input)) return "none";
      await Deno.remove(at(input), { recursive: true }).catch(() => {});
      await Deno.symlink(target, at(input));
      return `${kind} ${rel}/${input} -> ${target.slice(walk.root.length + 1)}`;
    }
    case "fifo":
      await Deno.remove(at(input), { recursive: true }).catch(() => {});
      await run(del, 'mkfifo "$1"', at(input));
      return `${kind} ${rel}/${input}`;
    case "folder":
      await Deno.remove(at(input), { recursive: true }).catch(() => {});
      await Deno.mkdir(at(input));
      await Deno.writeTextFile(join(at(input), "inside.md"), walk.unique());
      return `${kind} ${rel}/${input}`;
    case "inputFolderAdd":
      await Deno.mkdir(at("Inputs"), { recursive: true });
      await Deno.writeTextFile(at(`Inputs/added ${walk.unique().trim()}.md`), "added\n");
      return `${kind} ${rel}/Inputs`;
    case "inputFolderRemove": {
      const names = await Array.fromAsync(Deno.readDir(at("Inputs"))).catch(() => []);
      if (names.length === 0) return "none";
      const name = walk.pick(names).name;
      await Deno.remove(at(`Inputs/${name}`), { recursive: true });
      return `${kind} ${rel}/Inputs/${name}`;
    }
    case "referenceLine": {
      // A new reference to an old file (its hash kept), then one to a missing one.
      const line = walk.pick([
        `- Other — Location: ${other.slice(walk.root.length + 1)}/Datasheet.md — other\n`,
        "- `../../0_References/vendor.txt` — again\n",
        "- [Gone](../../0_References/gone.md)\n",
        "- [Home](~/shared/notes.md)\n",
      ]);
      await Deno.writeTextFile(at("_REFERENCES.md"), line, { append: true });
      return `${kind} ${rel}: ${line.trim()}`;
    }
    case "referenceEdit": {
      const target = walk.pick([
        join(pkg, "0_References", "standard.md"),
        join(pkg, "0_References", "vendor.txt"),
        join(walk.root, "_Decomposition", "Decomposition.md"),
      ]);
      await sameSizeEdit(target);
      return `${kind} ${target.slice(walk.root.length + 1)}`;
    }
    case "referencesMoved": {
      // stale57's first wrong CLEAN: the files keep their whole stat, the path now leaves the
      // work tree through a symbolic link.
      const refs = join(pkg, "0_References");
      const info = await Deno.lstat(refs).catch(() => undefined);
      if (!info?.isDirectory) return "none";
      const away = join(walk.mount, `refs-${pkg.split("/").at(-1)}`);
      await Deno.rename(refs, away);
      await Deno.symlink(away, refs);
      return `${kind} ${refs.slice(walk.root.length + 1)} -> ${away}`;
    }
    case "gitAbove": {
      // stale57's second: a repository begun between the deliverables and the root.
      const where = walk.pick([join(pkg, "1_Working"), pkg]);
      await git(where, "init", "-q"); // a .git that holds no repository git passes over
      return `${kind} ${where.slice(walk.root.length + 1)}/.git`;
    }
    case "initAbove": {
      const where = walk.pick([join(pkg, "1_Working"), pkg]);
      await Deno.writeTextFile(join(where, "INIT.md"), "# Init\n");
      return `${kind} ${where.slice(walk.root.length + 1)}/INIT.md`;
    }
    case "decompositionAbove": {
      await Deno.mkdir(join(pkg, "_Decomposition"), { recursive: true });
      await Deno.writeTextFile(join(pkg, "_Decomposition", "Decomposition.md"), walk.unique());
      return `${kind} ${pkg.slice(walk.root.length + 1)}/_Decomposition`;
    }
    case "emit": {
      const agent = walk.pick(["4_DOCUMENTS", "DEPENDENCIES", "FOLDER_AGENT"]);
      const inputs = walk.chance(0.5) ? ["Datasheet.md", "Inputs"] : ["_CONTEXT.md", "Guidance.md"];
      // Refused (exit 2) where an input is a FIFO or a folder now: the record file stays as it is.
      const { code } = await runCliProcess([
        ...["emit", del, "--agent", agent, "--status", "SUCCESS", "--allow-outside"],
        ...inputs.flatMap((i) => ["--input", i]),
      ]);
      return `${kind} ${rel} ${agent} ${inputs.join(",")}: exit ${code}`;
    }
    case "annotate": {
      const lines = (await Deno.readTextFile(at("RunRecords.csv")).catch(() => "")).split("\n");
      const ids = lines.slice(1).map((l) => l.split(",")[1]).filter((id) => id?.startsWith("RUN"));
      if (ids.length === 0) return "none";
      const id = walk.pick(ids);
      const args = ["annotate", del, id, "--invalidates", "--note", "property walk"];
      return `${kind} ${rel} ${id}: exit ${(await runCliProcess(args)).code}`;
    }
    case "recordLine": {
      // A record's line changed in place, same size: one hex digit of its hashes.
      const file = at("RunRecords.csv");
      const text = await Deno.readTextFile(file).catch(() => "");
      const lines = text.split("\n");
      const n = 1 + walk.pick([0, 1, 2]) % Math.max(1, lines.length - 2);
      const match = /[0-9a-f]{64}/.exec(lines[n] ?? "");
      if (!match) return "none";
      const i = match.index + 10;
      lines[n] = lines[n].slice(0, i) + (lines[n][i] === "0" ? "1" : "0") + lines[n].slice(i + 1);
      await Deno.writeTextFile(file, lines.join("\n"));
      await sameSizeEdit(at("Datasheet.md")); // and an input's bytes, its stat kept close
      return `${kind} ${rel} line ${n + 1}`;
    }
    case "status": {
      const state = walk.pick(STATES);
      await Deno.writeTextFile(at("_STATUS.md"), `# Status\n\n**Current State:** ${state}\n`);
      return `${kind} ${rel} ${state}`;
    }
    case "contextId": {
      const id = walk.pick(["DEL-01-01", "DEL-01-02", "DEL-01-03", "DEL-01-09"]);
      await Deno.writeTextFile(at("_CONTEXT.md"), `# Context\n\n**DeliverableID:** ${id}\n`);
      return `${kind} ${rel} ${id}`;
    }
    case "output":
      await Deno.writeTextFile(at(walk.pick(OUTPUTS)), walk.unique(), { append: true });
      return `${kind} ${rel}`;
    case "renameFolder": {
      const to = `${del}_Renamed`;
      await Deno.rename(del, to);
      walk.dels = walk.dels.map((d) => (d === del ? to : d));
      return `${kind} ${rel} -> ${to.split("/").at(-1)}`;
    }
    case "renameBack": {
      // Its kept lines dropped at a run's write while it was away, or kept: judged as it is now.
      const away = walk.dels.find((d) => d.endsWith("_Renamed"));
      if (away === undefined) return "none";
      const back = away.slice(0, -"_Renamed".length);
      if (await exists(back)) return "none";
      await Deno.rename(away, back);
      walk.dels = walk.dels.map((d) => (d === away ? back : d));
      return `${kind} ${away.slice(walk.root.length + 1)} -> ${back.split("/").at(-1)}`;
    }
    case "replaceFolder": {
      // Another deliverable's folder, times kept (cp -a), where this one's was: its lines' path.
      if (other === del) return "none";
      await run(del, 'cd / && rm -rf "$1" && cp -a "$2" "$1"', del, other);
      return `${kind} ${rel} by a copy of ${other.slice(walk.root.length + 1)}`;
    }
    case "sibling": {
      const to = join(del, "..", `${del.split("/").at(-1)}_Twin`);
      if (await exists(to)) return "none";
      await run(del, 'cp -a "$1" "$2"', del, to);
      walk.dels.push(to);
      return `${kind} ${rel} copied to ${to.split("/").at(-1)}`;
    }
  }
  return "none";
}

async function runrec(...args: string[]): Promise<CliResult> {
  const out = await runCliProcess(args);
  if (out.code !== 0) throw new Error(`runrec ${args.join(" ")}: exit ${out.code}: ${out.stderr}`);
  return out;
}

/** Every `runrec-*` file of every git folder in the image: the caches, whatever their names. */
async function cacheFiles(mount: string): Promise<string[]> {
  const found = await run(mount, "find . -path '*/.git/runrec-*' -prune -print0");
  return found.split("\0").filter(Boolean).map((p) => join(mount, p));
}

/**
 * One run's answer (the JSON report less its counters, the text report, the exit codes and
 * stderr), and the counters.
 */
async function answer(targets: string[], options: string[], env: Record<string, string>) {
  const json = await runCliProcess(["stale", ...targets, ...options, "--json"], undefined, env);
  const text = await runCliProcess(["stale", ...targets, ...options], undefined, env);
  let report: Record<string, unknown> | string = json.stdout;
  const counted: Record<string, unknown> = {};
  try {
    report = JSON.parse(json.stdout) as Record<string, unknown>;
    for (const counter of COUNTERS) {
      counted[counter] = report[counter];
      delete report[counter];
    }
  } catch { /* compared as text */ }
  return [{
    json: { code: json.code, report, stderr: json.stderr },
    text: { code: text.code, stdout: text.stdout, stderr: text.stderr },
  }, counted] as const;
}

/**
 * The environments a step's two runs may share, other than the usual one: `~` elsewhere, git's
 * search stopped above the root (no effect) or at it or its package folder (no repository found:
 * no caches, and the outside rule has no work tree).
 */
function environments(mount: string, root: string): Record<string, string>[] {
  return [
    {},
    { HOME: join(mount, "home") },
    { GIT_CEILING_DIRECTORIES: mount },
    { GIT_CEILING_DIRECTORIES: root },
    { GIT_CEILING_DIRECTORIES: join(root, "PKG-01_Package_01") },
  ];
}

/**
 * An aged root of `count` deliverables from `seed`, a git repository with one commit: the
 * generated root (references into the package folder and `../../../_Decomposition`), an input
 * folder a record names, and a `HOME` for references through `~`: every file two minutes old.
 * Returns the walk and the unmount.
 */
async function agedWalk(seed: number, count: number): Promise<[Walk, () => Promise<void>]> {
  const mount = join(await tempDir(), "mnt");
  const root = join(mount, "root");
  const generated = await makeStaleRoot(root, count, fixedRandom(seed));
  await Deno.mkdir(join(mount, "home", "shared"), { recursive: true });
  await Deno.writeTextFile(join(mount, "home", "shared", "notes.md"), "notes\n");
  const first = generated.deliverables[0];
  await Deno.mkdir(join(first, "Inputs"));
  for (const name of ["one.md", "two.md"]) {
    await Deno.writeTextFile(join(first, "Inputs", name), `${name}\n`);
  }
  await runrec(
    ...["emit", first, "--agent", "FOLDER_AGENT", "--status", "SUCCESS", "--input", "Inputs"],
    ...["--input", "Datasheet.md", "--allow-outside"],
  );
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "the root");
  // Beside the root on the image: a rename keeps each cache file as it is (its inode, its stat).
  await Deno.mkdir(join(mount, "aside"));
  const unmount = await ageInPlace(mount);
  return [new Walk(seed, mount, root, [...generated.deliverables]), unmount];
}

/** The mutations made, by kind ("none": one that found nothing to act on). */
const tally = new Map<string, number>();

/**
 * Walks one aged root for `steps` steps; returns the steps compared. With `aboveFirst`, the first
 * step changes something above the deliverables, while their checks are CLEAN: later steps would
 * find most of them DIRTY already.
 */
async function walkRoot(
  seed: number,
  steps: number,
  aboveFirst: boolean,
  keep?: string,
): Promise<number> {
  const [walk, unmount] = await agedWalk(seed, 5);
  const { mount, root } = walk;
  const saved = join(mount, "aside");
  let compared = 0;
  try {
    // The caches filled from old files, as a user's first run fills them.
    await runCliProcess(["stale", root, "--json"]);
    const filled = await cacheFiles(mount);
    assert(filled.length > 0, "the first stale kept nothing: no cache to compare with");
    for (let step = 0; step <= steps; step++) {
      const done: string[] = [];
      if (step > 0) {
        const count = walk.pick([1, 1, 1, 2]);
        const kinds = aboveFirst && step === 1 ? ABOVE : KINDS;
        for (let i = 0; i < count; i++) done.push(await mutate(walk, kinds));
        for (const kind of done) {
          tally.set(kind.split(" ")[0], (tally.get(kind.split(" ")[0]) ?? 0) + 1);
        }
      }
      // Mostly the run that filled the caches (what they were kept for), else another.
      const usual = walk.chance(0.6);
      const env = usual ? {} : walk.pick(environments(mount, root));
      const options = usual
        ? []
        : [...walk.pick(AGENTS), ...(walk.chance(0.3) ? ["--propagate"] : [])];
      const targets = usual || walk.chance(0.6) ? [root] : [walk.pick(walk.dels)];
      const [withCaches, withCachesCounted] = await answer(targets, options, env);
      // Without them: every runrec-* file moved aside, then put back as the user's run left them.
      const kept = await cacheFiles(mount);
      const aside = kept.map((_, i) => join(saved, `${i}`));
      kept.forEach((file, i) => Deno.renameSync(file, aside[i]));
      let without;
      try {
        [without] = await answer(targets, options, env);
      } finally {
        for (const file of await cacheFiles(mount)) Deno.removeSync(file, { recursive: true });
        kept.forEach((file, i) => Deno.renameSync(aside[i], file));
      }
      compared++;
      const said = `seed ${seed} step ${step}: ${done.join("; ") || "(none)"}; env ${
        JSON.stringify(env)
      }; stale ${targets.map((t) => t.slice(mount.length + 1)).join(" ")} ${options.join(" ")}`;
      if (JSON.stringify(withCaches) !== JSON.stringify(without) && keep) {
        await run(".", 'cp -a "$1" "$2"', mount, keep);
        await Deno.writeTextFile(join(keep, "STEP.txt"), `${said}\n`);
      }
      const replay = `RUNREC_TEST_SEED=${seed} RUNREC_CACHES_ROOTS=1`;
      assertEquals(withCaches, without, `with the caches and without differ: ${said} (${replay})`);
      const { summary } = withCaches.json.report as { summary?: object };
      // What the run with them found: the caches' files and their sizes, the hashes it used.
      const found = kept.map((file) => `${file.split("/").at(-1)} ${Deno.statSync(file).size}`);
      const cached = `filesCached ${withCachesCounted.filesCached}; ${found.join(", ") || "none"}`;
      console.log(`  ${said}: exit ${withCaches.json.code} ${JSON.stringify(summary)}; ${cached}`);
    }
  } finally {
    await unmount();
  }
  return compared;
}

Deno.test("stale with its caches says what it says without them, on seeded walks of aged roots (5 roots of 5 deliverables, 8 steps each)", async () => {
  const { seed } = seeded("stale caches property", {});
  const roots = Number(Deno.env.get("RUNREC_CACHES_ROOTS") ?? 5);
  const steps = Number(Deno.env.get("RUNREC_CACHES_STEPS") ?? 8);
  let compared = 0;
  for (let n = 0; n < roots; n++) {
    // Of the seed, not of n: one root replayed alone walks as it did.
    const aboveFirst = (seed + n) % 2 === 1;
    compared += await walkRoot(seed + n, steps, aboveFirst, Deno.env.get("RUNREC_CACHES_KEEP"));
  }
  console.log(
    `${roots} roots, ${compared} steps compared with and without the caches; mutations`,
    JSON.stringify(Object.fromEntries([...tally].sort())),
  );
});
