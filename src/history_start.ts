/**
 * Where `verify --since`'s history check starts: the revision resolved to a
 * commit of HEAD's first-parent chain (or where that chain meets it), the
 * note saying so, a shallow clone deepened or the one-line error saying how
 * to fetch it, and the record files and submodules of the starting commit.
 *
 * @module
 */
import { OptionError } from "./errors.ts";
import { closestNames } from "./near_names.ts";
import { isInside, resolve } from "./path.ts";
import { shownPath } from "./deliverable.ts";
import { resolveCommit, runGit } from "./git.ts";
import { shellWord } from "./shell_word.ts";
import {
  type BaseTree,
  type CommitInfo,
  isRecordFile,
  type Repository,
  short,
} from "./history_shared.ts";

/**
 * Where the check of the repository at `top` starts for `since`: the
 * first-parent commit of HEAD's history that `since` contains. A shallow
 * clone that lacks part of that history is completed first, or refused.
 *
 * @example
 * ```ts
 * import { startingPoint } from "./history_start.ts";
 * // In a git clone; --allow-run (git).
 * const notes: string[] = [];
 * const repository = await startingPoint(Deno.cwd(), new Set(), "origin/main", notes);
 * console.log(repository.sinceCommit, repository.base, notes);
 * ```
 */
export async function startingPoint(
  top: string,
  shallow: Set<string>,
  since: string,
  notes: string[],
): Promise<Repository> {
  let sinceCommit = await resolveCommit(since, top);
  // Only a name the clone's cut could explain is worth fetching for; a typo is just unknown.
  const cutOff = !sinceCommit && shallow.size > 0 && await mayBeCutOff(since, top);
  let deepened = cutOff ? await deepen(top, notes) : undefined;
  if (deepened === true) {
    shallow.clear();
    sinceCommit = await resolveCommit(since, top);
  }
  if (!sinceCommit) {
    throw sinceError(
      `unknown revision ${JSON.stringify(since)} in ${top}` +
        (cutOff && shallow.size > 0
          ? `: a shallow clone, which may lack that commit: ${shallowRemedy(deepened)}`
          : !await resolveCommit("HEAD", top)
          ? ": the repository has no commits yet (commit the record files first; runrec verify " +
            "without --since checks them as they are)"
          : await revisionHint(since, top)),
    );
  }
  let walk = await firstParentWalk(sinceCommit, top);
  const cut = walk.find((c) => shallow.has(c.id));
  // A merged branch cut short would be checked from its cut only: a rewrite before it passes.
  const branchCut = !cut && shallow.size > 0
    ? await cutBranch(sinceCommit, walk, shallow, top)
    : undefined;
  if (cut || branchCut) deepened = await deepen(top, notes);
  if ((cut || branchCut) && deepened === true) {
    shallow.clear();
    walk = await firstParentWalk(sinceCommit, top);
  } else if (cut) {
    throw sinceError(
      `${top} is a shallow clone and lacks history since ${since}: commit ` +
        `${short(cut.id)}'s parents are not here, so K-APPEND-1 cannot be checked; ` +
        shallowRemedy(deepened),
    );
  } else if (branchCut) {
    const { merge, commit } = branchCut;
    throw sinceError(
      `${top} is a shallow clone and lacks the history of the branch that commit ` +
        `${short(merge.id)} ${JSON.stringify(merge.subject)} merges: commit ${short(commit)}'s ` +
        "parents are not here, so the branch cannot be followed to where it left; " +
        shallowRemedy(deepened),
    );
  }
  const head = walk.at(-1)?.id ?? await resolveCommit("HEAD", top);
  const named = `${since} (${short(sinceCommit)})`;
  const meets = await meeting(top, sinceCommit, walk, head, { named, since, notes, remedy: true });
  return { top, scopes: [], sinceCommit, head, ...meets, tree: treeAt(meets.base, top) };
}

