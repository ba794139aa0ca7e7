/**
 * Stop 47's new users: an operator installing runrec for CI, a lineage engineer exporting the
 * runs, and an agent recovering from its own mistakes, each from the docs and messages alone;
 * and the item stop 46 left. Each test is one friction they met, which failed before its fix.
 */
import { join } from "node:path";
import { runCli } from "./cli.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { copyTree, DELIVERABLES, EXAMPLES_DIR, SCRIPT, WORKING_DIR } from "../scripts/demo.ts";
import { assertEquals } from "./assert.ts";

/** Records a run of `agent` in `del` with emit, and returns its RunID. */
async function emitted(del: string, agent = "4_DOCUMENTS"): Promise<string> {
  const run = await runCli(["emit", del, "--agent", agent, "--status", "SUCCESS"]);
  assertEquals(run.code, 0, run.stderr);
  return run.stdout.trim();
}

Deno.test("annotate --supersedes OLD, OLD a run of another deliverable or of no run, names --supersedes as the RunID at fault, and never sends the agent to annotate in OLD's folder (newuser-47 F1)", async () => {
  const { root, del } = await makeProject();
  const other = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_Other");
  await Deno.mkdir(other, { recursive: true });
  const newer = await emitted(del);
  const elsewhere = await emitted(other);
  const file = join(del, "RunRecords.csv");
  const before = await Deno.readTextFile(file);
  const cross = await runCli([
    ...["annotate", del, newer, "--supersedes", elsewhere, "--note", "rerun"],
  ]);
  assertEquals(cross.code, 2, cross.stderr);
  // OLD's folder is named as runrec finds it, relative to where it runs.
  assertEquals(
    cross.stderr.replace(/ \(\S*DEL-01-03_Other\)/, " (…)"),
    `runrec annotate: --supersedes: ${elsewhere} is not a run in ${file}: it is a run of ` +
      "DEL-01-03 (…), not of DEL-01-02; a run supersedes only a run of its own deliverable; " +
      "nothing written\n",
  );
  const gone = newer.replace(/-\d{3}$/, "-009");
  const missing = await runCli(["annotate", del, newer, "--supersedes", gone, "--note", "rerun"]);
  assertEquals(missing.code, 1, missing.stderr);
  assertEquals(
    missing.stderr.startsWith(`runrec annotate: --supersedes: ${gone} is not a run in ${file}`),
    true,
    missing.stderr,
  );
  // The run annotated (not OLD) given wrong keeps its own advice.
  const own = await runCli(["annotate", del, elsewhere, "--note", "wrong input"]);
  assertEquals(own.code, 2, own.stderr);
  assertEquals(
    own.stderr.endsWith("annotate it in its own deliverable folder\n"),
    true,
    own.stderr,
  );
  assertEquals(await Deno.readTextFile(file), before);
});

Deno.test("the demo's DEPENDENCIES agent writes v3.1 registers for DEL-01-01 and DEL-01-02, so stale --propagate on the demo's folder follows them without a warning (newuser-47 F2, stop 46's left item)", async () => {
  const root = join(await tempDir({ prefix: "runrec-newuser47-" }), "examples");
  await copyTree(EXAMPLES_DIR, root);
  const folder = (id: keyof typeof DELIVERABLES) => join(root, WORKING_DIR, DELIVERABLES[id]);
  // Each DEPENDENCIES step of the demo, played as the demo's agent plays it, then recorded.
  const steps = SCRIPT.filter((step) => step.agent === "DEPENDENCIES");
  assertEquals(steps.map((step) => step.deliverable), ["DEL-01-01", "DEL-01-02"]);
  for (const step of steps) {
    const dir = folder(step.deliverable);
    const read = new Map<string, string>();
    for (const input of step.inputs) {
      read.set(input, await Deno.readTextFile(join(dir, input)).catch(() => ""));
    }
    await step.play(dir, read);
    await emitted(dir, "DEPENDENCIES");
  }
  await emitted(folder("DEL-01-03"), "DEPENDENCIES");
  const clean = await runCli(["stale", root, "--propagate"]);
  assertEquals([clean.code, clean.stderr], [0, ""]);
  // DEL-01-02 runs again: DEL-01-03 consumes it, as both registers say, so it is STALE.
  await emitted(folder("DEL-01-02"));
  const after = await runCli(["stale", root, "--propagate", "--json"]);
  assertEquals([after.code, after.stderr], [1, ""]);
  const report = JSON.parse(after.stdout);
  assertEquals(report.warnings, []);
  assertEquals(report.stale.map((s: { deliverableId: string }) => s.deliverableId), ["DEL-01-03"]);
});

Deno.test("--agent written as prose (4 DOCUMENTS, an accented letter) names the agent name it most likely meant, for start, emit and exec; nothing recorded (newuser-47 F3)", async () => {
  const { del } = await makeProject();
  for (
    const [given, meant] of [["4 DOCUMENTS", "4_DOCUMENTS"], ["DOCUMENTÉ", "DOCUMENTE"], [
      " CHIRALITY  LENS ",
      "CHIRALITY_LENS",
    ]]
  ) {
    for (
      const words of [
        ["start", del, "--agent", given],
        ["emit", del, "--agent", given, "--status", "SUCCESS"],
        ["exec", del, "--agent", given, "--", "true"],
      ]
    ) {
      const run = await runCli(words);
      assertEquals(run.code, 2, run.stderr);
      assertEquals(
        run.stderr,
        `runrec ${words[0]}: --agent must be an agent name of 1 to 64 ASCII letters, digits, ` +
          `_ . - starting with a letter or digit, got ${JSON.stringify(given)} (did you mean ` +
          `${meant}?)\n`,
      );
    }
  }
  // A name no such change mends gets no guess.
  const slash = await runCli(["emit", del, "--agent", "4/DOCUMENTS", "--status", "SUCCESS"]);
  assertEquals([slash.code, slash.stderr.includes("did you mean")], [2, false]);
  assertEquals(await Deno.stat(join(del, "RunRecords.csv")).then(() => true, () => false), false);
});

