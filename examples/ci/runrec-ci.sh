#!/bin/sh
# runrec's checks for a pull request, run from the root of the repository it checks:
#   runrec-sandboxed validate .      every RunRecords.csv follows the schema
#   runrec verify --since BASE -- . [_Archive...]
#                                    records committed since BASE were only appended to
#   runrec agents check agents/      agent files carry an up-to-date runrec block (if agents/
#                                    holds AGENT_*.md files)
# All three run; the exit code is the worst: 0 all pass, 1 a check found a problem, 2 an error.
#
# Usage: sh runrec-ci.sh BASE        (BASE: the commit the pull request starts from)
# Environment:
#   RUNREC_SOURCE       a checkout of runrec: install runrec from it first
#   RUNREC_INSTALL_DIR  where runrec is (or goes); default ~/.local/bin, else (no HOME) PATH
#   DENO                the Deno that installs; default: npx -y deno@2.9.6
set -u
if [ $# -ne 1 ]; then
  echo "usage: sh runrec-ci.sh BASE" >&2
  exit 2
fi
base=$1
# A CI job may run with no HOME: then runrec is found on PATH, or installed where told.
bin=${RUNREC_INSTALL_DIR:-${HOME:+$HOME/.local/bin}}
if [ -n "${RUNREC_SOURCE:-}" ]; then
  if [ -z "$bin" ]; then
    echo "runrec-ci.sh: HOME is unset, so there is no ~/.local/bin: set RUNREC_INSTALL_DIR" >&2
    exit 2
  fi
  ${DENO:-npx -y deno@2.9.6} task --quiet --config "$RUNREC_SOURCE/deno.json" install --dir "$bin" ||
    exit 2
fi
if [ -n "$bin" ]; then PATH=$bin:$PATH; fi

worst=0
check() {
  echo "+ $*"
  "$@"
  code=$?
  # A code beyond 2 (127: runrec not found) is an error of the check itself.
  if [ "$code" -gt 2 ]; then code=2; fi
  if [ "$code" -gt "$worst" ]; then worst=$code; fi
}
check runrec-sandboxed validate .
# Every _Archive/ of retired deliverables this repository tracks is checked too, and a restarted
# deliverable against it. git and xargs pass the paths NUL-separated (a folder's name may hold a
# line break); each becomes its _Archive folder, printed single-quoted for the eval below.
archives=$(git ls-files -z -- '_Archive/*' '*/_Archive/*' | xargs -0 sh -c '
  q=$(printf "\047")
  for path; do
    case $path in
      _Archive/*) archive=_Archive ;;
      *) archive=${path%%/_Archive/*}/_Archive ;;
    esac
    # git lists the files of a folder together: one word per folder.
    if [ "$archive" = "${last-}" ]; then continue; fi
    last=$archive
    quoted=
    while :; do
      case $archive in
        *"$q"*)
          quoted=$quoted${archive%%"$q"*}$q\\$q$q
          archive=${archive#*"$q"}
          ;;
        *) break ;;
      esac
    done
    printf "%s " "$q$quoted$archive$q"
  done' sh)
eval "set -- $archives"
# After --: a folder may be named -x (as the pre-receive hook names them).
check runrec verify --since "$base" -- . "$@"
if ls agents/AGENT_*.md >/dev/null 2>&1; then check runrec agents check agents/; fi
exit "$worst"
