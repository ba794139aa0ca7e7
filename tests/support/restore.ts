/**
 * The command `verify --since` gives to put back the records a commit took
 * out of `path` (the version at `rev`, then the lines gained since), as the
 * message quotes it.
 *
 * @module
 */

/** `verify`'s restore command for `path` (now at `to`) from `rev`, quoted as in its message. */
export function restoreCommands(rev: string, path: string, to = path): string {
  const folder = to.includes("/") ? to.slice(0, to.lastIndexOf("/")) : ".";
  return `\`(cd "$(git rev-parse --show-toplevel)" && mkdir -p ${folder} && git show ${rev}:${path} ` +
    `> ${to}.new && { tr -d '\\r' 2>/dev/null < ${to} | grep -vxFf ${to}.new >> ${to}.new; ` +
    `mv ${to}.new ${to}; } && git add ${to})\``;
}

/** `verify`'s way to undo a run instead, quoted as in the same message. */
export function annotateCommand(folder: string, runId: string): string {
  return `\`runrec annotate "$(git rev-parse --show-toplevel)"/${folder} ${runId} --invalidates ` +
    `--note "undone"\``;
}
