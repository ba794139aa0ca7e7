/**
 * The CI recipe of docs/CI.md: `examples/ci/runrec-ci.sh` installs runrec and
 * passes a pull request that appends a record, and fails (exit 1) one that
 * edits a committed record. docs/CI.md shows both files of examples/ci/ as
 * they are.
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { ROOT } from "./fixtures.ts";
import { type Ran, runIn } from "./installed.ts";
import { decodeRecord, encodeRecord } from "../src/codec.ts";
import { RECORD_FILE } from "../src/deliverable.ts";

const SCRIPT = join(ROOT, "examples/ci/runrec-ci.sh");
const WORKFLOW = join(ROOT, "examples/ci/github-actions.yml");
const DELIVERABLE = "examples/PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";

/** A git repository holding a copy of examples/, and the installed runrec. */
async function pullRequest() {
  const repo = await Deno.makeTempDir({ prefix: "runrec-ci-repo-" });
  const bin = join(await Deno.makeTempDir({ prefix: "runrec-ci-bin-" }), "bin");
  const copy = await runIn(repo, "cp", ["-R", join(ROOT, "examples"), "examples"]);
  assertEquals(copy.code, 0, copy.stderr);
  const git = async (...args: string[]) => {
    const ran = await runIn(repo, "git", ["-c", "user.name=ci", "-c", "user.email=ci@ci", ...args]);
    assertEquals(ran.code, 0, `git ${args.join(" ")}: ${ran.stderr}`);
    return ran.stdout.trim();
  };
  const ci = (base: string, env: Record<string, string> = {}): Promise<Ran> =>
    runIn(repo, "sh", [SCRIPT, base], { RUNREC_INSTALL_DIR: bin, ...env });
  const emit = async (agent: string) => {
    const ran = await runIn(repo, join(bin, "runrec"), [
      "emit",
      DELIVERABLE,
      "--agent",
      agent,
      "--status",
      "SUCCESS",
    ]);
    assertEquals(ran.code, 0, ran.stderr);
  };
  await git("init", "-q");
  await git("add", "-A");
  await git("commit", "-qm", "examples");
  return { repo, bin, git, ci, emit };
}

/** runrec installed by the script, and one record committed: the pull request's base. */
async function installedWithOneRecord(
  { git, ci, emit }: Pick<Awaited<ReturnType<typeof pullRequest>>, "git" | "ci" | "emit">,
): Promise<string> {
  const installed = await ci("HEAD", { RUNREC_SOURCE: ROOT, DENO: Deno.execPath() });
  assertEquals(installed.code, 0, installed.stdout + installed.stderr);
  await emit("4_DOCUMENTS");
  await git("add", "-A");
  await git("commit", "-qm", "base: one record");
  return await git("rev-parse", "HEAD");
}

