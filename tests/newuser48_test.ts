/**
 * Stop 48's new users: an agent calling the CLI as its run's last step, a Deno script author
 * importing mod.ts, and a CI engineer running the installed command on a merged checkout, each
 * from README.md and the docs it links alone. Each test is one friction they met, which failed
 * before its fix.
 */
import { join } from "node:path";
import { runCli, runCliProcess } from "./cli.ts";
import { makeProject } from "./fixtures.ts";
import { assertEquals } from "./assert.ts";

/** Records a run of `agent` in `del` with emit, and returns its RunID. */
async function emitted(del: string, agent = "4_DOCUMENTS"): Promise<string> {
  const run = await runCli(["emit", del, "--agent", agent, "--status", "SUCCESS"]);
  assertEquals(run.code, 0, run.stderr);
  return run.stdout.trim();
}

Deno.test("a deliverable named by its ID (or its folder's name) from inside its own folder is said to be the current folder, not 'did you mean ?' (newuser-48 F1)", async () => {
  const { del } = await makeProject();
  for (const given of ["DEL-01-02", "DEL-01-02_Thing"]) {
    for (
      const words of [
        ["start", given, "--agent", "4_DOCUMENTS"],
        ["emit", given, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
        ["log", given],
      ]
    ) {
      const run = await runCliProcess(words, undefined, {}, del);
      assertEquals(
        [run.code, run.stderr],
        [
          2,
          `runrec ${words[0]}: ${given}: no such folder: did you mean . (the current folder)?\n`,
        ],
      );
    }
  }
  assertEquals(await Deno.stat(join(del, "RunRecords.csv")).then(() => true, () => false), false);
});

Deno.test("a RunID pasted with its quotes ('RUN-…' inside \"…\") is named without them, as one in lower case is (newuser-48 F2)", async () => {
  const { del } = await makeProject();
  const id = await emitted(del);
  for (const given of [`'${id}'`, `"${id}"`, ` '${id}' `]) {
    const show = await runCli(["show", del, given]);
    assertEquals(show.code, 2, show.stderr);
    assertEquals(
      show.stderr,
      `runrec show: ${JSON.stringify(given)} is not a RunID (RUN-DEL-XX-YY-YYYYMMDD-HHmm-SEQ): ` +
        `did you mean ${id} (without the quotes around it)? (see runrec show --help)\n`,
    );
    const note = await runCli(["annotate", del, given, "--note", "checked"]);
    assertEquals(note.code, 2, note.stderr);
    assertEquals(note.stderr.includes(`did you mean ${id} (without the quotes around it)?`), true);
  }
  // Spaces alone, or lower case, keep their own words.
  const spaced = await runCli(["show", del, ` ${id}`]);
  assertEquals(spaced.stderr.includes(`did you mean ${id} (no spaces around it)?`), true);
  const lower = await runCli(["show", del, id.toLowerCase()]);
  assertEquals(lower.stderr.includes(`did you mean ${id}? (see`), true, lower.stderr);
});

Deno.test("--agent '4 documents' (prose, in lower case) names the built-in agent 4_DOCUMENTS, not 4_documents, which would then be warned of as no known agent (newuser-48 F3)", async () => {
  const { del } = await makeProject();
  for (
    const [given, meant] of [["4 documents", "4_DOCUMENTS"], ["Chirality lens", "CHIRALITY_LENS"]]
  ) {
    const run = await runCli(["emit", del, "--agent", given, "--status", "SUCCESS"]);
    assertEquals(run.code, 2, run.stderr);
    assertEquals(run.stderr.endsWith(`(did you mean ${meant}?)\n`), true, run.stderr);
  }
  // A project's own agent keeps the case given: runrec knows no list of them.
  const own = await runCli(["emit", del, "--agent", "my linter", "--status", "SUCCESS"]);
  assertEquals(own.stderr.endsWith("(did you mean my_linter?)\n"), true, own.stderr);
  assertEquals(await Deno.stat(join(del, "RunRecords.csv")).then(() => true, () => false), false);
});

Deno.test("a run token named from the execution root as the agent saw it from its folder (.runrec/pending/<id>.json) names the deliverable where that run is pending, not 'its file was removed … finish with --agent', and leaves no .runrec/ in the root (newuser-48 F4)", async () => {
  const { root, del } = await makeProject();
  const start = await runCli(["start", del, "--agent", "4_DOCUMENTS"]);
  assertEquals(start.code, 0, start.stderr);
  const token = start.stdout.trim();
  const relative = token.slice(del.length + 1); // .runrec/pending/<id>.json
  const id = relative.replace(/^.*\//, "").replace(/\.json$/, "");
  for (const agent of [[], ["--agent", "4_DOCUMENTS"]]) {
    const finish = await runCliProcess(
      ["finish", relative, "--status", "SUCCESS", ...agent],
      undefined,
      {},
      root,
    );
    assertEquals(finish.code, 2, finish.stderr);
    assertEquals(
      finish.stderr.startsWith(
        `runrec finish: ${root}: no pending run ${id}, but run ${id} (4_DOCUMENTS, since `,
      ),
      true,
      finish.stderr,
    );
    assertEquals(finish.stderr.includes(`is pending in ${del}: runrec finish ${token} `), true);
  }
  // A token no folder holds, from there: not a deliverable folder, said before anything is made.
  const gone = relative.replace(id, id.replace(/-[0-9a-f]{8}$/, "-deadbeef"));
  for (const agent of [[], ["--agent", "4_DOCUMENTS"]]) {
    const finish = await runCliProcess(
      ["finish", gone, "--status", "SUCCESS", ...agent],
      undefined,
      {},
      root,
    );
    assertEquals(finish.code, 2, finish.stderr);
    assertEquals(
      finish.stderr.startsWith(`runrec finish: ${root}: not a deliverable folder: `),
      true,
      finish.stderr,
    );
  }
  assertEquals(await Deno.stat(join(root, ".runrec")).then(() => true, () => false), false);
  assertEquals(await Deno.stat(join(del, "RunRecords.csv")).then(() => true, () => false), false);
  assertEquals(await Deno.stat(token).then(() => true, () => false), true);
});
