/*
 * Inside the config module only: what config.c (reading the file),
 * config_check.c (each value and the rules across values) and
 * config_print.c share.  Nothing outside src/config*.c includes this.
 */
#ifndef NAT64_CONFIG_INT_H
#define NAT64_CONFIG_INT_H

#include "config.h"

enum key {
	K_PREFIX, K_NAPT, K_GATEWAY, K_GATEWAY6, K_CLIENTS, K_DENY4, K_LOWEST_MTU,
	K_ICMP_RATE, K_ICMP_BURST,
	K_TUN_NAME, K_TUN_QUEUES, K_TUN_MTU, K_TUN_TXQLEN, K_TUN_BATCH, K_TUN_OFFLOAD, K_TUN_CPUS,
	K_POOL, K_UPLINK, K_IDLE,
	K_COUNT
};

/* Converts, checks and stores one value; on failure says why in `why` and
 * returns -1 (c may then hold a partial array, freed by config_free). */
typedef int (*key_setter)(struct config *c, const char *v, char *why, size_t n);

struct key_def {
	const char *sec;	/* NULL: top level */
	const char *name;
	const char *full;	/* as messages name it: "kernel.inner-pool" */
	key_setter set;
};

extern const struct key_def config_keys[K_COUNT];

/* A value fit for a one-line message: control bytes shown as '?', cut. */
const char *config_show(const char *v, char *buf, size_t n);

/* Frees the arrays a config holds, not the config itself. */
void config_free_arrays(struct config *c);

/* RFC 6052 §3.1 and the prefix rules for gateway-v6, given good prefix and
 * gateway-v4: fills the default prefix||gateway-v4 when it is not set.
 * 0, or -1 with the reason in `why`. */
int config_check_gateway_v6(struct config *c, char *why, size_t n);

/* Fills in what the file leaves to the host: tun.queues for 0 and tun.cpus
 * for "auto".  0, or -1 with the reason in `why`. */
int config_resolve_host(struct config *c, char *why, size_t n);

#endif
