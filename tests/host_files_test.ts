/**
 * Bad or odd host files never stop a run being recorded (issue 8, defect 7),
 * file names that are Object.prototype members are hashed like any other
 * (defect 11), and runrec's own files are never governed inputs (defect 12).
 * Through the real CLI, with real faults: another user, real symlinks, a path
 * longer than the system allows.
 *
 * @module
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { hashFile } from "../src/hash.ts";
import { isRunrecOwn } from "../src/inputs.ts";
import { type CliResult, emitArgs, runCli } from "./cli.ts";
import { runAsNobody } from "./support/nobody.ts";
import { makeProject } from "./fixtures.ts";

const decoder = new TextDecoder();

async function sh(cwd: string, script: string): Promise<void> {
  const { code, stderr } = await new Deno.Command("sh", { args: ["-c", script], cwd }).output();
  if (code !== 0) throw new Error(`sh failed: ${decoder.decode(stderr)}`);
}

async function withProject(fn: (root: string, del: string) => Promise<void>): Promise<void> {
  const { root, del } = await makeProject();
  try {
    await fn(root, del);
  } finally {
    // `rm -rf` removes trees deeper than PATH_MAX, which Deno.remove cannot.
    await sh("/", `chmod -R u+rwX '${root}' 2>/dev/null; rm -rf '${root}'`);
  }
}

function emit(del: string, ...extra: string[]): Promise<CliResult> {
  return runCli(emitArgs(del, "--no-fsync", ...extra));
}

/** The records in a deliverable's RunRecords.csv (header aside), as lines. */
async function recordLines(del: string): Promise<string[]> {
  const text = await Deno.readTextFile(join(del, "RunRecords.csv")).catch(() => "");
  return text.split("\n").slice(1).filter((line) => line !== "");
}

/** Lets user nobody read the project and write the deliverable folder. */
async function openToNobody(root: string, del: string): Promise<void> {
  await sh("/", `chmod -R a+rX '${root}' && chmod a+w '${del}'`);
}

// --- defect 7: bad host files never drop a record ---------------------------------------------

Deno.test("defect 7: **DeliverableID:** TBD records the run under the folder's ID, with a note", async () => {
  await withProject(async (_root, del) => {
    await Deno.writeTextFile(join(del, "_CONTEXT.md"), "# Context\n**DeliverableID:** TBD\n");
    const result = await emit(del, "--json");
    strictEqual(result.code, 0, result.stderr);
    const record = JSON.parse(result.stdout);
    strictEqual(record.DeliverableID, "DEL-01-02");
    ok(record.Notes.includes('_CONTEXT.md line 2: DeliverableID "TBD" is not DEL-XX-YY'));
    ok(record.Notes.includes("recorded DEL-01-02 from the folder name"), record.Notes);
    strictEqual((await recordLines(del)).length, 1);
  });
});

Deno.test("defect 7: a _CONTEXT.md that is a folder records the run, with a note", async () => {
  await withProject(async (_root, del) => {
    await Deno.remove(join(del, "_CONTEXT.md"));
    await Deno.mkdir(join(del, "_CONTEXT.md"));
    const result = await emit(del, "--json");
    strictEqual(result.code, 0, result.stderr);
    const record = JSON.parse(result.stdout);
    strictEqual(record.DeliverableID, "DEL-01-02");
    ok(record.Notes.includes("_CONTEXT.md: unreadable (not a regular file"), record.Notes);
    strictEqual((await recordLines(del)).length, 1);
  });
});

Deno.test("defect 7: an unreadable _CONTEXT.md (another user) records the run, with a note", async () => {
  await withProject(async (root, del) => {
    await openToNobody(root, del);
    await Deno.chmod(join(del, "_CONTEXT.md"), 0o600);
    const result = await runAsNobody(emitArgs(del, "--no-fsync"));
    strictEqual(result.code, 0, result.stderr);
    ok(result.stderr.includes("_CONTEXT.md: unreadable (PermissionDenied)"), result.stderr);
    const [line] = await recordLines(del);
    ok(line.includes(",DEL-01-02,"), line);
  });
});

