/**
 * The harness of the seeded git workflow soaks (tests/soak_test.ts, tests/soak_runs_test.ts): a
 * bare repository of a project with three deliverables, its clones, and {@linkcode Soak}, which
 * draws git operations and runrec commands from a seed and keeps the model of what main must hold.
 *
 * @module
 */
import { join } from "node:path";
import { runCliProcess } from "../cli.ts";
import { git, makeProject, tempDir, writeTree } from "../fixtures.ts";
import { assert, assertEquals } from "../assert.ts";
import { FULL_FLAGS } from "../../src/cli/permissions.ts";
import { CLI_ENTRY } from "./cli_entry.ts";

/** The record file's name in each deliverable folder. */
export const RECORD_FILE = "RunRecords.csv";
/** The deliverable folders of the soak's project, relative to a clone. */
export const DELIVERABLES = [
  "PKG-01_Pkg/1_Working/DEL-01-02_Thing",
  "PKG-01_Pkg/1_Working/DEL-01-03_Other",
  "PKG-01_Pkg/1_Working/DEL-01-04_Third",
];
/** How many clones of the team's repository record. */
export const CLONES = 3;

/**
 * The seed and step count: `RUNREC_SOAK_SEED` and `RUNREC_SOAK_STEPS` when set; printed.
 *
 * @example
 * ```ts
 * import { soakParameters } from "./soak.ts";
 * const { seed, steps } = soakParameters();
 * ```
 */
export function soakParameters(defaultSteps = 100): { seed: number; steps: number } {
  const fromEnv = Deno.env.get("RUNREC_SOAK_SEED");
  const seed = fromEnv !== undefined ? Number(fromEnv) : (Math.random() * 2 ** 31) | 0;
  const steps = Number(Deno.env.get("RUNREC_SOAK_STEPS") ?? defaultSteps);
  console.log(`soak: seed ${seed}, ${steps} steps (replay: RUNREC_SOAK_SEED=${seed})`);
  return { seed, steps };
}

/** One emit the model expects in main at the end: the token in its Notes and the RunID printed. */
export interface Emitted {
  token: string;
  runId: string;
  clone: number;
}

/**
 * The shared state of one soak: the clones, the model, and the log of steps taken.
 *
 * @example
 * ```ts
 * import { Soak, teamRepository } from "./soak.ts";
 * import { fixedRandom } from "../seed.ts";
 * import { tempDir } from "../fixtures.ts";
 * const { clones } = await teamRepository();
 * const soak = new Soak(clones, fixedRandom(7), { TMPDIR: await tempDir() }, Date.now());
 * for (let i = 0; i < 10; i++) await soak.step();
 * ```
 */
export class Soak {
  readonly emitted: Emitted[] = [];
  readonly log: string[] = [];
  protected count = 0;
  protected branches = 0;
  /** Each clone's minute counter: clone k records minutes k, k+3, k+6, ... after `base`. */
  protected readonly minutes: number[] = Array(CLONES).fill(0);

  constructor(
    readonly clones: string[],
    readonly random: () => number,
    readonly env: Record<string, string>,
    readonly base: number,
    /** What each clone's runrec commands add to `env` (its own clock, say). */
    readonly cloneEnv: Record<string, string>[] = [],
  ) {}

