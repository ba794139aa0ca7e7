/**
 * A seeded soak of a team's git workflow: three clones of one bare repository record runs of
 * three deliverables while they commit, pull (merge or rebase), push, branch, merge main in,
 * merge or squash-merge back, merge two or three recording branches at once (an octopus merge; one
 * at a time where git's octopus strategy stops; also of branches that each merged main in after
 * main recorded, criss-crossed, then `verify --since` where they began and a branch's tip), rebase
 * a recording branch onto main that recorded too (the record files' conflicts resolved by
 * `merge=union` or by hand, both sides taken), cherry-pick recording commits onto main (the branch
 * then merged too, or dropped), stash around a pull, run a `git pull` or `checkout` while an emit
 * writes, append to one deliverable from all three clones at once (then each commits, pulls and
 * pushes), and flush. At the end every clone flushes, commits, pulls and pushes: main must hold
 * each record an emit made exactly once and no other, and `verify --since` the first commit
 * must hold in every clone. Each clone records its own minutes (`--started`): two clones
 * recording one deliverable in one minute share a RunID, which docs/CI.md leaves to the team.
 *
 * ```sh
 * RUNREC_SOAK_SEED=7 RUNREC_SOAK_STEPS=100 deno test -A tests/soak_test.ts
 * ```
 *
 * @module
 */
import { runCliProcess } from "./cli.ts";
import { fixedRandom } from "./seed.ts";
import { assert, assertEquals } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { git, tempDir } from "./fixtures.ts";
import { mainRecords, Soak, soakParameters, teamRepository } from "./support/soak.ts";

Deno.test("soak: three clones commit, pull, push, branch, squash, stash and flush while recording; main holds each record once and verify holds", async () => {
  const { seed, steps } = soakParameters();
  const { bare, clones, first } = await teamRepository();
  const hour = 3_600_000;
  const base = Math.floor((Date.now() - 20 * hour) / hour) * hour;
  const soak = new Soak(clones, fixedRandom(seed), {
    TMPDIR: await tempDir({ prefix: "runrec-soak-tmp-" }),
  }, base);
  const started = performance.now();
  try {
    await soak.run(steps);

    // A line repeated byte for byte is one record merged twice (SCHEMA.md 3.3): every reader
    // reads it once. A rebase of commits a branch also holds, then a merge of that branch, makes one.
    const all = await mainRecords(bare);
    const records = [...new Map(all.map((record) => [record.line, record])).values()];
    for (const { token, runId } of soak.emitted) {
      const holding = records.filter(({ line }) => new RegExp(`${token}\\b`).test(line));
      const where = holding.map(({ file, line }) => `\n  ${file}: ${line}`).join("");
      assertEquals(
        holding.length,
        1,
        `${token} (${runId}) in main ${holding.length} times${where}`,
      );
      if (runId !== "") assert(holding[0].line.includes(runId), `${token}'s line lacks ${runId}`);
    }
    const tokens = new Set(soak.emitted.map(({ token }) => token));
    for (const { file, line } of records) {
      const token = /soak-e\d+/.exec(line)?.[0];
      assert(token !== undefined && tokens.has(token), `${file}: a record no emit made: ${line}`);
    }
    assertEquals(records.length, soak.emitted.length);
    for (const clone of clones) {
      const listed = await runCliProcess(["log", clone, "--format", "jsonl"], FULL_FLAGS, soak.env);
      assertEquals(listed.code, 0, listed.stderr);
      const tokens = listed.stdout.match(/soak-e\d+\b/g) ?? [];
      assertEquals(tokens.length, soak.emitted.length, `log in ${clone} lists ${tokens.length}`);
      assertEquals(new Set(tokens).size, soak.emitted.length, `log in ${clone} repeats a record`);
      const verified = await runCliProcess(
        ["verify", clone, "--since", first],
        FULL_FLAGS,
        soak.env,
      );
      assertEquals(verified.code, 0, `verify in ${clone}: ${verified.stdout}${verified.stderr}`);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const repeated = all.length - records.length;
    const events = (text: string) => soak.log.filter((entry) => entry.includes(text)).length;
    console.log(
      `soak: git refused during an emit ${events("refused")}, rebase stopped ${
        events("rebase stopped")
      }, squash ${events("--squash")}, stash ${events("stash -u")}, octopus merges ${
        events("octopus merge")
      } (stopped ${events("octopus stopped")}; of branches that merged main ${
        events("that had merged main in")
      }), three clones at once ${events("at once")}, rebases ${
        events(": rebase rebased-")
      } (by hand ${events("by hand")}, stopped ${
        events("stopped 1") + events("stopped 2")
      }), cherry-picks ${events("cherry-pick")}`,
    );
    console.log(
      `soak: ${soak.emitted.length} records (${repeated} lines repeated byte for byte), ${steps} steps, ${seconds}s`,
    );
  } catch (error) {
    console.log(soak.log.join("\n"));
    throw error;
  } finally {
    // RUNREC_SOAK_KEEP=<path>: the repository and the clones are copied there to look into.
    const keep = Deno.env.get("RUNREC_SOAK_KEEP");
    if (keep !== undefined) await git(".", "clone", "-q", "--mirror", bare, keep).catch(() => {});
    if (keep !== undefined) {
      for (const [c, clone] of clones.entries()) {
        await new Deno.Command("cp", { args: ["-a", clone, `${keep}-clone${c}`] }).output();
      }
    }
  }
});
