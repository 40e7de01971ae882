// SPDX-License-Identifier: GPL-2.0
/*
 * tlb-churn: keeps QEMU TCG's software TLB honest for access-bit based monitoring.
 *
 * Under TCG, an x86 page table entry's accessed bit is set only when QEMU refills its software TLB, and
 * a busy loop that never leaves its CPU never gets a refill: once DAMON (or page reclaim) clears the bit,
 * a hot page stays "cold" for as long as the loop runs. Real CPUs lose TLB entries all the time. This
 * program runs one sleeper per online CPU, pinned there, waking every millisecond: each switch to it and
 * back changes CR3, which flushes QEMU's TLB, much as TLB pressure would on hardware.
 * The lab starts it in TCG guests (kernel command line lab.tlb_churn); it does nothing useful under KVM.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct timespec ms = { 0, 1000000 };
	long cpu;

	for (cpu = 0; cpu < cpus; cpu++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("tlb-churn: fork");
			return 1;
		}
		if (pid == 0) {
			cpu_set_t one;

			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			sched_setaffinity(0, sizeof(one), &one);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				nanosleep(&ms, NULL);
		}
	}
	for (;;)
		pause();
}