  /** The environment of runrec's commands in clone `c`. */
  envOf(c: number): Record<string, string> {
    return { ...this.env, ...this.cloneEnv[c] };
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  note(text: string) {
    this.log.push(text);
  }

  /**
   * The arguments of an emit in clone `c` (in its work tree `dir`) of a deliverable, with a token
   * the model follows, in a minute of clone `minuteOf`'s (another clone's: a shared RunID).
   */
  protected emitArgs(
    c: number,
    dir = this.clones[c],
    minuteOf = c,
    deliverable?: string,
  ): { args: string[]; token: string } {
    if (minuteOf === c && this.random() < 0.6) this.minutes[c]++;
    const minute = this.base + (this.minutes[minuteOf] * CLONES + minuteOf) * 60_000;
    const started = new Date(minute + Math.floor(this.random() * 50_000)).toISOString();
    const token = `soak-e${++this.count}`;
    const del = join(dir, deliverable ?? this.pick(DELIVERABLES));
    const args = ["emit", del, "--agent", `AGENT_${c}`, "--status", "SUCCESS"];
    return {
      args: [...args, "--started", started, "--duration-ms", "1000", "--notes", token],
      token,
    };
  }

  /**
   * Runs an emit in clone `c` (in its work tree `dir`; into `deliverable`, or one drawn) and adds
   * its record to the model.
   */
  async emit(c: number, dir = this.clones[c], minuteOf = c, deliverable?: string): Promise<string> {
    const { args, token } = this.emitArgs(c, dir, minuteOf, deliverable);
    const before = await repeatedLines(dir);
    const result = await runCliProcess(args, FULL_FLAGS, this.envOf(c), dir);
    this.took(c, token, args, result);
    await this.repeatsNotMade(c, before, `emit ${token}`, dir);
    return token;
  }

  /**
   * A line repeated byte for byte is git's doing (a union merge of one record twice), never
   * runrec's: a put-back writes a missing line once. So no runrec command adds a copy of a line.
   */
  async repeatsNotMade(
    c: number,
    before: Map<string, number>,
    what: string,
    dir = this.clones[c],
  ): Promise<void> {
    for (const [line, count] of await repeatedLines(dir)) {
      assert(count <= (before.get(line) ?? 1), `${what} in clone ${c} repeated a line: ${line}`);
    }
  }

  protected took(
    c: number,
    token: string,
    args: string[],
    result: { code: number; stdout: string; stderr: string },
  ) {
    this.note(`clone ${c}: emit ${token} -> ${result.stdout.trim() || "(spooled)"}`);
    assertEquals(result.code, 0, `emit ${args.join(" ")}: ${result.stderr}`);
    this.emitted.push({ token, runId: result.stdout.trim(), clone: c });
  }

  /** An emit started as its own process while `gitCommand` runs in clone `c`. */
  async emitDuring(c: number, gitCommand: string[]): Promise<boolean> {
    const { args, token } = this.emitArgs(c);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...FULL_FLAGS, CLI_ENTRY, ...args],
      cwd: this.clones[c],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", ...this.envOf(c) },
    }).spawn();
    let gitOk = true;
    try {
      await git(this.clones[c], ...gitCommand);
    } catch (error) {
      gitOk = false;
      this.note(`clone ${c}: git ${gitCommand.join(" ")} refused: ${firstLine(error)}`);
    }
    const output = await child.output();
    const decoder = new TextDecoder();
    this.took(c, token, args, {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    });
    return gitOk;
  }

  async dirty(c: number): Promise<boolean> {
    return (await git(this.clones[c], "status", "--porcelain")) !== "";
  }

  async commit(c: number, message: string): Promise<void> {
    if (!(await this.dirty(c))) return;
    await git(this.clones[c], "add", "-A");
    await git(this.clones[c], "commit", "-qm", message);
    this.note(`clone ${c}: commit ${message}`);
  }

  /** `git pull`, by merge or rebase, after committing what the work tree holds. */
  async pull(c: number, rebase = this.random() < 0.3): Promise<void> {
    await this.commit(c, "before pull");
    await git(this.clones[c], "pull", "-q", rebase ? "--rebase" : "--no-rebase");
    this.note(`clone ${c}: pull ${rebase ? "--rebase" : "--no-rebase"}`);
  }

  /** `git push`, pulling again while another clone's push came first. */
  async push(c: number): Promise<void> {
    await this.commit(c, "before push");
    for (let attempt = 1;; attempt++) {
      try {
        await git(this.clones[c], "push", "-q", "origin", "main");
        this.note(`clone ${c}: push`);
        return;
      } catch (error) {
        if (attempt === 5) throw error;
        this.note(`clone ${c}: push rejected, pull`);
        await this.pull(c);
      }
    }
  }

  async flush(c: number): Promise<void> {
    const before = await repeatedLines(this.clones[c]);
    const flushed = await runCliProcess(["flush", this.clones[c]], FULL_FLAGS, this.envOf(c));
    await this.repeatsNotMade(c, before, "flush");
    this.note(`clone ${c}: flush (exit ${flushed.code})`);
    assertEquals(flushed.code, 0, `flush in clone ${c}: ${flushed.stdout}${flushed.stderr}`);
  }

  /** A feature branch: records, merges main in, records, and is merged or squash-merged. */
  async feature(c: number): Promise<void> {
    const dir = this.clones[c];
    const branch = `feature-${++this.branches}`;
    await git(dir, "checkout", "-q", "-b", branch);
    this.note(`clone ${c}: checkout -b ${branch}`);
    await this.emit(c);
    await this.commit(c, `${branch} first`);
    await git(dir, "fetch", "-q");
    await git(dir, "merge", "-q", "--no-edit", "origin/main");
    this.note(`clone ${c}: merge origin/main into ${branch}`);
    await this.emit(c);
    await this.commit(c, `${branch} second`);
    await git(dir, "checkout", "-q", "main");
    if (this.random() < 0.5) await this.pull(c);
    if (this.random() < 0.5) {
      await git(dir, "merge", "-q", "--no-edit", "--no-ff", branch);
      this.note(`clone ${c}: merge ${branch}`);
    } else {
      await git(dir, "merge", "-q", "--squash", branch);
      await git(dir, "commit", "-qm", `squash ${branch}`);
      this.note(`clone ${c}: merge --squash ${branch}, commit`);
    }
    await git(dir, "branch", "-q", "-D", branch);
  }

  /**
   * An octopus merge: two or three feature branches, each recording, merged into main at once.
   * git's octopus strategy ignores `merge=union` and stops when two branches appended to one
   * record file, leaving main as it was: then they are merged one at a time (docs/RELIABILITY.md).
   */
  async octopus(c: number): Promise<void> {
    const dir = this.clones[c];
    await this.commit(c, "before branching");
    const branches: string[] = [];
    for (let b = 0; b < 2 + Math.floor(this.random() * 2); b++) {
      const branch = `octopus-${++this.branches}`;
      await git(dir, "checkout", "-q", "-b", branch, "main");
      await this.emit(c);
      await this.commit(c, `${branch} records`);
      branches.push(branch);
    }
    await git(dir, "checkout", "-q", "main");
    await this.mergeAtOnce(c, branches);
    for (const branch of branches) await git(dir, "branch", "-q", "-D", branch);
  }

  /** `git merge A B [C]` into main, one at a time where git's octopus strategy stops. */
  protected async mergeAtOnce(c: number, branches: string[]): Promise<void> {
    const dir = this.clones[c];
    try {
      await git(dir, "merge", "-q", "--no-edit", ...branches);
      this.note(`clone ${c}: octopus merge ${branches.join(" ")}`);
    } catch (error) {
      this.note(`clone ${c}: octopus stopped (${branches.join(" ")}): ${firstLine(error)}`);
      // Where the branches began one record file, git stops half-way (no MERGE_HEAD for
      // `merge --abort`): main's own commit is all there is to go back to.
      if (await this.dirty(c)) {
        await git(dir, "reset", "-q", "--hard");
        this.note(`clone ${c}: reset --hard after the octopus merge stopped half-way`);
      }
      for (const branch of branches) await git(dir, "merge", "-q", "--no-edit", branch);
      this.note(`clone ${c}: merge ${branches.join(", ")} one at a time`);
    }
  }

  /**
   * An octopus merge of branches that each merged main in after main recorded (and, 1 in 2, the
   * second merged the first: criss-cross histories), then `verify --since` the commit they began
   * at, and since one branch's tip, which must hold.
   */
  async octopusMergedMain(c: number): Promise<void> {
    const dir = this.clones[c];
    await this.commit(c, "before branching");
    const since = await git(dir, "rev-parse", "HEAD");
    const branches: string[] = [];
    for (let b = 0; b < 2 + Math.floor(this.random() * 2); b++) {
      const branch = `crossed-${++this.branches}`;
      await git(dir, "checkout", "-q", "-b", branch, "main");
      await this.emit(c);
      await this.commit(c, `${branch} records`);
      branches.push(branch);
    }
    await git(dir, "checkout", "-q", "main");
    await this.emit(c);
    await this.commit(c, "main records while branches are out");
    if (this.random() < 0.5) await this.pull(c, false);
    for (const [i, branch] of branches.entries()) {
      await git(dir, "checkout", "-q", branch);
      await git(dir, "merge", "-q", "--no-edit", "main");
      if (i > 0 && this.random() < 0.5) {
        await git(dir, "merge", "-q", "--no-edit", branches[i - 1]);
        this.note(`clone ${c}: ${branch} merges main and ${branches[i - 1]}`);
      } else this.note(`clone ${c}: ${branch} merges main`);
      await this.emit(c);
      await this.commit(c, `${branch} records after merging main`);
    }
    await git(dir, "checkout", "-q", "main");
    await this.mergeAtOnce(c, branches);
    this.note(`clone ${c}: merged branches that had merged main in`);
    await this.verifySince(c, since);
    await this.verifySince(c, await git(dir, "rev-parse", this.pick(branches)));
    for (const branch of branches) await git(dir, "branch", "-q", "-D", branch);
  }

  /** `verify <clone> --since <rev>` in clone `c` holds (exit 0). */
  async verifySince(c: number, rev: string): Promise<void> {
    const verified = await runCliProcess(
      ["verify", this.clones[c], "--since", rev],
      FULL_FLAGS,
      this.envOf(c),
    );
    this.note(`clone ${c}: verify --since ${rev.slice(0, 12)} (exit ${verified.code})`);
    assertEquals(verified.code, 0, `verify --since ${rev}: ${verified.stdout}${verified.stderr}`);
  }

  /**
   * Resolves each conflicted record file as a user would by hand: both sides taken, git's
   * markers removed (what `merge=union` does), then `git add`.
   */
  async takeBoth(c: number): Promise<boolean> {
    const dir = this.clones[c];
    const conflicted = (await git(dir, "diff", "--name-only", "--diff-filter=U")).split("\n")
      .filter((path) => path !== "");
    for (const path of conflicted) {
      assert(path.endsWith(RECORD_FILE), `a conflict in ${path}`);
      const text = await Deno.readTextFile(join(dir, path));
      const kept = text.split("\n").filter((line) => !/^(<{7}|={7}|>{7}|\|{7})( |$)/.test(line));
      await Deno.writeTextFile(join(dir, path), kept.join("\n"));
      await git(dir, "add", path);
    }
    return conflicted.length > 0;
  }

  /**
   * `git rebase main` of a branch that recorded, main having recorded too; the record files'
   * conflicts resolved by `merge=union`, or (1 in 2, `merge` set in `.git/info/attributes`) by
   * hand, both sides taken (1 in 3 after an emit while the rebase waits). The rebased branch is
   * merged into main.
   */
  async rebaseRecording(c: number): Promise<void> {
    const dir = this.clones[c];
    await this.commit(c, "before branching");
    const branch = `rebased-${++this.branches}`;
    // One deliverable on both sides: their records conflict, which union or the hand resolves.
    const del = this.pick(DELIVERABLES);
    await git(dir, "checkout", "-q", "-b", branch, "main");
    for (let i = 0; i < 1 + Math.floor(this.random() * 2); i++) {
      await this.emit(c, dir, c, del);
      await this.commit(c, `${branch} records`);
    }
    await git(dir, "checkout", "-q", "main");
    await this.emit(c, dir, c, del);
    await this.commit(c, "main records");
    if (this.random() < 0.5) await this.pull(c, false);
    await git(dir, "checkout", "-q", branch);
    const byHand = this.random() < 0.5;
    const attributes = join(dir, ".git", "info", "attributes");
    if (byHand) await Deno.writeTextFile(attributes, `${RECORD_FILE} merge\n`);
    try {
      let stopped = 0;
      try {
        await git(dir, "rebase", "-q", "main");
      } catch {
        while (await this.rebaseStopped(c)) {
          assert(++stopped < 10, `rebase of ${branch} stopped ${stopped} times`);
          // An agent records while the rebase waits: into a file with git's markers it spools.
          if (this.random() < 0.3) await this.emit(c, dir, c, del);
          await this.takeBoth(c);
          await git(dir, "add", "-A");
          await git(dir, "-c", "core.editor=true", "rebase", "--continue").catch(() => {});
        }
      }
      this.note(
        `clone ${c}: rebase ${branch} onto main (${
          byHand ? "by hand" : "union"
        }, stopped ${stopped})`,
      );
    } finally {
      if (byHand) await Deno.remove(attributes);
    }
    await git(dir, "checkout", "-q", "main");
    await git(dir, "merge", "-q", "--no-edit", branch);
    await git(dir, "branch", "-q", "-D", branch);
  }

  /**
   * `git cherry-pick` of a recording commit of a branch onto main; then the branch is merged too
   * (its picked record in both histories), or its other commits picked as well and it is dropped.
   */
  async cherryPick(c: number): Promise<void> {
    const dir = this.clones[c];
    await this.commit(c, "before branching");
    const branch = `picked-${++this.branches}`;
    await git(dir, "checkout", "-q", "-b", branch, "main");
    const commits: string[] = [];
    for (let i = 0; i < 1 + Math.floor(this.random() * 2); i++) {
      await this.emit(c);
      await this.commit(c, `${branch} records`);
      commits.push(await git(dir, "rev-parse", "HEAD"));
    }
    await git(dir, "checkout", "-q", "main");
    if (this.random() < 0.5) {
      await this.emit(c);
      await this.commit(c, "main records");
    }
    const merge = this.random() < 0.5;
    for (const commit of merge ? commits.slice(0, 1) : commits) {
      try {
        await git(dir, "cherry-pick", commit);
      } catch {
        await this.takeBoth(c);
        await git(dir, "-c", "core.editor=true", "cherry-pick", "--continue");
      }
    }
    if (merge) await git(dir, "merge", "-q", "--no-edit", branch);
    this.note(`clone ${c}: cherry-pick from ${branch}${merge ? ", then merge it" : ""}`);
    await git(dir, "branch", "-q", "-D", branch);
  }

  /**
   * Three clones append to one deliverable at once (three emit processes started together), then
   * each commits, pulls and pushes: `merge=union` keeps each record once.
   */
  async together(): Promise<void> {
    const del = this.pick(DELIVERABLES);
    const emits = this.clones.map((dir, c) => {
      const { args, token } = this.emitArgs(c);
      args[args.indexOf("emit") + 1] = join(dir, del);
      return { c, args, token };
    });
    const children = emits.map(({ c, args }) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", ...FULL_FLAGS, CLI_ENTRY, ...args],
        cwd: this.clones[c],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1", ...this.envOf(c) },
      }).spawn()
    );
    const outputs = await Promise.all(children.map((child) => child.output()));
    const decoder = new TextDecoder();
    for (const [i, { c, args, token }] of emits.entries()) {
      const { code, stdout, stderr } = outputs[i];
      this.took(c, token, args, {
        code,
        stdout: decoder.decode(stdout),
        stderr: decoder.decode(stderr),
      });
    }
    this.note(`clones 0-${CLONES - 1}: emits into ${del} at once`);
    for (let c = 0; c < CLONES; c++) {
      await this.pull(c);
      await this.push(c);
    }
    // The last push holds the three: each once (a line repeated byte for byte is one record).
    const pushed = await git(this.clones[CLONES - 1], "show", `HEAD:${del}/${RECORD_FILE}`);
    const lines = new Set(pushed.split("\n"));
    for (const { token } of emits) {
      const holding = [...lines].filter((line) => new RegExp(`${token}\\b`).test(line));
      assertEquals(holding.length, 1, `${token} in the last push ${holding.length} times`);
    }
  }

  /** `git stash`, a pull, `git stash pop`, around an uncommitted record. */
  async stashPull(c: number): Promise<void> {
    const dir = this.clones[c];
    await this.emit(c);
    // -u: the record file is untracked until a record of its deliverable is committed.
    await git(dir, "stash", "push", "-q", "-u");
    await git(dir, "pull", "-q", "--no-rebase");
    try {
      await git(dir, "stash", "pop", "-q");
      this.note(`clone ${c}: stash -u, pull, stash pop`);
    } catch (error) {
      // The pull brought the record file another clone began, so git cannot pop this clone's
      // untracked one: drop the stash, and put back what runrec names as in its journal only.
      this.note(`clone ${c}: stash -u, pull, stash pop refused: ${firstLine(error)}`);
      await git(dir, "stash", "drop", "-q");
      await this.putBackJournalOnly(c);
    }
  }

  /** Runs each command `verify --json` gives for a record only this clone's journal holds. */
  async putBackJournalOnly(c: number): Promise<void> {
    const cwd = this.clones[c];
    const verified = await runCliProcess(["verify", ".", "--json"], FULL_FLAGS, this.envOf(c), cwd);
    const { journalOnly } = JSON.parse(verified.stdout) as { journalOnly: { command: string }[] };
    for (const { command } of journalOnly) {
      const [tool, ...args] = command.split(" ");
      assertEquals(tool, "runrec", command);
      const before = await repeatedLines(cwd);
      const done = await runCliProcess(args, FULL_FLAGS, this.envOf(c), cwd);
      await this.repeatsNotMade(c, before, command);
      this.note(`clone ${c}: ${command} (exit ${done.code})`);
      assertEquals(done.code, 0, `${command}: ${done.stdout}${done.stderr}`);
    }
  }

  /** An emit while `git pull` runs; a pull refused for the record is pulled after a commit. */
  async pullDuringEmit(c: number): Promise<void> {
    await this.commit(c, "before pull");
    const rebase = this.random() < 0.3;
    const pulled = await this.emitDuring(c, ["pull", "-q", rebase ? "--rebase" : "--no-rebase"]);
    this.note(`clone ${c}: pull ${rebase ? "--rebase" : "--no-rebase"} during an emit`);
    if (await this.rebaseStopped(c)) await this.endRebase(c);
    if (!pulled) await this.pull(c, rebase);
  }

  /** Whether a rebase stopped half-way (the emit's record in its way) and waits in clone `c`. */
  async rebaseStopped(c: number): Promise<boolean> {
    const gitDir = join(this.clones[c], ".git");
    for (const name of ["rebase-merge", "rebase-apply"]) {
      try {
        await Deno.stat(join(gitDir, name));
        return true;
      } catch { /* not this kind */ }
    }
    return false;
  }

  /**
   * What a user does with a rebase that stopped because the record appeared in its way: commit
   * the record where the rebase stands and continue, or abort (git's `reset` then drops the
   * uncommitted record, which the journal puts back: SCHEMA.md 7.1).
   */
  async endRebase(c: number): Promise<void> {
    const dir = this.clones[c];
    if (this.random() < 0.5) {
      await git(dir, "add", "-A");
      await git(dir, "commit", "-qm", "record during rebase");
      await git(dir, "-c", "core.editor=true", "rebase", "--continue");
      this.note(`clone ${c}: rebase stopped; commit the record, rebase --continue`);
    } else {
      await git(dir, "rebase", "--abort");
      this.note(`clone ${c}: rebase stopped; rebase --abort`);
    }
  }

  /**
   * An emit while `git checkout` takes the work tree to a side branch at origin/main; what was
   * recorded there is committed there and merged back into main.
   */
  async checkoutDuringEmit(c: number): Promise<void> {
    const dir = this.clones[c];
    await this.commit(c, "before checkout");
    await git(dir, "fetch", "-q");
    const side = `side-${++this.branches}`;
    await git(dir, "branch", "-q", side, "origin/main");
    const moved = await this.emitDuring(c, ["checkout", "-q", side]);
    this.note(`clone ${c}: checkout ${side} during an emit (${moved ? "moved" : "refused"})`);
    if (!moved) {
      await this.commit(c, "record before checkout");
      await git(dir, "checkout", "-q", side);
    }
    await this.commit(c, `${side} records`);
    await git(dir, "checkout", "-q", "main");
    await git(dir, "merge", "-q", "--no-edit", side);
    await git(dir, "branch", "-q", "-D", side);
  }

  /** The operations a step draws from, each with its weight. */
  protected operations(): [number, (c: number) => Promise<unknown>][] {
    return [
      [30, (c) => this.emit(c)],
      [12, (c) => this.commit(c, "records")],
      [10, (c) => this.pull(c)],
      [10, (c) => this.push(c)],
      [6, (c) => this.feature(c)],
      [6, (c) => this.stashPull(c)],
      [8, (c) => this.pullDuringEmit(c)],
      [6, (c) => this.checkoutDuringEmit(c)],
      [5, (c) => this.flush(c)],
      [2, (c) => this.octopus(c)],
      [2, () => this.together()],
      [1, (c) => this.octopusMergedMain(c)],
      [1, (c) => this.rebaseRecording(c)],
      [1, (c) => this.cherryPick(c)],
    ];
  }

  /** One step: a clone and an operation drawn from the seed. */
  async step(): Promise<void> {
    const c = Math.floor(this.random() * CLONES);
    const operations = this.operations();
    let draw = this.random() * operations.reduce((sum, [weight]) => sum + weight, 0);
    for (const [weight, operation] of operations) {
      draw -= weight;
      if (draw < 0) {
        await operation(c);
        return;
      }
    }
  }

  /** `steps` steps, then every clone flushes, pulls and pushes, and pulls again: main has all. */
  async run(steps: number): Promise<void> {
    for (let i = 0; i < steps; i++) {
      this.note(`step ${i}`);
      await this.step();
    }
    for (let c = 0; c < CLONES; c++) {
      await this.flush(c);
      await this.pull(c, false);
      await this.push(c);
    }
    for (let c = 0; c < CLONES; c++) await this.pull(c, false);
  }
}

