#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# As a new user would: `make install` into a staging root, build examples/shuffle.c with
# pkg-config (shared and static), run it; and check that the exported symbols, the version
# script, the header and the man pages list the same functions.  TAP on stdout.
#
# Usage: scripts/install-check.sh      (from the top of the tree; part of `make unit`)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2

ROOT=$PWD/build/install-check
rm -rf "$ROOT"
. tests/tap.sh

echo "TAP version 13"
echo "1..10"
t "make install PREFIX=/usr DESTDIR=staging" make -s install PREFIX=/usr DESTDIR="$ROOT"
export PKG_CONFIG_SYSROOT_DIR=$ROOT PKG_CONFIG_LIBDIR=$ROOT/usr/lib/pkgconfig:/usr/lib/x86_64-linux-gnu/pkgconfig
t "pkg-config knows libscratch" pkg-config --exists libscratch
t "shuffle builds against the installed library (shared)" \
	sh -c "cc -O2 -Wall -Werror examples/shuffle.c -o '$ROOT/shuffle' \$(pkg-config --cflags --libs libscratch)"
t "shuffle builds against the installed library (static)" \
	sh -c "cc -O2 -Wall -Werror -static examples/shuffle.c -o '$ROOT/shuffle-static' \$(pkg-config --static --cflags --libs libscratch)"
# Without a space to talk to, the program can still start and print its usage.
t "the shared build loads libscratch.so.1 and runs" \
	sh -c "LD_LIBRARY_PATH='$ROOT/usr/lib' '$ROOT/shuffle'; [ \$? -eq 2 ] && LD_LIBRARY_PATH='$ROOT/usr/lib' ldd '$ROOT/shuffle' | grep -q 'libscratch.so.1 => $ROOT'"

# Every function: in the header, exported under the version script, with a man page.
api() { sed -n 's/^[a-z].*[ *]\(scratch_[a-z0-9_]*\)(.*/\1/p' include/scratch.h | sort -u; }
exported() { nm -D --defined-only "$ROOT/usr/lib/libscratch.so.1" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort -u; }
mapped() { sed -n 's/^[[:space:]]*\(scratch_[a-z0-9_]*\);/\1/p' ulib/libscratch.map | sort -u; }
same() { diff <(api) <(exported) && diff <(api) <(mapped); }
t "exported symbols == functions in include/scratch.h == libscratch.map" same
missing=$(for f in $(api); do [ -f "$ROOT/usr/share/man/man3/$f.3" ] || echo "$f"; done)
t "a man page for every function, and scratchctl(8)" \
	sh -c "[ -z '$missing' ] || { echo 'no man page: $missing'; exit 1; }; [ -f '$ROOT/usr/share/man/man8/scratchctl.8' ]"
# A program linked against 1.0 (stat without the size) binds the 1.0 form and keeps running.
old10() {
	cat > "$ROOT/old10.c" <<'EOF_C'
struct scratch;
struct scratch_id { unsigned long long lo, hi; };
__asm__(".symver scratch_atom_stat, scratch_atom_stat@LIBSCRATCH_1.0");
int scratch_atom_stat(struct scratch *s, struct scratch_id id, void *info);
int main(void)
{
	struct scratch_id id = { 1, 1 };
	unsigned long long info[5];

	return scratch_atom_stat((struct scratch *)0, id, info) == -22 ? 0 : 1;
}
EOF_C
	cc -O2 -Wall -Werror -o "$ROOT/old10" "$ROOT/old10.c" -L"$ROOT/usr/lib" -lscratch &&
		objdump -T "$ROOT/old10" | grep -q 'LIBSCRATCH_1.0.*scratch_atom_stat' &&
		LD_LIBRARY_PATH="$ROOT/usr/lib" "$ROOT/old10"
}
t "a program built against 1.0 binds and runs the 1.0 form of scratch_atom_stat" old10
# The units systemd would load from the staging root: syntax, dependencies, executables.
units() {
	local u out
	command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing"; return 1; }
	mkdir -p "$ROOT/bin" "$ROOT/sbin"
	cp /bin/sh "$ROOT/bin/" && cp /sbin/modprobe "$ROOT/sbin/" || return 1
	cp -n /lib/systemd/system/*.target /lib/systemd/system/systemd-udev-settle.service \
		/lib/systemd/system/systemd-modules-load.service "$ROOT/usr/lib/systemd/system/"
	for u in "$ROOT"/usr/lib/systemd/system/scratch-*; do
		out=$(systemd-analyze verify --root="$ROOT" --man=no "$(basename "$u")" 2>&1)
		[ -z "$out" ] || { echo "$out"; return 1; }
	done
}
t "systemd-analyze verify: the scratch units" units
# Completion knows every command the tool lists in its usage, and only those.
completion() {
	local c="$ROOT/usr/share/bash-completion/completions/scratchctl" want got
	want=$("$ROOT/usr/sbin/scratchctl" --help | sed -n 's/^  \([a-z][a-z]*\)\( .*\)\{0,1\}$/\1/p' | sort)
	got=$(bash -c "source '$c'; COMP_WORDS=(scratchctl ''); COMP_CWORD=1; _scratchctl
		printf '%s\n' \"\${COMPREPLY[@]}\"" | grep -v '^-' | sort)
	[ -n "$want" ] && [ "$want" = "$got" ] || { diff <(echo "$want") <(echo "$got"); return 1; }
	bash -c "source '$c'; COMP_WORDS=(scratchctl attach --f); COMP_CWORD=2; _scratchctl
		[ \"\${COMPREPLY[*]}\" = '--format --force' ]"
}
t "bash completion: the commands of --help, and a command's options" completion
[ $bad -eq 0 ]
