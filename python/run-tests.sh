#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# Run the binding's pytest files and print TAP (one line per test) for make check's counts.
# Usage: python/run-tests.sh TEST_FILE...   (environment: SCRATCH_LIBRARY, SCRATCH_SPACE;
#        PYTEST_LOG: a file that gets pytest's whole output)
cd "$(dirname "$0")" || exit 2
PY=${PYTHON:-/usr/bin/python3}
out=$(mktemp)
PYTHONPATH=$(pwd) "$PY" -m pytest -p no:cacheprovider -v -rN --tb=short "$@" > "$out" 2>&1
rc=$?
[ -z "${PYTEST_LOG:-}" ] || cp "$out" "$PYTEST_LOG"
sed -n 's/^\(tests\/.*\) PASSED.*/ok - python: \1/p
s/^\(tests\/.*\) SKIPPED.*/ok - python: \1 # SKIP/p
s/^\(tests\/.*\) \(FAILED\|ERROR\).*/not ok - python: \1/p' "$out"
if [ $rc -ne 0 ]; then
	sed -n '/^=* FAILURES =*$/,$p' "$out" | grep -v '^\(INFO\|WARNING\|DEBUG\) ' | sed 's/^/# /' | tail -n 150
	grep -q ' \(FAILED\|ERROR\)' "$out" || echo "not ok - python: pytest exited $rc"
fi
rm -f "$out"
exit $rc
