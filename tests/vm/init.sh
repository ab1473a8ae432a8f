#!/bin/busybox sh
# shellcheck shell=dash
# PID 1 of the socktrace test VM; tests/vm/run copies it into the initramfs as /init.
#
# Stage 1 (no argument, in the initramfs): load the 9p and overlay modules, mount the
# host's root (9p, read-only) under a tmpfs overlay, mount the API filesystems there,
# bring up lo, then switch_root into it. Doing a real switch_root (not a chroot of the
# child only) makes the new root the root of PID 1 and of the kernel's usermode
# helpers, so module autoloading runs the host's /sbin/modprobe against the guest
# kernel's modules (bind-mounted from tests/vm/cache).
#
# Stage 2 ("stage2", PID 1 in the new root): run the job script with a clean
# environment, print the exit marker on the console, power off.
#
# The job directory (socktrace_vm.job= on the kernel command line) is a host
# directory, read through the share: "env" (nonce, kver, moddir, kconfig) and
# "cmd" (the bash script that cds to the caller's directory and execs the command).

vmdir=/run/socktrace-vm        # in the new root: busybox, this script, the job

fail() {
	echo "vm-init: $*"
	# Give the UART time to drain, then leave; the host sees no exit marker.
	sleep 1
	poweroff -f
}

stage1() {
	export PATH=/bin
	/bin/busybox --install -s /bin
	# The initramfs has no /dev/console node, so the kernel gave us no stdio: get it
	# from devtmpfs.
	mount -t devtmpfs devtmpfs /dev
	exec </dev/console >/dev/console 2>&1
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys

	job=
	for w in $(cat /proc/cmdline); do   # words, not lines
		case $w in socktrace_vm.job=*) job=${w#*=} ;; esac
	done
	[ -n "$job" ] || fail "no socktrace_vm.job= on the kernel command line"

	# Modules in dependency order, computed on the host (modprobe --show-depends).
	while read -r m; do
		insmod "/lib/modules/$m" || fail "insmod $m failed"
	done </lib/modules/order

	mkdir -p /host /rw /newroot
	# cache=loose: the share is read-only and a run is short, so let the guest cache
	# pages and dentries; it makes exec of host binaries much faster under TCG.
	mount -t 9p -o trans=virtio,version=9p2000.L,cache=loose,msize=262144,ro \
		hostroot /host || fail "cannot mount the host root (9p tag hostroot)"
	[ -r "/host$job/env" ] || fail "job $job not visible through the share"
	nonce='' kver='' moddir='' kconfig=''
	# shellcheck disable=SC1090
	. "/host$job/env"

	# Everything writable; writes land in guest RAM and never reach the host.
	mount -t tmpfs -o mode=0755 rw /rw
	mkdir /rw/upper /rw/work
	mount -t overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
		fail "cannot mount the overlay on the host root"

	r=/newroot
	# Move the mounts we hold open (console fds) rather than unmounting them.
	mount --move /dev $r/dev
	mount --move /proc $r/proc
	mount --move /sys $r/sys
	mkdir -p $r/dev/pts $r/dev/shm
	mount -t devpts -o mode=0620,gid=5,ptmxmode=0666 devpts $r/dev/pts
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs $r/dev/shm
	ln -sf /proc/self/fd $r/dev/fd
	ln -sf /proc/self/fd/0 $r/dev/stdin
	ln -sf /proc/self/fd/1 $r/dev/stdout
	ln -sf /proc/self/fd/2 $r/dev/stderr
	mount -t bpf -o mode=0700 bpf $r/sys/fs/bpf
	mount -t tracefs tracefs $r/sys/kernel/tracing
	mount -t debugfs debugfs $r/sys/kernel/debug
	mount -t securityfs securityfs $r/sys/kernel/security
	mount -t cgroup2 cgroup2 $r/sys/fs/cgroup
	# The host's /run (pid files, sockets of host daemons) must not leak in.
	mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs $r/run
	mkdir -p $r/run/lock $r$vmdir
	chmod 1777 $r/run/lock
	# The guest kernel's modules, depmod'ed on the host, for modprobe and autoload.
	mkdir -p "$r/lib/modules/$kver"
	mount -o bind,ro "$r$moddir" "$r/lib/modules/$kver" ||
		echo "vm-init: warning: no modules for $kver (modprobe will not work)"

	# The guest kernel's config where bpftool feature probe and friends look for it.
	mkdir -p $r/boot
	cp "$r$kconfig" "$r/boot/config-$kver" ||
		echo "vm-init: warning: no kernel config for $kver"

	cp /bin/busybox /init $r$vmdir/
	cp "/host$job/cmd" $r$vmdir/cmd
	echo "$nonce" >$r$vmdir/nonce

	ip link set lo up || fail "cannot bring up lo"
	hostname socktrace-vm
	echo "127.0.1.1	socktrace-vm" >>$r/etc/hosts
	# shellcheck disable=SC2093  # fail only if exec itself fails
	exec switch_root $r $vmdir/busybox sh $vmdir/init stage2
	fail "switch_root failed"
}

stage2() {
	bb=$vmdir/busybox
	nonce=$($bb cat $vmdir/nonce)
	echo "@@socktrace-vm-begin:$nonce@@"
	/usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root TERM=dumb LANG=C.UTF-8 USER=root LOGNAME=root SHELL=/bin/bash \
		/bin/bash $vmdir/cmd </dev/null
	rc=$?
	# Leading newline: the host drops it, so output without a final newline survives.
	printf '\n@@socktrace-vm-exit:%s=%d@@\n' "$nonce" "$rc"
	# The host kills qemu on seeing the marker; if it does not, drain and power off.
	$bb sleep 2
	$bb poweroff -f
}

case ${1:-} in
stage2) stage2 ;;
*) stage1 ;;
esac