/** How {@linkcode meeting} words its note about the revision, and where the note goes. */
interface MeetingNote {
  /** The revision with its commit: `main~3 (abc1234)`. */
  named: string;
  /** The revision alone, as the note's "every record ... holds" names it. */
  since: string;
  /** Where the note goes. */
  notes: string[];
  /**
   * Whether the note says how to check a branch only behind the revision
   * (`--since` the merge base): for the repository `--since` names a commit in.
   */
  remedy: boolean;
}

/**
 * Where HEAD's first-parent chain (`walk`: the commits of `sinceCommit..HEAD`
 * on it) meets `sinceCommit` (`base`: the newest commit of the chain that
 * `sinceCommit` contains, `undefined` when the chain reaches its first
 * commit first), and why HEAD's files must also hold `sinceCommit`'s record
 * lines (`relation`, with `join`); a note says which ({@linkcode MeetingNote}).
 * A revision HEAD does not contain is never taken for one a branch is only
 * behind: a branch or tag holding it proves nothing about HEAD.
 *
 * @example
 * ```ts
 * import { firstParentWalk, meeting } from "./history_start.ts";
 * // In a git clone; --allow-run (git).
 * const top = Deno.cwd();
 * const walk = await firstParentWalk("HEAD~3", top);
 * const notes: string[] = [];
 * const note = { named: "HEAD~3", since: "HEAD~3", notes, remedy: true };
 * const { base, relation } = await meeting(top, walk[0].parents[0], walk, walk.at(-1)?.id, note);
 * ```
 */
export async function meeting(
  top: string,
  sinceCommit: string,
  walk: CommitInfo[],
  head: string | undefined,
  { named, since, notes, remedy }: MeetingNote,
): Promise<Pick<Repository, "base" | "join" | "relation">> {
  const oldest = walk[0];
  // With no commit of HEAD's first-parent chain outside `since`, HEAD itself is where they meet.
  const base = oldest ? oldest.parents[0] : head;
  if (base === sinceCommit) return { base };
  const contained = (await runGit(["merge-base", "--is-ancestor", sinceCommit, "HEAD"], top))
    .code === 0;
  // With no base, HEAD's chain reached its first commit without meeting `since`: nothing
  // before that chain holds `since`'s lines, so each must still be in HEAD's files.
  const relation: Repository["relation"] = contained
    ? "merged"
    : !base
    ? "unrelated"
    : await onSomeRef(sinceCommit, top)
    ? "diverged"
    // Not in HEAD and in no branch or tag: what a force-push, amend or reset leaves behind.
    : "rewritten";
  const join = relation === "merged"
    ? await joinCommit(sinceCommit, walk, top)
    : await commitInfo(head!, top);
  const must = `and every record ${since} holds must still be in HEAD's files`;
  notes.push(
    relation === "merged"
      ? `${named} is not on HEAD's first-parent chain (a merged branch): ` +
        (base
          ? `checked from ${short(base)}, the newest commit of that chain it contains`
          : "that chain shares no commit with its history (a merge of unrelated histories " +
            `took it in): every record file is checked from its first version, ${must}`)
      : relation === "unrelated"
      ? `HEAD's history shares no commit with ${named}${elsewhere(top)} (history rewritten from ` +
        `scratch, as an orphan branch): every record file is checked from its first version, ${must}`
      : relation === "rewritten"
      ? `HEAD does not contain ${named}, and no branch or tag does: history was rewritten ` +
        `since (a force-push, amend or reset); checked from their merge base ${
          short(base!)
        }, ${must}`
      : `HEAD does not contain ${named}: checked from their merge base ${short(base!)}, ${must}` +
        (remedy
          ? ` (for a branch only behind ${since}, check from where it left: --since ${
            short(base!)
          })`
          : ""),
  );
  return { base, join, relation };
}

