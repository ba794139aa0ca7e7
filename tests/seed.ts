/**
 * Seeds for random tests: every property test takes its seed from here and
 * prints it, so a failure can be replayed with `RUNREC_TEST_SEED=<seed>`.
 *
 * @module
 */

/**
 * fast-check parameters with a printed seed: `RUNREC_TEST_SEED` when set,
 * else a fresh one.
 *
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { seeded } from "./seed.ts";
 * fc.assert(fc.property(fc.nat(), (n) => n >= 0), seeded("nat is natural", { numRuns: 100 }));
 * ```
 */
export function seeded<T extends object>(name: string, params: T): T & { seed: number } {
  const fromEnv = Deno.env.get("RUNREC_TEST_SEED");
  const seed = fromEnv !== undefined ? Number(fromEnv) : (Math.random() * 2 ** 31) | 0;
  console.log(`${name}: seed ${seed} (replay: RUNREC_TEST_SEED=${seed})`);
  return { ...params, seed };
}
