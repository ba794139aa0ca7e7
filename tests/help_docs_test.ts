/**
 * Each command's --help is short (usage, a few lines, options, examples, exit codes) and points to
 * the section of SCHEMA.md or docs/ that holds the detail; the detail it points to is there.
 */
import { join } from "node:path";
import { COMMANDS } from "../src/cli/main.ts";
import { makeProject, ROOT, tempDir } from "./fixtures.ts";
import { commandDetail, schemaParagraph } from "./support/doc_prose.ts";
import { whileReadOnly } from "./support/read_only.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";

/**
 * Every place src/spool.ts (or src/spool_flush.ts) refuses a spooled entry or a --from line, by a piece of its message,
 * and the reason and remedy SCHEMA.md 7.3 lists for it.
 */
const SPOOL_REFUSALS: [string, string][] = [
  ['"not a spool entry"', "is not a spool entry runrec wrote"],
  ['"recordFile is not an absolute path"', "or names no RunRecords.csv"],
  ["is not a ${RECORD_FILE}", "or names no RunRecords.csv"],
  ['"it holds no record"', "(a link or folder in its place, no id, no record)"],
  ["is not this deliverable's", "in a deliverable's own .runrec-spool/, another's"],
  ['"it has no id"', "(a link or folder in its place, no id, no record)"],
  ["is not a deliverable folder", "its recordFile's folder is not a deliverable folder"],
  ["correct the one that is wrong", "correct the one that is wrong"],
  ["not a spool entry runrec wrote (remove it", "a link or folder in its place"],
  ["not replayed: the folder is", "or (the user's spool) is another user's or open to others"],
  ["cannot list:", "its spool folder cannot be listed"],
  ["cannot be claimed for replay", "it cannot be claimed"],
  ["still not written after", "STUCK after three failures): the error is named"],
  ["spooled record(s) not replayed", "its append failed (the lock held past the wait"],
  ["lost records not replayed", "its append failed (the lock held past the wait"],
  [
    "STUCK: ${path}: its deliverable folder",
    "its deliverable folder is gone (renamed, moved or removed)",
  ],
  [
    "${line}: not replayed: its deliverable folder",
    "(a --from line: set its recordFile to that folder's",
  ],
  ["not a lost record", "it cannot be read"],
  ["not replayed: ${taken.message}", "is another record's in the file now"],
];

/** Lines of src/spool.ts that carry a reason one of the refusals above gives, adding none. */
const CARRIERS = ["not replayed: ${wrong}", ": ${item.problem}`", '? "STUCK: " : ""'];

/** The text of the function `name` of `source`, from its declaration to its closing brace. */
function functionText(source: string, name: string): string {
  const at = source.indexOf(`function ${name}(`);
  assert(at >= 0, `src/spool.ts has no function ${name}`);
  return source.slice(at, source.indexOf("\n}\n", at));
}

