/**
 * Tests of `src/cycles.ts`: every elementary cycle once, against counts
 * known by formula, and the limit on how many are listed.
 *
 * @module
 */

import { assertEquals } from "./assert.ts";
import { elementaryCycles } from "../src/cycles.ts";

/** A graph's successors from a table of edges. */
function edges(table: Record<string, string[]>): (node: string) => string[] {
  return (node) => table[node] ?? [];
}

/** The complete directed graph on `n` nodes. */
function complete(n: number): (node: string) => string[] {
  const nodes = Array.from({ length: n }, (_, i) => `N${i}`);
  return (node) => nodes.filter((other) => other !== node);
}

Deno.test("cycles: a cycle through a node another cycle went through is found too (propagate-sweep F4)", () => {
  const found = elementaryCycles(["A"], edges({ A: ["B", "C"], B: ["C"], C: ["A"] }));
  assertEquals(found, { cycles: [["A", "B", "C", "A"], ["A", "C", "A"]], more: false });
});

Deno.test("cycles: the complete graphs on 3, 4 and 5 nodes have 5, 20 and 84 elementary cycles, each begun at its smallest node and listed once", () => {
  for (const [n, count] of [[3, 5], [4, 20], [5, 84]]) {
    const { cycles, more } = elementaryCycles(["N0"], complete(n));
    assertEquals([cycles.length, more], [count, false], `${n} nodes`);
    assertEquals(new Set(cycles.map((c) => c.join(" "))).size, count);
    for (const cycle of cycles) {
      const inner = cycle.slice(0, -1);
      assertEquals(cycle.at(-1), cycle[0]);
      assertEquals(new Set(inner).size, inner.length, cycle.join(" "));
      assertEquals([...inner].sort()[0], cycle[0], cycle.join(" "));
    }
  }
});

Deno.test("cycles: self edges, nodes not reachable from the starts and a graph without cycles give none", () => {
  const table = { A: ["A", "B"], B: ["C"], C: [], X: ["Y"], Y: ["X"] };
  assertEquals(elementaryCycles(["A"], edges(table)), { cycles: [], more: false });
  assertEquals(elementaryCycles(["A", "X"], edges(table)).cycles, [["X", "Y", "X"]]);
});

Deno.test("cycles: past the limit the first ones are listed and more is said; at exactly the limit it is not", () => {
  assertEquals(elementaryCycles(["N0"], complete(4), 20).more, false);
  const limited = elementaryCycles(["N0"], complete(6), 100);
  assertEquals([limited.cycles.length, limited.more], [100, true]);
});

Deno.test("cycles: a long chain of 20,000 nodes without a cycle, and a ring of 20,000, are walked without a stack overflow", () => {
  const chain = edges(Object.fromEntries(
    Array.from({ length: 20_000 }, (_, i) => [`N${i}`, i < 19_999 ? [`N${i + 1}`] : []]),
  ));
  assertEquals(elementaryCycles(["N0"], chain).cycles, []);
  const ring = edges(Object.fromEntries(
    Array.from({ length: 20_000 }, (_, i) => [`N${i}`, [`N${(i + 1) % 20_000}`]]),
  ));
  assertEquals(elementaryCycles(["N0"], ring).cycles.map((c) => c.length), [20_001]);
});

/** Every elementary cycle by plain search from each node through larger ones: slow, plainly right. */
function bruteCycles(nodes: string[], next: (node: string) => string[]): string[] {
  const found: string[] = [];
  for (const start of nodes) {
    const walk = (path: string[]) => {
      for (const n of new Set(next(path.at(-1)!))) {
        if (n === start && path.length > 1) found.push([...path, start].join(" "));
        else if (n > start && !path.includes(n)) walk([...path, n]);
      }
    };
    walk([start]);
  }
  return found.sort();
}

Deno.test("cycles: 300 random graphs of 2 to 7 nodes give the cycles a plain search finds", () => {
  let seed = 11;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let round = 0; round < 300; round++) {
    const nodes = Array.from({ length: 2 + Math.floor(random() * 6) }, (_, i) => `N${i}`);
    const density = random();
    const table = Object.fromEntries(
      nodes.map((node) => [node, nodes.filter(() => random() < density)]),
    );
    const found = elementaryCycles(nodes, edges(table), Infinity);
    assertEquals(
      found.cycles.map((cycle) => cycle.join(" ")).sort(),
      bruteCycles(nodes, edges(table)),
      JSON.stringify(table),
    );
  }
});
