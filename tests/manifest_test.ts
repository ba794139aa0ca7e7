/**
 * InputContextSHA for paths that GNU sha256sum escapes (`\`, newline, CR):
 * equal to the sha256sum pipeline for every name, one input set per manifest,
 * and records written before the escaping still valid.
 *
 * @module
 */
import { join } from "node:path";
import { acceptedInputContextShas, inputContextSha, manifestText } from "../src/manifest.ts";
import { crossFieldProblems } from "../src/schema.ts";
import { sha256Hex } from "../src/sha256.ts";
import { assert, assertEquals } from "./assert.ts";
import { runCli } from "./cli.ts";
import { makeProject, sampleRecord } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";
import { sh } from "./support/sh.ts";

/** Names sha256sum escapes, and neighbours whose order the escaping changes. */
const ESCAPED_NAMES = ["a\\b", "c\rd", "e\\f\ng", "x\ny", "x", "x0", "y", "a\nz", "aZ", "a\\"];

Deno.test("manifestText is sha256sum | LC_ALL=C sort -k2 for names with a newline, CR or backslash", async () => {
  const { del } = await makeProject();
  const hashes: Record<string, string> = {};
  for (const name of ESCAPED_NAMES) {
    await Deno.writeTextFile(join(del, name), `${name}!\n`);
    hashes[name] = sha256Hex(`${name}!\n`);
  }
  const manifest = await sh(del, 'sha256sum "$@" | LC_ALL=C sort -k2', ESCAPED_NAMES);
  assertEquals(manifestText(hashes), manifest);
  const pipeline = await sh(del, 'sha256sum "$@" | LC_ALL=C sort -k2 | sha256sum', ESCAPED_NAMES);
  assertEquals(inputContextSha(hashes), pipeline.slice(0, 64));
});

Deno.test("emit and hash: InputContextSHA is the sha256sum pipeline's for names with a newline or CR", async () => {
  const { del } = await makeProject();
  // `--input` reads `\` as a folder separator, so only newline and CR names here.
  const names = ESCAPED_NAMES.filter((name) => !name.includes("\\"));
  for (const name of names) await Deno.writeTextFile(join(del, name), `${name}!\n`);
  const inputs = names.flatMap((name) => ["--input", name]);
  const emitted = await runCli(["emit", del, "--agent", "A1", "--status", "SUCCESS", ...inputs]);
  assertEquals(emitted.code, 0, emitted.stderr);
  const [record] = await recordsOf(del);
  const paths = Object.keys(record.InputHashes);
  for (const name of names) assert(paths.includes(name), JSON.stringify(name));

  const manifest = await sh(del, 'sha256sum "$@" | LC_ALL=C sort -k2', paths);
  assertEquals(record.InputContextSHA, sha256Hex(manifest));
  // `runrec hash` prints the same lines.
  const printed = await runCli(["hash", del, ...inputs]);
  assertEquals(printed.stdout.slice(0, printed.stdout.lastIndexOf("InputContextSHA ")), manifest);
  assertEquals((await runCli(["validate", del])).code, 0);
});

Deno.test("InputContextSHA: a name holding a forged manifest line does not collide with two inputs", async () => {
  const { del } = await makeProject();
  await Deno.writeTextFile(join(del, "x"), "X\n");
  await Deno.writeTextFile(join(del, "y"), "Y\n");
  const hashOfY = (await sh(del, "sha256sum y", [])).slice(0, 64);
  const forged = `x\n${hashOfY}  y`;
  await Deno.writeTextFile(join(del, forged), "X\n"); // the same bytes as x
  const two = await runCli(["hash", del, "--json", "--input", "x", "--input", "y"]);
  const one = await runCli(["hash", del, "--json", "--input", forged]);
  const [a, b] = [JSON.parse(two.stdout), JSON.parse(one.stdout)];
  assertEquals(Object.keys(b.InputHashes).includes(forged), true);
  assert(a.InputContextSHA !== b.InputContextSHA, "two input sets share one InputContextSHA");
});

Deno.test("InputContextSHA: a record written before names were escaped stays valid", () => {
  const hashes = { "_CONTEXT.md": "a".repeat(64), "notes\nold.md": "b".repeat(64) };
  // What runrec wrote before: unescaped lines sorted by path.
  const before = sha256Hex(
    `${"a".repeat(64)}  _CONTEXT.md\n${"b".repeat(64)}  notes\nold.md\n`,
  );
  assert(before !== inputContextSha(hashes));
  assertEquals(acceptedInputContextShas(hashes), [inputContextSha(hashes), before]);
  for (const sha of [before, inputContextSha(hashes)]) {
    const record = sampleRecord({ InputHashes: hashes, InputContextSHA: sha });
    assertEquals(crossFieldProblems(record), []);
  }
  const wrong = sampleRecord({ InputHashes: hashes, InputContextSHA: "c".repeat(64) });
  assertEquals(crossFieldProblems(wrong).map((p) => p.field), ["InputContextSHA"]);
  // Ordinary names have one value: nothing more is accepted for them.
  assertEquals(acceptedInputContextShas({ "a.md": "a".repeat(64) }).length, 1);
});

Deno.test("hash: an empty or blank --input, or an empty <del-dir>, exits 2 in one line (it hashed the whole folder, or the current one)", async () => {
  const { root, del } = await makeProject();
  for (const input of ["", " "]) {
    const hash = await runCli(["hash", del, "--input", "Datasheet.md", "--input", input]);
    assertEquals([hash.code, hash.stdout], [2, ""]);
    assertEquals(
      hash.stderr,
      "runrec hash: --input: an empty path (name a file or folder; . is the deliverable folder)\n",
    );
  }
  const folder = await runCli(["hash", ""]);
  assertEquals([folder.code, folder.stdout], [2, ""]);
  assertEquals(
    folder.stderr,
    "runrec hash: <del-dir>: an empty path (. is the current folder) (see runrec hash --help)\n",
  );
  await Deno.remove(root, { recursive: true });
});