Deno.test("export --namespace pasted with a last / or blanks around it (github.com/acme/plant/) is refused naming the namespace meant, since its runIds would all differ from the project's; exit 2, nothing written (newuser-47 F4)", async () => {
  const { root, del } = await makeProject();
  await emitted(del);
  const out = join(root, "lineage.jsonl");
  for (
    const [given, what] of [
      ["github.com/acme/plant/", "ends in /"],
      [" github.com/acme/plant", "has blanks around it"],
      ["github.com/acme/plant ", "has blanks around it"],
    ]
  ) {
    for (const format of ["openlineage", "prov"]) {
      const run = await runCli([
        ...["export", root, "--format", format, "--namespace", given, "--out", out],
      ]);
      assertEquals(run.code, 2, run.stderr);
      assertEquals(
        run.stderr,
        `runrec export: --namespace ${JSON.stringify(given)} ${what}: every runId and name would ` +
          "differ from those of an export with github.com/acme/plant, the same project; give " +
          "github.com/acme/plant (see runrec export --help)\n",
      );
    }
  }
  assertEquals(await Deno.stat(out).then(() => true, () => false), false);
  // The namespace meant exports, as before.
  const meant = await runCli([
    ...["export", root, "--format", "openlineage", "--namespace", "github.com/acme/plant"],
  ]);
  assertEquals(meant.code, 0, meant.stderr);
  assertEquals(JSON.parse(meant.stdout.split("\n")[0]).job.namespace, "github.com/acme/plant");
});

Deno.test("annotate given a RunID one edit off offers only the records it could take: for --supersedes no annotation and not the superseding run itself; an annotation only with --invalidates (newuser-47 F5)", async () => {
  const { del } = await makeProject();
  const first = await emitted(del);
  const second = await emitted(del);
  const note = await runCli(["annotate", del, first, "--note", "checked"]);
  assertEquals(note.code, 0, note.stderr);
  const annotation = note.stdout.trim();
  // SEQ 000 is one edit from each record of the first's minute (a minute may pass between them).
  const typo = first.replace(/-\d{3}$/, "-000");
  const file = join(del, "RunRecords.csv");
  const offered = async (words: string[]) => {
    const run = await runCli(["annotate", del, ...words]);
    assertEquals(run.code, 1, run.stderr);
    return /did you mean (.*)\?\)\n$/.exec(run.stderr)?.[1] ?? "";
  };
  const minute = typo.slice(0, -3);
  const sameMinute = [first, second, annotation].filter((id) => id.startsWith(minute));
  const runsThere = sameMinute.filter((id) => id !== annotation);
  // --supersedes: neither the annotation nor the superseding run (second) is offered.
  assertEquals(
    await offered([second, "--supersedes", typo, "--note", "rerun"]),
    runsThere.filter((id) => id !== second).join(" or "),
  );
  // The RUNID annotated: runs, not the annotation; with --invalidates the annotation too.
  assertEquals(await offered([typo, "--note", "x"]), runsThere.join(" or "));
  // A RunID cut short (SEQ 00, not a RunID's shape: exit 2) is offered the same records.
  const cut = await runCli(["annotate", del, second, "--supersedes", `${minute}00`, "--note", "x"]);
  assertEquals(cut.code, 2, cut.stderr);
  assertEquals(
    /did you mean (.*)\? \(see/.exec(cut.stderr)?.[1] ?? "",
    runsThere.filter((id) => id !== second).join(" or "),
    cut.stderr,
  );
  const withdraw = await offered([typo, "--invalidates", "--note", "x"]);
  assertEquals(withdraw.includes(annotation), sameMinute.includes(annotation), withdraw);
  assertEquals((await Deno.readTextFile(file)).split("\n").length, 5);
});

Deno.test("log --since '2 hours ago' names the duration it takes (2h), as reap and emit do for '2 hours'; emit --started '2026-12-06 12:00' shows the date-time form with its zone (newuser-47 F6)", async () => {
  const { del } = await makeProject();
  await emitted(del);
  for (
    const [given, meant] of [["2 hours ago", "2h"], ["30 min ago", "30m"], ["1 day ago", "1d"]]
  ) {
    const run = await runCli(["log", del, "--since", given]);
    assertEquals(run.code, 2, run.stderr);
    assertEquals(
      run.stderr.endsWith(
        `got ${JSON.stringify(given)} (did you mean ${meant}?) ` +
          "(see runrec log --help)\n",
      ),
      true,
      run.stderr,
    );
    // The duration offered is one log takes.
    const taken = await runCli(["log", del, "--since", meant, "--format", "json"]);
    assertEquals([taken.code, JSON.parse(taken.stdout).length], [0, 1]);
  }
  const file = join(del, "RunRecords.csv");
  const before = await Deno.readTextFile(file);
  const started = await runCli([
    ...["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--started"],
    "2026-12-06 12:00",
  ]);
  assertEquals(started.code, 2, started.stderr);
  assertEquals(
    started.stderr,
    "runrec emit: --started: not an ISO 8601 date-time with zone, like 2026-02-22T10:15:00Z (UTC) " +
      'or 2026-02-22T11:15:00+01:00: "2026-12-06 12:00"\n',
  );
  assertEquals(await Deno.readTextFile(file), before);
});
