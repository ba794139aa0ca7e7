/**
 * Commands runrec's messages tell the user to run, run as printed (only
 * placeholders such as `S` or `<the new RunID>` filled in) from where the
 * user was, in a project whose path holds a space: each must do what the
 * message says (suggested-commands F1-F11).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/suggested_commands_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { RUNREC_SH } from "./support/runs.ts";
import { emitArgs, runCli } from "./cli.ts";

interface Project {
  /** The deliverable folder, in a project whose path holds a space. */
  del: string;
  /** A folder outside the project, where the commands are run. */
  elsewhere: string;
  env: Record<string, string>;
}

async function project(): Promise<Project> {
  const { root, del } = await makeProject();
  const spaced = `${root} with space`;
  await Deno.rename(root, spaced);
  const bin = await tempDir({ prefix: "runrec-bin-" });
  await Deno.writeTextFile(join(bin, "runrec"), `#!/bin/sh\nexec ${RUNREC_SH} "$@"\n`);
  await Deno.chmod(join(bin, "runrec"), 0o755);
  const elsewhere = await tempDir({ prefix: "runrec-elsewhere-" });
  const env = {
    NO_COLOR: "1",
    PATH: `${bin}:${Deno.env.get("PATH")}`,
    TMPDIR: await tempDir({ prefix: "runrec-tmp-" }),
  };
  return { del: del.replace(root, spaced), elsewhere, env };
}