Deno.test("ci recipe: runrec-ci.sh installs runrec and passes a pull request that appends a record", async () => {
  const { repo, bin, git, ci, emit } = await pullRequest();
  // The first run installs from the checkout, with the Deno running these tests (CI's
  // `npx -y deno@2.9.6` is the same binary behind Node's start-up).
  const installing = await ci("HEAD", { RUNREC_SOURCE: ROOT, DENO: Deno.execPath() });
  assertEquals(installing.code, 0, installing.stdout + installing.stderr);
  assertIncludes(installing.stdout, `install: runrec 0.1.0 into ${bin}`);

  await emit("4_DOCUMENTS");
  await git("add", "-A");
  await git("commit", "-qm", "base: one record");
  const base = await git("rev-parse", "HEAD");
  await emit("4_DOCUMENTS");
  await git("add", "-A");
  await git("commit", "-qm", "pull request: a record appended");

  const ran = await ci(base);
  assertEquals(ran.code, 0, ran.stdout + ran.stderr);
  assertMatch(ran.stdout, /^\+ runrec-sandboxed validate \.\n/);
  assertIncludes(ran.stdout, `+ runrec verify --since ${base} -- .\n`);
  assertMatch(ran.stdout, /RunRecords\.csv: ok: 2 records/);
  // No agents/ folder in this repository: agents check is not run.
  assertEquals(ran.stdout.includes("agents check"), false, ran.stdout);
  // An agents/ folder of scripts, no AGENT_*.md: nothing to check either.
  await Deno.mkdir(join(repo, "agents"));
  await Deno.writeTextFile(join(repo, "agents", "simulated.ts"), "// not an agent file\n");
  const scripts = await ci(base);
  assertEquals(scripts.code, 0, scripts.stdout + scripts.stderr);
  assertEquals(scripts.stdout.includes("agents check"), false, scripts.stdout);
  // runrec missing (a wrong install folder): exit 2, an error of the check, not 127.
  const missing = await ci(base, { RUNREC_INSTALL_DIR: join(repo, "no-bin") });
  assertEquals(missing.code, 2, missing.stdout + missing.stderr);
  // An _Archive/ in a folder whose name starts with "-" is a folder to verify, not an option.
  const archived = join(repo, "-x", "_Archive", "DEL-09-01_Retired");
  await Deno.mkdir(archived, { recursive: true });
  await Deno.copyFile(join(repo, DELIVERABLE, RECORD_FILE), join(archived, RECORD_FILE));
  await git("add", "-A");
  await git("commit", "-qm", "a retired deliverable's records in -x/_Archive");
  const dashed = await ci(base);
  assertEquals(dashed.code, 0, dashed.stdout + dashed.stderr);
  assertIncludes(dashed.stdout, `+ runrec verify --since ${base} -- . -x/_Archive\n`);
  // A push that created the branch gives all zeros as its before: no pass, and said why (ci59).
  const nullCommit = "0".repeat(40);
  const created = await ci(nullCommit);
  assertEquals(created.code, 2, created.stdout + created.stderr);
  assertIncludes(created.stderr, `unknown revision "${nullCommit}" in ${repo}: git's null commit`);
  const log = await runIn(repo, join(bin, "runrec"), ["log", ".", "--since", nullCommit]);
  assertEquals(log.code, 2, log.stdout + log.stderr);
  assertMatch(log.stderr, /nor a commit of the git repository .*: git's null commit, which a push/);
  await Deno.remove(repo, { recursive: true });
  await Deno.remove(join(bin, ".."), { recursive: true });
});

Deno.test("ci recipe: runrec-ci.sh fails (exit 1) a pull request that edits a committed record", async () => {
  const { repo, bin, git, ci, emit } = await pullRequest();
  const base = await installedWithOneRecord({ git, ci, emit });
  const file = join(repo, DELIVERABLE, RECORD_FILE);
  const original = await Deno.readTextFile(file);
  const [header, line] = original.trimEnd().split("\n");

  // Edited by hand: the checksum no longer matches (validate and verify both fail).
  await Deno.writeTextFile(file, `${header}\n${line.replace(",SUCCESS,", ",PARTIAL,")}\n`);
  await git("commit", "-qam", "pull request: the record edited");
  const edited = await ci(base);
  assertEquals(edited.code, 1, edited.stdout + edited.stderr);
  assertMatch(edited.stdout, /RecordChecksum/);
  // The message names the file, the line and the field the edit changed (ci59).
  assertMatch(
    edited.stdout,
    /RunRecords\.csv:2: K-APPEND-1 broken in commit [0-9a-f]{7} "pull request: the record edited": line 2 differs \(byte \d+ of the file\), field RunStatus, against/,
  );

  // Edited with a recomputed checksum: the line is valid, and only its history gives it away.
  const rewritten = encodeRecord({ ...decodeRecord(line), Notes: "rewritten later" });
  await Deno.writeTextFile(file, `${header}\n${rewritten}\n`);
  await git("commit", "-qam", "pull request: the record rewritten with a new checksum");
  const rewrote = await ci(base);
  assertEquals(rewrote.code, 1, rewrote.stdout + rewrote.stderr);
  assertMatch(rewrote.stdout, /\+ runrec-sandboxed validate \.\n.*ok: 1 record/s);
  assertMatch(rewrote.stdout + rewrote.stderr, /K-APPEND-1/);

  // A force-push (CI's `--since ${{ github.event.before }}`) whose amended commit rewrote the
  // record it appended, checksum recomputed: the line, the run and the field are named (ci59).
  await git("reset", "-q", "--hard", base);
  await emit("5_VALIDATION");
  await git("commit", "-qam", "a record appended");
  const before = await git("rev-parse", "HEAD");
  const [, , appended] = (await Deno.readTextFile(file)).trimEnd().split("\n");
  const amended = encodeRecord({ ...decodeRecord(appended), Notes: "rewritten when amended" });
  await Deno.writeTextFile(file, `${header}\n${line}\n${amended}\n`);
  await git("commit", "-q", "--amend", "-a", "--no-edit");
  const forced = await ci(before);
  assertEquals(forced.code, 1, forced.stdout + forced.stderr);
  assertMatch(
    forced.stdout,
    /RunRecords\.csv:3: K-APPEND-1 broken in commit [0-9a-f]{7} "a record appended": record RUN-DEL-01-02-\d{8}-\d{4}-\d{3} \(line 3\) is not in HEAD's version as it was: HEAD's line 3 holds that run \(RunID, AgentName, RunTimestamp\) with other bytes, field Notes, /,
  );
  await Deno.remove(repo, { recursive: true });
  await Deno.remove(join(bin, ".."), { recursive: true });
});

Deno.test("ci recipe: runrec-ci.sh with no HOME, TMPDIR or TERM uses runrec from PATH, and says to set RUNREC_INSTALL_DIR to install (newuser-42 F2)", async () => {
  const { repo, bin, git, ci, emit } = await pullRequest();
  const base = await installedWithOneRecord({ git, ci, emit });
  const unset = ["-u", "HOME", "-u", "TMPDIR", "-u", "TERM", "-u", "RUNREC_INSTALL_DIR"];
  const path = `${bin}:${Deno.env.get("PATH")}`;
  const onPath = await runIn(repo, "env", [...unset, `PATH=${path}`, "sh", SCRIPT, base]);
  assertEquals(onPath.code, 0, onPath.stdout + onPath.stderr);
  assertMatch(onPath.stdout, /RunRecords\.csv: ok: 1 record, .*K-APPEND-1 holds/);
  // Told to install with nowhere to install to: one line naming what to set, exit 2.
  const install = await runIn(repo, "env", [
    ...unset,
    `RUNREC_SOURCE=${ROOT}`,
    `DENO=${Deno.execPath()}`,
    "sh",
    SCRIPT,
    base,
  ]);
  assertEquals(install.code, 2, install.stdout + install.stderr);
  assertEquals(
    install.stderr,
    "runrec-ci.sh: HOME is unset, so there is no ~/.local/bin: set RUNREC_INSTALL_DIR\n",
  );
  await Deno.remove(repo, { recursive: true });
  await Deno.remove(join(bin, ".."), { recursive: true });
});

Deno.test("ci recipe: docs/CI.md shows examples/ci/ as it is, and the workflow runs the script", async () => {
  const doc = await Deno.readTextFile(join(ROOT, "docs/CI.md"));
  const script = await Deno.readTextFile(SCRIPT);
  const workflow = await Deno.readTextFile(WORKFLOW);
  assertIncludes(doc, "```sh\n" + script + "```\n");
  assertIncludes(doc, "```yaml\n" + workflow + "```\n");
  assertIncludes(workflow, 'sh "$RUNREC_SOURCE/examples/ci/runrec-ci.sh"');
  assertIncludes(workflow, "fetch-depth: 0");
  assertIncludes(script, "npx -y deno@2.9.6} task");
});

Deno.test("ci recipe: runrec-ci.sh names every _Archive/, so a restarted deliverable's file that holds a record of its retired copy fails (trial-pipeline3 F1, review-m F2)", async () => {
  const { repo, bin, git, ci, emit } = await pullRequest();
  const base = await installedWithOneRecord({ git, ci, emit });
  const file = join(repo, DELIVERABLE, RECORD_FILE);
  const old = (await Deno.readTextFile(file)).trimEnd().split("\n")[1];
  // Retired into the execution root's _Archive/ and restarted; the old run merged back in.
  const archived = join(repo, "examples", "_Archive", DELIVERABLE.split("/").at(-1)!);
  await Deno.mkdir(join(archived, ".."), { recursive: true });
  await git("mv", DELIVERABLE, archived);
  await Deno.mkdir(join(repo, DELIVERABLE));
  await Deno.copyFile(join(archived, "_CONTEXT.md"), join(repo, DELIVERABLE, "_CONTEXT.md"));
  await emit("PREPARATION");
  await Deno.writeTextFile(file, `${old}\n`, { append: true });
  await git("add", "-A");
  await git("commit", "-qm", "retire, restart, and the old run merged in");
  const mixed = await ci(base);
  assertEquals(mixed.code, 1, mixed.stdout + mixed.stderr);
  assertIncludes(mixed.stdout, " -- . examples/_Archive\n");
  assertIncludes(mixed.stdout, "is a run of the deliverable retired to");
  await Deno.remove(repo, { recursive: true });
  await Deno.remove(join(bin, ".."), { recursive: true });
});

Deno.test("ci recipe: runrec-ci.sh names an _Archive/ whose path holds a line break or a quote as it is, and passes (review-n F3)", async () => {
  const { repo, bin, git, ci, emit } = await pullRequest();
  const base = await installedWithOneRecord({ git, ci, emit });
  // Folders git tracks: a name with a line break, one with a quote, one _Archive inside another.
  const archives = ["sub\ndir/_Archive", "it's/_Archive", "_Archive"];
  for (const archive of archives) {
    await Deno.mkdir(join(repo, archive, "old", "_Archive"), { recursive: true });
    await Deno.writeTextFile(join(repo, archive, "old", "_Archive", "f.md"), "retired\n");
  }
  await git("add", "-A");
  await git("commit", "-qm", "archives with awkward names");
  const ran = await ci(base);
  assertEquals(ran.code, 0, ran.stdout + ran.stderr);
  // One argument per _Archive/ (the outermost), in git's order, each exactly as named.
  assertIncludes(ran.stdout, ` -- . _Archive it's/_Archive sub\ndir/_Archive\n`);
  await Deno.remove(repo, { recursive: true });
  await Deno.remove(join(bin, ".."), { recursive: true });
});

Deno.test("ci recipe: a pull request that deletes _Archive/ whole (its retired deliverables' records with it) fails, though HEAD tracks no _Archive/ for the script to name (review-o F2)", async () => {
  const { repo, bin, git, ci, emit } = await pullRequest();
  await installedWithOneRecord({ git, ci, emit });
  const archived = join(repo, "examples", "_Archive", DELIVERABLE.split("/").at(-1)!);
  await Deno.mkdir(join(archived, ".."), { recursive: true });
  await git("mv", DELIVERABLE, archived);
  await git("commit", "-qm", "retire");
  const base = await git("rev-parse", "HEAD");
  await git("rm", "-rq", "examples/_Archive");
  await git("commit", "-qm", "clean up the archive");
  const cleaned = await ci(base);
  assertEquals(cleaned.code, 1, cleaned.stdout + cleaned.stderr);
  assertIncludes(cleaned.stdout, `+ runrec verify --since ${base} -- .\n`);
  assertMatch(
    cleaned.stdout,
    /examples\/_Archive\/DEL-01-02_Flow_Meter_Selection\/RunRecords.csv: K-APPEND-1 broken in commit [0-9a-f]{7} "clean up the archive": deletes the file, which held 1 record at [0-9a-f]{7}; it was in examples\/_Archive\/, a tool root/,
  );
  await Deno.remove(repo, { recursive: true });
  await Deno.remove(join(bin, ".."), { recursive: true });
});
