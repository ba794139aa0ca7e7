/**
 * The cycles of a directed graph, for `stale --propagate` to list a
 * dependency register's: every elementary cycle once (Johnson's algorithm),
 * not only one per edge back, which missed a cycle through a deliverable
 * another cycle had visited (propagate-sweep F4).
 *
 * @module
 */

import { compareUtf8, sortUtf8 } from "./manifest.ts";

/** What {@linkcode elementaryCycles} found. */
export interface Cycles {
  /** Each cycle begun at its smallest node, the first node repeated last; in node order. */
  cycles: string[][];
  /** Whether there are more than `limit`: only the first `limit` are listed. */
  more: boolean;
}

/**
 * Every elementary cycle (no node twice) among the nodes reachable from
 * `starts` along `next`, up to `limit` of them. Self edges are not cycles
 * here: the caller names them apart. Only a node of a strongly connected
 * component of two or more is searched from, so a register without cycles
 * costs one pass over its edges.
 *
 * @example
 * ```ts
 * import { elementaryCycles } from "./cycles.ts";
 * const edges: Record<string, string[]> = { A: ["B"], B: ["A", "C"], C: ["B"] };
 * elementaryCycles(["A"], (id) => edges[id] ?? []).cycles;
 * // [["A", "B", "A"], ["B", "C", "B"]]
 * ```
 */
export function elementaryCycles(
  starts: string[],
  next: (node: string) => string[],
  limit = 1000,
): Cycles {
  const successors = new Map<string, string[]>();
  const out = (node: string) => successors.get(node)!;
  const pending = [...starts];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (successors.has(node)) continue;
    const nodes = sortUtf8([...new Set(next(node))].filter((n) => n !== node));
    successors.set(node, nodes);
    pending.push(...nodes);
  }
  const cycles: string[][] = [];
  let more = false;
  const order = sortUtf8([...successors.keys()]);
  const rankOf = new Map(order.map((node, rank) => [node, rank]));
  // Johnson's: the smallest node in a component of two or more among the nodes from `rank` on
  // is the start of the cycles through it there; then the same from the node after it.
  for (let rank = 0; rank < order.length && !more;) {
    const from = rank;
    const within = (node: string) => rankOf.get(node)! >= from;
    const componentOf = stronglyConnected(
      order.slice(from),
      (node) => out(node).filter(within),
    );
    const start = order.slice(from).find((node) => componentOf.get(node)!.size > 1);
    if (start === undefined) break;
    rank = rankOf.get(start)! + 1;
    const allowed = (node: string) => componentOf.get(node) === componentOf.get(start);
    const blocked = new Set<string>();
    const blockedBy = new Map<string, Set<string>>();
    const unblock = (node: string) => {
      for (const queue = [node]; queue.length > 0;) {
        const free = queue.pop()!;
        if (!blocked.delete(free)) continue;
        queue.push(...(blockedBy.get(free) ?? []));
        blockedBy.delete(free);
      }
    };
    // Depth first without recursion: a path may be as long as the component (propagate-sweep F4).
    const frames: { node: string; successors: string[]; next: number; closed: boolean }[] = [];
    const enter = (node: string) => {
      blocked.add(node);
      frames.push({
        node,
        successors: out(node).filter(allowed),
        next: 0,
        closed: false,
      });
    };
    enter(start);
    while (frames.length > 0) {
      const frame = frames.at(-1)!;
      if (frame.next < frame.successors.length) {
        const n = frame.successors[frame.next++];
        if (n === start) {
          more = cycles.length === limit;
          if (more) break;
          cycles.push([...frames.map((f) => f.node), start]);
          frame.closed = true;
        } else if (!blocked.has(n)) enter(n);
        continue;
      }
      if (frame.closed) unblock(frame.node);
      else {
        for (const n of frame.successors) {
          blockedBy.set(n, (blockedBy.get(n) ?? new Set()).add(frame.node));
        }
      }
      frames.pop();
      if (frame.closed && frames.length > 0) frames.at(-1)!.closed = true;
    }
  }
  cycles.sort((a, b) => compareUtf8(a.join(" "), b.join(" ")));
  return { cycles, more };
}

/** Each node's strongly connected component (Tarjan's algorithm). */
function stronglyConnected(
  nodes: string[],
  out: (node: string) => string[],
): Map<string, Set<string>> {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const componentOf = new Map<string, Set<string>>();
  const open = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    frames.push({ node, successors: out(node), next: 0 });
  };
  // Depth first without recursion: a register's chain may be thousands of deliverables long.
  const frames: { node: string; successors: string[]; next: number }[] = [];
  for (const root of nodes) {
    if (index.has(root)) continue;
    open(root);
    while (frames.length > 0) {
      const frame = frames.at(-1)!;
      if (frame.next < frame.successors.length) {
        const n = frame.successors[frame.next++];
        if (!index.has(n)) open(n);
        else if (onStack.has(n)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(n)!));
        continue;
      }
      frames.pop();
      const parent = frames.at(-1);
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component = new Set<string>();
      for (let member = ""; member !== frame.node;) {
        member = stack.pop()!;
        onStack.delete(member);
        component.add(member);
        componentOf.set(member, component);
      }
    }
  }
  return componentOf;
}
