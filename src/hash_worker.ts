/**
 * A worker of `./hash_pool.ts`: says it is ready (`null`), then hashes the
 * paths of each job it is sent and answers with a hash or a failure per
 * path. Started by the pool; not imported.
 *
 * @module
 */
import { type FileStat, hashFilesNoting } from "./hash.ts";
import type { HashAnswer, HashJob } from "./hash_pool.ts";

/** The worker's side of its message port. */
const port = self as unknown as {
  onmessage: ((event: MessageEvent<HashJob>) => void) | null;
  postMessage(message: HashAnswer | null): void;
};

port.onmessage = async ({ data: { id, paths, states } }) => {
  const noted = states ? new Map<string, FileStat>() : undefined;
  const hashes = await hashFilesNoting(paths, noted);
  const results = paths.map((path) => {
    const result = hashes.get(path)!;
    if (typeof result === "string") return result;
    const code = (result as { code?: unknown }).code;
    return {
      name: result.name,
      message: result.message,
      ...(typeof code === "string" ? { code } : {}),
    };
  });
  port.postMessage({
    id,
    results,
    ...(noted && { states: paths.map((path) => noted.get(path) ?? null) }),
  });
};
// Loaded: the pool learns the worker is up.
port.postMessage(null);
