/**
 * `verify --since` under a root holding a folder that cannot be listed (a
 * name not valid UTF-8, another user's folder): the record files committed
 * beneath it are unread, named on stderr (exit 2), never reported deleted
 * in the working tree; a real deletion elsewhere in the root still fails.
 * Real git, a real non-UTF-8 name and a real second user (`setpriv`).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/verify_unlisted_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assertEquals, assertIncludes } from "./assert.ts";
import { type CliResult, runCli } from "./cli.ts";
import { NOBODY, runAsNobody } from "./support/nobody.ts";
import { git, sampleDraft, tempDir } from "./fixtures.ts";
import { sh } from "./support/sh.ts";

/** A record file the tests delete in the working tree: a real deletion. */
const LOST = join("lost", "DEL-01-03_Z", RECORD_FILE);
const GOOD = join("good", "DEL-01-02_Y", RECORD_FILE);
/** Where the record file of the folder that cannot be listed is made, before it is moved there. */
const HIDDEN = join("hidden", "DEL-01-09_X", RECORD_FILE);
/** A shell word for the folder name `bad` and byte 0xFF, not valid UTF-8 (Deno reads U+FFFD). */
const BAD = `"$(printf 'bad\\377')"`;

/**
 * A repository whose root holds three deliverables with one run each,
 * committed, the third beneath the folder the shell word `folder` names
 * (made there with `mv`: a name not valid UTF-8 needs the shell); then the
 * shell script `after` runs in it.
 */
async function repository(folder: string, after = "true"): Promise<string> {
  const repo = await Deno.realPath(await tempDir({ prefix: "runrec-verify-unlisted-" }));
  await git(repo, "init", "-q");
  for (const [i, path] of [GOOD, LOST, HIDDEN].entries()) {
    await Deno.mkdir(join(repo, path, ".."), { recursive: true });
    await appendRecord(
      join(repo, path),
      sampleDraft({ AgentName: `A${i}`, RunTimestamp: `2026-03-0${i + 1}T00:00:00Z` }),
      { fsync: false },
    );
  }
  await sh(repo, `mv hidden ${folder}`);
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "three runs");
  await sh(repo, after);
  return repo;
}

/** The `verify --json` document's `gone` paths and the files named unreadable. */
function verdict(result: CliResult): { gone: string[]; unreadable: string[] } {
  const doc = JSON.parse(result.stdout);
  return {
    gone: doc.gone.map((g: { path: string }) => g.path),
    unreadable: doc.files.filter((f: { unreadable?: string }) => f.unreadable !== undefined)
      .map((f: { path: string }) => f.path),
  };
}

Deno.test("verify --since: record files committed beneath a folder whose name is not valid UTF-8 are unread, not deleted", async () => {
  const repo = await repository(BAD);
  const bad = join(repo, "bad\uFFFD");
  try {
    const untouched = await runCli(["verify", repo, "--since", "HEAD"]);
    assertEquals(untouched.code, 2, untouched.stderr);
    assertIncludes(
      untouched.stderr,
      `${bad}: cannot read: folder cannot be listed: name not valid`,
    );
    assertEquals(untouched.stdout.includes("K-APPEND-1 broken"), false, untouched.stdout);
    assertIncludes(untouched.stdout, `${join(repo, GOOD)}: ok:`);
    const json = await runCli(["verify", repo, "--since", "HEAD", "--json"]);
    assertEquals(verdict(json), { gone: [], unreadable: [bad] });

    // A real deletion elsewhere in the same root is still caught, and only it.
    await Deno.remove(join(repo, LOST));
    const deleted = await runCli(["verify", repo, "--since", "HEAD"]);
    assertEquals(deleted.code, 2, deleted.stderr);
    assertEquals(deleted.stdout.match(/K-APPEND-1 broken/g)?.length, 1, deleted.stdout);
    assertIncludes(
      deleted.stdout,
      `${join(repo, LOST)}: K-APPEND-1 broken: deleted in the working tree (not committed)`,
    );
    const deletedJson = await runCli(["verify", repo, "--since", "HEAD", "--json"]);
    assertEquals(verdict(deletedJson), { gone: [join(repo, LOST)], unreadable: [bad] });
  } finally {
    await sh(repo, `rm -rf ${BAD}`);
  }
});

Deno.test("verify --since: a record file deleted by a commit beneath a folder that cannot be listed is still gone", async () => {
  // The folder keeps another file, so it is still there (and unreadable) after the commit.
  const repo = await repository(BAD, `echo n > ${BAD}/notes.md`);
  try {
    const since = await git(repo, "rev-parse", "HEAD");
    await sh(repo, `git rm -q ${BAD}/DEL-01-09_X/${RECORD_FILE}`);
    await git(repo, "commit", "-qm", "drop a run");
    const result = await runCli(["verify", repo, "--since", since, "--json"]);
    assertEquals(result.code, 2, result.stderr);
    const { gone } = verdict(result);
    assertEquals(gone, [join(repo, "bad\uFFFD", "DEL-01-09_X", RECORD_FILE)]);
    const history = JSON.parse(result.stdout).gone[0].history;
    assertEquals(history.failure.commit, await git(repo, "rev-parse", "HEAD"));
  } finally {
    await sh(repo, `rm -rf ${BAD}`);
  }
});

Deno.test("verify --since: record files committed beneath a folder another user cannot list are unread, not deleted", async () => {
  // The repository is nobody's (git refuses another user's); one folder in it stays root's, closed.
  const repo = await repository(
    "secret",
    `chown -R ${NOBODY}:${NOBODY} . && chown 0:0 secret && chmod 700 secret`,
  );
  const secret = join(repo, "secret");
  const untouched = await runAsNobody(["verify", repo, "--since", "HEAD"]);
  assertEquals(untouched.code, 2, untouched.stderr);
  assertIncludes(untouched.stderr, `${secret}: cannot read: folder cannot be listed: `);
  assertEquals(untouched.stdout.includes("K-APPEND-1 broken"), false, untouched.stdout);
  assertIncludes(untouched.stdout, `${join(repo, GOOD)}: ok:`);
  const json = await runAsNobody(["verify", repo, "--since", "HEAD", "--json"]);
  assertEquals(verdict(json), { gone: [], unreadable: [secret] });

  // A real deletion elsewhere in the same root is still caught, and only it.
  await Deno.remove(join(repo, LOST));
  const deleted = await runAsNobody(["verify", repo, "--since", "HEAD"]);
  assertEquals(deleted.code, 2, deleted.stderr);
  assertEquals(deleted.stdout.match(/K-APPEND-1 broken/g)?.length, 1, deleted.stdout);
  assertIncludes(
    deleted.stdout,
    `${join(repo, LOST)}: K-APPEND-1 broken: deleted in the working tree (not committed)`,
  );
  const deletedJson = await runAsNobody(["verify", repo, "--since", "HEAD", "--json"]);
  assertEquals(verdict(deletedJson), { gone: [join(repo, LOST)], unreadable: [secret] });
});