Deno.test("defect 7: a reference to an ancestor folder whose listing fails (too long a path)", async () => {
  await withProject(async (root, del) => {
    // 25 levels of 200-character names: beyond PATH_MAX, so the walk cannot list the deepest.
    const name = "d".repeat(200);
    await sh(root, `mkdir -p ${Array(25).fill(name).join("/")}`);
    await Deno.writeTextFile(join(del, "_REFERENCES.md"), "# References\n\n- ../../../\n");
    const result = await emit(del, "--json");
    strictEqual(result.code, 0, result.stderr);
    const record = JSON.parse(result.stdout);
    ok(record.Notes.includes("_REFERENCES.md line 3: folder ../../../"), record.Notes);
    ok(Object.hasOwn(record.InputHashes, "../../../INIT.md"));
    ok(Object.keys(record.InputHashes).every((key) => !/^(\.\.\/)*\.\.$/.test(key)));
    strictEqual((await recordLines(del)).length, 1);
  });
});

Deno.test("defect 7: a reference to an ancestor folder another user cannot list", async () => {
  await withProject(async (root, del) => {
    await Deno.mkdir(join(root, "PKG-01_Pkg", "secret"));
    await Deno.writeTextFile(join(root, "PKG-01_Pkg", "secret", "a.md"), "a\n");
    await Deno.writeTextFile(join(del, "_REFERENCES.md"), "# References\n\n- ../../\n");
    await openToNobody(root, del);
    await Deno.chmod(join(root, "PKG-01_Pkg", "secret"), 0o700);
    const result = await runAsNobody(emitArgs(del, "--no-fsync"));
    strictEqual(result.code, 0, result.stderr);
    ok(
      result.stderr.includes("folder ../../secret cannot be listed: permission denied"),
      result.stderr,
    );
    strictEqual((await recordLines(del)).length, 1);
  });
});

Deno.test("defect 7: a folder of many unreadable files gives TBD for each and at most 20 notes", async () => {
  await withProject(async (root, del) => {
    const many = join(del, "many");
    await Deno.mkdir(many);
    for (let i = 0; i < 60; i++) await Deno.writeTextFile(join(many, `f${i}.md`), `${i}\n`);
    await Deno.writeTextFile(join(del, "_REFERENCES.md"), "# References\n\n- many/\n");
    await openToNobody(root, del);
    await sh(many, "chmod 600 *");
    const result = await runAsNobody(emitArgs(del, "--no-fsync"));
    strictEqual(result.code, 0, result.stderr);
    const notes = result.stderr.split("\n").filter((line) => line.startsWith("runrec: note:"));
    ok(notes.length <= 20, `${notes.length} notes`);
    ok(notes.at(-1)!.includes("more notes"), notes.at(-1));
    const [line] = await recordLines(del);
    strictEqual(line.match(/many\/f[0-9]+\.md=TBD/g)?.length, 60);
  });
});

Deno.test("defect 7: symlink loops, a binary _STATUS.md, a FIFO _REFERENCES.md: recorded", async () => {
  await withProject(async (_root, del) => {
    await Deno.mkdir(join(del, "loops"));
    await Deno.symlink("b", join(del, "loops", "a"));
    await Deno.symlink("a", join(del, "loops", "b"));
    await Deno.symlink("..", join(del, "loops", "up"));
    await Deno.symlink("self", join(del, "loops", "self"));
    await Deno.writeTextFile(join(del, "loops", "real.md"), "real\n");
    await Deno.writeTextFile(
      join(del, "_REFERENCES.md"),
      "# References\n\n- loops/\n- loops/self/x.md\n- loops/up/../x.md\n",
    );
    await Deno.writeFile(join(del, "_STATUS.md"), new Uint8Array([0, 0xff, 0xfe, 0x80, 13, 10]));
    const result = await emit(del, "--json");
    strictEqual(result.code, 0, result.stderr);
    const record = JSON.parse(result.stdout);
    strictEqual(record.StatusAfter, "TBD");
    ok(Object.hasOwn(record.InputHashes, "loops/real.md"));
    await Deno.remove(join(del, "_REFERENCES.md"));
    await sh(del, "mkfifo _REFERENCES.md");
    const second = await emit(del);
    strictEqual(second.code, 0, second.stderr);
    strictEqual((await recordLines(del)).length, 2);
  });
});

