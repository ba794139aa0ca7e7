/**
 * reviewverdict58: the verdict cache (src/verdict_cache.ts, src/observed.ts) and the hash cache it
 * shares its file rules with (src/git_folder_file.ts), attacked where a kept answer could be given
 * to a run that judging afresh would answer otherwise.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { HASH_CACHE_FILE } from "../src/hash_cache.ts";
import { VERDICT_CACHE_FILE } from "../src/verdict_cache.ts";
import { memoLookups } from "../src/lookups.ts";
import { answerer, recording } from "../src/observed.ts";
import { tempDir } from "./fixtures.ts";
import { agedRoot } from "./support/aged_root.ts";
import { runAsNobody } from "./support/nobody.ts";
import { sh } from "./support/sh.ts";
import { assert, assertEquals } from "./assert.ts";
import { runCliProcess } from "./cli.ts";

Deno.test("reviewverdict58: another user is not given the caches' answers about a file only their writer may read", async () => {
  // An input of DEL-01-01 only root may read, in a root anyone may look in.
  const aged = await agedRoot("reviewverdict58 users", 2, async ({ root, deliverables }) => {
    await Deno.chmod(join(deliverables[0], "_CONTEXT.md"), 0o600);
    await Deno.chmod(dirname(root), 0o755);
  });
  const { root } = aged;
  const json = ["stale", root, "--json"];
  try {
    for (let up = dirname(dirname(root)); up !== "/"; up = dirname(up)) {
      if ((Deno.statSync(up).mode! & 0o005) !== 0o005) Deno.chmodSync(up, 0o755);
    }
    const mine = await runCliProcess(json, FULL_FLAGS); // fills both caches
    assertEquals(mine.code, 0, mine.stderr);
    await runAsNobody(["--version"]); // its first run may fetch and compile: said on stderr
    const cached = await runAsNobody(json);
    Deno.removeSync(join(root, ".git", VERDICT_CACHE_FILE));
    Deno.removeSync(join(root, ".git", HASH_CACHE_FILE));
    const afresh = await runAsNobody(json);
    assertEquals(afresh.code, 1, afresh.stderr); // the unreadable input is not CLEAN
    assertEquals([cached.code, cached.stdout, cached.stderr], [
      afresh.code,
      afresh.stdout,
      afresh.stderr,
    ]);
    // And the other way: nobody's caches (a `.git` it may write) are not root's answers.
    Deno.chmodSync(join(root, ".git"), 0o777);
    assertEquals((await runAsNobody(json)).code, 1);
    assertEquals(Deno.statSync(join(root, ".git", VERDICT_CACHE_FILE)).uid, 65534);
    const theirs = await runCliProcess(json, FULL_FLAGS);
    Deno.removeSync(join(root, ".git", VERDICT_CACHE_FILE));
    Deno.removeSync(join(root, ".git", HASH_CACHE_FILE));
    const own = await runCliProcess(json, FULL_FLAGS);
    assertEquals(own.code, 0, own.stderr);
    assertEquals([theirs.code, theirs.stdout], [own.code, own.stdout]);
  } finally {
    await aged.unmount();
  }
});

Deno.test("reviewverdict58: a listing two checks share notes, for each, where its links lead", async () => {
  // An agents folder (profiles.ts lists it by kind) whose agent file is a link.
  const dir = await tempDir();
  const folder = join(dir, "agents");
  Deno.mkdirSync(folder);
  Deno.writeTextFileSync(join(dir, "target.md"), "# agent\n");
  Deno.symlinkSync("../target.md", join(folder, "A.md"));
  const lookups = memoLookups();
  const kindOfA = () => Promise.resolve(lookups.folderEntries(folder).get("A.md"));
  const first = await recording(kindOfA);
  const second = await recording(kindOfA); // from the memo
  assertEquals([first.result, second.result], ["file", "file"]);
  const answers = (seen: ReadonlySet<string>) => {
    const now = answerer();
    return [...seen].sort().map((look) => `${look} ${now.answer(look)}`);
  };
  const [firstThen, secondThen] = [answers(first.seen), answers(second.seen)];
  // The link's target gone: the listing is "other" now, its folder's times unchanged.
  Deno.removeSync(join(dir, "target.md"));
  assertEquals(memoLookups().folderEntries(folder).get("A.md"), "other");
  assert(answers(first.seen).join() !== firstThen.join(), "the first check's looks tell");
  assert(answers(second.seen).join() !== secondThen.join(), "the second check's looks tell");
});

Deno.test("reviewverdict58: a kept line whose value is damaged, its key and looks whole, is judged afresh", async () => {
  const aged = await agedRoot("reviewverdict58 damaged value", 2);
  const { root } = aged;
  const json = ["stale", root, "--json"];
  const file = join(root, ".git", VERDICT_CACHE_FILE);
  try {
    assertEquals((await runCliProcess(json, FULL_FLAGS)).code, 0); // fills both caches
    const first = await runCliProcess(json, FULL_FLAGS); // as judging with the hashes kept says
    const kept = Deno.readTextFileSync(file);
    for (
      const [what, from, to] of [
        ["no hashed", '"hashed":', '"hashex":'],
        ["no ran", '"ran":', '"rax":'],
        ["no result", '"result":', '"resulx":'],
        ["a result of no checks", '"result":[', '"result":[7,'],
      ]
    ) {
      const damaged = kept.replaceAll(from, to);
      assert(damaged !== kept, what);
      Deno.writeFileSync(file, new TextEncoder().encode(damaged), { mode: 0o600 });
      const out = await runCliProcess(json, FULL_FLAGS);
      assertEquals(
        [out.code, out.stdout, out.stderr],
        [first.code, first.stdout, first.stderr],
        what,
      );
    }
  } finally {
    await aged.unmount();
  }
});

Deno.test("reviewverdict58: a tree swapped for an old one while a check hashes is not kept", async () => {
  let swap = "";
  let working = "";
  const aged = await agedRoot("reviewverdict58 swap", 2, async ({ root, deliverables: d }) => {
    // A large input: its hashing is the window. The swap holds the same files (hard links: the
    // same `stat`, so the hash cache serves them) but an old _STATUS.md of its own: RETIRED.
    await sh(".", 'truncate -s 800M "$1"', [join(d[0], "Specification.md")]);
    working = dirname(d[0]);
    swap = join(dirname(root), "swap");
    await sh(".", 'cp -al "$1" "$2"', [working, swap]);
    const status = join(swap, d[0].slice(working.length + 1), "_STATUS.md");
    Deno.removeSync(status);
    Deno.writeTextFileSync(status, "# Status: DEL-01-01\n\n**Current State:** RETIRED\n");
  });
  const { root } = aged;
  const json = ["stale", root, "--json"];
  try {
    assertEquals((await runCliProcess(json, FULL_FLAGS)).code, 1);
    Deno.removeSync(join(root, ".git", VERDICT_CACHE_FILE));
    Deno.removeSync(join(root, ".git", HASH_CACHE_FILE)); // the large input read again
    let ended = false;
    const run = runCliProcess(json, FULL_FLAGS).finally(() => ended = true);
    await new Promise((r) => setTimeout(r, 400));
    await sh(".", 'mv "$1" "$1.old" && mv "$2" "$1"', [working, swap]);
    assert(!ended, "swapped while the run ran");
    await run;
    const cached = await runCliProcess(json, FULL_FLAGS);
    Deno.removeSync(join(root, ".git", VERDICT_CACHE_FILE));
    const afresh = await runCliProcess(json, FULL_FLAGS);
    assert(afresh.stdout.includes('"RETIRED"'), "the swap's _STATUS.md judged");
    // The counts differ: the cached run read the swapped tree's files, which the fresh run found kept.
    const checks = (out: { stdout: string }) => JSON.parse(out.stdout).checks;
    assertEquals([cached.code, checks(cached)], [afresh.code, checks(afresh)]);
  } finally {
    await aged.unmount();
  }
});
