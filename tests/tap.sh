# SPDX-License-Identifier: GPL-2.0
# Sourced by shell tests (scripts/install-check.sh, tests/vm/host/test.sh; POSIX sh):
# t DESCRIPTION COMMAND...  runs COMMAND and prints one TAP line, numbered by $n; a failure
# counts in $bad and shows the command's last lines as diagnostics.
n=0
bad=0
t() {
	local d=$1
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n - $d"
	else
		echo "not ok $n - $d"
		printf '%s\n' "$out" | tail -n 8 | sed 's/^/#   /'
		bad=$((bad + 1))
	fi
}