Deno.test("defect 7: no deliverable ID anywhere is the one usage error (exit 2)", async () => {
  await withProject(async (root) => {
    const plain = join(root, "PKG-01_Pkg", "1_Working", "Not_A_Deliverable");
    await Deno.mkdir(plain);
    await Deno.writeTextFile(join(plain, "_CONTEXT.md"), "**DeliverableID:** TBD\n");
    const result = await emit(plain);
    strictEqual(result.code, 2);
    ok(result.stderr.includes("not a deliverable folder"), result.stderr);
    strictEqual((await recordLines(plain)).length, 0);
  });
});

// --- defect 11: names of Object.prototype members -----------------------------------------------

const PROTOTYPE_NAMES = ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf"];

Deno.test("defect 11: files named like Object.prototype members are hashed, not TBD or dropped", async () => {
  await withProject(async (_root, del) => {
    for (const name of PROTOTYPE_NAMES) await Deno.writeTextFile(join(del, name), `${name}\n`);
    const args = PROTOTYPE_NAMES.flatMap((name) => ["--input", name, "--output", name]);
    // A missing one is TBD, named in Notes, not dropped.
    const result = await emit(del, ...args, "--input", "isPrototypeOf", "--json");
    strictEqual(result.code, 0, result.stderr);
    const record = JSON.parse(result.stdout);
    for (const name of PROTOTYPE_NAMES) {
      const hash = await hashFile(join(del, name));
      ok(Object.hasOwn(record.InputHashes, name), `InputHashes lacks ${name}`);
      ok(Object.hasOwn(record.OutputHashes, name), `OutputHashes lacks ${name}`);
      strictEqual(record.InputHashes[name], hash, `input ${name}`);
      strictEqual(record.OutputHashes[name], hash, `output ${name}`);
    }
    ok(Object.hasOwn(record.InputHashes, "isPrototypeOf"));
    strictEqual(record.InputHashes.isPrototypeOf, "TBD");
    ok(record.Notes.includes("--input isPrototypeOf: not found"), record.Notes);
    const validate = await runCli(["validate", del]);
    strictEqual(validate.code, 0, validate.stdout + validate.stderr);
    // `runrec hash` hashes them alike.
    const inputs = PROTOTYPE_NAMES.flatMap((name) => ["--input", name]);
    const hash = await runCli(["hash", del, ...inputs, "--json"]);
    strictEqual(hash.code, 0, hash.stderr);
    const { InputHashes } = JSON.parse(hash.stdout);
    for (const name of PROTOTYPE_NAMES) strictEqual(InputHashes[name], record.InputHashes[name]);
  });
});

// --- defect 12: runrec's own files are never governed inputs ------------------------------------

