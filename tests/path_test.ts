/**
 * src/path.ts: `resolve`, `relative`, `join` and `dirname` give pathe's answers, also on the
 * fast path that skips normalising a path already normal; the memoised
 * look-ups of src/lookups.ts give the system's real paths.
 *
 * @module
 */
// deno-lint-ignore-file no-import-prefix -- the same pinned pathe that src/path.ts wraps
import * as pathe from "npm:pathe@2.0.3";
import fc from "fast-check";
import { dirname, isNormalAbsolute, join, relative, resolve } from "../src/path.ts";
import { directLookups, isGone, isThere, memoLookups } from "../src/lookups.ts";
import { isMissing } from "../src/state_folder.ts";
import { assertEquals } from "./assert.ts";
import { seeded } from "./seed.ts";
import { tempDir } from "./fixtures.ts";
import { folderEntries, shownPath } from "../src/deliverable.ts";

/** Path names that tell the fast path from pathe's: dots, backslashes, drives, empties. */
const NAMES = ["a", "b", ".", "..", "", "\\", "x\\y", ".h", "...", "C:", "c d", "é", "a:b"];

const pathArbitrary = fc.tuple(
  fc.boolean(),
  fc.array(fc.constantFrom(...NAMES), { maxLength: 5 }),
  fc.boolean(),
).map(([absolute, names, slash]) =>
  (absolute ? "/" : "") + names.join("/") + (slash && names.length > 0 ? "/" : "")
);

Deno.test("path: resolve, relative, join and dirname agree with pathe, normal paths or not", () => {
  const cwd = Deno.cwd();
  fc.assert(
    fc.property(pathArbitrary, pathArbitrary, pathArbitrary, (a, b, c) => {
      assertEquals(resolve(a), pathe.resolve(cwd, a));
      assertEquals(resolve(a, b), pathe.resolve(cwd, a, b));
      assertEquals(resolve(a, b, c), pathe.resolve(cwd, a, b, c));
      assertEquals(join(a, b), pathe.join(a, b));
      assertEquals(join(a, b, c), pathe.join(a, b, c));
      assertEquals(dirname(a), pathe.dirname(a));
      assertEquals(relative(a, b), pathe.relative(pathe.resolve(cwd, a), pathe.resolve(cwd, b)));
      // Normal: pathe leaves it as it is, and it holds nothing pathe reads specially.
      assertEquals(
        isNormalAbsolute(a),
        a.startsWith("/") && !/[\\:]/.test(a) && pathe.resolve(a) === a,
      );
    }),
    seeded("path agrees with pathe", { numRuns: 20_000 }),
  );
});

Deno.test("lookups: memoised answers are the system's, through links, listed folders and missing paths", async () => {
  const dir = Deno.realPathSync(await tempDir());
  await Deno.mkdir(`${dir}/real/sub`, { recursive: true });
  await Deno.writeTextFile(`${dir}/real/sub/f.md`, "x");
  await Deno.symlink(`${dir}/real`, `${dir}/link`);
  await Deno.symlink(`${dir}/real/sub/f.md`, `${dir}/real/file-link`);
  await Deno.symlink(`${dir}/nowhere`, `${dir}/real/dangling`);
  const paths = [
    `${dir}/link/sub/f.md`,
    `${dir}/real/sub/f.md`,
    `${dir}/real/file-link`,
    `${dir}/real/dangling`,
    `${dir}/real/sub`,
    `${dir}/real/.`,
    `${dir}/real/..`,
    `${dir}/real/sub/..`,
    `${dir}/link/sub`,
    `${dir}/link/../real/sub`,
    `${dir}/real/missing.md`,
    `${dir}/missing/f.md`,
    `${dir}/real/sub/f.md/below-a-file`,
  ];
  const same = <T>(got: T | Error, want: T | Error, path: string) => {
    if (want instanceof Error) assertEquals((got as Error).name, want.name, path);
    else assertEquals(got, want, path);
  };
  for (const listed of [[], [`${dir}/real`, `${dir}/real/sub`, `${dir}/link`]]) {
    const memo = memoLookups();
    for (const folder of listed) memo.list(folder);
    for (const path of [...paths, ...paths]) {
      // Asked first (from a listing, or the system), then again once `lstat` has answered.
      assertEquals(memo.lstatKind(path), directLookups.lstatKind(path), path);
      assertEquals(memo.statKind(path), directLookups.statKind(path), path);
      same(memo.realPath(path), directLookups.realPath(path), path);
      same(memo.lstat(path), directLookups.lstat(path), path);
      same(memo.stat(path), directLookups.stat(path), path);
    }
    // A folder's entries, links followed (to a file, a folder, nowhere); none where none can be.
    for (const folder of [dir, `${dir}/real`, `${dir}/link`, `${dir}/real/sub/f.md`, `${dir}/no`]) {
      const entries = [...memo.folderEntries(folder)].sort();
      assertEquals(entries, [...folderEntries(folder)].sort(), folder);
    }
  }
  // As of the listing: a file made since is not in it.
  const memo = memoLookups();
  memo.list(`${dir}/real`);
  await Deno.writeTextFile(`${dir}/real/late.md`, "");
  assertEquals(memo.folderEntries(`${dir}/real`).has("late.md"), false);
  assertEquals(memo.folderEntries(`${dir}/real/sub/..`).get("late.md"), "file"); // listed now
});

