/**
 * The git workflow soak of tests/soak_test.ts, widened to runrec's other write paths: besides
 * emits, the clones record runs with `start` ... `finish` (a pull or a commit between them, as an
 * agent's run spans minutes) and `exec`, annotate earlier records (`--invalidates`), drop an
 * uncommitted record with `git checkout -f` or `git reset --hard` (the next append or `flush`
 * puts it back: SCHEMA.md 7.1), record and commit in a linked work tree (`git worktree add`)
 * merged back, emit into a deliverable folder bind-mounted read-only (the record is spooled; a
 * later append or `flush` writes it), and record a deliverable in another clone's minute (one
 * RunID for two records once merged: docs/CI.md "Two branches, one minute"). Each clone runs
 * runrec with its own clock (libfaketime, hours apart), so runs recorded at "now" never share a
 * minute across clones unless a step means them to. Runs end badly too: an agent killed (SIGKILL)
 * after `start --pid`, reaped in its clone (another clone's reap after a pull finds nothing), its
 * late `finish` after the reap or racing it, or killed in one work tree and reaped and finished
 * from another (the main one and a linked one, either way); `exec` killed by SIGTERM or SIGKILL,
 * or its command so, or interrupted by SIGINT or SIGHUP (to exec, its command, its process group,
 * or the foreground group of the pseudo-terminal it runs on); `git reset --hard HEAD~2` or `HEAD~3`
 * takes committed records away, put back by `flush`, the `flush --from` that `verify --json`
 * names, or a pull; and `git reset --hard` below a commit another clone pulled, then pulls and
 * pushes both ways, after which `verify --since origin/main` holds in both clones.
 *
 * At the end every clone flushes, commits, pulls and pushes: main holds each run and each
 * annotation once (by the token in its Notes, or in the file name its outputs hold), `show`
 * lists each annotation under its run (one whose RunID no other record shares), each FAILED record
 * `reap` wrote is there once (a late finish's record supersedes it), and
 * `verify --since` the first commit exits 0, or 1 naming each RunID two records in main share.
 *
 * ```sh
 * RUNREC_SOAK_SEED=7 RUNREC_SOAK_STEPS=70 deno test -A tests/soak_runs_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { clockMovedEnv, runCliProcess } from "./cli.ts";
import { git, tempDir } from "./fixtures.ts";
import { fixedRandom } from "./seed.ts";
import { assert, assertEquals } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import {
  CLONES,
  DELIVERABLES,
  mainRecords,
  RECORD_FILE,
  repeatedLines,
  Soak,
  soakParameters,
  teamRepository,
} from "./support/soak.ts";
import { mountReadOnly, unmount } from "./support/read_only.ts";
import { firstLine as firstOutputLine, RUNREC_SH } from "./support/runs.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { processGone } from "./support/held.ts";

/** A record line's RunID: its first field after the schema version. */
function runIdOf(line: string): string {
  return /RUN-[A-Z0-9-]+-\d{8}-\d{4}-\d{3,}/.exec(line)?.[0] ?? "";
}

/** SIGINT and SIGHUP (Ctrl-C, a hang-up) to exec, its command, its group, or its terminal. */
const INTERRUPTS: [Whom, Deno.Signal][] = (["exec", "command", "group", "terminal"] as const)
  .flatMap((
    whom,
  ) => (["SIGINT", "SIGHUP"] as const).map((signal): [Whom, Deno.Signal] => [whom, signal]));

/**
 * Whom a signal goes to: `exec`, its command, exec's whole process group, or the foreground group
 * of the pseudo-terminal exec runs on (a terminal's Ctrl-C or hang-up).
 */
type Whom = "exec" | "command" | "group" | "terminal";

/** The command's pid a pseudo-terminal shows (`pid N`); what follows is read and dropped. */
async function pidOnTerminal(stream: ReadableStream<Uint8Array>): Promise<number> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let found: RegExpExecArray | null;
  while ((found = /pid (\d+)\r?\n/.exec(text)) === null) {
    const { value, done } = await reader.read();
    assert(!done, `no pid on the terminal: ${text}`);
    text += value;
  }
  // script(1) must write on until exec ends: a closed pipe would hang the terminal up.
  (async () => {
    while (!(await reader.read()).done) { /* dropped */ }
  })();
  return Number(found[1]);
}

/**
 * The process group of `pid` (Linux's /proc/<pid>/stat: the field after state and ppid), read by
 * `cat`: Deno refuses /proc to a test without --allow-all.
 */
