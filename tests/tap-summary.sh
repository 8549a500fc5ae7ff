#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Count top-level TAP results across log files; the last output line is "N passed, N failed".
#
# Usage: tests/tap-summary.sh LOGFILE...
# `ok ...` lines count as passed (or skipped when they carry a `# SKIP` directive), `not ok ...`
# lines as failed; a missing or unreadable log counts as one failure.  Exits 1 if anything
# failed or nothing passed.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 LOGFILE..." >&2; exit 2; }

passed=0
failed=0
skipped=0
for log in "$@"; do
	if [ ! -r "$log" ]; then
		echo "# tap-summary: $log missing"
		failed=$((failed + 1))
		continue
	fi
	read -r p f s < <(tr -d '\r' <"$log" | awk '
		/^not ok([ \t]|$)/ { f++; next }
		/^ok([ \t]|$)/ { if (tolower($0) ~ /#[ \t]*skip/) s++; else p++ }
		END { printf "%d %d %d\n", p, f, s }')
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
done

[ "$skipped" -eq 0 ] || echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