Deno.test("memoLookups: a name an ASCII folder's listing lacks is not there without asking; another case, a non-ASCII folder, is asked", async () => {
  const dir = await tempDir();
  await Deno.mkdir(`${dir}/ascii`);
  await Deno.writeTextFile(`${dir}/ascii/Readme.md`, "");
  await Deno.mkdir(`${dir}/other`);
  await Deno.writeTextFile(`${dir}/other/é.md`, "");
  const memo = memoLookups();
  memo.list(`${dir}/ascii`);
  memo.list(`${dir}/other`);
  // Created after the listing: only a look-up sees them, so what is asked shows.
  for (const name of ["ascii/late.md", "ascii/readme.md", "other/late.md"]) {
    await Deno.writeTextFile(`${dir}/${name}`, "");
  }
  const kind = (path: string) => {
    const answer = memo.lstat(`${dir}/${path}`);
    return answer instanceof Error ? answer.name : answer;
  };
  assertEquals(memo.lstatKind(`${dir}/ascii/late.md`), undefined); // known, no error made
  assertEquals(memo.statKind(`${dir}/ascii/late.md/below`), undefined);
  assertEquals(memo.statKind(`${dir}/ascii/readme.md`), "file"); // asked
  assertEquals(kind("ascii/late.md"), "NotFound"); // known from the listing
  assertEquals((memo.stat(`${dir}/ascii/late.md`) as Error).name, "NotFound");
  assertEquals(kind("ascii/late.md/below"), "NotFound"); // beneath what is not there
  assertEquals(kind("ascii/readme.md"), "file"); // `Readme.md` in another case: asked
  assertEquals(kind("other/late.md"), "file"); // a folder with a non-ASCII name: asked
  assertEquals(kind("ascii/Readme.md"), "file");
});

Deno.test("shownPath: a path beneath the working folder is shown from it, a name starting with `..` (`..data`) too; an ancestor as `..`, another path absolute (plain-37 F1)", () => {
  const cwd = Deno.cwd();
  assertEquals(shownPath(cwd), ".");
  assertEquals(shownPath(`${cwd}/..data/x.md`), "..data/x.md");
  assertEquals(shownPath(`${cwd}/a/b.md`), "a/b.md");
  assertEquals(shownPath(dirname(cwd)), "..");
  assertEquals(shownPath(`${dirname(cwd)}/elsewhere-${crypto.randomUUID()}`).startsWith("/"), true);
});

Deno.test("isThere, isGone and state_folder's isMissing: a dangling link is there, gone and not missing; a name under a file gone; one whose folder cannot be searched neither there nor gone nor missing", async () => {
  const dir = await tempDir();
  const file = join(dir, "file");
  await Deno.writeTextFile(file, "x");
  const dangling = join(dir, "dangling");
  await Deno.symlink(join(dir, "none"), dangling);
  const answers = (path: string) => [isThere(path), isGone(path), isMissing(path)];
  assertEquals(answers(file), [true, false, false]);
  assertEquals(answers(join(dir, "none")), [false, true, true]);
  assertEquals(answers(dangling), [true, true, false]);
  assertEquals(answers(join(file, "x")), [false, true, false]);
  // A folder that cannot be searched: the system's EACCES, injected on this name (as root, the
  // permission bits would not stop the look-up).
  const locked = join(dir, "locked", "x");
  const script = `import { isGone, isThere } from ${
    JSON.stringify(import.meta.resolve("../src/lookups.ts"))
  };
import { isMissing } from ${JSON.stringify(import.meta.resolve("../src/state_folder.ts"))};
const p = ${JSON.stringify(locked)};
console.log(JSON.stringify([isThere(p), isGone(p), isMissing(p)]));`;
  const ran = await new Deno.Command("strace", {
    args: [
      "-f",
      "-qq",
      "-o",
      "/dev/null",
      "-P",
      locked,
      "-e",
      "inject=statx:error=EACCES",
      Deno.execPath(),
      "eval",
      "--no-config",
      script,
    ],
    stderr: "inherit",
  }).output();
  assertEquals(ran.code, 0);
  assertEquals(JSON.parse(new TextDecoder().decode(ran.stdout)), [false, false, false]);
});
