/**
 * `runrec verify --since REV` and a record file that is a symbolic link
 * (git mode 120000), which runrec refuses: committed as one, made one by a
 * later commit, or only in the working tree, it fails naming the
 * repository's file and the commit (never the path the link names, nor
 * "not in a git work tree" for a link out of the repository). Real git
 * repositories and links.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/verify_symlink_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { git, sampleDraft, tempDir } from "./fixtures.ts";

const DEL = "PKG-01_Alpha/1_Working/DEL-01-03_Level_Switch";
const FILE = `${DEL}/${RECORD_FILE}`;

/**
 * An execution root in git whose deliverable DEL holds one run, committed
 * (`base`), and a file outside the repository a link may name (`outside`).
 */
async function project(): Promise<{ repo: string; base: string; outside: string }> {
  const repo = await Deno.realPath(await tempDir({ prefix: "runrec-verify-link-" }));
  const outside = join(await Deno.realPath(await tempDir({ prefix: "runrec-outside-" })), "key");
  await Deno.writeTextFile(outside, "-----BEGIN FAKE KEY-----\nAAAAB3Nza\n");
  await Deno.writeTextFile(join(repo, "INIT.md"), "# Init\n");
  await Deno.mkdir(join(repo, DEL), { recursive: true });
  await appendRecord(
    join(repo, FILE),
    sampleDraft({ DeliverableID: "DEL-01-03", RunTimestamp: "2026-10-01T00:01:00.000Z" }),
    { fsync: false },
  );
  await git(repo, "init", "-q");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "one run");
  return { repo, base: await git(repo, "rev-parse", "HEAD"), outside };
}

/** `runrec verify ARGS` run in `repo`. */
async function verify(repo: string, ...args: string[]) {
  const { code, stdout, stderr } = await runCliProcess(["verify", ...args], undefined, {}, repo);
  return { code, out: stdout, err: stderr };
}

const refused = (where: string, target: string) =>
  `the file is a symbolic link in ${where} (to ${JSON.stringify(target)}), which runrec ` +
  "refuses as a record file: its lines would be another file's; commit the record file itself";

Deno.test("verify --since: a record file committed as a symbolic link out of the repository fails naming the repository's file, the commit, and that it is a link runrec refuses (trial-new F2)", async () => {
  const { repo, base, outside } = await project();
  const other = "PKG-01_Alpha/1_Working/DEL-09-09_X";
  await Deno.mkdir(join(repo, other));
  await Deno.symlink(outside, join(repo, other, RECORD_FILE));
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "link");
  const link = (await git(repo, "rev-parse", "HEAD")).slice(0, 7);
  // The root, the deliverable folder, and the link itself as the target.
  for (const target of [".", other, `${other}/${RECORD_FILE}`]) {
    const result = await verify(repo, target, "--since", base);
    const label = `${target}: ${result.out}${result.err}`;
    // Its history fails (1), and the link is not read (2, as every reader refuses it).
    assertEquals(result.code, 2, label);
    assertIncludes(result.err, `${RECORD_FILE}: cannot read: is a symbolic link`, label);
    assertIncludes(
      result.out,
      `${other}/${RECORD_FILE}:1: K-APPEND-1 broken in commit ${link} "link": ` +
        refused("this commit", outside),
      label,
    );
    assertEquals(result.out.split("K-APPEND-1 broken").length, 2, `named once: ${label}`);
    assertEquals(result.err.includes("git work tree"), false, label);
    assertEquals(result.out.includes(`${outside}:`), false, label);
  }
});

Deno.test("verify --since: a record file made a symbolic link by a commit (git: T) fails at that commit, also once made a file again; made one in the working tree only, it fails there", async () => {
  const { repo, base, outside } = await project();
  const bytes = await Deno.readFile(join(repo, FILE));
  await Deno.remove(join(repo, FILE));
  await Deno.symlink(outside, join(repo, FILE));
  // Not committed: the working tree's.
  const working = await verify(repo, ".", "--since", base);
  assertEquals(working.code, 2, working.out + working.err);
  assertIncludes(
    working.out,
    `${FILE}:1: K-APPEND-1 broken in the working tree: ${refused("the working tree", outside)}`,
  );
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "made a link");
  const made = (await git(repo, "rev-parse", "HEAD")).slice(0, 7);
  const committed = await verify(repo, ".", "--since", base);
  assertEquals(committed.code, 2, committed.out + committed.err);
  assertIncludes(
    committed.out,
    `${FILE}:1: K-APPEND-1 broken in commit ${made} "made a link": ` +
      refused("this commit", outside),
  );
  // A file again, its bytes back: the link in between is still named.
  await Deno.remove(join(repo, FILE));
  await Deno.writeFile(join(repo, FILE), bytes);
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "a file again");
  const again = await verify(repo, ".", "--since", base);
  assertEquals(again.code, 1, again.out + again.err);
  assertMatch(again.out, new RegExp(`${FILE}:1: K-APPEND-1 broken in commit ${made} `));
  // The deliverable folder as the target, and the file itself: the same.
  for (const target of [DEL, FILE]) {
    const named = await verify(repo, target, "--since", base);
    assertEquals(named.code, 1, `${target}: ${named.out}${named.err}`);
    assertIncludes(named.out, refused("this commit", outside));
  }
});
