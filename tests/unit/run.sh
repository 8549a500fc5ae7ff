#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run native unit test binaries; print one TAP stream (kselftest style) and fail if any failed.
#
# Usage: tests/unit/run.sh BIN...
# Each binary's own TAP goes through unchanged, so every test case counts in
# the summary; a binary that fails without a `not ok` line gets one.  Exit 4
# from a binary is a skip (kselftest).
set -uo pipefail

if [ $# -eq 0 ]; then
	echo "usage: $0 BIN..." >&2
	exit 2
fi

# Sanitizer reports must fail the test, not scroll past: UBSan only warns by default.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
UNIT_TIMEOUT="${UNIT_TIMEOUT:-600}"

n=0 failed=0 skipped=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for bin in "$@"; do
	n=$((n + 1))
	name="unit/$(basename "$bin")"
	if [ ! -x "$bin" ]; then
		echo "not ok - $name: not built"
		failed=$((failed + 1))
		continue
	fi
	echo "# === $name"
	# stderr too: harness diagnostics and sanitizer reports go there.
	timeout --kill-after=10 "$UNIT_TIMEOUT" "$bin" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	nok=$(grep -c '^not ok ' "$out")
	case $rc in
	0)	;;
	4)	echo "ok - $name # SKIP"; skipped=$((skipped + 1)) ;;
	124)	echo "not ok - $name: timeout ${UNIT_TIMEOUT}s"; failed=$((failed + 1)) ;;
	*)	failed=$((failed + 1))
		[ "$nok" -gt 0 ] || echo "not ok - $name: exit $rc" ;;
	esac
done
echo "# unit: $((n - failed - skipped)) of $n binaries passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
