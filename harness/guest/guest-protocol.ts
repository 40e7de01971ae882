/**
 * The lines a guest's init prints on the console and the lab waits for: both sides' words in one place.
 * The init scripts (images/initramfs/init.sh, images/rootfs/init-rootfs.sh) print them; a unit test
 * checks that every marker they print is one of these, and each of these is printed.
 */
export const MARKERS = {
  /** sshd listens: `LAB-READY <release> uptime=<s>`. */
  ready: 'LAB-READY',
  /** The image's boot script starts (the suite's own boot work, before the network). */
  bootScript: 'LAB-BOOT-SCRIPT',
  /** …and is done: `LAB-BOOT-DONE <release> rc=<n>`. */
  bootDone: 'LAB-BOOT-DONE',
  /** The root disk did not mount (no virtio-blk or ext4 in the kernel). */
  rootfsFailed: 'LAB-ROOTFS-FAILED',
  /** dropbear never listened on port 22 (it could not start: a library or its key missing). */
  sshdFailed: 'LAB-SSHD-FAILED',
  /** The host's shared directory (`--share`) did not mount: `LAB-SHARE-FAILED <why>`. */
  shareFailed: 'LAB-SHARE-FAILED',
  /** A module listed for boot did not load: `LAB-MODPROBE-FAILED <module>`. */
  modprobeFailed: 'LAB-MODPROBE-FAILED',
} as const;

// Matched with the word after the release, so a line the follower read halfway is never taken for it.
export const READY = /LAB-READY (\S+) uptime=/;
export const BOOT_SCRIPT = /LAB-BOOT-SCRIPT (\S+)/;
export const BOOT_DONE = /LAB-BOOT-DONE (\S+) rc=/;
export const ROOTFS_FAILED = /LAB-ROOTFS-FAILED (.*)/;
export const SSHD_FAILED = /LAB-SSHD-FAILED (.*)/;
/** init could not mount the host's shared directory (`--share`): the guest the user asked for is not there. */
export const SHARE_FAILED = new RegExp(`${MARKERS.shareFailed} (.*)`);

/** Pure: the modules init could not load at boot, from the console text (each named once). */
export function modprobeFailures(console: string): string[] {
  return [...new Set([...console.matchAll(/LAB-MODPROBE-FAILED (\S+)/g)].map((m) => m[1]!))];
}
