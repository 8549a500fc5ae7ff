#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The worker-host VM's checks, booted by systemd (tests/vm/hostvm.sh); /hostvm/boot says which
# boot: 1 formats the space from spaces.conf (blank drives), 2 finds it again with the drives
# presented in the other order.  TAP lines for the host to count.
. /hostvm/tap.sh
boot=$(cat /hostvm/boot)
echo "# hostvm boot $boot: $(uname -r), $(systemctl is-system-running 2>&1)"

# dpkg -i ran in the initramfs, before systemd: a maintainer script that failed there (the
# overlay refused systemd-sysusers' fsync) is finished here, as on a booted host.
t "our packages are installed and configured" \
	sh -c 'dpkg --configure -a && dpkg-query -W -f="\${Status}\n" libscratch1 scratch-tools | grep -vc "ok installed" | grep -qx 0'
t "scratch-assemble.service ran and is active" systemctl is-active scratch-assemble.service
t "the space 'work' is attached" sh -c 'scratchctl status --json | grep -q "\"label\": \"work\""'
t "/dev/scratch/work links to the space" sh -c '[ -b /dev/scratch/work ] || [ -c /dev/scratch/work ]'
t "/dev/scratch0 belongs to group scratch, mode 0660" \
	sh -c '[ "$(stat -c %G:%a /dev/scratch0)" = scratch:660 ]'
t "the control node stays root's" sh -c '[ "$(stat -c %U:%G:%a /dev/scratch-control)" = root:root:600 ]'
useradd -M -N -G scratch worker 2>/dev/null
if [ "$boot" = 1 ]; then
	t "the space was formatted on the blank drives" sh -c 'journalctl -u scratch-assemble | grep -q "work: scratch0 (formatted)"'
	head -c 300000 /dev/urandom > /hostvm/atom.in
	t "a user in group scratch stores an atom, no privilege" \
		sh -c 'runuser -u worker -- scratchctl put /dev/scratch/work /hostvm/atom.in > /hostvm/atom.id'
else
	t "the space was assembled with its drives in the other order" sh -c 'journalctl -u scratch-assemble | grep -q "work: scratch0 (assembled)" && scratchctl status | grep -q "member 0   /dev/nvme1n1"'
	t "a user in group scratch reads the atom back" \
		sh -c 'runuser -u worker -- scratchctl get /dev/scratch/work $(cat /hostvm/atom.id) | cmp - /hostvm/atom.in'
	t "a user outside the group is refused" \
		sh -c '! runuser -u nobody -- scratchctl get 0 $(cat /hostvm/atom.id) 2>/dev/null'
	t "formatting the drive that holds ext4 is refused" \
		sh -c 'scratchctl attach --format /dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_sc2 2>&1 | grep -q "ext4"'
	systemctl start scratch-metrics.service
	t "the metrics file for node_exporter" \
		sh -c 'grep -q "^scratch_atoms{space=\"scratch0\"" /var/lib/prometheus/node-exporter/scratch.prom'
	t "stopping scratch-assemble detaches the space" \
		sh -c 'systemctl stop scratch-assemble.service && [ -z "$(scratchctl ls)" ]'
fi
echo "1..$n"
