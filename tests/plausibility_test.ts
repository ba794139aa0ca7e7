/**
 * Implausible times given to `emit` are refused with one line and exit 2,
 * nothing written; records holding them fail validation (issue 8, defect 18).
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { emitArgs, runCli } from "./cli.ts";
import { git, makeProject, sampleRecord } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";
import { validateRecord } from "../src/schema.ts";

Deno.test("plausibility: emit refuses future, year-0000/9999 starts and inexact or absurd durations", async () => {
  const { root, del } = await makeProject();
  const future = new Date(Date.now() + 3_600_000).toISOString();
  const cases: [string[], RegExp][] = [
    [["--started", future], /--started: .* is in the future/],
    [
      ["--started", new Date(Date.now() - 60_000).toISOString(), "--duration", "PT10H"],
      /--started .* and a duration of PT10H end in the future/,
    ],
    [["--started", "0000-01-01T00:00:00Z"], /--started: must be in the years 2000 to 2999/],
    [["--started", "9999-12-31T23:59:59Z"], /--started: must be in the years 2000 to 2999/],
    [["--duration-ms", "1.5"], /--duration-ms: must be a whole number of milliseconds/],
    [["--duration", "P99999999999D"], /--duration must be at most ten years/],
    [
      ["--duration", "PT0.0015S"],
      /--duration: expected an ISO 8601 duration .* exact to the millisecond, got "PT0\.0015S"/,
    ],
  ];
  for (const [extra, message] of cases) {
    const { code, stdout, stderr } = await runCli(emitArgs(del, ...extra));
    assertEquals(code, 2, `${extra.join(" ")}: ${stderr}`);
    assertEquals(stdout, "");
    assertMatch(stderr, message);
    assertEquals(stderr.trim().split("\n").length, 1, stderr);
  }
  let written = true;
  try {
    await Deno.stat(join(del, "RunRecords.csv"));
  } catch {
    written = false;
  }
  assert(!written, "a refused emit wrote the record file");
  // Recorded exactly: 1 ms is PT0.001S, and a start within the past stays as given.
  const ok = await runCli(
    emitArgs(del, "--duration-ms", "1", "--started", "2026-02-22T10:15:00.123+01:00", "--json"),
  );
  assertEquals(ok.code, 0, ok.stderr);
  const record = JSON.parse(ok.stdout);
  assertEquals(record.RunDuration, "PT0.001S");
  assertEquals(record.RunTimestamp, "2026-02-22T09:15:00.123Z");
  await Deno.remove(root, { recursive: true });
});

Deno.test("plausibility: records with implausible times fail validation; a long field alone does not", () => {
  const problem = (overrides: Parameters<typeof sampleRecord>[0]) =>
    validateRecord(sampleRecord(overrides))[0];
  assertMatch(
    problem({ RunTimestamp: "9999-02-22T10:15:00Z" })?.message ?? "",
    /years 2000 to 2999/,
  );
  assertEquals(problem({ RunDuration: "PT0.0001S" })?.field, "RunDuration");
  assertEquals(problem({ RunDuration: "P99999999999D" })?.field, "RunDuration");
  // A field is bounded only by its record's line (SCHEMA.md 6.5), which the writer checks.
  assertEquals(problem({ Notes: "x".repeat(1_000_000) }), undefined);
});

Deno.test("plausibility: an --error given for a SUCCESS or SKIPPED run goes to Notes; ErrorSummary stays empty", async () => {
  const { root, del } = await makeProject();
  for (const status of ["SUCCESS", "SKIPPED"]) {
    const out = await runCli([
      "emit",
      del,
      "--agent",
      "4_DOCUMENTS",
      "--status",
      status,
      "--error",
      "disk nearly full",
      "--json",
    ]);
    assertEquals(out.code, 0, out.stderr);
    const record = JSON.parse(out.stdout);
    assertEquals([record.RunStatus, record.ErrorSummary], [status, ""]);
    assertMatch(
      record.Notes,
      new RegExp(`--error given for a ${status} run, kept here: disk nearly full`),
    );
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("plausibility: emit --started over an hour ago without --duration warns once, naming the duration recorded and how to give the real one; the record is written (trial-day 1, review-g 5)", async () => {
  const { del } = await makeProject();
  const ago = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
  const warningsOf = async (...extra: string[]) => {
    const { code, stderr } = await runCli(emitArgs(del, ...extra));
    assertEquals(code, 0, stderr);
    return stderr.split("\n").filter((l) => l.includes("without --duration"));
  };
  const long = ago(49);
  const [warned, ...more] = await warningsOf("--started", long);
  assertEquals(more, []);
  const records = await recordsOf(del);
  const recorded = records.at(-1)!.RunDuration;
  assertMatch(recorded, /^PT49H(\d+(\.\d+)?S)?$/); // the milliseconds the command took
  assertEquals(
    warned,
    `runrec: warning: --started ${long} without --duration: RunDuration recorded as ${recorded} ` +
      "(2.0 days, from --started to now); if the run took that long, nothing to do; if it took " +
      "less (a run recorded late), record it again with --duration (how long it took, e.g. " +
      "--duration 45m) and mark this record superseded: runrec annotate " +
      `${del} <new RunID> --supersedes ${records.at(-1)!.RunID} --note "real duration"`,
  );
  // The advice, followed as written, is taken (review-i 9).
  await runCli(emitArgs(del, "--started", long, "--duration", "45m"));
  const [late, again] = (await recordsOf(del)).slice(-2).map((r) => r.RunID);
  const followed = await runCli(
    ["annotate", del, again, "--supersedes", late, "--note", "real duration"],
  );
  assertEquals(followed.code, 0, followed.stderr);
  // A duration given, or a start within the hour: nothing said; two hours ago, said (a backfill of
  // this morning's run: trial-pipeline2 4), in hours, and that a run that long needs nothing done
  // (the agent protocol's own emit --started, review-k 9).
  assertEquals(await warningsOf("--started", ago(49), "--duration", "45m"), []);
  assertEquals(await warningsOf("--started", ago(49), "--duration-ms", "1000"), []);
  assertEquals(await warningsOf("--started", ago(0.9)), []);
  const [hours] = await warningsOf("--started", ago(2));
  assertIncludes(
    hours,
    "(2.0 hours, from --started to now); if the run took that long, nothing to do",
  );
  assertEquals((await recordsOf(del)).length, 7); // 5 runs, the re-recorded one, its annotation
});

Deno.test("plausibility: emit --started of a run whose input changed after it ended warns naming the input (its hash is today's, not what the run read); one unchanged since, or no --started, says nothing (trial-pipeline3 F4)", async () => {
  const { del } = await makeProject();
  const spec = join(del, "Spec.md");
  await Deno.writeTextFile(spec, "spec v1\n");
  const ago = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
  const warned = async (...extra: string[]) => {
    const { code, stderr } = await runCli(emitArgs(del, "--input", "Spec.md", ...extra));
    assertEquals(code, 0, stderr);
    return stderr.split("\n").filter((l) => l.includes("changed after the run ended"));
  };
  const [warning, ...more] = await warned("--started", ago(5), "--duration", "20m");
  assertEquals(more, []);
  assertIncludes(warning, "Spec.md changed after the run ended");
  assertEquals(await warned(), []);
  // Modified before the run ended (a run that ends now): nothing to say.
  assertEquals(await warned("--started", ago(0.05)), []);
  // Touched since (a clone, a checkout) but as git committed it before the run ended: nothing to
  // say (review-m F4); its bytes changed since that commit: said.
  const root = join(del, "..", "..", "..");
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  const sixHoursAgo = `@${Math.floor(Date.now() / 1000) - 6 * 3600} +0000`;
  await new Deno.Command("git", {
    args: ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "six hours ago"],
    cwd: root,
    env: { GIT_COMMITTER_DATE: sixHoursAgo, GIT_AUTHOR_DATE: sixHoursAgo },
  }).output();
  await Deno.utime(spec, new Date(), new Date());
  assertEquals(await warned("--started", ago(5), "--duration", "20m"), []);
  await Deno.writeTextFile(spec, "spec v2\n");
  assertEquals((await warned("--started", ago(5), "--duration", "20m")).length, 1);
});
