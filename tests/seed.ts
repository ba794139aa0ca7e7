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

/**
 * A seeded random number generator (mulberry32) for tests that draw their
 * own numbers; prints its seed as {@linkcode seeded} does.
 *
 * @example
 * ```ts
 * import { seededRandom } from "./seed.ts";
 * const random = seededRandom("shuffle");
 * random(); // a number in [0, 1)
 * ```
 */
export function seededRandom(name: string): () => number {
  return fixedRandom(seeded(name, {}).seed);
}

/**
 * The numbers (mulberry32) of seed `seed`, printed nowhere: for tests whose
 * seed is fixed (a golden output made from it).
 *
 * @example
 * ```ts
 * import { fixedRandom } from "./seed.ts";
 * fixedRandom(38)(); // the same number on every machine
 * ```
 */
export function fixedRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Choices drawn from {@linkcode fixedRandom}: the same walk on every machine for a seed. A seeded
 * walk of a property test extends it with its own steps.
 *
 * @example
 * ```ts
 * import { SeededChoices } from "./seed.ts";
 * const choices = new SeededChoices(38);
 * choices.pick(["a", "b", "c"]); // the same letter on every machine
 * ```
 */
export class SeededChoices {
  /** The next number of the seed's sequence, in [0, 1). */
  readonly random: () => number;
  constructor(seed: number) {
    this.random = fixedRandom(seed);
  }
  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }
  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.random() < p;
  }
}
