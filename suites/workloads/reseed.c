// SPDX-License-Identifier: GPL-2.0
/*
 * reseed: gives a guest restored from a snapshot a random stream of its own.
 *
 * Every guest started from one saved state has the same CRNG state: writing to /dev/urandom only mixes
 * bytes into the input pool, and the CRNG keeps its key until its next scheduled reseed, so two restored
 * guests would hand out the same "random" mmap bases, stack canaries and keys for a while. This reads the
 * bytes the lab sends on stdin, credits them with RNDADDENTROPY (they come from the host's getrandom) and
 * forces a reseed with RNDRESEEDCRNG (Linux 4.17+). Needs CAP_SYS_ADMIN: the lab runs it as root.
 */
#include <fcntl.h>
#include <linux/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	/* rand_pool_info ends in a flexible array: the bytes are read straight into it. */
	static union {
		struct rand_pool_info info;
		unsigned char storage[sizeof(struct rand_pool_info) + 256];
	} e;
	ssize_t n = read(0, e.info.buf, 256);
	int fd;

	if (n < 32) {
		fprintf(stderr, "reseed: want at least 32 random bytes on stdin, got %zd\n", n);
		return 2;
	}
	fd = open("/dev/urandom", O_WRONLY);
	if (fd < 0) {
		perror("reseed: /dev/urandom");
		return 1;
	}
	e.info.entropy_count = (int)n * 8;
	e.info.buf_size = (int)n;
	if (ioctl(fd, RNDADDENTROPY, &e.info) < 0) {
		perror("reseed: RNDADDENTROPY");
		return 1;
	}
	if (ioctl(fd, RNDRESEEDCRNG) < 0) {
		perror("reseed: RNDRESEEDCRNG");
		return 1;
	}
	close(fd);
	return 0;
}
