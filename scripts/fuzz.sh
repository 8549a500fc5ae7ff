#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the libFuzzer target for the on-disk decoders; print one TAP line.
#
# Usage: scripts/fuzz.sh [SECONDS]   (default 20; run from anywhere)
# Corpus: build/fuzz/corpus (kept between runs, re-seeded with valid
# encodings each time).  A crash leaves its input as build/fuzz/crash-*;
# replay it with: build/fuzz/ondisk build/fuzz/crash-...
set -uo pipefail

secs="${1:-20}"
cd "$(dirname "$0")/.." || exit 1
out=build/fuzz
name="fuzz ondisk"

fail() {
	echo "not ok - $name # $*"
	exit 1
}

case $secs in
''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
mkdir -p "$out/corpus" || fail "cannot create $out"
# Built by make (mk/tests.mk) with clang and libFuzzer's runtime (Debian: libclang-rt-14-dev).
for exe in "$out/ondisk" "$out/ondisk-seeds"; do
	[ -x "$exe" ] || fail "$exe not built (make units; needs clang)"
done
# The seed writer also checks that every seed decodes: a bad seed starves the fuzzer.
"$out/ondisk-seeds" "$out/corpus" >"$out/seeds.log" 2>&1 ||
	{ sed 's/^/# /' "$out/seeds.log"; fail "seed corpus rejected by the decoders"; }

log="$out/ondisk.log"
"$out/ondisk" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
	-print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" >"$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
runs="${runs:-$(grep -o 'Done [0-9]* runs' "$log" | tail -n 1 | grep -o '[0-9]*')}"
if [ "$rc" -ne 0 ]; then
	# The sanitizer or invariant report, then where the input went.
	grep -E 'invariant failed|ERROR: |runtime error|SUMMARY|Test unit written|^#[0-9]+ *(NEW|DONE)' \
		"$log" | tail -n 20 | sed 's/^/# /'
	fail "exit $rc after ${runs:-?} runs, log $log"
fi
echo "ok - $name (${runs:-?} runs)"
