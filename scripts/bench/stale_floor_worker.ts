/**
 * The hashing thread of `./stale_floor.ts`: each path of a job looked at, opened, read and hashed
 * with `node:crypto`, as `src/hash.ts` does once its JavaScript budget is spent. Started by the
 * floor; not imported.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** The worker's side of its message port. */
const port = self as unknown as {
  onmessage: ((event: MessageEvent<{ id: number; paths: string[] }>) => void) | null;
  postMessage(message: { id: number; hashes: string[] } | null): void;
};

const buffer = new Uint8Array(2 << 20);

port.onmessage = ({ data: { id, paths } }) => {
  const hashes = paths.map((path) => {
    Deno.statSync(path); // as hashOne: a FIFO is never opened
    using file = Deno.openSync(path);
    const hash = createHash("sha256");
    for (let n; (n = file.readSync(buffer)) !== null;) hash.update(buffer.subarray(0, n));
    return hash.digest("hex");
  });
  port.postMessage({ id, hashes });
};
port.postMessage(null);