/**
 * ` in <top>` for a repository other than the one runrec was started in (a submodule's), as the
 * user would name it; nothing for that one, whose path may be a folder the user never sees (a
 * server hook's temporary clone).
 */
function elsewhere(top: string): string {
  return isInside(Deno.cwd(), top) ? "" : ` in ${shownPath(top)}`;
}

/**
 * What may be meant by `since`, a revision git does not know in `top`: the refs one or two edits
 * from it (`origin/mian`: origin/main) and, for a remote's branch, how to fetch it (a clone of
 * one branch); both when both may be (`release-1.2` beside `release-1.1`).
 *
 * @example
 * ```ts
 * import { revisionHint } from "./history_start.ts";
 * await revisionHint("origin/mian", "."); // " (did you mean origin/main?); if that is no typo: this clone has no ref …"
 * ```
 */
export async function revisionHint(since: string, top: string): Promise<string> {
  // What a push that created the branch gives as the commit before it (GitHub's
  // `github.event.before`): no commit, so nothing to check from.
  if (/^(0{40}|0{64})$/.test(since)) {
    return ": git's null commit, which a push that creates a branch gives as the commit before " +
      "it (GitHub's github.event.before): check since where the branch left its base " +
      '(--since "$(git merge-base origin/main HEAD)"), or without --since';
  }
  const near = await nearRefs(since, top);
  const unfetched = await unfetchedBranch(since, top);
  return near && unfetched ? `${near}; if that is no typo${unfetched}` : near || unfetched;
}

/**
 * For `since` naming a remote's branch (`origin/main`) this clone has no ref
 * for: why (a clone of one branch, as `--depth` makes, fetches no other, or a
 * repository with no remote at all) and the remedy, as a clause to append;
 * else `""`.
 */
async function unfetchedBranch(since: string, top: string): Promise<string> {
  const slash = since.indexOf("/");
  if (slash <= 0) return "";
  const remote = since.slice(0, slash);
  const branch = since.slice(slash + 1);
  const remotes = new TextDecoder().decode((await runGit(["remote"], top)).stdout).split("\n")
    .filter((name) => name !== "");
  // A repository begun with git init has none: `origin/main`, as CI names it, is no name here.
  if (remotes.length === 0) {
    return ": this repository has no remote (begun with git init, not cloned): name one of its " +
      "own branches or commits (git branch lists them)";
  }
  if (!remotes.includes(remote)) return "";
  // Quoted: a branch may hold what a shell reads (`it's`, `(1)`), and the command is run as printed.
  const refspec = shellWord(`${branch}:refs/remotes/${since}`);
  return `: this clone has no ref for ${remote}'s ${branch} (a clone of one branch, as ` +
    `--depth or --single-branch makes, fetches no other): git fetch ${shellWord(remote)} ` +
    `${refspec} first (GitHub Actions: actions/checkout with ` +
    "`fetch-depth: 0`)";
}

/**
 * The branches and tags one or two edits from `since` (`mian`, `orgin/main`), as
 * `" (did you mean main?)"`, else `""`: the refs are listed only once `since` is not found.
 */
async function nearRefs(since: string, top: string): Promise<string> {
  const refs = new TextDecoder().decode(
    (await runGit(["for-each-ref", "--format=%(refname:short)"], top)).stdout,
  ).split("\n").filter((r) => r !== "");
  const near = closestNames(since, refs).slice(0, 3);
  return near.length === 0 ? "" : ` (did you mean ${near.join(" or ")}?)`;
}

/**
 * An error in `since`, named as its caller knows it: `since` to a script,
 * `--since` on the command line.
 *
 * @example
 * ```ts
 * import { sinceError } from "./history_start.ts";
 * throw sinceError("names no commit");
 * ```
 */
export function sinceError(rest: string): OptionError {
  return new OptionError((name) => `${name("since")}: ${rest}`);
}

