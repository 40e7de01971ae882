#!/bin/sh
# /init of the lab's initramfs guest: mount the kernel filesystems, load the modules the image lists,
# bring up user-mode networking and start dropbear. It prints LAB-READY on the console when sshd
# listens, so the host waits for that line instead of polling the port.
export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run /tmp /var/log
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
hostname lab-guest

while read -r mod; do
	[ -n "$mod" ] || continue
	modprobe "$mod" || echo "LAB-MODPROBE-FAILED $mod"
done < /etc/lab/modules

ip link set lo up
ip link set eth0 up
# QEMU user networking: fixed addresses, so no DHCP round trip at boot.
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2

dropbear -s -r /etc/dropbear/dropbear_ed25519_host_key -p 22 -P /run/dropbear.pid
read -r up _ < /proc/uptime
echo "LAB-READY $(cat /proc/sys/kernel/osrelease) uptime=$up"

# PID 1 must not exit; poweroff comes over SSH as "poweroff -f".
while :; do sleep 3600; done
