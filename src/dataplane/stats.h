/* Per-worker packet counters: written only by their worker, read by anyone. */
#ifndef NAT64_STATS_H
#define NAT64_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "xlat/xlat.h"

#define STATS_CACHELINE 64

struct stats {
	uint64_t rx6;		/* IPv6 packets read from the TUN */
	uint64_t rx4;		/* IPv4 packets read from the TUN */
	uint64_t tx4;		/* translated to IPv4 and written */
	uint64_t tx6;		/* translated to IPv6 and written */
	uint64_t replies;	/* ICMP errors sent back instead of forwarding */
	uint64_t replies_limited;	/* ICMP errors not sent: rate limit */
	uint64_t fragments;	/* IPv6 fragments written for oversized IPv4 packets */
	uint64_t gso;		/* segmentation-offload super-packets translated */
	uint64_t bad_vnet;	/* dropped: inconsistent virtio-net header */
	uint64_t rx_other;	/* neither IPv4 nor IPv6 (also counted as a drop) */
	uint64_t read_errors;
	uint64_t write_errors;
	uint64_t bindings_failed;	/* binding creation failed for another reason than exhaustion */
	uint64_t drops[XLAT_DROP__MAX];
} __attribute__((aligned(STATS_CACHELINE)));

/*
 * The owner increments with a relaxed atomic store of the incremented value:
 * a plain add (no locked instruction) that readers on other threads may load
 * without tearing.
 */
#define STATS_ADD(field, n) \
	__atomic_store_n(&(field), __atomic_load_n(&(field), __ATOMIC_RELAXED) + (n), \
			 __ATOMIC_RELAXED)
#define STATS_INC(field) STATS_ADD(field, 1)

/* out += one worker's counters. */
void stats_add(struct stats *out, const struct stats *one);
/* Total of all drop reasons. */
uint64_t stats_drops(const struct stats *s);
/* One line of totals and one per non-zero drop reason, "name value". */
void stats_print(const struct stats *s, FILE *out);

#endif
