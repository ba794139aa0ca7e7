#!/bin/sh
# runrec's checks for a pull request, run from the root of the repository it checks:
#   runrec-sandboxed validate .      every RunRecords.csv follows the schema
#   runrec verify . --since BASE     records committed since BASE were only appended to
#   runrec agents check agents/      agent files carry an up-to-date runrec block (if agents/ exists)
# All three run; the exit code is the worst: 0 all pass, 1 a check found a problem, 2 an error.
#
# Usage: sh runrec-ci.sh BASE        (BASE: the commit the pull request starts from)
# Environment:
#   RUNREC_SOURCE       a checkout of runrec: install runrec from it first
#   RUNREC_INSTALL_DIR  where runrec is (or goes); default ~/.local/bin
#   DENO                the Deno that installs; default: npx -y deno@2.9.6
set -u
if [ $# -ne 1 ]; then
  echo "usage: sh runrec-ci.sh BASE" >&2
  exit 2
fi
base=$1
bin=${RUNREC_INSTALL_DIR:-$HOME/.local/bin}
if [ -n "${RUNREC_SOURCE:-}" ]; then
  ${DENO:-npx -y deno@2.9.6} task --quiet --config "$RUNREC_SOURCE/deno.json" install --dir "$bin" ||
    exit 2
fi
PATH=$bin:$PATH

worst=0
check() {
  echo "+ $*"
  "$@"
  code=$?
  if [ "$code" -gt "$worst" ]; then worst=$code; fi
}
check runrec-sandboxed validate .
check runrec verify . --since "$base"
if [ -d agents ]; then check runrec agents check agents/; fi
exit "$worst"
