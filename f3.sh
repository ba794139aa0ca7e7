#!/bin/bash
# F3: a start killed between writing its pending file's temporary copy and the rename leaves
# .runrec/pending/<id>.json.<rand>.tmp forever: reap (even --older-than 0s) neither removes nor names it.
R=${RUNREC:-/tmp/soak/bin/runrec}; P=/tmp/fix-soak27/p3; rm -rf $P
D=$P/PKG-01_Pkg/1_Working/DEL-01-01_Thing1; mkdir -p $D $P/_Decomposition; echo "# Init" > $P/INIT.md
printf '**DeliverableID:** DEL-01-01\n' > $D/_CONTEXT.md
# rename #1 is .runrec/.gitignore's, #2 the pending file's: the kernel kills start as it enters it
strace -f -qq -o /dev/null -e inject=rename:signal=KILL:when=2 $R start $D --agent 4_DOCUMENTS; echo "start exit $?"
$R reap $P --older-than 0s; $R emit $D --agent 4_DOCUMENTS --status SUCCESS >/dev/null; $R reap $P --older-than 0s
echo "left in .runrec/pending:"; ls -la $D/.runrec/pending
