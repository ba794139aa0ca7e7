/**
 * The commands `verify --since` gives to put back the records a commit took
 * out of `path` (the version at `rev`, then the lines gained since), as the
 * message quotes them.
 *
 * @module
 */

/** `verify`'s restore commands for `path` from `rev`, quoted as in its message. */
export function restoreCommands(rev: string, path: string, to = path): string {
  return `\`git show ${rev}:${path} > ${to}.new && { grep -vxFf ${to}.new ${to} >> ${to}.new; ` +
    `mv ${to}.new ${to}; }\`, \`git add ${to}\``;
}