/**
 * How to fetch the history a shallow clone lacks, as a remedy says it.
 *
 * @example
 * ```ts
 * import { SHALLOW_REMEDY } from "./history_start.ts";
 * const remedy = `this clone is shallow: ${SHALLOW_REMEDY}`;
 * ```
 */
export const SHALLOW_REMEDY = "fetch it with `git fetch --unshallow` " +
  "(GitHub Actions: actions/checkout with `fetch-depth: 0`)";

/**
 * What to do about a shallow clone: fetch the rest, or, when verify's own
 * fetch failed (a read-only checkout), clone it whole elsewhere, since that
 * same fetch would fail again.
 */
function shallowRemedy(fetchFailure: string | true | undefined): string {
  if (typeof fetchFailure !== "string") return SHALLOW_REMEDY;
  return `verify's own \`git fetch --unshallow\` from the remote on this machine failed ` +
    `(${fetchFailure}): verify a clone made with the full history instead (\`git clone\` ` +
    "without --depth; GitHub Actions: actions/checkout with `fetch-depth: 0`)";
}

/**
 * Whether `since`, which names no commit here, may name one a shallow clone
 * lacks: it looks like a commit id, or an ancestor of a commit the clone has
 * (`HEAD~3`, `main^2`).
 */
async function mayBeCutOff(since: string, top: string): Promise<boolean> {
  if (/^[0-9a-f]{4,64}$/i.test(since)) return true;
  const start = /^(.+?)(?:[~^][0-9]*)+$/.exec(since)?.[1];
  return start !== undefined && await resolveCommit(start, top) !== undefined;
}

/**
 * A commit of `since..HEAD` off its first-parent chain (`walk`) whose
 * parents a shallow clone lacks, with the merge of that chain that brings
 * it in; `undefined` when the clone holds every merged branch back to where
 * it left.
 */
async function cutBranch(
  since: string,
  walk: CommitInfo[],
  shallow: Set<string>,
  top: string,
): Promise<{ merge: CommitInfo; commit: string } | undefined> {
  const { stdout } = await runGit(["rev-list", `${since}..HEAD`], top);
  const commit = new TextDecoder().decode(stdout).split("\n").find((id) => shallow.has(id));
  if (!commit) return undefined;
  return { merge: await joinCommit(commit, walk, top), commit };
}

/**
 * The first-parent commits of `since..HEAD`, oldest first, with their parents.
 *
 * @example
 * ```ts
 * import { firstParentWalk } from "./history_start.ts";
 * // In a git clone; --allow-run (git).
 * const walk = await firstParentWalk("HEAD~3", Deno.cwd());
 * walk.map((commit) => commit.subject); // the three subjects, oldest first
 * ```
 */
export async function firstParentWalk(since: string, top: string): Promise<CommitInfo[]> {
  const { code, stdout } = await runGit(
    ["rev-list", "--first-parent", "--parents", "--reverse", `${since}..HEAD`],
    top,
  );
  if (code !== 0) return []; // no commit on HEAD yet
  return new TextDecoder().decode(stdout).split("\n").filter((l) => l !== "").map((line) => {
    const [id, ...parents] = line.split(" ");
    return { id, parents, subject: "" };
  });
}

/**
 * The oldest commit of `walk` (HEAD's first-parent chain beyond `base`)
 * that contains `sinceCommit`, with its subject. HEAD contains it, so one does.
 */
async function joinCommit(sinceCommit: string, walk: CommitInfo[], top: string) {
  const { stdout } = await runGit(["rev-list", "--ancestry-path", `${sinceCommit}..HEAD`], top);
  const descendants = new Set(new TextDecoder().decode(stdout).split("\n"));
  const join = walk.find((c) => descendants.has(c.id))!;
  return { ...join, subject: await commitSubject(join.id, top) };
}

