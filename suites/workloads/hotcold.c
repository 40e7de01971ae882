// SPDX-License-Identifier: GPL-2.0
/*
 * hotcold: a workload whose access pattern is known exactly, so the lab can score DAMON against it.
 *
 * Maps one anonymous region of --size MiB, touches every page once (so all of it is resident),
 * then keeps writing to the --hot-size MiB that start --hot-offset MiB into the region and never
 * touches the rest again. Before the hot loop starts it prints one JSON line with its pid and the
 * exact virtual address ranges, and flushes it, so a test can read the truth from its output.
 *
 * usage: hotcold [--size MiB] [--hot-size MiB] [--hot-offset MiB] [--duration SECONDS]
 *   --duration 0 (the default) runs until killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)

static unsigned long parse_ulong(const char *flag, const char *value)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno || *end || end == value) {
		fprintf(stderr, "hotcold: %s needs a whole number, got '%s'\n", flag, value);
		exit(2);
	}
	return v;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long size = 256, hot_size = 16, hot_offset = 64, duration = 0;
	long page = sysconf(_SC_PAGESIZE);
	volatile unsigned char *region, *hot;
	unsigned long i, passes = 0;
	double start;

	for (i = 1; i < (unsigned long)argc; i++) {
		const char *flag = argv[i];

		if (i + 1 >= (unsigned long)argc) {
			fprintf(stderr, "hotcold: %s needs a value\n", flag);
			return 2;
		}
		if (!strcmp(flag, "--size"))
			size = parse_ulong(flag, argv[++i]);
		else if (!strcmp(flag, "--hot-size"))
			hot_size = parse_ulong(flag, argv[++i]);
		else if (!strcmp(flag, "--hot-offset"))
			hot_offset = parse_ulong(flag, argv[++i]);
		else if (!strcmp(flag, "--duration"))
			duration = parse_ulong(flag, argv[++i]);
		else {
			fprintf(stderr, "hotcold: unknown option %s\n", flag);
			return 2;
		}
	}
	if (!size || !hot_size || hot_offset + hot_size > size) {
		fprintf(stderr, "hotcold: need 0 < hot-size and hot-offset + hot-size <= size\n");
		return 2;
	}

	region = mmap(NULL, size * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED) {
		perror("hotcold: mmap");
		return 1;
	}
	/* Base pages keep DAMON's view of hot and cold as sharp as the ranges printed below. */
	madvise((void *)region, size * MIB, MADV_NOHUGEPAGE);
	for (i = 0; i < size * MIB; i += page)
		region[i] = 1;

	hot = region + hot_offset * MIB;
	printf("{\"pid\":%d,\"start\":%lu,\"end\":%lu,\"hot_start\":%lu,\"hot_end\":%lu,\"page_size\":%ld}\n",
	       getpid(), (unsigned long)(uintptr_t)region, (unsigned long)(uintptr_t)region + size * MIB,
	       (unsigned long)(uintptr_t)hot, (unsigned long)(uintptr_t)hot + hot_size * MIB, page);
	fflush(stdout);

	start = now();
	for (;;) {
		for (i = 0; i < hot_size * MIB; i += page)
			hot[i]++;
		passes++;
		if (duration && (passes & 63) == 0 && now() - start >= duration)
			break;
	}
	return 0;
}
