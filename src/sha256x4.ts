/**
 * SHA-256 of four messages at once: `validate` hashes every record line,
 * ~1 KB each, and one WebAssembly SIMD pass over four of them (a message in
 * each 32-bit lane of a v128) costs about what one message costs in
 * ./sha256.ts's one-lane module. Messages longer than
 * {@linkcode X4_MESSAGE_LIMIT}, and every message where WebAssembly SIMD is
 * unavailable, are hashed one at a time by `sha256Hex`.
 *
 * Memory (two 64 KiB pages): lane pointers at 0 (4 words), block counts at
 * 16 (4 words), the state at 32 (8 v128: word k of lane l at 32 + 16k + 4l),
 * K at 256 (64 words), the schedule at 1024 (64 v128), and each lane's padded
 * message from 4096 + 16 KiB × lane. Export `c(blocks)` compresses blocks
 * 0..blocks-1 of every lane, leaving a lane's state alone past its count.
 *
 * @module
 */
import { INITIAL, K, sha256Hex } from "./sha256.ts";

/**
 * The module, hex. `tests/sha256_test.ts` holds its source, assembled from
 * readable instructions, and fails when these bytes differ from it.
 */
export const SHA256X4_WASM_HEX =
  "0061736d0100000001050160017f00030201000503010002070902016d0200016300000ad30601d00602037f" +
  "0d7b02400340200120004f0d012001fd114100fd000410fd3921104100210203402002410274410028020020" +
  "036a20026a280200fd11410028020420036a20026a280200fd1c01410028020820036a20026a280200fd1c02" +
  "410028020c20036a20026a280200fd1c03220c200cfd0d03020100070605040b0a09080f0e0d0cfd0b048008" +
  "200241046a220241c000490d000b4180022102034020022002fd00049006210c2002fd0004e007210d2002fd" +
  "00048006200c4107fdad01200c4119fdab01fd50200c4112fdad01200c410efdab01fd50fd51200c4103fdad" +
  "01fd51fdae012002fd00049007fdae01200d4111fdad01200d410ffdab01fd50200d4113fdad01200d410dfd" +
  "ab01fd50fd51200d410afdad01fd51fdae01fd0b048008200241106a2202418008490d000b4100fd00042021" +
  "044100fd00043021054100fd00044021064100fd00045021074100fd00046021084100fd00047021094100fd" +
  "00048001210a4100fd00049001210b410021020340200b20084106fdad012008411afdab01fd502008410bfd" +
  "ad0120084115fdab01fd50fd5120084119fdad0120084107fdab01fd50fd51fdae01200a20082009200afd51" +
  "fd4efd51fdae012002fd09028002fdae012002410274fd00048008fdae01210e20044102fdad012004411efd" +
  "ab01fd502004410dfdad0120044113fdab01fd50fd5120044116fdad012004410afdab01fd50fd5120042005" +
  "fd4e200620042005fd50fd4efd50fdae01210f200a210b2009210a200821092007200efdae01210820062107" +
  "2005210620042105200e200ffdae012104200241046a2202418002490d000b41004100fd0004202004fdae01" +
  "4100fd0004202010fd52fd0b042041004100fd0004302005fdae014100fd0004302010fd52fd0b0430410041" +
  "00fd0004402006fdae014100fd0004402010fd52fd0b044041004100fd0004502007fdae014100fd00045020" +
  "10fd52fd0b045041004100fd0004602008fdae014100fd0004602010fd52fd0b046041004100fd0004702009" +
  "fdae014100fd0004702010fd52fd0b047041004100fd00048001200afdae014100fd000480012010fd52fd0b" +
  "04800141004100fd00049001200bfdae014100fd000490012010fd52fd0b049001200141016a2101200341c0" +
  "006a21030c000b0b0b";

/** Where lane 0's message starts, and the room each lane has. */
const MESSAGES = 4096;
const LANE_BYTES = 16 << 10;

/**
 * The longest message hashed in a lane: its padding (a 0x80 byte and the
 * 8-byte length, up to 72 bytes in all) must fit the lane's room.
 */
export const X4_MESSAGE_LIMIT = LANE_BYTES - 72;

interface Engine {
  run: (blocks: number) => void;
  bytes: Uint8Array;
  words: Int32Array;
}

/** `null` until compiled; `undefined` where WebAssembly SIMD is unavailable. */
let engine: Engine | undefined | null = null;

function load(): Engine | undefined {
  try {
    const module = new WebAssembly.Module(Uint8Array.fromHex(SHA256X4_WASM_HEX));
    const instance = new WebAssembly.Instance(module, {});
    const memory = instance.exports.m as WebAssembly.Memory;
    const loaded: Engine = {
      run: instance.exports.c as (blocks: number) => void,
      bytes: new Uint8Array(memory.buffer),
      words: new Int32Array(memory.buffer),
    };
    loaded.words.set(K, 256 / 4);
    return loaded;
  } catch {
    return undefined;
  }
}

const DIGEST = new Uint8Array(32);

/**
 * SHA-256 of each of `messages` (up to four), lowercase hex, in order:
 * the same as `sha256Hex` of each.
 *
 * @example
 * ```ts
 * import { sha256HexX4 } from "./sha256x4.ts";
 * const abc = new TextEncoder().encode("abc");
 * sha256HexX4([abc, new Uint8Array(0)]);
 * // ["ba7816bf…f20015ad", "e3b0c442…7852b855"]
 * ```
 */
export function sha256HexX4(messages: readonly Uint8Array[]): string[] {
  if (messages.length > 4) throw new RangeError(`at most 4 messages, got ${messages.length}`);
  if (engine === null) engine = load();
  if (engine === undefined) return messages.map((m) => sha256Hex(m));
  const { run, bytes, words } = engine;
  let blocks = 0;
  for (let lane = 0; lane < 4; lane++) {
    const message = messages[lane];
    const at = MESSAGES + lane * LANE_BYTES;
    words[lane] = at;
    words[4 + lane] = 0; // no blocks: the lane's state is left alone
    if (message === undefined || message.length > X4_MESSAGE_LIMIT) continue;
    const padded = (message.length + 9 + 63) & ~63;
    bytes.set(message, at);
    bytes.fill(0, at + message.length, at + padded);
    bytes[at + message.length] = 0x80;
    // Length in bits, 64-bit big-endian; a message here is far below 2^29 bytes.
    const bits = message.length * 8;
    const end = at + padded;
    bytes[end - 4] = bits >>> 24;
    bytes[end - 3] = bits >>> 16;
    bytes[end - 2] = bits >>> 8;
    bytes[end - 1] = bits;
    words[4 + lane] = padded >> 6;
    blocks = Math.max(blocks, padded >> 6);
  }
  for (let k = 0; k < 8; k++) words.fill(INITIAL[k], 8 + 4 * k, 12 + 4 * k);
  run(blocks);
  return messages.map((message, lane) => {
    if (message.length > X4_MESSAGE_LIMIT) return sha256Hex(message);
    for (let k = 0; k < 8; k++) {
      const w = words[8 + 4 * k + lane];
      DIGEST[4 * k] = w >>> 24;
      DIGEST[4 * k + 1] = w >>> 16;
      DIGEST[4 * k + 2] = w >>> 8;
      DIGEST[4 * k + 3] = w;
    }
    return DIGEST.toHex();
  });
}