/** Whether a branch, remote-tracking branch or tag contains `commit`. */
async function onSomeRef(commit: string, top: string): Promise<boolean> {
  const { stdout } = await runGit(
    [
      "for-each-ref",
      "--count=1",
      "--format=%(refname)",
      "--contains",
      commit,
      "refs/heads/",
      "refs/remotes/",
      "refs/tags/",
    ],
    top,
  );
  return new TextDecoder().decode(stdout).trim() !== "";
}

/** A commit with its subject. */
async function commitInfo(id: string, top: string): Promise<CommitInfo> {
  return { id, parents: [], subject: await commitSubject(id, top) };
}

/**
 * The first line of commit `id`'s message, in UTF-8 whatever the user's config asks of `git log`.
 *
 * @example
 * ```ts
 * import { commitSubject } from "./history_start.ts";
 * // In a git clone; --allow-run (git).
 * const subject = await commitSubject("HEAD", Deno.cwd());
 * ```
 */
export async function commitSubject(id: string, top: string): Promise<string> {
  const { stdout } = await runGit(
    ["-c", "i18n.logOutputEncoding=UTF-8", "log", "-1", "--format=%s", id],
    top,
  );
  return new TextDecoder().decode(stdout).trim();
}

/**
 * Completes a shallow clone from its remote when that remote is on this
 * machine (a path or `file://`), so that no network is used: `true` when it
 * did, git's error when its fetch failed (a read-only checkout), else `undefined`.
 */
async function deepen(top: string, notes: string[]): Promise<true | string | undefined> {
  const names = new TextDecoder().decode((await runGit(["remote"], top)).stdout).split("\n")
    .filter((n) => n !== "");
  const name = names.includes("origin") ? "origin" : names.length === 1 ? names[0] : undefined;
  if (!name) return undefined;
  const url = new TextDecoder().decode((await runGit(["remote", "get-url", name], top)).stdout)
    .trim();
  const path = url.startsWith("file://")
    ? decodeURIComponent(url.slice("file://".length))
    : /^[^/]*:/.test(url)
    ? undefined // ssh, https, scp-like host:path: not on this machine
    : resolve(top, url);
  if (!path || !(await Deno.stat(path).then(() => true, () => false))) return undefined;
  const fetched = await runGit(["fetch", "-q", "--unshallow", name], top);
  if (fetched.code !== 0) {
    return fetched.stderr.split("\n").map((line) => line.trim()).find((line) => line !== "") ??
      `git exited with ${fetched.code}`;
  }
  notes.push(
    `${top} was a shallow clone: fetched the rest of its history from ${name} (${url}, ` +
      `on this machine)`,
  );
  return true;
}

/**
 * The record files and submodules of commit `base` (none when `undefined`).
 *
 * @example
 * ```ts
 * import { treeAt } from "./history_start.ts";
 * // In a git clone; --allow-run (git).
 * const { baseFiles, gitlinks } = await treeAt("HEAD", Deno.cwd());
 * [...baseFiles.keys()]; // HEAD's record files, paths from the top
 * ```
 */
export async function treeAt(
  base: string | undefined,
  top: string,
): Promise<BaseTree> {
  const baseFiles = new Map<string, string>();
  const gitlinks = new Map<string, string>();
  if (!base) return { baseFiles, gitlinks };
  const { code, stdout, stderr } = await runGit(
    ["ls-tree", "-r", "-z", "--full-tree", base],
    top,
  );
  if (code !== 0) throw new Error(`git ls-tree failed: ${stderr.split("\n")[0]}`);
  for (const entry of new TextDecoder().decode(stdout).split("\0")) {
    // `<mode> <type> <id>\t<path>`
    const tab = entry.indexOf("\t");
    if (tab < 0) continue;
    const [, type, id] = entry.slice(0, tab).split(" ");
    const path = entry.slice(tab + 1);
    if (type === "commit") gitlinks.set(path, id);
    else if (type === "blob" && isRecordFile(path)) baseFiles.set(path, id);
  }
  return { baseFiles, gitlinks };
}