function processGroup(pid: number): number {
  const { stdout } = new Deno.Command("cat", { args: [`/proc/${pid}/stat`] }).outputSync();
  const stat = new TextDecoder().decode(stdout);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

/** The numbers of the signals the soak sends (exec exits 128 + N). */
const SIGNAL_NUMBERS = new Map<Deno.Signal, number>([
  ["SIGHUP", 1],
  ["SIGINT", 2],
  ["SIGKILL", 9],
  ["SIGTERM", 15],
]);

/** An annotation the model expects in main: its token (its note) and its run's token. */
interface Annotated {
  token: string;
  target: string;
}

/** The soak of tests/soak_test.ts with runs, annotations, dropped and spooled records. */
class RunsSoak extends Soak {
  readonly annotated: Annotated[] = [];
  /** The RunIDs of the runs `reap` wrote FAILED. */
  readonly reaped: string[] = [];
  private trees = 0;

  /** The line of clone `c`'s work tree `dir` that holds `token`, with its deliverable. */
  async lineOf(dir: string, token: string): Promise<{ del: string; line: string } | undefined> {
    for (const del of DELIVERABLES) {
      let text = "";
      try {
        text = await Deno.readTextFile(join(dir, del, RECORD_FILE));
      } catch { /* no record yet */ }
      const line = text.split("\n").find((l) => new RegExp(`${token}\\b`).test(l));
      if (line !== undefined) return { del, line };
    }
    return undefined;
  }

  /** `runrec start`, perhaps a pull or a commit, then `runrec finish <token> --notes <token>`. */
  async startFinish(c: number, dir = this.clones[c]): Promise<void> {
    const del = join(dir, this.pick(DELIVERABLES));
    const started = await runCliProcess(
      ["start", del, "--agent", `AGENT_${c}`],
      FULL_FLAGS,
      this.envOf(c),
      dir,
    );
    assertEquals(started.code, 0, `start: ${started.stderr}`);
    const pending = started.stdout.trim();
    const token = `soak-r${++this.count}`;
    this.note(`clone ${c}: start ${token} -> ${pending}`);
    if (dir === this.clones[c]) {
      const between = this.random();
      if (between < 0.3) await this.pull(c);
      else if (between < 0.5) await this.commit(c, "records while a run is pending");
    }
    const before = await repeatedLines(dir);
    const finished = await runCliProcess(
      ["finish", pending, "--status", "SUCCESS", "--notes", token],
      FULL_FLAGS,
      this.envOf(c),
      dir,
    );
    this.took(c, token, ["finish", pending], finished);
    await this.repeatsNotMade(c, before, `finish ${token}`, dir);
  }

  /** `runrec exec DEL -- sh -c ...` writing a file named by its token (in OutputFiles). */
  async exec(c: number): Promise<void> {
    const dir = this.clones[c];
    const del = join(dir, this.pick(DELIVERABLES));
    const token = `soak-x${++this.count}`;
    const args = [
      "exec",
      del,
      "--agent",
      `AGENT_${c}`,
      "--",
      "sh",
      "-c",
      `echo run > "$0/${token}.md"`,
      del,
    ];
    const before = await repeatedLines(dir);
    const result = await runCliProcess(args, FULL_FLAGS, this.envOf(c), dir);
    // exec prints no RunID: the model finds the record by its output's name.
    this.took(c, token, args, { ...result, stdout: "" });
    await this.repeatsNotMade(c, before, `exec ${token}`);
  }

  /** `annotate DEL RUNID --invalidates --note <token>` of a run this clone's file holds. */
  async annotate(c: number): Promise<void> {
    const dir = this.clones[c];
    const done = new Set(this.annotated.map(({ target }) => target));
    const here: { del: string; line: string; target: string }[] = [];
    for (const del of DELIVERABLES) {
      let text = "";
      try {
        text = await Deno.readTextFile(join(dir, del, RECORD_FILE));
      } catch { /* no record yet */ }
      for (const line of text.split("\n")) {
        const target = /soak-[erxk]\d+/.exec(line)?.[0];
        if (target !== undefined && !done.has(target)) here.push({ del, line, target });
      }
    }
    if (here.length === 0) return;
    const { target, ...found } = this.pick(here);
    const runId = runIdOf(found.line);
    const token = `soak-a${++this.count}`;
    const args = ["annotate", join(dir, found.del), runId, "--invalidates", "--note", token];
    const before = await repeatedLines(dir);
    let result = await runCliProcess(args, FULL_FLAGS, this.envOf(c), dir);
    if (result.code === 2 && /names 2 records/.test(result.stderr)) {
      // Two records share the RunID (another clone's minute, merged): docs/COMMANDS.md says
      // to name the one meant with --line N.
      this.note(`clone ${c}: annotate ${runId} refused: two records (${target}); --line`);
      const text = await Deno.readTextFile(join(dir, found.del, RECORD_FILE));
      const line = text.split("\n").indexOf(found.line) + 1;
      args.push("--line", String(line));
      result = await runCliProcess(args, FULL_FLAGS, this.envOf(c), dir);
    }
    await this.repeatsNotMade(c, before, `annotate ${token}`);
    this.note(`clone ${c}: annotate ${token} of ${target} (${runId}) -> ${result.stdout.trim()}`);
    assertEquals(result.code, 0, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
    this.annotated.push({ token, target });
  }

  /**
   * An uncommitted record dropped by `git checkout -f` or `git reset --hard`: SCHEMA.md 7.1 says
   * the next append (or `flush`) puts the line back, byte for byte.
   */
  async drop(c: number): Promise<void> {
    const dir = this.clones[c];
    const token = await this.emit(c);
    const found = await this.lineOf(dir, token);
    assert(found !== undefined, `${token} not in clone ${c}'s file`);
    const how = this.pick([["checkout", "-f"], ["reset", "-q", "--hard"]]);
    await git(dir, ...how);
    const dropped = (await this.lineOf(dir, token)) === undefined;
    this.note(`clone ${c}: git ${how.join(" ")} (${dropped ? "dropped" : "kept"} ${token})`);
    // The journal is the folder's: an append to another deliverable puts nothing back.
    if (this.random() < 0.5) await this.emitInto(c, join(dir, found.del));
    else await this.flush(c);
    const back = await this.lineOf(dir, token);
    assertEquals(back?.line, found.line, `${token} not put back after git ${how.join(" ")}`);
  }

  /** A linked work tree of clone `c` on a branch of its own, recording, merged back. */
  async workTree(c: number): Promise<void> {
    const { branch, tree } = await this.addWorkTree(c);
    await this.emit(c, tree);
    await this.startFinish(c, tree);
    await this.mergeWorkTree(c, branch, tree);
  }

  /** A linked work tree of clone `c` on a new branch, from a commit of what the clone holds. */
  async addWorkTree(c: number): Promise<{ branch: string; tree: string }> {
    const dir = this.clones[c];
    const branch = `tree-${++this.trees}`;
    const tree = `${dir}-${branch}`;
    await this.commit(c, "before a work tree");
    await git(dir, "worktree", "add", "-q", "-b", branch, tree);
    this.note(`clone ${c}: worktree add ${branch}`);
    return { branch, tree };
  }

  /** The work tree's records committed on its branch, the tree removed, the branch merged. */
  async mergeWorkTree(c: number, branch: string, tree: string): Promise<void> {
    const dir = this.clones[c];
    await git(tree, "add", "-A");
    await git(tree, "commit", "-q", "--allow-empty", "-m", `${branch} records`);
    await git(dir, "worktree", "remove", tree);
    await this.commit(c, "before merging a work tree");
    await git(dir, "merge", "-q", "--no-edit", "--no-ff", branch);
    await git(dir, "branch", "-q", "-d", branch);
    this.note(`clone ${c}: worktree remove, merge ${branch}`);
  }

  /**
   * An emit into a deliverable folder bind-mounted read-only: the record is spooled (exit 0),
   * and a later append to that folder or `flush` writes it once.
   */
  async readOnlyEmit(c: number): Promise<void> {
    const dir = this.clones[c];
    const del = join(dir, DELIVERABLES[0]);
    await mountReadOnly(del);
    let token: string;
    try {
      const { args, token: made } = this.emitArgs(c);
      token = made;
      const at = args.indexOf("emit") + 1;
      args[at] = del;
      const result = await runCliProcess(args, FULL_FLAGS, this.envOf(c), dir);
      this.took(c, token, args, result);
      assert(/spool/i.test(result.stderr), `${token} not spooled: ${result.stderr}`);
      this.note(`clone ${c}: ${token} spooled, its folder read-only`);
    } finally {
      await unmount(del);
    }
    if (this.random() < 0.5) await this.flush(c);
    else await this.emitInto(c, del);
    const written = await this.lineOf(dir, token);
    assert(written !== undefined, `spooled ${token} not written by the next append or flush`);
  }

  /** An emit in clone `c` into the deliverable folder `del`. */
  async emitInto(c: number, del: string, minuteOf = c): Promise<void> {
    const { args, token } = this.emitArgs(c, this.clones[c], minuteOf);
    args[args.indexOf("emit") + 1] = del;
    const before = await repeatedLines(this.clones[c]);
    const result = await runCliProcess(args, FULL_FLAGS, this.envOf(c), this.clones[c]);
    this.took(c, token, args, result);
    await this.repeatsNotMade(c, before, `emit ${token}`);
  }

  /** An emit of clone `c` in a minute of another clone's. */
  async sameMinute(c: number): Promise<void> {
    const other = (c + 1 + Math.floor(this.random() * (CLONES - 1))) % CLONES;
    const last = this.emitted.findLast(({ clone, token }) => clone === other && /e/.test(token));
    const found = last && await this.lineOf(this.clones[other], last.token);
    if (found === undefined) return;
    this.note(
      `clone ${c}: an emit in ${found.del}, in the minute of clone ${other}'s ${last!.token}`,
    );
    await this.emitInto(c, join(this.clones[c], found.del), other);
  }

  /**
   * A renumbered put-back: clone `c` records deliverable D in the minute of another clone's record
   * of D that it has not pulled, then takes upstream with `git reset --hard origin/main`, which
   * drops its uncommitted line. The next append to D or `flush` puts it back, under the next free
   * SEQ with a note naming the RunID it had when upstream's record holds that RunID (SCHEMA.md 7.1).
   */
  async renumber(c: number): Promise<void> {
    const other = (c + 1 + Math.floor(this.random() * (CLONES - 1))) % CLONES;
    const dir = this.clones[c];
    await this.push(c);
    const theirs = await this.emit(other);
    const del = (await this.lineOf(this.clones[other], theirs))!.del;
    await this.push(other);
    await this.emitInto(c, join(dir, del), other);
    const ours = this.emitted[this.emitted.length - 1];
    const path = `${del}/${RECORD_FILE}`;
    // A record that began the file here (untracked) is overwritten by upstream's file: SCHEMA.md
    // 7.1 calls that file begun anew, which no append puts the line back into; `flush` names it
    // (exit 1) and `flush --from` the journal puts it back.
    const untracked = (await git(dir, "ls-files", path)) === "";
    await git(dir, "fetch", "-q");
    const began = untracked && await git(dir, "cat-file", "-e", `origin/main:${path}`)
      .then(() => true, () => false);
    await git(dir, "reset", "-q", "--hard", "origin/main");
    this.note(`clone ${c}: fetch, reset --hard origin/main (${ours.token} in ${del})`);
    if (began) {
      const flushed = await runCliProcess(["flush", dir], FULL_FLAGS, this.envOf(c));
      this.note(`clone ${c}: flush (exit ${flushed.code}), the file begun anew`);
      assertEquals(flushed.code, 1, `flush: ${flushed.stdout}${flushed.stderr}`);
      assert(flushed.stderr.includes(`${ours.runId} is in no file`), flushed.stderr);
      await this.putBackJournalOnly(c);
    } else if (this.random() < 0.5) await this.emitInto(c, join(dir, del));
    else await this.flush(c);
    const back = await this.lineOf(dir, ours.token);
    assert(back !== undefined, `${ours.token} not put back after reset --hard origin/main`);
    const taken = (await git(dir, "show", `HEAD:${del}/${RECORD_FILE}`)).includes(`${ours.runId},`);
    if (taken) {
      assert(back.line.includes(`its RunID at its append, ${ours.runId},`), back.line);
      this.note(`clone ${c}: ${ours.token} put back renumbered: ${runIdOf(back.line)}`);
    }
  }

  /**
   * An agent's run begun with `start --pid $$` in a shell that is then killed (SIGKILL): its run
   * is left pending in clone `c` (its pending file is git's to ignore: another clone's `reap`
   * after a pull finds nothing), and `reap` there writes it FAILED once (docs/COMMANDS.md). Its
   * late `finish`, after the reap or racing it, records the agent's outcome once, superseding
   * the FAILED record (docs/AGENT_PROTOCOL.md section 5).
   */
  async killedAgent(c: number): Promise<void> {
    const dir = this.clones[c];
    const { pending, token } = await this.killAgent(c, dir);
    if (this.random() < 0.3) {
      const other = (c + 1 + Math.floor(this.random() * (CLONES - 1))) % CLONES;
      await this.push(c);
      await this.pull(other);
      const there = await runCliProcess(
        ["reap", this.clones[other]],
        FULL_FLAGS,
        this.envOf(other),
      );
      this.note(`clone ${other}: reap after a pull (exit ${there.code}) ${there.stdout.trim()}`);
      assertEquals([there.code, there.stdout], [0, ""], `reap in clone ${other}: ${there.stderr}`);
    }
    const finishArgs = ["finish", pending, "--status", "SUCCESS", "--notes", token];
    const before = await repeatedLines(dir);
    const reapedBefore = this.reaped.length;
    const late = this.random();
    if (late < 0.4) {
      // The late finish and the reap at once, as two processes.
      const [reaped, finished] = await Promise.all([
        runCliProcess(["reap", dir], FULL_FLAGS, this.envOf(c)),
        runCliProcess(finishArgs, FULL_FLAGS, this.envOf(c), dir),
      ]);
      this.reapedBy(c, reaped);
      this.took(c, token, finishArgs, finished);
      this.note(`clone ${c}: reap and late finish ${token} at once`);
    } else {
      this.reapedBy(c, await runCliProcess(["reap", dir], FULL_FLAGS, this.envOf(c)));
      if (late < 0.7) {
        const finished = await runCliProcess(finishArgs, FULL_FLAGS, this.envOf(c), dir);
        this.took(c, token, finishArgs, finished);
        this.note(`clone ${c}: late finish ${token} after the reap`);
      }
    }
    await this.repeatsNotMade(c, before, `reap of ${pending}`, dir);
    // The run is recorded FAILED at most once, and its late finish supersedes that record.
    const failed = this.reaped.slice(reapedBefore);
    assert(failed.length <= 1, `reap wrote ${pending} ${failed.length} times`);
    const finished = late < 0.7 ? (await this.lineOf(dir, token))?.line : undefined;
    if (late < 0.7) assert(finished !== undefined, `${token} not in clone ${c}'s file`);
    if (finished !== undefined && failed.length === 1) {
      assert(finished.includes(`finished after reap: supersedes=${failed[0]}`), finished);
    }
    const again = await runCliProcess(["reap", dir], FULL_FLAGS, this.envOf(c));
    assertEquals([again.code, again.stdout], [0, ""], `reap again: ${again.stderr}`);
  }

  /** `start --pid $$` in a shell of clone `c`'s work tree `dir`, then the shell killed (SIGKILL). */
  async killAgent(c: number, dir: string): Promise<{ pending: string; token: string }> {
    const del = join(dir, this.pick(DELIVERABLES));
    const start = `${RUNREC_SH} start '${del}' --agent AGENT_${c} --pid $$ && exec sleep 600`;
    const agent = new Deno.Command("sh", {
      args: ["-c", start],
      cwd: dir,
      stdout: "piped",
      stderr: "null",
      env: { NO_COLOR: "1", ...this.envOf(c) },
    }).spawn();
    const pending = await firstOutputLine(agent.stdout);
    assert(pending.endsWith(".json"), `start printed no token: ${pending}`);
    agent.kill("SIGKILL");
    assertEquals((await agent.status).signal, "SIGKILL");
    const token = `soak-k${++this.count}`;
    this.note(`clone ${c}: start ${token} -> ${pending}, its agent killed`);
    return { pending, token };
  }

  /**
   * An agent killed (SIGKILL) in one work tree of clone `c`, the main one or a linked one: `reap`
   * of the other work tree finds nothing (the run is its own work tree's); `reap` of the agent's
   * work tree, run from the other, writes it FAILED there once, and its late finish (1 in 2), run
   * from the other too, supersedes that. The linked tree's records are committed on its branch,
   * the tree removed, the branch merged.
   */
  async reapAcrossTrees(c: number): Promise<void> {
    const dir = this.clones[c];
    const { branch, tree } = await this.addWorkTree(c);
    const [at, from] = this.random() < 0.5 ? [tree, dir] : [dir, tree];
    if (this.random() < 0.5) await this.emit(c, at);
    const { pending, token } = await this.killAgent(c, at);
    const here = await runCliProcess(["reap", from], FULL_FLAGS, this.envOf(c), from);
    assertEquals([here.code, here.stdout], [0, ""], `reap of ${from}: ${here.stderr}`);
    const before = await repeatedLines(at);
    const reapedBefore = this.reaped.length;
    this.reapedBy(c, await runCliProcess(["reap", at], FULL_FLAGS, this.envOf(c), from));
    this.note(`clone ${c}: reap of a run across work trees (${at} from ${from})`);
    const failed = this.reaped.slice(reapedBefore);
    assertEquals(failed.length, 1, `reap of ${at} from ${from}: ${pending}`);
    assert((await this.lineOf(at, failed[0]))?.line.includes(",FAILED,"), `${failed[0]}`);
    if (this.random() < 0.5) {
      const finishArgs = ["finish", pending, "--status", "SUCCESS", "--notes", token];
      const finished = await runCliProcess(finishArgs, FULL_FLAGS, this.envOf(c), from);
      this.took(c, token, finishArgs, finished);
      const line = (await this.lineOf(at, token))?.line ?? "";
      assert(line.includes(`finished after reap: supersedes=${failed[0]}`), line);
      this.note(`clone ${c}: late finish ${token} from another work tree`);
    }
    await this.repeatsNotMade(c, before, `reap of ${pending} across work trees`, at);
    const again = await runCliProcess(["reap", at], FULL_FLAGS, this.envOf(c), at);
    assertEquals([again.code, again.stdout], [0, ""], `reap again: ${again.stderr}`);
    await this.mergeWorkTree(c, branch, tree);
  }

  /**
   * `git reset --hard` below a commit another clone has pulled: `verify --since origin/main` fails
   * there (HEAD lacks records origin/main holds); then the clone pulls and pushes, the other pulls,
   * records and pushes, and `verify --since origin/main` holds in both.
   */
  async resetPushed(c: number): Promise<void> {
    const dir = this.clones[c];
    const other = (c + 1 + Math.floor(this.random() * (CLONES - 1))) % CLONES;
    for (let i = 0; i < 2; i++) {
      await this.emit(c);
      await this.commit(c, "a record to push, then reset");
    }
    await this.push(c);
    await this.pull(other);
    const held = await this.tokensIn(dir);
    const back = 1 + Math.floor(this.random() * 2);
    await git(dir, "reset", "-q", "--hard", `HEAD~${back}`);
    this.note(
      `clone ${c}: reset below a push: --hard HEAD~${back}, below what clone ${other} pulled`,
    );
    const verified = await runCliProcess(
      ["verify", dir, "--since", "origin/main"],
      FULL_FLAGS,
      this.envOf(c),
    );
    this.note(`clone ${c}: verify --since origin/main after the reset (exit ${verified.code})`);
    // SCHEMA.md 8: HEAD lacks records origin/main holds, so it fails, naming the merge base to
    // check a branch only behind from.
    assertEquals(verified.code, 1, verified.stdout + verified.stderr);
    assert(/only behind .* --since [0-9a-f]+/.test(verified.stdout), verified.stdout);
    if (this.random() < 0.5) {
      await this.emit(c);
      await this.commit(c, "records after reset below the push");
    }
    const before = await repeatedLines(dir);
    const flushed = await runCliProcess(["flush", dir], FULL_FLAGS, this.envOf(c));
    await this.repeatsNotMade(c, before, "flush after reset below the push");
    this.note(`clone ${c}: flush (exit ${flushed.code}) after reset below the push`);
    if (flushed.code === 1) await this.putBackJournalOnly(c);
    else assertEquals(flushed.code, 0, `flush: ${flushed.stdout}${flushed.stderr}`);
    await this.pull(c);
    await this.push(c);
    await this.pull(other);
    await this.emit(other);
    await this.push(other);
    await this.pull(c);
    const now = await this.tokensIn(dir);
    for (const token of held) assert(now.has(token), `${token} not back after reset below push`);
    for (const k of [c, other]) {
      await git(this.clones[k], "fetch", "-q");
      await this.verifySince(k, "origin/main");
    }
  }

  /** Adds each run `reap` in clone `c` wrote FAILED (its line starts with the RunID) to the model. */
  reapedBy(c: number, reap: { code: number; stdout: string; stderr: string }): void {
    assertEquals(reap.code, 0, `reap in clone ${c}: ${reap.stdout}${reap.stderr}`);
    for (const line of reap.stdout.split("\n")) {
      const runId = /^(RUN-\S+) /.exec(line)?.[1];
      if (runId !== undefined) this.reaped.push(runId);
    }
    this.note(`clone ${c}: reap -> ${reap.stdout.trim() || "(none)"}`);
  }

  /**
   * `runrec exec` killed by a signal mid-run: SIGTERM to exec, or SIGTERM or SIGKILL to its
   * command, is recorded by exec as FAILED naming the signal; exec killed by SIGKILL leaves the run
   * pending while its command runs on, and `reap` writes it FAILED once that command has ended
   * (docs/COMMANDS.md "runrec exec", "runrec reap").
   */
  async execKilled(
    c: number,
    kinds: [Whom, Deno.Signal][] = [
      ["exec", "SIGTERM"],
      ["command", "SIGTERM"],
      ["command", "SIGKILL"],
      ["exec", "SIGKILL"],
    ],
  ): Promise<void> {
    const dir = this.clones[c];
    const del = join(dir, this.pick(DELIVERABLES));
    const token = `soak-x${++this.count}`;
    const marker = `'${join(del, ".runrec", "pending")}'/*.command`;
    const wait = `i=0; until ls ${marker} || [ $i = 100 ]; do i=$((i+1)); sleep 0.05; done`;
    const script =
      `echo run > "$0/${token}.md"; ${wait} >/dev/null 2>&1; echo pid $$; exec sleep 600`;
    const argv = [Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, "exec", del, "--agent"]
      .concat([`AGENT_${c}`, "--", "sh", "-c", script, del]);
    const [whom, signal] = this.pick(kinds);
    // "terminal": exec on a pseudo-terminal (script(1)), its controlling terminal, as typed.
    const terminal = whom === "terminal";
    const quoted = argv.map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(" ");
    const exec = new Deno.Command(terminal ? "script" : argv[0], {
      args: terminal ? ["-qefc", `exec ${quoted}`, "/dev/null"] : argv.slice(1),
      cwd: dir,
      stdout: "piped",
      stderr: terminal ? "null" : "piped",
      env: { NO_COLOR: "1", ...this.envOf(c) },
      // A group of its own, as a terminal's foreground job: "group" signals it all at once.
      detached: true,
    }).spawn();
    const command = terminal
      ? await pidOnTerminal(exec.stdout)
      : Number((await firstOutputLine(exec.stdout)).replace("pid ", ""));
    const before = await repeatedLines(dir);
    if (whom === "exec") exec.kill(signal);
    else if (whom === "group") Deno.kill(-exec.pid, signal);
    else if (terminal) Deno.kill(-processGroup(command), signal);
    else Deno.kill(command, signal);
    const status = await exec.status;
    // CMD holds exec's stderr open while it runs on: read once it has ended.
    const stderr = () => terminal ? Promise.resolve("") : new Response(exec.stderr).text();
    this.note(`clone ${c}: exec ${token}, ${signal} to its ${whom} (exit ${status.code})`);
    if (whom === "exec" && signal === "SIGKILL") {
      // Its command runs on: reap leaves the run pending, naming it, until it ends.
      const early = await runCliProcess(["reap", dir], FULL_FLAGS, this.envOf(c));
      assertEquals([early.code, early.stdout], [0, ""], early.stderr);
      assert(early.stderr.includes(`its command (pid ${command}) runs on`), early.stderr);
      Deno.kill(command, "SIGKILL");
      await processGone(command);
      this.reapedBy(c, await runCliProcess(["reap", dir], FULL_FLAGS, this.envOf(c)));
      await stderr();
    } else {
      assertEquals(status.code, 128 + SIGNAL_NUMBERS.get(signal)!, await stderr());
      this.emitted.push({ token, runId: "", clone: c });
      const line = (await this.lineOf(dir, token))?.line ?? "";
      assert(line.includes(`,FAILED,`) && line.includes(`killed by signal ${signal}`), line);
    }
    await this.repeatsNotMade(c, before, `exec ${token} killed`);
  }

  /**
   * `git reset --hard HEAD~2` or `HEAD~3` after two or three commits that each record (and perhaps
   * a record not committed): the lines it drops come back from `flush` when the file holds the
   * record before them, from the `flush --from` that `verify --json` names when it does not (the
   * file begun anew), and from a pull when upstream holds them (SCHEMA.md 7.1).
   */
  async resetOlder(c: number): Promise<void> {
    const dir = this.clones[c];
    await this.commit(c, "before records to reset");
    const commits = 2 + Math.floor(this.random() * 2);
    for (let i = 0; i < commits; i++) {
      await this.emit(c);
      await this.commit(c, "a record to reset");
    }
    if (this.random() < 0.5) await this.emit(c);
    const held = await this.tokensIn(dir);
    const back = 2 + Math.floor(this.random() * (commits - 1));
    await git(dir, "reset", "-q", "--hard", `HEAD~${back}`);
    const left = await this.tokensIn(dir);
    const gone = [...held].filter((token) => !left.has(token));
    this.note(`clone ${c}: reset --hard HEAD~${back} (dropped ${gone.join(" ")})`);
    const before = await repeatedLines(dir);
    const flushed = await runCliProcess(["flush", dir], FULL_FLAGS, this.envOf(c));
    await this.repeatsNotMade(c, before, "flush after reset");
    this.note(`clone ${c}: flush (exit ${flushed.code}) after reset --hard HEAD~${back}`);
    if (flushed.code === 1) {
      this.note(`clone ${c}: flush names records only in the journal: begun anew after reset`);
      assert(/only in this work tree's journal/.test(flushed.stderr), flushed.stderr);
      await this.putBackJournalOnly(c);
    } else assertEquals(flushed.code, 0, `flush: ${flushed.stdout}${flushed.stderr}`);
    await this.pull(c);
    const now = await this.tokensIn(dir);
    for (const token of held) assert(now.has(token), `${token} not back after reset --hard`);
  }

  /** Every token a record file of work tree `dir` holds. */
  async tokensIn(dir: string): Promise<Set<string>> {
    const tokens = new Set<string>();
    for (const del of DELIVERABLES) {
      let text = "";
      try {
        text = await Deno.readTextFile(join(dir, del, RECORD_FILE));
      } catch { /* no record yet */ }
      for (const token of text.match(/soak-[erxka]\d+\b/g) ?? []) tokens.add(token);
    }
    return tokens;
  }

  protected override operations(): [number, (c: number) => Promise<unknown>][] {
    return [
      [16, (c) => this.emit(c)],
      [10, (c) => this.startFinish(c)],
      [6, (c) => this.exec(c)],
      [6, (c) => this.annotate(c)],
      [5, (c) => this.drop(c)],
      [3, (c) => this.workTree(c)],
      [3, (c) => this.readOnlyEmit(c)],
      [3, (c) => this.sameMinute(c)],
      [3, (c) => this.renumber(c)],
      [8, (c) => this.commit(c, "records")],
      [8, (c) => this.pull(c)],
      [8, (c) => this.push(c)],
      [3, (c) => this.feature(c)],
      [3, (c) => this.pullDuringEmit(c)],
      [3, (c) => this.flush(c)],
      [2, (c) => this.killedAgent(c)],
      [2, (c) => this.execKilled(c)],
      [2, (c) => this.resetOlder(c)],
      [1, (c) => this.reapAcrossTrees(c)],
      [1, (c) => this.execKilled(c, INTERRUPTS)],
      [1, (c) => this.resetPushed(c)],
    ];
  }
}

Deno.test("soak: three clones record runs by start/finish, exec and emit, annotate, drop records with checkout -f and reset --hard, use a linked work tree and a read-only folder; main holds each once", async () => {
  // 70 steps: about as long as tests/soak_test.ts's 100 on 2 shared cores.
  const { seed, steps } = soakParameters(70);
  const { bare, clones, first } = await teamRepository();
  const hour = 3_600_000;
  const base = Math.floor((Date.now() - 20 * hour) / hour) * hour;
  const clocks = clones.map((_, c) => clockMovedEnv(`-${2 + c}h`));
  const soak = new RunsSoak(
    clones,
    fixedRandom(seed),
    {
      TMPDIR: await tempDir({ prefix: "runrec-soak-tmp-" }),
    },
    base,
    clocks,
  );
  const started = performance.now();
  try {
    await soak.run(steps);

    const all = await mainRecords(bare);
    const records = [...new Map(all.map((record) => [record.line, record])).values()];
    const once = (token: string) => {
      const holding = records.filter(({ line }) => new RegExp(`${token}\\b`).test(line));
      const where = holding.map(({ file, line }) => `\n  ${file}: ${line}`).join("");
      assertEquals(holding.length, 1, `${token} in main ${holding.length} times${where}`);
      return holding[0];
    };
    for (const { token, runId } of soak.emitted) {
      const { line } = once(token);
      // A put-back renumbered in another clone's minute names the RunID it had in its Notes.
      if (runId !== "") assert(line.includes(runId), `${token}'s line lacks ${runId}: ${line}`);
    }
    for (const { token } of soak.annotated) once(token);
    // A reaped run's FAILED record: once, by its RunID (or the RunID a put-back's note names).
    const reapedBy = (line: string) =>
      soak.reaped.find((id) => runIdOf(line) === id || line.includes(`append, ${id},`));
    for (const runId of soak.reaped) {
      const holding = records.filter(({ line }) => !/soak-/.test(line) && reapedBy(line) === runId);
      assertEquals(holding.length, 1, `reaped ${runId} in main ${holding.length} times`);
      assert(holding[0].line.includes(",FAILED,"), holding[0].line);
    }
    const tokens = new Set([...soak.emitted, ...soak.annotated].map(({ token }) => token));
    for (const { file, line } of records) {
      const token = /soak-[erxka]\d+/.exec(line)?.[0];
      if (token === undefined && reapedBy(line) !== undefined) continue;
      assert(token !== undefined && tokens.has(token), `${file}: a record no step made: ${line}`);
    }
    assertEquals(records.length, tokens.size + soak.reaped.length);

    // Two records sharing a RunID (another clone's minute): verify names it (docs/CI.md).
    const byRunId = new Map<string, Set<string>>();
    for (const { line } of records) {
      const runId = runIdOf(line);
      byRunId.set(runId, new Set([...(byRunId.get(runId) ?? []), line]));
    }
    const shared = [...byRunId].filter(([, lines]) => lines.size > 1).map(([id]) => id);
    for (const { token, target } of soak.annotated) {
      const run = once(target);
      const runId = runIdOf(run.line);
      if (shared.includes(runId)) continue;
      const del = join(clones[0], run.file.replace(`/${RECORD_FILE}`, ""));
      const shown = await runCliProcess(["show", del, runId], FULL_FLAGS, soak.envOf(0));
      assertEquals(shown.code, 0, `show ${runId}: ${shown.stderr}`);
      assert(shown.stdout.includes(token), `show ${runId} lacks ${token}:\n${shown.stdout}`);
    }
    for (const [c, clone] of clones.entries()) {
      const listed = await runCliProcess(["log", clone, "--format", "jsonl"], FULL_FLAGS, soak.env);
      assertEquals(listed.code, 0, listed.stderr);
      const runs = new Set(soak.emitted.map(({ token }) => token));
      const seen = (listed.stdout.match(/soak-[erxk]\d+\b/g) ?? []).filter((t) => runs.has(t));
      assertEquals(new Set(seen).size, runs.size, `log in clone ${c} lists ${new Set(seen).size}`);
      const verified = await runCliProcess(
        ["verify", clone, "--since", first],
        FULL_FLAGS,
        soak.envOf(c),
      );
      const said = `verify in clone ${c}: ${verified.stdout}${verified.stderr}`;
      assertEquals(verified.code, shared.length === 0 ? 0 : 1, said);
      for (const runId of shared) assert(said.includes(runId), `${said}\nlacks ${runId}`);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const events = (text: string) => soak.log.filter((entry) => entry.includes(text)).length;
    console.log(
      `soak runs: ${soak.emitted.length} runs, ${soak.annotated.length} annotations, dropped ${
        events("(dropped")
      }, work trees ${events("worktree add")}, spooled ${events("read-only")}, renumbered ${
        events("put back renumbered")
      }, begun anew ${
        events("begun anew")
      }, shared RunIDs ${shared.length}, reaped ${soak.reaped.length} (late finishes ${
        events("late finish")
      }), exec killed ${events(" to its ")}, reset --hard HEAD~N ${
        events("reset --hard HEAD~")
      } (begun anew ${events("begun anew after reset")}), reaped across work trees ${
        events("reap of a run across work trees")
      }, exec interrupted ${events("SIGINT to") + events("SIGHUP to")}, reset below a push ${
        events("below what clone")
      } (verify --since origin/main exit 1 before the pull ${
        events("after the reset (exit 1)")
      }), ${steps} steps, ${seconds}s`,
    );
  } catch (error) {
    console.log(soak.log.join("\n"));
    throw error;
  }
});
