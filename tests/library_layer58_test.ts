/**
 * A library caller's process after `checkStaleness`: the recording layer (src/observed.ts) wraps
 * `Deno`, `Date` and `performance.now` while a run records its checks, and takes them off when the
 * last run holding it ends, so a script's own calls are Deno's again, at Deno's cost.
 *
 * @module
 */
import { checkStaleness } from "../mod.ts";
import { holdLayer } from "../src/observed.ts";
import { assert, assertEquals } from "./assert.ts";
import { agedRoot } from "./support/aged_root.ts";

/** Who answers each name the layer may wrap: the own property's value or getter, by name. */
function answerers(): Map<string, unknown> {
  const found = new Map<string, unknown>();
  const owned: [string, object][] = [
    ["Deno", Deno],
    ["Deno.env", Deno.env],
    ["Deno.permissions", Deno.permissions],
    ["Date", Date],
    ["Date.prototype", Date.prototype],
    ["performance", performance],
  ];
  for (const [where, target] of owned) {
    for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(target))) {
      found.set(`${where}.${name}`, descriptor.get ?? descriptor.value);
    }
  }
  found.set("globalThis.Date", globalThis.Date);
  return found;
}

Deno.test("library_layer58: checkStaleness leaves Deno, Date and performance as it found them, one run or two at once, and a second run still keeps its verdicts", async () => {
  holdLayer()(); // a layer another test of this process left on comes off first
  const aged = await agedRoot("library layer 58", 2);
  try {
    const before = answerers();
    const first = await checkStaleness([aged.root]);
    assertEquals(answerers(), before);
    assert(first.filesHashed > 0, "the first run read the files, and recorded its checks");
    const [a, b] = await Promise.all([1, 2].map(() => checkStaleness([aged.root])));
    assertEquals(answerers(), before);
    const third = await checkStaleness([aged.root]);
    assertEquals(answerers(), before);
    for (const later of [a, b, third]) {
      assertEquals(later.filesHashed, 0); // kept: nothing read again
      assertEquals(JSON.stringify(later.checks), JSON.stringify(first.checks));
    }
  } finally {
    await aged.unmount();
  }
});