/** Runs `command` with `sh -c` in `cwd` (default: outside the project); its exit code and output. */
async function sh(command: string, { elsewhere, env }: Project, cwd = elsewhere) {
  const out = await new Deno.Command("sh", { args: ["-c", command], cwd, env })
    .output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** The command a message quotes after `lead`, up to the `)`, `;` or `,` that ends it. */
function quoted(message: string, lead: RegExp): string {
  const found = new RegExp(`${lead.source}((?:'[^']*'|[^\\s(),;])+(?: (?:'[^']*'|[^\\s(),;])+)*)`)
    .exec(message);
  assert(found !== null, message);
  return found[1];
}

async function recordCount(del: string): Promise<number> {
  const text = await Deno.readTextFile(join(del, RECORD_FILE));
  return text.split("\n").filter((line) => line.startsWith("v1.0,")).length;
}

Deno.test("suggested commands: the flush a merge conflict's refusal names, run from outside the project, appends the spooled record (F7)", async () => {
  const p = await project();
  const emit = `runrec emit '${p.del}' --agent 4_DOCUMENTS --status SUCCESS`;
  assertEquals((await sh(emit, p)).code, 0);
  const clean = await Deno.readTextFile(join(p.del, RECORD_FILE));
  await Deno.writeTextFile(join(p.del, RECORD_FILE), "<<<<<<< HEAD\n=======\n>>>>>>> dev\n", {
    append: true,
  });
  const refused = await sh(emit, p);
  assertEquals(refused.code, 0, refused.stderr);
  // What was spooled waits for the flush the spool's warning names (the refusal, which annotate
  // gives too, names none: annotate spools nothing, bad-input F3).
  const flush = quoted(refused.stderr, /until the next write or /);
  await Deno.writeTextFile(join(p.del, RECORD_FILE), clean); // the markers deleted, as told
  const flushed = await sh(flush, p);
  assertEquals(flushed.code, 0, flushed.stderr);
  assertEquals(await recordCount(p.del), 2, flushed.stdout);
});

Deno.test("suggested commands: the reap its hint names, run from the same folder, reaps the run started without --pid (F9)", async () => {
  const p = await project();
  const started = await sh(`runrec start '${p.del}' --agent 4_DOCUMENTS`, p);
  assertEquals(started.code, 0, started.stderr);
  const hinted = await sh(`runrec reap '${p.del}'`, p);
  const reap = quoted(hinted.stderr, /once their agents are gone, /);
  // With --json the run is in the document too, and the line on stderr stays (json-outputs F3).
  const json = await sh(`runrec reap '${p.del}' --json`, p);
  assertEquals(JSON.parse(json.stdout).unwatched.map((r: { agent: string }) => r.agent), [
    "4_DOCUMENTS",
  ]);
  assertEquals(quoted(json.stderr, /once their agents are gone, /), reap);
  // 0s: every run started is older, without a wait.
  const reaped = await sh(reap.replace("DURATION", "0s"), p);
  assertEquals(reaped.code, 0, reaped.stderr);
  assertEquals(await recordCount(p.del), 1, reaped.stdout + reaped.stderr);
});

Deno.test("suggested commands: the finish a RunID given for a token names, with its status, records the run pending there (F5)", async () => {
  const p = await project();
  const emitted = await sh(`runrec emit '${p.del}' --agent 4_DOCUMENTS --status SUCCESS`, p);
  const runId = emitted.stdout.trim();
  assertEquals((await sh(`runrec start '${p.del}' --agent 4_DOCUMENTS`, p)).code, 0);
  // From the folder holding the deliverable, where a RunID is looked for.
  const refused = await sh(
    `runrec finish ${runId} --agent 4_DOCUMENTS --status SUCCESS`,
    p,
    join(p.del, ".."),
  );
  assertEquals(refused.code, 2);
  const finish = quoted(refused.stderr, /pending there: 4_DOCUMENTS since \S+: /);
  const finished = await sh(finish.replace("--status S ...", "--status SUCCESS"), p);
  assertEquals(finished.code, 0, finished.stderr);
  assertEquals(await recordCount(p.del), 2);
});

Deno.test("suggested commands: the emit and annotate a late finish after reap names record its outcome and supersede the FAILED record (F6)", async () => {
  const p = await project();
  const started = await sh(`runrec start '${p.del}' --agent 4_DOCUMENTS`, p);
  const token = started.stdout.trim();
  assertEquals((await sh(`runrec reap '${p.del}' --older-than 0s`, p)).code, 0);
  await Deno.remove(join(p.del, ".runrec", "reaped"), { recursive: true });
  const late = await sh(`runrec finish '${token}' --status SUCCESS`, p);
  assertEquals(late.code, 2);
  const emit = quoted(late.stderr, /to record this outcome: /);
  const emitted = await sh(
    emit.replace("--agent NAME", "--agent 4_DOCUMENTS").replace(
      "--status S ...",
      "--status SUCCESS",
    ),
    p,
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  const annotate = quoted(late.stderr, /, then /).replace("<the new RunID>", emitted.stdout.trim());
  const annotated = await sh(annotate, p);
  assertEquals(annotated.code, 0, annotated.stderr);
  assertEquals(await recordCount(p.del), 3);
});

Deno.test("suggested commands: the flush a skipped tool root's note names, run from outside the project, appends its spooled record (F2)", async () => {
  const p = await project();
  const root = join(p.del, "..", "..", "..");
  const archived = join(root, "_Archive", "DEL-01-02_Thing");
  await Deno.mkdir(join(root, "_Archive"));
  await Deno.rename(p.del, archived);
  const emit = `runrec emit '${archived}' --agent 4_DOCUMENTS --status SUCCESS`;
  assertEquals((await sh(emit, p)).code, 0);
  const clean = await Deno.readTextFile(join(archived, RECORD_FILE));
  await Deno.writeTextFile(join(archived, RECORD_FILE), ">>>>>>> dev\n", { append: true });
  assertEquals((await sh(emit, p)).code, 0); // refused by the marker: spooled
  await Deno.writeTextFile(join(archived, RECORD_FILE), clean);
  const skipped = await sh(`runrec flush '${root}'`, p);
  const flush = quoted(skipped.stderr, /name it to flush it: /);
  const flushed = await sh(flush, p);
  assertEquals(flushed.code, 0, flushed.stderr);
  assertEquals(await recordCount(archived), 2, flushed.stdout);
});

Deno.test("suggested commands: the emit start names when it cannot keep the run records it (F1)", async () => {
  const p = await project();
  // Files where runrec's folders go: in the deliverable, and as the temporary folder.
  await Deno.writeTextFile(join(p.del, ".runrec"), "a file\n");
  const tmp = join(p.elsewhere, "tmp-file");
  await Deno.writeTextFile(tmp, "a file\n");
  const noTmp = { ...p, env: { ...p.env, TMPDIR: tmp } };
  const refused = await sh(`runrec start '${p.del}' --agent 4_DOCUMENTS`, noTmp);
  assertEquals(refused.code, 2, refused.stderr);
  const emit = quoted(refused.stderr, /record it at its end with /);
  await Deno.remove(join(p.del, ".runrec")); // room again: the run is recorded as told
  const emitted = await sh(emit.replace("--status S ...", "--status SUCCESS"), p);
  assertEquals(emitted.code, 0, emitted.stderr);
  assertEquals(await recordCount(p.del), 1);
});

Deno.test("suggested commands: annotate refused by a file it cannot append to names no flush, as it spools nothing (bad-input F3)", async () => {
  const p = await project();
  const emitted = await sh(`runrec emit '${p.del}' --agent 4_DOCUMENTS --status SUCCESS`, p);
  await Deno.writeTextFile(join(p.del, RECORD_FILE), ">>>>>>> other\n", { append: true });
  const refused = await sh(
    `runrec annotate '${p.del}' ${emitted.stdout.trim()} --note "checked"`,
    p,
  );
  assertEquals(refused.code, 2, refused.stderr);
  assertEquals(refused.stderr.includes("flush"), false, refused.stderr);
});

Deno.test("suggested commands: the annotate a warning names for a folder whose name holds a tab and a line break, run by bash as printed, invalidates the record; in single quotes it named '\\t' (trial-38 F5)", async () => {
  const p = await project();
  const del = `${p.del}\tA\nB`;
  await Deno.rename(p.del, del);
  const emitted = await runCli([...emitArgs(del), "--input", "Datasheet.mdd"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  const annotate = quoted(emitted.stderr, /take it back: /);
  assert(!annotate.includes("\n"), annotate); // the message stays on one line
  const out = await new Deno.Command("bash", {
    args: ["-c", annotate],
    cwd: p.elsewhere,
    env: p.env,
  })
    .output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assertEquals(await recordCount(del), 2);
});
