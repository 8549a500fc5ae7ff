#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The worker-host VM's checks, run by systemd once the boot is up (tests/vm/hostvm.sh): the
# space 'work' (formatted by an earlier boot, its drives now in the other order) assembled by
# uuid, the space 'fresh' formatted on its blank drive, group access, the ext4 drive refused,
# metrics, detach on stop.  TAP lines for the host to count.
. /hostvm/tap.sh
echo "# hostvm: $(uname -r), $(systemctl is-system-running 2>&1)"

# dpkg -i ran in the initramfs, before systemd: a maintainer script that failed there (the
# overlay refused systemd-sysusers' fsync) is finished here, as on a booted host.
t "our packages are installed and configured" \
	sh -c 'dpkg --configure -a && dpkg-query -W -f="\${Status}\n" libscratch1 scratch-tools python3-scratch | grep -vc "ok installed" | grep -qx 0'
t "scratch-assemble.service ran and is active" systemctl is-active scratch-assemble.service
t "the space 'work' was assembled by uuid, its drives in the other order" \
	sh -c 'journalctl -u scratch-assemble | grep -q "work: scratch[0-9] (assembled)" &&
	       scratchctl status /dev/scratch/work | grep -q "member 0   /dev/nvme1n1" &&
	       scratchctl status /dev/scratch/work --json | grep -q "\"uuid\": \"$(cat /hostvm/uuid)\""'
t "the space 'fresh' was formatted on its blank drive" \
	sh -c 'journalctl -u scratch-assemble | grep -q "fresh: scratch[0-9] (formatted)" && [ -e /dev/scratch/fresh ]'
t "/dev/scratch/work links to the space" sh -c '[ -c /dev/scratch/work ]'
t "the spaces' nodes belong to group scratch, mode 0660" \
	sh -c 'for d in /dev/scratch[0-9]*; do [ "$(stat -c %G:%a "$d")" = scratch:660 ] || exit 1; done'
t "the control node stays root's" sh -c '[ "$(stat -c %U:%G:%a /dev/scratch-control)" = root:root:600 ]'
useradd -M -N -G scratch worker 2>/dev/null
head -c 300000 /dev/urandom > /hostvm/atom.in
t "a user in group scratch stores an atom, no privilege" \
	sh -c 'runuser -u worker -- scratchctl put /dev/scratch/work /hostvm/atom.in > /hostvm/atom.id'
t "a user outside the group is refused" \
	sh -c '! runuser -u nobody -- scratchctl get /dev/scratch/work $(cat /hostvm/atom.id) 2>/dev/null'
t "formatting the drive that holds ext4 is refused, naming it" \
	sh -c 'scratchctl attach --format /dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_sc3 2>&1 | grep -q "ext4"'
t "python3 imports scratch from python3-scratch" \
	sh -c 'cd / && python3 -c "import scratch; assert scratch.__file__.startswith(\"/usr/lib/python3/dist-packages/scratch/\"), scratch.__file__"'
# The Python binding and the Dask spill store (python/tests) as the same user: a TAP line each.
runuser -u worker -- env SCRATCH_SPACE=/dev/scratch/work SCRATCH_SMALL_SPACE=/dev/scratch/fresh \
	PYTHONDONTWRITEBYTECODE=1 PYTEST_LOG=/tmp/pytest.log /hostvm/python/run-tests.sh tests/test_space.py tests/test_dask.py \
	> /tmp/python.tap 2>&1
while IFS= read -r l; do
	case $l in
	"ok - "*) n=$((n + 1)); echo "ok $n - ${l#ok - }" ;;
	"not ok - "*) n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - ${l#not ok - }" ;;
	*) echo "$l" ;;
	esac
done < /tmp/python.tap
cp /tmp/pytest.log /hostvm/pytest.log 2>/dev/null
grep -q '^ok - python' /tmp/python.tap || t "the Python binding's tests ran" false
systemctl start scratch-metrics.service
t "the metrics file for node_exporter" \
	sh -c 'grep -q "^scratch_atoms{space=\"scratch[0-9]\"" /var/lib/prometheus/node-exporter/scratch.prom'
t "stopping scratch-assemble detaches the spaces" \
	sh -c 'systemctl stop scratch-assemble.service && [ -z "$(scratchctl ls)" ]'
t "starting it again assembles both, and the atom reads back for the user" \
	sh -c 'systemctl start scratch-assemble.service && [ "$(scratchctl ls | wc -l)" = 2 ] &&
	       runuser -u worker -- scratchctl get /dev/scratch/work $(cat /hostvm/atom.id) | cmp - /hostvm/atom.in'
echo "1..$n"
