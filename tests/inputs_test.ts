import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import { governedInputs, relativePath } from "../src/inputs.ts";
import { inputContextSha } from "../src/manifest.ts";
import {
  deliverableId,
  findExecutionRoot,
  findGitRoot,
  folderEntries,
} from "../src/deliverable.ts";
import { CheckFailure, InputError } from "../src/errors.ts";
import { git, tempDir } from "./fixtures.ts";
import { sh } from "./support/sh.ts";

async function write(path: string, text: string) {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, text);
}

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await tempDir({ prefix: "runrec_inputs_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * repo/.git, repo/docs/PLAN.md; execution root repo/proj with INIT.md,
 * _Decomposition/, PKG-01_P/0_References/ and the deliverable folder.
 */
async function makeTree(repo: string) {
  const root = join(repo, "proj");
  const del = join(root, "PKG-01_P", "1_Working", "DEL-01-02_Some_Deliverable");
  await Deno.mkdir(repo, { recursive: true });
  await git(repo, "init", "-q");
  await write(join(repo, "docs", "PLAN.md"), "plan\n");
  await write(join(root, "INIT.md"), "init\n");
  await write(join(root, "_Decomposition", "Project_Decomposition.md"), "decomposition\n");
  await write(join(root, "PKG-01_P", "0_References", "abc.pdf"), "%PDF abc\n");
  await write(join(root, "PKG-01_P", "0_References", "sub", "Zeta é.txt"), "zeta\n");
  await write(join(root, "PKG-01_P", "0_References", "sub", "alpha.txt"), "alpha\n");
  await write(join(del, "Datasheet.md"), "datasheet\n");
  await write(join(del, "Specification.md"), "spec\n");
  await write(join(del, "_STATUS.md"), "**Current State:** OPEN\n");
  await write(join(del, "RunRecords.csv"), "SchemaVersion\n");
  return { root, del };
}

const REFERENCES = [
  "# References: DEL-01-02 Some Deliverable", // 1
  "", // 2
  "## Applicable References", // 3
  "- [Decomposition Document](../../../_Decomposition/Project_Decomposition.md)", // 4
  "  - ContentHash: TBD", // 5
  "- `_Decomposition/Project_Decomposition.md` — SOW-002 scope definition", // 6
  "- Package references — Location: ../../0_References/ — every file", // 7
  "- Plan — Location: docs/PLAN.md — found through the git root", // 8
  "- Datasheet.md", // 9
].join("\n") + "\n";

Deno.test("InputContextSHA equals sha256sum PATHS | LC_ALL=C sort -k2 | sha256sum", async () => {
  await withTempDir(async (repo) => {
    const { del } = await makeTree(repo);
    await write(join(del, "_REFERENCES.md"), REFERENCES);
    await write(join(del, "Ünïcode — name.md"), "unicode\n");
    const { hashes, notes } = await governedInputs(del, [
      "Specification.md",
      "Ünïcode — name.md",
      join(repo, "docs", "PLAN.md"), // absolute: recorded relative
    ]);
    deepStrictEqual(notes, []);
    deepStrictEqual(Object.keys(hashes), [
      "../../../../docs/PLAN.md",
      "../../../_Decomposition/Project_Decomposition.md",
      "../../0_References/abc.pdf",
      "../../0_References/sub/Zeta é.txt",
      "../../0_References/sub/alpha.txt",
      "Datasheet.md",
      "Specification.md",
      "_REFERENCES.md",
      "Ünïcode — name.md",
    ]);
    const paths = Object.keys(hashes);
    // Per-file hashes are what sha256sum prints for the same relative paths.
    const sums = await sh(del, 'sha256sum "$@"', paths);
    for (const line of sums.trimEnd().split("\n")) {
      const [hash, path] = [line.slice(0, 64), line.slice(66)];
      strictEqual(hashes[path], hash, path);
    }
    const pipeline = await sh(del, 'sha256sum "$@" | LC_ALL=C sort -k2 | sha256sum', paths);
    strictEqual(inputContextSha(hashes), pipeline.slice(0, 64));
    // The order the paths are given in does not matter to the composite.
    const reversed = await sh(
      del,
      'sha256sum "$@" | LC_ALL=C sort -k2 | sha256sum',
      [
        ...paths,
      ].reverse(),
    );
    strictEqual(reversed, pipeline);
  });
});

Deno.test("governed inputs: URLs, placeholders and missing files are named in notes", async () => {
  await withTempDir(async (repo) => {
    const { del } = await makeTree(repo);
    const references = [
      "# References", // 1
      "- [Decomposition](../../../_Decomposition/Project_Decomposition.md)", // 2
      "- https://example.org/spec — external, not hashable", // 3
      "- Standard XYZ — Location: TBD — pending", // 4
      "- [Gone](../../0_References/gone.pdf)", // 5
      "- [Decomposition again](../../../_Decomposition/Project_Decomposition.md#scope)", // 6
    ].join("\n");
    await write(join(del, "_REFERENCES.md"), references);
    const { hashes, notes } = await governedInputs(del, ["Missing.md", "Datasheet.md"]);
    deepStrictEqual(hashes, {
      "../../../_Decomposition/Project_Decomposition.md": await sha256(
        join(repo, "proj", "_Decomposition", "Project_Decomposition.md"),
      ),
      "../../0_References/gone.pdf": "TBD",
      "Datasheet.md": await sha256(join(del, "Datasheet.md")),
      "Missing.md": "TBD",
      "_REFERENCES.md": await sha256(join(del, "_REFERENCES.md")),
    });
    deepStrictEqual(notes.toSorted(), [
      "--input Missing.md: not found",
      "_REFERENCES.md line 3: external URL https://example.org/spec not hashed",
      '_REFERENCES.md line 4: placeholder "TBD" not hashed',
      "_REFERENCES.md line 5: ../../0_References/gone.pdf not found",
    ]);
    // Read, never written.
    strictEqual(await Deno.readTextFile(join(del, "_REFERENCES.md")), references);
    // A TBD line still counts in the composite: it differs from the one without.
    const withoutMissing: Record<string, string> = { ...hashes };
    delete withoutMissing["Missing.md"];
    ok(inputContextSha(hashes) !== inputContextSha(withoutMissing));
  });
});

Deno.test("governed inputs: an --input folder expands; RunRecords.csv is never governed", async () => {
  await withTempDir(async (repo) => {
    const { del } = await makeTree(repo);
    await write(join(del, "sub", "b.md"), "b\n");
    await write(join(del, "sub", "a", "c.md"), "c\n");
    await Deno.mkdir(join(del, "empty"));
    const { hashes, notes } = await governedInputs(del, ["sub", "empty", "."]);
    deepStrictEqual(Object.keys(hashes), [
      "Datasheet.md",
      "Specification.md",
      "_STATUS.md",
      "sub/a/c.md",
      "sub/b.md",
    ]);
    deepStrictEqual(notes, ["--input empty: folder holds no files"]);
  });
});

Deno.test("governed inputs: .runrec* folders inside an input folder are data, hashed; node_modules is named, not hashed; .git is neither", async () => {
  await withTempDir(async (repo) => {
    const { del } = await makeTree(repo);
    for (const sub of ["", "node_modules/", ".runrec-cache/", ".runrec/", ".git/"]) {
      await write(join(del, "data", `${sub}table.csv`), "v1\n");
    }
    const { hashes, notes } = await governedInputs(del, ["data"]);
    deepStrictEqual(Object.keys(hashes).filter((k) => k.startsWith("data/")), [
      "data/.runrec-cache/table.csv",
      "data/.runrec/table.csv",
      "data/table.csv",
    ]);
    deepStrictEqual(notes, [
      "--input data: folder data/node_modules holds installed packages: its files are not " +
      "hashed (name it as an input to hash them)",
    ]);
    const named = await governedInputs(del, ["data/node_modules"]);
    deepStrictEqual(Object.keys(named.hashes).filter((k) => k.startsWith("data/")), [
      "data/node_modules/table.csv",
    ]);
  });
});

Deno.test("governed inputs: a linked folder inside an input folder is named, not entered; named itself, its files are hashed", async () => {
  await withTempDir(async (repo) => {
    const { del } = await makeTree(repo);
    await write(join(repo, "shared", "s.md"), "s\n");
    await write(join(del, "inp", "a.md"), "a\n");
    await Deno.symlink(join(repo, "shared"), join(del, "inp", "linked"));
    const folder = await governedInputs(del, ["inp"]);
    deepStrictEqual(Object.keys(folder.hashes).filter((k) => k.startsWith("inp/")), ["inp/a.md"]);
    deepStrictEqual(folder.notes, [
      "--input inp: folder inp/linked is a symbolic link: its files are not hashed (name it as " +
      "an input to hash them)",
    ]);
    const link = await governedInputs(del, ["inp/linked"]);
    ok(Object.hasOwn(link.hashes, "inp/linked/s.md"), JSON.stringify(link.hashes));
    // One that leads out of the project: naming it alone would record TBD (trial-w F4).
    const outside = await tempDir();
    await Deno.symlink(outside, join(del, "inp", "out"));
    const out = await governedInputs(del, ["inp"]);
    ok(
      out.notes.some((n) =>
        n.startsWith(
          "--input inp: folder inp/out is a symbolic link: its files are not hashed " +
            "(it leads out of the ",
        ) && n.endsWith(": with --allow-outside, name it to hash them)")
      ),
      out.notes.join("\n"),
    );
    await Deno.remove(outside, { recursive: true });
  });
});

Deno.test("governed inputs: a linked or packages folder whose files are hashed through another path (an alias beside its target, or named as an input) is not unseen", async () => {
  await withTempDir(async (repo) => {
    const { del } = await makeTree(repo);
    await write(join(del, "refs", "v3", "iec.md"), "ed.3\n");
    await write(join(del, "refs", "node_modules", "std", "a.md"), "v1\n");
    await write(join(repo, "shared", "s.md"), "s\n");
    await Deno.symlink("v3", join(del, "refs", "current"));
    await Deno.symlink(join(repo, "shared"), join(del, "refs", "linked"));
    // `current -> v3`: every file of it is hashed under refs/v3; the two others are unseen.
    const alias = await governedInputs(del, ["refs"]);
    deepStrictEqual(
      alias.unseen,
      [
        "--input refs: folder refs/linked is a symbolic link: its files are not hashed (name it as " +
        "an input to hash them)",
        "--input refs: folder refs/node_modules holds installed packages: its files are not " +
        "hashed (name it as an input to hash them)",
      ].sort(),
    );
    deepStrictEqual(alias.notes.toSorted(), alias.unseen);
    // Named as the note says, they are hashed, and nothing is unseen or noted.
    const named = await governedInputs(del, ["refs", "refs/linked", "refs/node_modules"]);
    deepStrictEqual([named.unseen, named.notes], [[], []]);
    ok(Object.hasOwn(named.hashes, "refs/linked/s.md"), JSON.stringify(named.hashes));
    ok(Object.hasOwn(named.hashes, "refs/node_modules/std/a.md"), JSON.stringify(named.hashes));
  });
});

Deno.test("governed inputs: none at all gives InputContextSHA TBD", async () => {
  await withTempDir(async (dir) => {
    const { hashes, notes } = await governedInputs(dir, []);
    deepStrictEqual(hashes, {});
    deepStrictEqual(notes, []);
    strictEqual(inputContextSha(hashes), "TBD");
  });
});

Deno.test("governed inputs: a FIFO is named, hashed as TBD, and never opened", async () => {
  await withTempDir(async (dir) => {
    await sh(dir, 'mkfifo "$1"', ["pipe"]);
    await write(join(dir, "Spec.md"), "x");
    // Opening the FIFO would wait for a writer for ever: the test would time out.
    const { hashes, notes } = await governedInputs(dir, ["pipe", "Spec.md"]);
    strictEqual(hashes["pipe"], "TBD");
    strictEqual(hashes["Spec.md"].length, 64);
    deepStrictEqual(notes, ["--input pipe: not a regular file"]);
  });
});

Deno.test("relativePath gives POSIX paths relative to the deliverable folder", () => {
  strictEqual(
    relativePath("/p/PKG-01_P/1_Working/DEL-01-02_D", "/p/_Decomposition/X.md"),
    "../../../_Decomposition/X.md",
  );
  strictEqual(relativePath("/p/DEL-01-02_D/", "/p/DEL-01-02_D/a/b.md"), "a/b.md");
});

async function sha256(path: string): Promise<string> {
  return (await sh(".", 'sha256sum "$1"', [path])).slice(0, 64);
}

Deno.test("deliverableId reads the three _CONTEXT.md forms, else the folder name", async () => {
  await withTempDir(async (dir) => {
    const del = join(dir, "DEL-01-02_Label");
    await Deno.mkdir(del);
    deepStrictEqual(deliverableId(del), { id: "DEL-01-02" });
    deepStrictEqual(deliverableId(join(dir, "DEL-100-200")), { id: "DEL-100-200" });

    const forms = [
      "# Context — DEL-08-06\n\n**DeliverableID:** DEL-08-06\n**Name:** x\n",
      "# Context\n\n- **Deliverable ID:** DEL-08-06\r\n",
      "# Context: DEL-08-06\n\nText.\n",
      "# Context — DEL-08-06\n",
      "**Deliverable ID**: `DEL-08-06`\n",
    ];
    const differs = "_CONTEXT.md names DEL-08-06, the folder DEL-01-02: recorded DEL-08-06";
    for (const form of forms) {
      await Deno.writeTextFile(join(del, "_CONTEXT.md"), form);
      deepStrictEqual(deliverableId(del), { id: "DEL-08-06", note: differs }, form);
    }
    // A field wins over the heading.
    await Deno.writeTextFile(
      join(del, "_CONTEXT.md"),
      "# Context: DEL-01-02\n**DeliverableID:** DEL-01-02\n",
    );
    deepStrictEqual(deliverableId(del), { id: "DEL-01-02" });
    // No ID in _CONTEXT.md: the folder name, nothing to note.
    await Deno.writeTextFile(join(del, "_CONTEXT.md"), "# Context\n\nNothing here.\n");
    deepStrictEqual(deliverableId(del), { id: "DEL-01-02" });
    // Neither names an ID: not a deliverable folder, the one usage error.
    const plain = join(dir, "Some_Folder");
    await Deno.mkdir(plain);
    throws(() => deliverableId(plain), (error: Error) => {
      ok(error instanceof InputError);
      strictEqual(error.name, "InputError");
      ok(error.message.startsWith(`${plain}: not a deliverable folder: no deliverable ID`));
      return true;
    });
  });
});

Deno.test("deliverableId: a TBD or unreadable _CONTEXT.md falls back to the folder name, noted", async () => {
  await withTempDir(async (dir) => {
    const del = join(dir, "DEL-01-02_Label");
    await Deno.mkdir(del);
    const context = join(del, "_CONTEXT.md");
    await Deno.writeTextFile(context, "# Context\n**DeliverableID:** TBD\n");
    deepStrictEqual(deliverableId(del), {
      id: "DEL-01-02",
      note: '_CONTEXT.md line 2: DeliverableID "TBD" is not DEL-XX-YY; ' +
        "recorded DEL-01-02 from the folder name",
    });
    // A bad field, but the heading names the ID: the file's own declaration wins.
    await Deno.writeTextFile(context, "# Context: DEL-01-02\n**DeliverableID:** TBD\n");
    strictEqual(deliverableId(del).id, "DEL-01-02");
    strictEqual(
      deliverableId(del).note,
      '_CONTEXT.md line 2: DeliverableID "TBD" is not DEL-XX-YY',
    );
    // A folder where _CONTEXT.md should be.
    await Deno.remove(context);
    await Deno.mkdir(context);
    deepStrictEqual(deliverableId(del), {
      id: "DEL-01-02",
      note: "_CONTEXT.md: unreadable (not a regular file: a folder, FIFO or device); " +
        "recorded DEL-01-02 from the folder name",
    });
    // Binary content names no ID: the folder name.
    await Deno.remove(context);
    await Deno.writeFile(context, new Uint8Array([0xff, 0xfe, 0, 1, 2, 0x0d, 0x2a, 0x2a]));
    deepStrictEqual(deliverableId(del), { id: "DEL-01-02" });
    // No ID anywhere: a usage error that says why.
    const plain = join(dir, "Plain");
    await Deno.mkdir(plain);
    await Deno.writeTextFile(join(plain, "_CONTEXT.md"), "**DeliverableID:** TBD\n");
    throws(() => deliverableId(plain), (error: Error) => {
      ok(error instanceof InputError);
      ok(error.message.includes('DeliverableID "TBD" is not DEL-XX-YY'), error.message);
      return true;
    });
  });
});

Deno.test("findExecutionRoot finds the nearest ancestor with INIT.md or _Decomposition/", async () => {
  await withTempDir(async (repo) => {
    const { root, del } = await makeTree(repo);
    strictEqual(findExecutionRoot(del), root);
    // The folder itself does not count.
    await write(join(del, "INIT.md"), "not a root\n");
    strictEqual(findExecutionRoot(del), root);
    // _Decomposition/ marks a root too; an INIT.md folder or a _Decomposition file does not.
    const other = join(repo, "other");
    const otherDel = join(other, "PKG-02_Q", "1_Working", "DEL-02-01_X");
    await Deno.mkdir(join(other, "_Decomposition"), { recursive: true });
    await Deno.mkdir(join(other, "PKG-02_Q", "INIT.md"), { recursive: true });
    await write(join(other, "PKG-02_Q", "1_Working", "_Decomposition"), "a file\n");
    await Deno.mkdir(otherDel, { recursive: true });
    strictEqual(findExecutionRoot(otherDel), other);
    strictEqual(findGitRoot(otherDel), repo);
    strictEqual(findGitRoot(repo), repo);
    // Symbolic links count as what they lead to; a dangling one counts as nothing.
    const linked = join(repo, "linked");
    const linkedDel = join(linked, "PKG-03_L", "1_Working", "DEL-03-01_Y");
    await Deno.mkdir(linkedDel, { recursive: true });
    await Deno.symlink(join(root, "INIT.md"), join(linked, "PKG-03_L", "INIT.md"));
    await Deno.symlink(join(repo, "nowhere"), join(linked, "PKG-03_L", "1_Working", "INIT.md"));
    strictEqual(findExecutionRoot(linkedDel), join(linked, "PKG-03_L"));
  });
});

Deno.test("findGitRoot accepts a .git file (worktrees); none outside a work tree", async () => {
  await withTempDir(async (dir) => {
    await write(join(dir, "wt", ".git"), "gitdir: /elsewhere\n");
    await Deno.mkdir(join(dir, "wt", "a", "b"), { recursive: true });
    strictEqual(findGitRoot(join(dir, "wt", "a", "b")), join(dir, "wt"));
    const outside = findGitRoot(dir);
    ok(outside === undefined || !outside.startsWith(dir), `found ${outside}`);
  });
});

Deno.test("error classes carry their names", () => {
  strictEqual(new InputError("x").name, "InputError");
  strictEqual(new CheckFailure("y").name, "CheckFailure");
  ok(new CheckFailure("y") instanceof Error);
});

Deno.test("folderEntries names files, folders and others, links followed; nothing if unlistable", async () => {
  await withTempDir(async (dir) => {
    await write(join(dir, "a.md"), "");
    await Deno.mkdir(join(dir, "sub"));
    await Deno.symlink(join(dir, "sub"), join(dir, "link"));
    await Deno.symlink(join(dir, "nowhere"), join(dir, "dangling"));
    deepStrictEqual(
      [...folderEntries(dir)].sort(),
      [["a.md", "file"], ["dangling", "other"], ["link", "folder"], ["sub", "folder"]],
    );
    strictEqual(folderEntries(join(dir, "a.md")).size, 0);
  });
});
