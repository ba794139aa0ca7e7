/**
 * Stop 48's changes run through the CLI at the edges their review found
 * wrong, each test failing on the code before its fix.
 *
 * @module
 */
import { join } from "node:path";
import { checkOf, runrec, stale } from "./support/stale_json.ts";
import { runCliProcess } from "./cli.ts";
import { assert, assertEquals } from "./assert.ts";
import { makeProject } from "./fixtures.ts";
import { sha256Hex } from "../src/sha256.ts";

Deno.test("stale: the host's hash tool filling in the ContentHash of the one reference added since its last run (the last of eight, TBD at the run) is a note, not DIRTY", async () => {
  const { root, del } = await makeProject();
  const refs = join(del, "_REFERENCES.md");
  const names = [...Array(8).keys()].map((i) => `D${i}.md`);
  const hashes: string[] = [];
  for (const name of names) {
    const bytes = `# ${name}\n`;
    await Deno.writeTextFile(join(root, "_Decomposition", name), bytes);
    hashes.push(sha256Hex(bytes));
  }
  // The tool ran before the last reference was added: its ContentHash is TBD at the run.
  const text = (last: string) =>
    "# References\n\n## Applicable References\n" +
    names.map((name, i) =>
      `- [${name}](../../../_Decomposition/${name}) — part ${i}\n` +
      `  - ContentHash: ${i === names.length - 1 ? last : hashes[i]}\n`
    ).join("") + "\n## Notes\n- reviewed\n";
  await Deno.writeTextFile(refs, text("TBD"));
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "Datasheet.md");
  // The tool's next run fills that line in; nothing else changed.
  await Deno.writeTextFile(refs, text(hashes.at(-1)!));
  const { code, checks } = await stale(del);
  const check = checkOf(checks, "A");
  assertEquals([code, check.verdict], [0, "CLEAN"], JSON.stringify(check));
  assert(check.notes.includes("changed _REFERENCES.md (its references are the same)"));
  // A Notes line edited as well is still a change.
  await Deno.writeTextFile(refs, text(hashes.at(-1)!).replace("reviewed", "revision C applies"));
  assertEquals(checkOf((await stale(del)).checks, "A").verdict, "DIRTY");
});

Deno.test("exec --agent A --input a.md D CMD… (the folder after the options) runs CMD: the folder is not taken for a second --input path, with a -- among CMD's arguments or with a CMD not found (exit 127, a FAILED record)", async () => {
  const { del } = await makeProject();
  const options = ["exec", "--agent", "4_DOCUMENTS", "--input", "Datasheet.md", del];
  // A command on PATH with a -- of its own: run, as it is with the folder first.
  const echo = await runCliProcess([...options, "echo", "--", "hi"]);
  assertEquals([echo.code, echo.stdout], [0, "-- hi\n"], echo.stderr);
  // A command not found: a FAILED run, as without the --input, not "give each its own (--input
  // Datasheet.md --input <the folder>)".
  const gone = await runCliProcess([...options, "no-such-program-48"]);
  assertEquals(gone.code, 127, gone.stderr);
  const file = await Deno.readTextFile(join(del, "RunRecords.csv"));
  assertEquals(file.split("\n").filter((l) => l.includes(",FAILED,")).length, 1, file);
});
