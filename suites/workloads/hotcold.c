// SPDX-License-Identifier: GPL-2.0
/*
 * hotcold: a workload whose access pattern is known exactly, so the lab can score DAMON against it.
 *
 * Maps one anonymous region of --size MiB, touches every page once (so all of it is resident),
 * then keeps writing to the --hot-size MiB that start --hot-offset MiB into the region and never
 * touches the rest again. Before the hot loop starts it prints one JSON line with its pid and the
 * exact virtual address ranges, and flushes it, so a test can read the truth from its output.
 *
 * Under QEMU's TCG a busy loop never gets its TLB refilled, so the accessed bits DAMON clears stay clear
 * (see tlb-churn.c, which the lab runs in TCG guests). --churn adds a ticker process on the hot loop's
 * own CPU for the same purpose, for use outside the lab.
 *
 * With --phys it also prints the physical ranges of the hot set ("hot_phys", from /proc/self/pagemap;
 * root only), so physical-address monitoring (paddr) can be scored too.
 *
 * With --file PATH the region is a shared mapping of that file (created, sized and filled) instead of
 * anonymous memory: file-backed pages, for data attributes monitoring (anon vs not).
 *
 * With --count PATH the hot loop keeps the number of passes it made over the hot set in PATH (20 digits and a
 * newline, in a shared mapping of the file, so a reader's cat sees it without a syscall of the loop's): the
 * workload's throughput, which monitoring must not slow down, read twice over a window.
 *
 * usage: hotcold [--size MiB] [--hot-size MiB] [--hot-offset MiB] [--duration SECONDS] [--daemon] [--churn] [--phys] [--file PATH] [--count PATH]
 *   --duration 0 (the default) runs until killed.
 *   --daemon: return as soon as the JSON line is out, leaving the hot loop running in a child
 *   (its pid is the one printed). Over SSH this makes starting a workload one round trip.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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

/* Prints ,"hot_phys":[[start,end],...] for the pages of [addr, addr + len): physically contiguous runs. */
static void print_phys_ranges(unsigned long addr, unsigned long len, long page)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	unsigned long i, run_start = 0, run_end = 0, n = 0;
	uint64_t entry;

	printf(",\"hot_phys\":[");
	for (i = 0; fd >= 0 && i < len; i += page) {
		unsigned long pfn;

		if (pread(fd, &entry, sizeof(entry), ((addr + i) / page) * sizeof(entry)) != sizeof(entry))
			break;
		if (!(entry & (1ULL << 63)))
			continue;
		pfn = entry & ((1ULL << 55) - 1);
		if (!pfn)	/* PFNs read as 0 without CAP_SYS_ADMIN */
			break;
		if (run_end && pfn * page == run_end) {
			run_end += page;
			continue;
		}
		if (run_end)
			printf("%s[%lu,%lu]", n++ ? "," : "", run_start, run_end);
		run_start = pfn * page;
		run_end = run_start + page;
	}
	if (run_end)
		printf("%s[%lu,%lu]", n ? "," : "", run_start, run_end);
	printf("]");
	if (fd >= 0)
		close(fd);
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
	int daemonize = 0, churn = 0, phys = 0, ready[2] = { -1, -1 };
	const char *file = NULL, *count_file = NULL;
	char *counter = NULL;
	pid_t ticker = 0;
	double start;

	for (i = 1; i < (unsigned long)argc; i++) {
		const char *flag = argv[i];

		if (!strcmp(flag, "--daemon")) {
			daemonize = 1;
			continue;
		}
		if (!strcmp(flag, "--churn")) {
			churn = 1;
			continue;
		}
		if (!strcmp(flag, "--phys")) {
			phys = 1;
			continue;
		}
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
		else if (!strcmp(flag, "--file"))
			file = argv[++i];
		else if (!strcmp(flag, "--count"))
			count_file = argv[++i];
		else {
			fprintf(stderr, "hotcold: unknown option %s\n", flag);
			return 2;
		}
	}
	if (!size || !hot_size || hot_offset + hot_size > size) {
		fprintf(stderr, "hotcold: need 0 < hot-size and hot-offset + hot-size <= size\n");
		return 2;
	}

	if (daemonize) {
		pid_t child;
		char c;

		if (pipe(ready) || (child = fork()) < 0) {
			perror("hotcold: fork");
			return 1;
		}
		if (child > 0) {
			/* Parent: wait until the child has printed its ranges, then hand the shell back. */
			close(ready[1]);
			return read(ready[0], &c, 1) == 1 ? 0 : 1;
		}
		close(ready[0]);
		setsid();
	}

	if (churn) {
		cpu_set_t one;
		int cpu = sched_getcpu();

		CPU_ZERO(&one);
		CPU_SET(cpu < 0 ? 0 : cpu, &one);
		sched_setaffinity(0, sizeof(one), &one);
		ticker = fork();
		if (ticker == 0) {
			struct timespec ms = { 0, 1000000 };

			int null = open("/dev/null", O_RDWR);

			/* Forked before the region exists, so it shares none of it; dies with the hot loop. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			/* Holds no caller's stdout and no readiness pipe, so neither waits for it. */
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			if (ready[1] >= 0)
				close(ready[1]);
			for (;;)
				nanosleep(&ms, NULL);
		}
	}
	/* MAP_POPULATE: the kernel allocates the pages in one go, much faster than a fault per page under TCG. */
	if (file) {
		int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);

		if (fd < 0 || ftruncate(fd, size * MIB)) {
			perror("hotcold: file");
			return 1;
		}
		region = mmap(NULL, size * MIB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
		close(fd);
	} else {
		region = mmap(NULL, size * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	}
	if (region == MAP_FAILED) {
		perror("hotcold: mmap");
		return 1;
	}
	/* Base pages keep DAMON's view of hot and cold as sharp as the ranges printed below. */
	madvise((void *)region, size * MIB, MADV_NOHUGEPAGE);
	for (i = 0; i < size * MIB; i += page)
		region[i] = 1;

	/* Before the JSON line: once a caller has read it, the count file is there. */
	if (count_file) {
		int fd = open(count_file, O_RDWR | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || ftruncate(fd, 21) ||
		    (counter = mmap(NULL, 21, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
			perror("hotcold: count");
			return 1;
		}
		close(fd);
		memcpy(counter, "                   0\n", 21);
	}
	hot = region + hot_offset * MIB;
	printf("{\"pid\":%d,\"ticker_pid\":%d,\"start\":%lu,\"end\":%lu,\"hot_start\":%lu,\"hot_end\":%lu,\"page_size\":%ld",
	       getpid(), (int)ticker, (unsigned long)(uintptr_t)region, (unsigned long)(uintptr_t)region + size * MIB,
	       (unsigned long)(uintptr_t)hot, (unsigned long)(uintptr_t)hot + hot_size * MIB, page);
	if (phys)
		print_phys_ranges((unsigned long)(uintptr_t)hot, hot_size * MIB, page);
	printf("}\n");
	fflush(stdout);
	if (daemonize) {
		int null = open("/dev/null", O_RDWR);

		/* Let go of the caller's stdout/stderr so an SSH channel can close, then release the parent. */
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (write(ready[1], "", 1) != 1)
			return 1;
		close(ready[1]);
	}

	start = now();
	for (;;) {
		for (i = 0; i < hot_size * MIB; i += page)
			hot[i]++;
		passes++;
		if (counter) {
			char digits[24];

			snprintf(digits, sizeof(digits), "%20lu", passes);
			memcpy(counter, digits, 20);
		}
		if (duration && (passes & 63) == 0 && now() - start >= duration)
			break;
	}
	return 0;
}
