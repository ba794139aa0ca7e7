/**
 * The files `stale` keeps in the common git folder (src/git_folder_file.ts, `runrec-hashes` and
 * `runrec-verdicts`): what a large tree's outgrow and a removed folder leave in them.
 *
 * @module
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { readLines, writeLines } from "../src/git_folder_file.ts";
import { HASH_CACHE_FILE } from "../src/hash_cache.ts";
import { VERDICT_CACHE_FILE } from "../src/verdict_cache.ts";
import { agedRoot } from "./support/aged_root.ts";
import { assert, assertEquals } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { git, tempDir } from "./fixtures.ts";

const MIB = 1024 * 1024;

/** Whether `path` is `folder` or in it. */
const within = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);

/** The folders a kept file's lines are of. */
function keptFolders(root: string, name: string): string[] {
  const [, ...lines] = Deno.readTextFileSync(join(root, ".git", name)).split("\n");
  return lines.filter((l) => l !== "").map((line) => JSON.parse(line.slice(0, line.indexOf("\t"))));
}

Deno.test("keptfiles: lines past the size a reader takes are left out, the first given kept; the file is read again", async () => {
  const root = await tempDir();
  await git(root, "init", "-q");
  // 80 folders of a MiB each: past the 64 MiB a reader takes.
  const folders = Array.from(
    { length: 80 },
    (_, i) => join(root, `f${String(i).padStart(2, "0")}`),
  );
  for (const folder of folders) Deno.mkdirSync(folder);
  const rest = (i: number) => JSON.stringify({ n: i, pad: "é".repeat(MIB / 2) }); // 2 bytes each
  const path = join(root, ".git", "kept");
  const now = Date.now();
  writeLines(path, `${path}.tmp`, "test", folders.map((f, i) => [JSON.stringify(f), rest(i)]), now);

  const size = Deno.statSync(path).size;
  assert(size <= 64 * MIB && size > 60 * MIB, `the file is ${size} bytes`);
  const read = readLines(path, "test", now);
  const keys = [...read.lines.keys()].map((k) => JSON.parse(k));
  assertEquals(keys, folders.slice(0, keys.length), "the lines kept are the first given, in order");
  assert(keys.length >= 60 && keys.length < 80, `${keys.length} lines kept`);
  assertEquals(JSON.parse(read.lines.get(JSON.stringify(folders[5]))!).n, 5);
});

Deno.test("keptfiles: a line of a folder no longer there, or of a damaged key, is left out", async () => {
  const root = await tempDir();
  await git(root, "init", "-q");
  const [kept, removed, file] = ["kept", "removed", "file"].map((n) => join(root, n));
  Deno.mkdirSync(kept);
  Deno.mkdirSync(join(root, "target"));
  Deno.symlinkSync(join(root, "target"), join(root, "link"));
  Deno.writeTextFileSync(file, "a file where a folder was\n");
  const path = join(root, ".git", "kept");
  const now = Date.now();
  const lines: [string, string][] = [
    [JSON.stringify(kept), "1"],
    [JSON.stringify(removed), "2"],
    [JSON.stringify(file), "3"],
    ["{not json", "4"],
    [JSON.stringify(join(root, "link")), "5"],
    [JSON.stringify(`${kept}/`), "6"],
  ];
  writeLines(path, `${path}.tmp`, "test", lines, now);
  assertEquals([...readLines(path, "test", now).lines.values()], ["1", "5", "6"]);
});

Deno.test("keptfiles: a folder this process may not read keeps its line: nothing is asked of it; an empty or relative key is left out (review59)", async () => {
  const root = await tempDir();
  await git(root, "init", "-q");
  const [readable, hidden] = ["readable", "hidden"].map((n) => join(root, n));
  Deno.mkdirSync(readable);
  const gitDir = join(root, ".git");
  const script = join(root, "write.ts");
  Deno.writeTextFileSync(
    script,
    `import { writeLines } from ${
      JSON.stringify(new URL("../src/git_folder_file.ts", import.meta.url).href)
    };
const path = ${JSON.stringify(join(gitDir, "kept"))};
writeLines(path, path + ".tmp", "test", [
  [${JSON.stringify(JSON.stringify(readable))}, "1"],
  [${JSON.stringify(JSON.stringify(hidden))}, "2"],
  [${JSON.stringify(JSON.stringify(join(readable, "gone")))}, "3"],
  // Damaged keys: a query of "" throws where reads are bounded, which lost the whole write.
  ['""', "4"],
  ['"readable"', "5"],
], Date.now());
`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", `--allow-read=${gitDir},${readable}`, `--allow-write=${gitDir}`, script],
    stdin: "null",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const [, ...lines] = Deno.readTextFileSync(join(gitDir, "kept")).split("\n");
  assertEquals(lines.filter((l) => l !== "").map((l) => l.split("\t")[1]), ["1", "2"]);
});

Deno.test("keptfiles: a removed deliverable's lines leave both of stale's files at the next run that writes them", async () => {
  const aged = await agedRoot("keptfiles removed", 3);
  const { root, deliverables: [gone, edited, untouched] } = aged;
  try {
    const args = ["stale", root, "--json"];
    const first = await runCliProcess(args, FULL_FLAGS);
    assert(first.code === 0 || first.code === 1, first.stderr);
    for (const name of [VERDICT_CACHE_FILE, HASH_CACHE_FILE]) {
      const folders = keptFolders(root, name);
      for (const d of [gone, edited, untouched]) {
        assert(folders.some((f) => within(f, d)), `${name} holds ${d}`);
      }
    }

    Deno.removeSync(gone, { recursive: true });
    // An input of another deliverable edited: both files are written again.
    const input = aged.files.find((f) => f.startsWith(`${edited}/`))!;
    Deno.writeTextFileSync(input, "edited\n", { append: true });
    const second = await runCliProcess(args, FULL_FLAGS);
    assert(second.code === 0 || second.code === 1, second.stderr);
    for (const name of [VERDICT_CACHE_FILE, HASH_CACHE_FILE]) {
      const folders = keptFolders(root, name);
      assert(!folders.some((f) => within(f, gone)), `${name} still holds ${gone}`);
      assert(folders.some((f) => within(f, untouched)), `${name} lost ${untouched}`);
    }
  } finally {
    await aged.unmount();
  }
});
