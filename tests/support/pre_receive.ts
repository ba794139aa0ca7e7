/**
 * A bare repository with the pre-receive hook of docs/CI.md ("On the server: a pre-receive hook")
 * installed as the page shows it, and a clone that pushes to it over a local path, each push in a
 * network namespace with no network (`unshare -n`).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "../assert.ts";
import { git, makeProject, minutelyHistory, ROOT, tempDir, writeTree } from "../fixtures.ts";
import { type Ran, runIn, sharedInstall } from "../installed.ts";
import { RECORD_FILE } from "../../src/deliverable.ts";

export const DEL = "PKG-01_Pkg/1_Working/DEL-01-02_Thing";
const SECTION = "## On the server: a pre-receive hook";
/** docs/CI.md's section of the second hook, which checks a deletion again as git deletes. */
export const TRANSACTION_SECTION = "## On the server: a reference-transaction hook";

/** A hook script as docs/CI.md shows it: the first `sh` block of its section. */
export async function documentedHook(heading = SECTION): Promise<string> {
  const doc = await Deno.readTextFile(join(ROOT, "docs", "CI.md"));
  const section = doc.slice(doc.indexOf(heading));
  const start = section.indexOf("```sh\n") + "```sh\n".length;
  return section.slice(start, section.indexOf("```\n", start));
}

/** What the hook printed to the pusher: git's `remote: ` lines, without the padding git adds. */
export function remoteLines(ran: Ran): string[] {
  return ran.stderr.split("\n").filter((line) => line.startsWith("remote: ")).map((line) =>
    line.trimEnd()
  );
}

/** `lines` (a record file's, header first) with line `n`'s Notes changed and its checksum remade. */
export function edited(lines: string[], n: number): string[] {
  const body = lines[n].slice(0, lines[n].lastIndexOf(",")).replace(/,run \d+,/, ",run edited,");
  const copy = [...lines];
  copy[n] = `${body},${createHash("sha256").update(body).digest("hex")}`;
  return copy;
}

/**
 * A bare repository with the documented hook (and, with `transaction`, the documented
 * reference-transaction hook), and a clone of an execution root whose deliverable holds `count`
 * records, pushed to it (through the hook: a first push).
 */
export async function served(count = 2, { transaction = false } = {}) {
  const { bin } = await sharedInstall();
  const { root, del } = await makeProject();
  const bare = await tempDir({ prefix: "runrec-server-" });
  // Where the hook makes its clones: no message may name it to the pusher.
  const hookTmp = await tempDir({ prefix: "runrec-hook-tmp-" });
  await git(bare, "init", "-q", "--bare");
  await Deno.writeTextFile(join(bare, "hooks", "pre-receive"), await documentedHook(), {
    mode: 0o755,
  });
  if (transaction) {
    await Deno.writeTextFile(
      join(bare, "hooks", "reference-transaction"),
      await documentedHook(TRANSACTION_SECTION),
      { mode: 0o755 },
    );
  }
  const file = join(del, RECORD_FILE);
  const write = (lines: string[]) => Deno.writeTextFile(file, `${lines.join("\n")}\n`);
  const commit = async (message: string) => {
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", message);
    return await git(root, "rev-parse", "HEAD");
  };
  // `env`: the hook's environment beside the push's own (HOME: the server user's).
  const pushWith = async (env: Record<string, string>, ...args: string[]): Promise<Ran> => {
    const ran = await runIn(root, "unshare", ["-n", "git", "push", "origin", ...args], {
      RUNREC_INSTALL_DIR: bin,
      TMPDIR: hookTmp,
      ...env,
    });
    assert(!ran.stderr.includes(hookTmp), `the hook's clone named to the pusher:\n${ran.stderr}`);
    assertEquals([...Deno.readDirSync(hookTmp)], [], "the hook's clone left behind");
    return ran;
  };
  // `installed`: the folder the hook finds runrec in; `path`: the rest of its PATH.
  const pushFrom = (installed: string, path: string, ...args: string[]) =>
    pushWith({ RUNREC_INSTALL_DIR: installed, PATH: path }, ...args);
  const push = (...args: string[]) => pushWith({}, ...args);
  const onServer = (ref: string) => git(bare, "rev-parse", "-q", "--verify", ref).catch(() => "");
  const refused = async (ran: Ran, ref: string, before: string, from = ref) => {
    assertEquals(ran.code, 1, ran.stderr);
    assertIncludes(ran.stderr, `[remote rejected] ${from} -> ${ref} (pre-receive hook declined)`);
    assertEquals(await onServer(`refs/heads/${ref}`), before, "the ref moved");
  };
  await writeTree(root, {
    ".gitattributes": "RunRecords.csv merge=union eol=lf\n",
    ".gitignore": "RunRecords.csv.lock\n",
  });
  await write(minutelyHistory(count));
  await git(root, "init", "-q");
  await commit("base");
  await git(root, "remote", "add", "origin", bare);
  const first = await push("main");
  assertEquals(first.code, 0, first.stderr);
  assertEquals(remoteLines(first), [
    `remote: runrec: refs/heads/main: ok: 1 record file, ${count} records ` +
    "(no history shared with the repository: checksums and RunIDs)",
  ]);
  return { bare, bin, root, hookTmp, write, commit, push, pushFrom, pushWith, onServer, refused };
}
