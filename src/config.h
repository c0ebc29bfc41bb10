/*
 * Configuration: the libconfuse schema of nat64.conf(5) turned into one
 * immutable struct.  Every validation rule lives in config.c; whoever holds
 * a `struct config` may rely on it without checking again.
 */
#ifndef NAT64_CONFIG_H
#define NAT64_CONFIG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>

#include "xlat/addr.h"
#include "xlat/xlat.h"

#define CONFIG_DEFAULT_PATH "/etc/nat64/nat64.conf"

enum napt_mode { NAPT_KERNEL, NAPT_DAEMON };

struct v6_net {
	struct in6_addr addr;
	uint8_t len;
};

struct config {
	char *path;			/* file it came from */
	struct nat64_prefix prefix;	/* RFC 6052 prefix: /32../96, addr_prefix_valid() */
	enum napt_mode napt;
	struct in_addr gateway_v4;	/* translator's own IPv4 identity */
	struct in6_addr gateway_v6;	/* its own IPv6 address, source of the ICMPv6
					 * errors it originates; always filled:
					 * prefix||gateway_v4 unless set */
	int gateway_v6_set;		/* 1 if the file set gateway-v6 */
	struct v6_net *clients;		/* IPv6 sources allowed; n >= 1 */
	size_t n_clients;
	struct xlat_v4net *deny_v4;	/* IPv4 destinations never translated to;
					 * host bits zero, len 1..32; may be empty */
	size_t n_deny_v4;
	unsigned lowest_ipv6_mtu;	/* RFC 7915 §4.1: 1280..65535 */
	struct {
		unsigned rate;		/* originated ICMP errors per second, all
					 * workers together; 0: none originated */
		unsigned burst;		/* bucket depth, all workers; >= 1 */
	} icmp_errors;
	struct {
		char name[IFNAMSIZ];
		unsigned queues;	/* resolved: never 0 */
		unsigned mtu;
		unsigned queues_conf;	/* as written; 0 = one per online CPU */
		unsigned txqueuelen;	/* 1..1000000 */
		unsigned batch;		/* reads in flight per worker (io_uring);
					 * 0: one read() and write() per packet */
		int offload;		/* 1: virtio-net headers, TSO/checksum offload */
		int pin;		/* 1: worker i runs on cpus[i % n_cpus] */
		unsigned *cpus;		/* CPU numbers < CPU_SETSIZE, no duplicates;
					 * n_cpus >= 1 iff pin */
		size_t n_cpus;
		int cpus_auto;		/* as written: "auto" (cpus = the CPUs this
					 * process may run on, in order) */
	} tun;
	struct {			/* meaningful when napt == NAPT_KERNEL */
		struct in_addr pool;	/* network address, host bits zero */
		uint8_t pool_len;	/* 12..30 */
		char uplink[IFNAMSIZ];
		unsigned idle_timeout;	/* seconds */
	} kernel;
};

/*
 * Parses and validates the file at `path`.  Returns a new config, or NULL
 * with one line per problem in `err` ("FILE:LINE: KEY: what is wrong"; the
 * line is left out where libconfuse does not know it).  `err` may be NULL.
 * Not reentrant (libconfuse's scanner is global): call from one thread.
 */
struct config *config_load(const char *path, char *err, size_t errlen);

/* Frees a config from config_load(); accepts NULL. */
void config_free(struct config *c);

/* Writes the effective config, defaults filled in, in nat64.conf syntax:
 * config_load() reads it back to an equal config. */
void config_print(const struct config *c, FILE *out);

/* 1 if `src` is inside one of c->clients, else 0. */
int config_client_allowed(const struct config *c, const struct in6_addr *src);

#endif
