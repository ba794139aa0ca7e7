/**
 * The five deliverable agents, simulated by examples/agents/simulated.ts,
 * run through start/finish, exec and withRun: each record says what the run
 * really did.
 */
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { hashFile } from "../src/hash.ts";
import { parseLifecycleState } from "../src/status.ts";
import { withRun } from "../src/run.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, ROOT } from "./fixtures.ts";
import { AGENTS, EXIT_CODES, simulate, writtenBy } from "../examples/agents/simulated.ts";
import { pendingFiles, recordsOf } from "./support/runs.ts";

const SIMULATOR = [Deno.execPath(), "run", "-A", join(ROOT, "examples/agents/simulated.ts")];

/** A pipeline in which every outcome occurs. */
const STEPS: [agent: string, outcome: string][] = [
  ["PREPARATION", "SUCCESS"],
  ["4_DOCUMENTS", "SUCCESS"],
  ["DEPENDENCIES", "SUCCESS"],
  ["CHIRALITY_FRAMEWORK", "SUCCESS"],
  ["CHIRALITY_LENS", "SUCCESS"],
  ["4_DOCUMENTS", "PARTIAL"],
  ["DEPENDENCIES", "FAILED"],
  ["CHIRALITY_LENS", "SKIPPED"],
];

async function runSimulator(agent: string, del: string, outcome: string): Promise<number> {
  const out = await new Deno.Command(SIMULATOR[0], {
    args: [...SIMULATOR.slice(1), agent, del, outcome],
  }).output();
  return out.code;
}

function stateOf(del: string): string {
  try {
    return parseLifecycleState(Deno.readTextFileSync(join(del, "_STATUS.md")), "_STATUS.md").state;
  } catch {
    return "TBD";
  }
}

/** One way of recording a run; returns the files the simulated agent wrote. */
type Mode = (agent: string, del: string, outcome: string) => Promise<string[]>;

const MODES: Record<string, Mode> = {
  "start/finish": async (agent, del, outcome) => {
    const { reads } = AGENTS[agent];
    await Deno.mkdir(del, { recursive: true }); // PREPARATION's first action
    const start = await runCliProcess([
      "start",
      del,
      "--agent",
      agent,
      ...reads.flatMap((r) => ["--input", r]),
    ]);
    assertEquals(start.code, 0, start.stderr);
    await runSimulator(agent, del, outcome);
    // The agent reports what it wrote.
    const outputs = writtenBy(agent, outcome);
    const finish = await runCliProcess([
      "finish",
      start.stdout.trim(),
      "--status",
      outcome,
      ...outputs.flatMap((o) => ["--output", o]),
    ]);
    assertEquals(finish.code, 0, finish.stderr);
    return outputs;
  },
  exec: async (agent, del, outcome) => {
    const result = await runCliProcess([
      "exec",
      del,
      "--agent",
      agent,
      ...AGENTS[agent].reads.flatMap((r) => ["--input", r]),
      "--partial-codes",
      "3",
      "--skipped-codes",
      "4",
      "--",
      ...SIMULATOR,
      agent,
      del,
      outcome,
    ]);
    assertEquals(result.code, EXIT_CODES[outcome], result.stderr);
    return writtenBy(agent, outcome);
  },
  withRun: async (agent, del, outcome) => {
    let written: string[] = [];
    try {
      await withRun(del, {
        agent,
        inputs: AGENTS[agent].reads,
        mayCreate: true,
        onOutcome: (o) => assertEquals(o.warnings, []),
      }, async (run) => {
        written = await simulate(agent, del, outcome);
        written.forEach((f) => run.output(f));
        if (outcome === "FAILED") throw new Error("the simulated agent failed");
        run.status = outcome as "SUCCESS";
      });
    } catch (e) {
      if (outcome !== "FAILED") throw e;
    }
    return written;
  },
};

for (const [name, mode] of Object.entries(MODES)) {
  Deno.test(`simulated agents through ${name}: each record holds what the run read, wrote and left`, async () => {
    const { root } = await makeProject();
    const del = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-05_Sim");
    for (const [i, [agent, outcome]] of STEPS.entries()) {
      const inputs = AGENTS[agent].reads;
      const inputHashes = Object.fromEntries(
        await Promise.all(inputs.map(async (f) => [f, await hashFile(join(del, f))])),
      );
      const statusBefore = stateOf(del);
      const written = await mode(agent, del, outcome);
      const records = await recordsOf(del);
      assertEquals(records.length, i + 1, `${agent} ${outcome}: one record per run`);
      const record = records[i];
      const step = `${name} ${agent} ${outcome}`;
      assertEquals([record.AgentName, record.RunStatus], [agent, outcome], step);
      assertEquals(record.InputFiles, inputs, step);
      for (const f of inputs) assertEquals(record.InputHashes[f], inputHashes[f], `${step} ${f}`);
      assertEquals([...record.OutputFiles].sort(), [...written].sort(), step);
      for (const f of written) {
        assertEquals(record.OutputHashes[f], await hashFile(join(del, f)), `${step} ${f}`);
      }
      assertEquals([record.StatusBefore, record.StatusAfter], [statusBefore, stateOf(del)], step);
      assertEquals(record.DeliverableID, "DEL-01-05", step);
    }
    assertEquals(stateOf(del), "SEMANTIC_READY");
    assertEquals(pendingFiles(del), []);
    await Deno.remove(root, { recursive: true });
  });
}