/**
 * Each record line of clone `dir` that its file holds more than once (`<folder>: <line>`), and how
 * often.
 *
 * @example
 * ```ts
 * import { repeatedLines, teamRepository } from "./soak.ts";
 * const { clones } = await teamRepository();
 * const before = await repeatedLines(clones[0]);
 * ```
 */
export async function repeatedLines(dir: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const del of DELIVERABLES) {
    let text = "";
    try {
      text = await Deno.readTextFile(join(dir, del, RECORD_FILE));
    } catch { /* no record yet */ }
    for (const line of text.split("\n").slice(1)) {
      counts.set(`${del}: ${line}`, (counts.get(`${del}: ${line}`) ?? 0) + 1);
    }
  }
  return new Map([...counts].filter(([line, count]) => !line.endsWith(": ") && count > 1));
}

/** The first two lines of an error's message, for the soak's log. */
export function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split("\n").slice(0, 2).join(" ");
}

/**
 * A bare repository of a project with three deliverables and the documented `.gitattributes`,
 * its clones, and its first commit.
 *
 * @example
 * ```ts
 * import { teamRepository } from "./soak.ts";
 * const { bare, clones, first } = await teamRepository();
 * ```
 */
export async function teamRepository(): Promise<{ bare: string; clones: string[]; first: string }> {
  const { root } = await makeProject();
  for (const [i, del] of DELIVERABLES.slice(1).entries()) {
    await writeTree(root, {
      [`${del}/_CONTEXT.md`]: `**DeliverableID:** DEL-01-0${i + 3}\n`,
      [`${del}/_STATUS.md`]: `# Status\n\n**Current State:** OPEN\n`,
      [`${del}/Datasheet.md`]: "# Datasheet\n",
    });
  }
  await writeTree(root, {
    ".gitattributes": `${RECORD_FILE} merge=union eol=lf\n`,
    ".gitignore": `${RECORD_FILE}.lock\n`,
  });
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "project");
  const first = await git(root, "rev-parse", "HEAD");
  const place = await tempDir({ prefix: "runrec-soak-" });
  const bare = join(place, "team.git");
  await git(place, "clone", "-q", "--bare", root, bare);
  const clones: string[] = [];
  for (let c = 0; c < CLONES; c++) {
    const clone = join(place, `clone${c}`);
    await git(place, "clone", "-q", bare, clone);
    clones.push(clone);
  }
  return { bare, clones, first };
}

/**
 * Every record line of main's record files in `bare`, with its file.
 *
 * @example
 * ```ts
 * import { mainRecords, teamRepository } from "./soak.ts";
 * const { bare } = await teamRepository();
 * const lines = await mainRecords(bare);
 * ```
 */
export async function mainRecords(bare: string): Promise<{ file: string; line: string }[]> {
  const lines: { file: string; line: string }[] = [];
  for (const del of DELIVERABLES) {
    const path = `${del}/${RECORD_FILE}`;
    let text = "";
    try {
      text = await git(bare, "show", `main:${path}`);
    } catch { /* no record of this deliverable reached main */ }
    for (const line of text.split("\n").slice(1)) if (line !== "") lines.push({ file: path, line });
  }
  return lines;
}