Deno.test("defect 12: --input . and _REFERENCES.md never govern RunRecords.csv, its lock, .runrec*", async () => {
  await withProject(async (_root, del) => {
    const hashJson = async (...extra: string[]) => {
      const result = await runCli(["hash", del, "--input", ".", ...extra, "--json"]);
      strictEqual(result.code, 0, result.stderr);
      return JSON.parse(result.stdout);
    };
    const before = await hashJson();
    // What runrec leaves in a deliverable folder, on one machine and not another.
    await Deno.mkdir(join(del, ".runrec-spool"));
    await Deno.writeTextFile(join(del, ".runrec-spool", "DEL-01-02-1.json"), "{}\n");
    await Deno.writeTextFile(join(del, "RunRecords.csv"), "SchemaVersion\n");
    await Deno.writeTextFile(join(del, "RunRecords.csv.lock"), "{}\n");
    await Deno.writeTextFile(join(del, ".runrec-state"), "x\n");
    await Deno.writeTextFile(
      join(del, "_REFERENCES.md"),
      "# References\n\n- [D](../../../_Decomposition/D.md)\n- `.runrec-spool/DEL-01-02-1.json`\n" +
        "- ./RunRecords.csv\n- `RunRecords.csv.lock`\n",
    );
    const referenced = await hashJson();
    // Reached directly too.
    const direct = await hashJson(
      "--input",
      ".runrec-spool",
      "--input",
      ".runrec-spool/DEL-01-02-1.json",
      "--input",
      "RunRecords.csv",
      "--input",
      join(del, "RunRecords.csv.lock"),
    );
    for (const result of [before, referenced, direct]) {
      const own = Object.keys(result.InputHashes).filter((path) => isRunrecOwn(del, path));
      deepStrictEqual(own, []);
    }
    const withoutRefs = (hashes: Record<string, string>) =>
      Object.fromEntries(Object.entries(hashes).filter(([k]) => k !== "_REFERENCES.md"));
    deepStrictEqual(withoutRefs(referenced.InputHashes), withoutRefs(before.InputHashes));
    deepStrictEqual(direct.InputHashes, referenced.InputHashes);
    ok(
      direct.Notes.some((n: string) => n.includes("RunRecords.csv is runrec's own")),
      direct.Notes,
    );
  });
});

Deno.test("defect 12: two emits with --input . record the same InputContextSHA", async () => {
  await withProject(async (_root, del) => {
    const first = JSON.parse((await emit(del, "--input", ".", "--json")).stdout);
    // The first emit created RunRecords.csv; a spool folder and its entries differ per machine.
    await Deno.mkdir(join(del, ".runrec-spool"));
    await Deno.writeTextFile(join(del, ".runrec-spool", "notes.txt"), "machine-local\n");
    const second = JSON.parse((await emit(del, "--input", ".", "--json")).stdout);
    strictEqual(second.InputContextSHA, first.InputContextSHA);
    deepStrictEqual(second.InputFiles, first.InputFiles);
    strictEqual((await recordLines(del)).length, 2);
  });
});

Deno.test("--output RunRecords.csv (or its lock) is runrec's own, not an output: left out with a note, so stale never calls it edited (trial-w F5)", async () => {
  await withProject(async (_root, del) => {
    await emit(del);
    const out = JSON.parse(
      (await emit(del, "--output", "RunRecords.csv", "--output", "_CONTEXT.md", "--json")).stdout,
    );
    deepStrictEqual(out.OutputFiles, ["_CONTEXT.md"]);
    ok(
      out.Notes.includes("--output RunRecords.csv: RunRecords.csv is runrec's own, not an output"),
    );
  });
});

Deno.test("isRunrecOwn: runrec's files in a deliverable folder and its temporary spool, nothing else", () => {
  // No such folder: only names decide (DEL-named folders are deliverable folders).
  const del = "/nowhere/PKG-01/1_Working/DEL-01-02_X";
  for (
    const own of [
      "RunRecords.csv",
      "RunRecords.csv.lock",
      "../DEL-01-03_X/RunRecords.csv",
      ".runrec-spool/a.json",
      ".runrec",
      "../../../../tmp/runrec-spool-1000/x.json",
    ]
  ) ok(isRunrecOwn(del, own), own);
  for (
    const other of [
      "RunRecords.md",
      "runrec.md",
      "x/runrec-spool.md",
      "Datasheet.md",
      "",
      // In an ordinary folder, that is no deliverable folder, these names are data.
      "data/RunRecords.csv",
      "sub/.runrec-spool",
      "../../../_Decomposition/RunRecords.csv",
    ]
  ) ok(!isRunrecOwn(del, other), other);
});
