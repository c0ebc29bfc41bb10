/*
 * libFuzzer harness: config_load() on arbitrary file contents.
 *
 * The input is written to a memfd and loaded through /proc/self/fd/N, the
 * way `nat64 check` loads a file.  Checked besides ASan/UBSan/LSan:
 *  - a refused file comes with a message (config.h: one line per problem);
 *  - an accepted config holds what config.h says a holder may rely on;
 *  - it prints, and what config_print() writes loads back to an equal
 *    config (config.h promises the round trip).
 * config_load() is not reentrant (libconfuse's scanner is global); libFuzzer
 * runs one input at a time in one thread, which is all it needs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "xlat/addr.h"

#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct memfile {
	int fd;
	char path[64];
};

static void memfile_open(struct memfile *m, const char *name)
{
	m->fd = memfd_create(name, MFD_CLOEXEC);
	if (m->fd < 0) {
		perror("memfd_create");
		abort();
	}
	snprintf(m->path, sizeof(m->path), "/proc/self/fd/%d", m->fd);
}

static void memfile_set(struct memfile *m, const void *data, size_t size)
{
	if (ftruncate(m->fd, 0) || (size && pwrite(m->fd, data, size, 0) != (ssize_t)size)) {
		perror("memfd write");
		abort();
	}
}

/*
 * Field by field, what the file decides.  Left out: path; tun.queues_conf
 * (the printer writes the resolved count, with a comment when the file said
 * 0); gateway_v6_set (the printer always writes the address).
 */
static int same_config(const struct config *a, const struct config *b)
{
	size_t i;

	if (memcmp(&a->prefix.addr, &b->prefix.addr, sizeof(a->prefix.addr)) ||
	    a->prefix.len != b->prefix.len || a->napt != b->napt ||
	    a->gateway_v4.s_addr != b->gateway_v4.s_addr ||
	    memcmp(&a->gateway_v6, &b->gateway_v6, sizeof(a->gateway_v6)) ||
	    a->n_clients != b->n_clients || a->n_deny_v4 != b->n_deny_v4 ||
	    a->lowest_ipv6_mtu != b->lowest_ipv6_mtu ||
	    a->icmp_errors.rate != b->icmp_errors.rate || a->icmp_errors.burst != b->icmp_errors.burst)
		return 0;
	for (i = 0; i < a->n_clients; i++)
		if (memcmp(&a->clients[i].addr, &b->clients[i].addr, sizeof(a->clients[i].addr)) ||
		    a->clients[i].len != b->clients[i].len)
			return 0;
	for (i = 0; i < a->n_deny_v4; i++)
		if (a->deny_v4[i].addr.s_addr != b->deny_v4[i].addr.s_addr ||
		    a->deny_v4[i].len != b->deny_v4[i].len)
			return 0;
	if (strcmp(a->tun.name, b->tun.name) || a->tun.queues != b->tun.queues || a->tun.mtu != b->tun.mtu ||
	    a->tun.txqueuelen != b->tun.txqueuelen || a->tun.offload != b->tun.offload ||
	    a->tun.pin != b->tun.pin || a->tun.cpus_auto != b->tun.cpus_auto || a->tun.n_cpus != b->tun.n_cpus)
		return 0;
	for (i = 0; i < a->tun.n_cpus; i++)
		if (a->tun.cpus[i] != b->tun.cpus[i])
			return 0;
	if (a->napt != NAPT_KERNEL)
		return 1;
	return a->kernel.pool.s_addr == b->kernel.pool.s_addr && a->kernel.pool_len == b->kernel.pool_len &&
	       strcmp(a->kernel.uplink, b->kernel.uplink) == 0 &&
	       a->kernel.idle_timeout == b->kernel.idle_timeout;
}

/* config.h: deny-v4 entries have host bits zero and len 1..32. */
static void check_deny(const struct config *c)
{
	size_t i;

	for (i = 0; i < c->n_deny_v4; i++) {
		const struct xlat_v4net *d = &c->deny_v4[i];
		uint32_t host = d->len >= 32 ? 0 : 0xffffffffu >> d->len;

		FUZZ_CHECK(d->len >= 1 && d->len <= 32);
		FUZZ_CHECK((ntohl(d->addr.s_addr) & host) == 0);
	}
}

/* config.h: CPU numbers < CPU_SETSIZE, no duplicates. */
static void check_cpus(const struct config *c)
{
	size_t i, j;

	for (i = 0; i < c->tun.n_cpus; i++) {
		FUZZ_CHECK(c->tun.cpus[i] < CPU_SETSIZE);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(c->tun.cpus[i] != c->tun.cpus[j]);
	}
}

static void exercise(const struct config *c, FILE *null)
{
	static const char *const probes[] = { "::", "::1", "2001:db8:100::1", "64:ff9b::c000:201",
					      "fe80::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" };
	struct in6_addr a;
	size_t i;

	config_print(c, null);
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		if (inet_pton(AF_INET6, probes[i], &a) != 1)
			abort();
		FUZZ_CHECK(config_client_allowed(c, &a) <= 1);
	}
	/* Every configured client network contains its own address. */
	for (i = 0; i < c->n_clients; i++)
		FUZZ_CHECK(config_client_allowed(c, &c->clients[i].addr) == 1);
}

static void round_trip(const struct config *c, struct memfile *out)
{
	char err[2048];
	struct config *again;
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	if (!fp)
		abort();
	config_print(c, fp);
	if (fclose(fp))
		abort();
	memfile_set(out, text, len);
	again = config_load(out->path, err, sizeof(err));
	if (!again)
		fprintf(stderr, "printed config does not load back:\n%s\n---\n%s---\n", err, text);
	FUZZ_CHECK(again != NULL);
	if (!same_config(c, again))
		fprintf(stderr, "printed config loads back different:\n%s---\n", text);
	FUZZ_CHECK(same_config(c, again));
	config_free(again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct memfile in, out;
	static FILE *null;
	char err[4096];
	struct config *c;

	if (!null) {
		memfile_open(&in, "nat64-fuzz-in");
		memfile_open(&out, "nat64-fuzz-out");
		null = fopen("/dev/null", "w");
		if (!null)
			abort();
	}
	memfile_set(&in, data, size);
	memset(err, 0x5a, sizeof(err));
	c = config_load(in.path, err, sizeof(err));
	/* The message is a string inside the buffer either way. */
	FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (!c) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	/* config.h: what a holder of a config may rely on. */
	FUZZ_CHECK(c->n_clients >= 1 && c->tun.queues >= 1);
	FUZZ_CHECK(addr_prefix_valid(&c->prefix));
	FUZZ_CHECK(c->lowest_ipv6_mtu >= 1280 && c->lowest_ipv6_mtu <= 65535);
	FUZZ_CHECK(c->icmp_errors.burst >= 1);
	FUZZ_CHECK(c->tun.pin ? c->tun.n_cpus >= 1 : c->tun.n_cpus == 0);
	check_deny(c);
	check_cpus(c);
	if (!c->gateway_v6_set) {
		struct in6_addr gw6;

		addr_embed(&c->prefix, c->gateway_v4, &gw6);
		FUZZ_CHECK(memcmp(&gw6, &c->gateway_v6, sizeof(gw6)) == 0);
	}
	exercise(c, null);
	round_trip(c, &out);
	config_free(c);
	return 0;
}