Deno.test("every refusal of a spooled entry or --from line in src/spool.ts is listed, with its remedy, in SCHEMA.md 7.3, where flush --help points", async () => {
  // src/spool_flush.ts holds flush's replays (apart, so that an emit does not load them).
  const source = await Deno.readTextFile(join(ROOT, "src", "spool.ts")) +
    await Deno.readTextFile(join(ROOT, "src", "spool_flush.ts"));
  const refusing = functionText(source, "entryProblem") +
    functionText(source, "foreignDeliverable");
  const sites = [
    ...[...refusing.matchAll(/return\s+([`"][^;]*);/g)].map((m) => m[1]),
    ...source.split("\n").filter((line) =>
      /["`]/.test(line) && !/^\s*(\/\/|\*)/.test(line) &&
      /not replayed|STUCK: |cannot list:|not a lost record/.test(line)
    ),
  ];
  const undocumented = sites.filter((site) =>
    ![...SPOOL_REFUSALS.map(([key]) => key), ...CARRIERS].some((key) => site.includes(key))
  );
  assertEquals(undocumented, [], "a refusal to add to SCHEMA.md 7.3's list and to SPOOL_REFUSALS");
  const stale = [...SPOOL_REFUSALS.map(([key]) => key), ...CARRIERS]
    .filter((key) => !source.includes(key));
  assertEquals(stale, [], "SPOOL_REFUSALS names a message src/spool.ts no longer has");
  const replaying = await schemaParagraph("7.3");
  for (const [, documented] of SPOOL_REFUSALS) assertIncludes(replaying, documented);
});

/** Each command runrec --help lists. */
async function commands(): Promise<string[]> {
  const usage = (await runCli(["--help"])).stdout;
  return [...usage.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]);
}

Deno.test("every command's --help is at most 45 lines, gives its exit codes, and each section of a document it points to is there", async () => {
  const names = await commands();
  assert(names.includes("flush") && names.includes("agents"), names.join(" "));
  let sections = 0;
  for (const name of names) {
    const help = (await runCli([name, "--help"])).stdout;
    const lines = help.trimEnd().split("\n").length;
    assert(lines <= 45, `runrec ${name} --help: ${lines} lines`);
    assertIncludes(help, "Exit codes:");
    const flat = help.replaceAll(/\s+/g, " ");
    for (const [, file, heading] of flat.matchAll(/((?:docs\/)?[A-Z_]+\.md),? "([^"]+)"/g)) {
      const doc = await Deno.readTextFile(join(ROOT, file));
      assert(
        new RegExp(`^#{2,3} \`?${heading.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")}\`?`, "m")
          .test(doc.replaceAll(/^(#+ )`([^`]+)`/gm, "$1$2")),
        `runrec ${name} --help points to ${file}, "${heading}": no such section`,
      );
      sections++;
    }
    for (const [, number] of flat.matchAll(/SCHEMA\.md (\d+\.\d+)/g)) {
      await schemaParagraph(number);
    }
    // "docs/AGENT_PROTOCOL.md, sections 4, 5", "SCHEMA.md, sections 2 and 8": each is a section.
    for (
      const [, file, list] of flat.matchAll(/((?:docs\/)?[A-Z_]+\.md),? sections? ([\d, and]+)/g)
    ) {
      const doc = await Deno.readTextFile(join(ROOT, file));
      for (const number of list.match(/\d+/g) ?? []) {
        assert(
          new RegExp(`^## ${number}\\. `, "m").test(doc),
          `runrec ${name} --help points to ${file}, section ${number}: no such section`,
        );
        sections++;
      }
    }
  }
  assert(sections >= 14, `only ${sections} sections pointed to`);
});

Deno.test("every option a command's parser takes, and its one-letter alias, is in its --help", async () => {
  let options = 0;
  for (const entry of COMMANDS) {
    const { help, options: specs } = await entry.load();
    const missing = Object.entries(specs).flatMap(([name, spec]) => {
      options++;
      const long = new RegExp(`--${name}(?![a-z-])`).test(help) ? [] : [`--${name}`];
      const short = spec.short === undefined ||
          new RegExp(`(^|[\\s,[|(])-${spec.short}(?![\\w-])`, "m").test(help)
        ? []
        : [`-${spec.short}`];
      return [...long, ...short];
    });
    assertEquals(missing, [], `runrec ${entry.name} --help lacks an option its parser takes`);
  }
  assert(options >= 80, `only ${options} options found`);
});

/** The "Exit codes:" paragraph of a help text, on one line. */
function exitCodes(help: string): string {
  return (help.split("Exit codes:")[1] ?? "").split("\n\n")[0].replaceAll(/\s+/g, " ").trim();
}

Deno.test("start, finish, hash and flush exit 2 in cases their --help now names: a run that cannot be kept or claimed (its folder read-only, $TMPDIR unwritable), a folder that is no deliverable's, a list file that cannot be read", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const env = { TMPDIR: tmp };
  const started = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"], undefined, env);
  assertEquals(started.code, 0, started.stderr);
  const [kept, claimed] = await whileReadOnly(del, () =>
    whileReadOnly(tmp, async () => [
      await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"], undefined, env),
      await runCliProcess(["finish", started.stdout.trim(), "--status", "SUCCESS"], undefined, env),
    ]));
  assertEquals(kept.code, 2, kept.stderr);
  assertIncludes(kept.stderr, "the run cannot be kept");
  assertEquals(claimed.code, 2, claimed.stderr);
  assertIncludes(claimed.stderr, "the run stays pending");
  const noDeliverable = await runCli(["hash", root]);
  assertEquals(noDeliverable.code, 2, noDeliverable.stderr);
  assertIncludes(noDeliverable.stderr, "not a deliverable folder");
  const none = join(root, "none.txt");
  assertEquals((await runCli(["hash", del, "--inputs-from", none])).code, 2);
  assertEquals((await runCli(["flush", "--from", none])).code, 2);
  const named: [string, string][] = [
    ["start", "a run that cannot be kept (its folder and $TMPDIR unwritable)"],
    ["finish", "a run that cannot be claimed (its folder read-only and $TMPDIR unwritable)"],
    ["hash", "a missing folder or one that is no deliverable's"],
    ["hash", "an --inputs-from list that cannot be read"],
    ["flush", "a --from file that cannot be read"],
  ];
  for (const [command, text] of named) {
    assertIncludes(exitCodes((await runCli([command, "--help"])).stdout), text);
  }
  assertIncludes(await commandDetail("start"), "Where neither can hold it, start exits 2");
  assertIncludes(await commandDetail("finish"), "cannot be made in $TMPDIR either, finish exits 2");
  await Deno.remove(root, { recursive: true });
  await Deno.remove(tmp, { recursive: true });
});
