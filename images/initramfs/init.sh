#!/bin/sh
# /init of the lab's initramfs guest: mount the kernel filesystems, load the modules the image lists,
# run the suite's boot script if the image has one, bring up user-mode networking and start dropbear.
# It prints LAB-READY on the console when sshd listens and the network is up, so the host waits for
# that line instead of polling the port.
export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run /tmp /var/log
# devtmpfs has no /dev/fd or /dev/std*: udev makes them on a full system, and scripts write to them
# (kselftest's runner appends each test's output to /dev/stdout).
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
for i in 0:stdin 1:stdout 2:stderr; do [ -e /dev/${i#*:} ] || ln -s /proc/self/fd/${i%%:*} /dev/${i#*:}; done
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
hostname lab-guest
# Read once with the shell's own read: under TCG every process init starts costs ~10 ms.
read -r cmdline </proc/cmdline
cmdline=" $cmdline "
read -r release </proc/sys/kernel/osrelease

# dropbear starts first, in the background: loading its libraries and key under TCG takes as long as
# loading the modules and bringing up the network, and it listens on every address, so it need not wait
# for eth0. Not for a root-disk guest: switch_root would leave it holding port 22 in the old root.
case $cmdline in
*" lab.rootfs="*) ;;
*) dropbear -F -s -r /etc/dropbear/dropbear_ed25519_host_key -p 22 -P /run/dropbear.pid </dev/null >/dev/null 2>&1 & ;;
esac

while read -r mod; do
	[ -n "$mod" ] || continue
	modprobe "$mod" || echo "LAB-MODPROBE-FAILED $mod"
done < /etc/lab/modules

# The host's directory (`--share`: lab.share=DIR lab.share_fs=virtiofs|9p [lab.share_rw]) at the same path,
# read-only unless --rw (the host refuses writes too). Before the boot script, which may use it.
share=
case $cmdline in
*" lab.share="*)
	share=${cmdline#* lab.share=}
	share=${share%% *}
	sfs=${cmdline#* lab.share_fs=}
	sfs=${sfs%% *}
	sopt=ro
	case $cmdline in *" lab.share_rw "*) sopt=rw ;; esac
	mkdir -p "$share"
	if [ "$sfs" = 9p ]; then
		mount -t 9p -o "trans=virtio,version=9p2000.L,msize=262144,$sopt" labshare "$share"
	else
		mount -t virtiofs -o "$sopt" labshare "$share"
	fi || echo "LAB-SHARE-FAILED cannot mount the host's $share over $sfs"
	;;
esac

# The suite's boot work (KUnit test modules, say), before the network: its output goes to the console,
# where the host reads it without waiting for SSH. LAB-BOOT-SCRIPT says the kernel booted and the work
# begins (its time is the suite's, not the boot's); LAB-BOOT-DONE that it is complete.
if [ -f /etc/lab/boot.sh ]; then
	echo "LAB-BOOT-SCRIPT $release"
	sh /etc/lab/boot.sh
	rc=$?
	echo "LAB-BOOT-DONE $release rc=$rc"
fi

# A rootfs guest (lab.rootfs=/dev/vda): the disk becomes / after the kernel's modules, the kselftests
# and the workloads are copied in (the disk runs in snapshot mode: the cached image stays untouched).
case $cmdline in
*" lab.rootfs="*)
	root=$(sed -n 's/.* lab\.rootfs=\([^ ]*\).*/\1/p' /proc/cmdline)
	mkdir -p /newroot
	if mount -t ext4 "$root" /newroot; then
		mkdir -p /newroot/lib/modules /newroot/opt /newroot/usr/local/bin
		cp -a /lib/modules/. /newroot/lib/modules/ 2>/dev/null
		[ -d /opt/kselftest ] && cp -a /opt/kselftest /newroot/opt/
		cp -a /usr/local/bin/. /newroot/usr/local/bin/ 2>/dev/null
		umount /sys/kernel/debug /sys/kernel/tracing /dev/pts /tmp /run 2>/dev/null
		mount --move /dev /newroot/dev
		mount --move /proc /newroot/proc
		mount --move /sys /newroot/sys
		[ -n "$share" ] && mkdir -p "/newroot$share" && mount --move "$share" "/newroot$share"
		exec switch_root /newroot /lab/init-rootfs
	fi
	echo "LAB-ROOTFS-FAILED cannot mount $root"
	;;
esac

ip link set lo up
ip link set eth0 up
# QEMU user networking: fixed addresses, so no DHCP round trip at boot.
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2

# TCG guests: keep QEMU's software TLB refilling so accessed bits behave as on hardware (tlb-churn.c).
case $cmdline in *" lab.tlb_churn "*) tlb-churn </dev/null >/dev/null 2>&1 & ;; esac

# LAB-READY once dropbear listens on port 22 (0x0016, state 0A in /proc/net/tcp; read with the shell's
# own read, no process per look), so the host's first connection is answered. At most 10 s.
listening() {
	while read -r _ local _ state _; do
		[ "$state" = 0A ] && case $local in *:0016) return 0 ;; esac
	done </proc/net/tcp
	return 1
}
n=0
until listening || [ $n -ge 1000 ]; do
	n=$((n + 1))
	sleep 0.01
done
read -r up _ < /proc/uptime
if listening; then
	echo "LAB-READY $release uptime=$up"
else
	echo "LAB-SSHD-FAILED dropbear is not listening on port 22 after 10 s"
fi

# PID 1 must not exit; poweroff comes over SSH as "poweroff -f".
while :; do sleep 3600; done
