#!/bin/bash
# Init of the lab's Debian rootfs guest, started by the initramfs after switch_root. Brings up the
# user-mode network and OpenSSH, then prints LAB-READY on the console like the initramfs guest does.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run/sshd /tmp
# devtmpfs has no /dev/fd or /dev/std*: udev makes them on a full system, and scripts write to them
# (kselftest's runner appends each test's output to /dev/stdout).
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
for i in 0:stdin 1:stdout 2:stderr; do [ -e /dev/${i#*:} ] || ln -s /proc/self/fd/${i%%:*} /dev/${i#*:}; done
mountpoint -q /dev/pts || mount -t devpts devpts /dev/pts
mountpoint -q /run || mount -t tmpfs tmpfs /run
mkdir -p /run/sshd
mountpoint -q /tmp || mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
hostname lab-guest
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
grep -q 'lab.tlb_churn' /proc/cmdline && /usr/local/bin/tlb-churn </dev/null >/dev/null 2>&1 &
/usr/sbin/sshd -o PermitRootLogin=prohibit-password -o PasswordAuthentication=no -o UseDNS=no
read -r up _ < /proc/uptime
echo "LAB-READY $(uname -r) uptime=$up rootfs=debian"
while :; do sleep 3600; done
