/**
 * The SEQ of a RunID as runrec's own notes name it (the work trees' notes in
 * the common `.git` folder, a folder's journal), read so that garbage written
 * there by hand cannot make the next RunID absurd.
 *
 * @module
 */

/**
 * The most digits a SEQ given by appends can have: one minute of appends to one file, each under
 * its lock and `fsync`ed, is far below a billion. A longer SEQ in a note was written by hand (a
 * 5,000-digit one made every RunID of that minute 5,000 digits long), never given by runrec.
 */
export const MAX_NOTED_SEQ_DIGITS = 9;

/**
 * The SEQ that `digits` (the text after a RunID's prefix in a note) names, or `0n` when it is no
 * SEQ an append can have given: not digits, or more than {@linkcode MAX_NOTED_SEQ_DIGITS} of them.
 * Ignoring such a note gives no SEQ twice: no append gave it.
 *
 * @example
 * ```ts
 * import { notedSeq } from "./noted_seq.ts";
 * notedSeq("004"); // 4n
 * notedSeq("999999999999999999999999"); // 0n: no append gives that
 * notedSeq("12abc"); // 0n
 * ```
 */
export function notedSeq(digits: string): bigint {
  return /^[0-9]+$/.test(digits) && digits.replace(/^0+/, "").length <= MAX_NOTED_SEQ_DIGITS
    ? BigInt(digits)
    : 0n;
}
