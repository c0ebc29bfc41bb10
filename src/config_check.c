/*
 * nat64.conf(5) values: one setter per key converts a string, checks it and
 * stores it; the rules that tie keys together follow.  config.c reads the
 * file and calls these; messages say only what is wrong, the caller adds
 * FILE:LINE: KEY: "VALUE".
 */
#define _GNU_SOURCE	/* sched_getaffinity(), CPU_SET() */
#include "config_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "xlat/addr.h"

#define QUEUES_MAX	256	/* Linux MAX_TAP_QUEUES */
#define MTU_MIN		1280	/* IPv6 minimum link MTU, RFC 8200 §5 */
#define MTU_MAX		65535
#define POOL_LEN_MIN	12	/* 2^20 inner addresses: 1M clients */
#define POOL_LEN_MAX	30	/* at least two usable addresses */
#define IDLE_MAX	86400
#define ICMP_RATE_MAX	1000000
#define ICMP_BURST_MAX	1000000
#define TXQLEN_MAX	1000000
#define BATCH_MAX	1024
#define CPUS_EXPECTED	"expected \"auto\", \"none\" or CPU numbers separated by commas, such as \"0,1\""

const char *config_show(const char *v, char *buf, size_t n)
{
	size_t i;

	for (i = 0; v[i] && i + 4 < n; i++)
		buf[i] = isprint((unsigned char)v[i]) ? v[i] : '?';
	if (v[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

void config_free_arrays(struct config *c)
{
	free(c->clients);
	free(c->deny_v4);
	free(c->tun.cpus);
	c->clients = NULL;
	c->deny_v4 = NULL;
	c->tun.cpus = NULL;
	c->n_clients = c->n_deny_v4 = c->tun.n_cpus = 0;
}

/* ---- bits and numbers ---- */

/* Says what is wrong with a value, for the caller's message; returns -1. */
__attribute__((format(printf, 3, 4)))
static int fail(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Mask of the bits of byte i that lie past the first len bits. */
static uint8_t host_mask(size_t i, unsigned len)
{
	if (i < len / 8)
		return 0;
	if (i > len / 8)
		return 0xff;
	return (uint8_t)(0xffu >> (len % 8));
}

static int bits_zero_after(const uint8_t *b, size_t nbytes, unsigned len)
{
	size_t i;

	for (i = 0; i < nbytes; i++)
		if (b[i] & host_mask(i, len))
			return 0;
	return 1;
}

static void clear_bits_after(uint8_t *b, size_t nbytes, unsigned len)
{
	size_t i;

	for (i = 0; i < nbytes; i++)
		b[i] &= (uint8_t)~host_mask(i, len);
}

/* Decimal only ("010" is ten, not octal eight), within min..max. */
static int parse_uint(const char *v, unsigned long min, unsigned long max,
		      unsigned long *out, char *why, size_t n)
{
	const char *p = v;
	unsigned long val = 0;
	int neg = 0, big = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!isdigit((unsigned char)*p))
		return fail(why, n, "not a decimal integer");
	for (; isdigit((unsigned char)*p); p++) {
		if (val > (ULONG_MAX - 9) / 10)
			big = 1;
		else
			val = val * 10 + (unsigned long)(*p - '0');
	}
	if (*p)
		return fail(why, n, "not a decimal integer");
	if (big || (neg && val) || val < min || val > max)
		return fail(why, n, "out of range %lu..%lu", min, max);
	*out = val;
	return 0;
}

/* "ADDR/LEN" of family af into addr (16 or 4 bytes); no host-bit check. */
static int parse_net(int af, const char *v, void *addr, unsigned *len,
		     char *why, size_t n)
{
	const char *fam = af == AF_INET6 ? "IPv6" : "IPv4";
	unsigned maxlen = af == AF_INET6 ? 128 : 32;
	const char *slash = strchr(v, '/');
	char buf[INET6_ADDRSTRLEN];
	unsigned long l;
	size_t alen;

	if (!slash)
		return fail(why, n, "expected an %s prefix as \"ADDRESS/LENGTH\"", fam);
	alen = (size_t)(slash - v);
	if (alen >= sizeof(buf))
		return fail(why, n, "not an %s address before the '/'", fam);
	memcpy(buf, v, alen);
	buf[alen] = '\0';
	if (inet_pton(af, buf, addr) != 1)
		return fail(why, n, "not an %s address before the '/'", fam);
	if (parse_uint(slash + 1, 0, maxlen, &l, why, n) < 0)
		return fail(why, n, "prefix length must be a number 0..%u", maxlen);
	*len = (unsigned)l;
	return 0;
}

/* Fails with a hint naming the intended network when host bits are set. */
static int check_host_bits(int af, const void *addr, unsigned len, char *why, size_t n)
{
	size_t nbytes = af == AF_INET6 ? 16 : 4;
	uint8_t net[16];
	char buf[INET6_ADDRSTRLEN];

	if (bits_zero_after(addr, nbytes, len))
		return 0;
	memcpy(net, addr, nbytes);
	clear_bits_after(net, nbytes, len);
	inet_ntop(af, net, buf, sizeof(buf));
	return fail(why, n, "bits set past the prefix length (did you mean \"%s/%u\"?)", buf, len);
}

/* Why an IPv4 address cannot be the gateway's identity or an inner pool. */
static const char *v4_unusable(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	if (h >> 24 == 0)
		return "0.0.0.0/8 is \"this network\" (RFC 1122), not an address";
	if (h >> 24 == 127)
		return "127.0.0.0/8 is loopback";
	if (h >> 28 == 0xe)
		return "224.0.0.0/4 is multicast";
	if (h == 0xffffffffu)
		return "255.255.255.255 is the limited broadcast address";
	if (h >> 28 == 0xf)
		return "240.0.0.0/4 is reserved";
	return NULL;
}

/* Linux's dev_valid_name() rules, plus printable ASCII only and no '%'
 * (a name template would make the device's name unpredictable). */
static int check_ifname(const char *v, char *why, size_t n)
{
	const char *p;

	if (!*v)
		return fail(why, n, "an interface name must not be empty");
	if (strlen(v) >= IFNAMSIZ)
		return fail(why, n, "longer than %d characters", IFNAMSIZ - 1);
	if (!strcmp(v, ".") || !strcmp(v, ".."))
		return fail(why, n, "\".\" and \"..\" are not interface names");
	for (p = v; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch <= ' ' || ch >= 0x7f)
			return fail(why, n, "whitespace, control or non-ASCII characters are not allowed");
		if (ch == '/' || ch == ':' || ch == '%')
			return fail(why, n, "'%c' is not allowed in an interface name", ch);
	}
	return 0;
}

/* ---- one setter per key: convert, check, store ---- */

/* Decimal within min..max, into an unsigned. */
static int set_uint(unsigned *dst, const char *v, unsigned long min,
		    unsigned long max, char *why, size_t n)
{
	unsigned long val;

	if (parse_uint(v, min, max, &val, why, n) < 0)
		return -1;
	*dst = (unsigned)val;
	return 0;
}

static int set_prefix(struct config *c, const char *v, char *why, size_t n)
{
	struct nat64_prefix p;
	unsigned len;

	if (parse_net(AF_INET6, v, &p.addr, &len, why, n) < 0)
		return -1;
	if (!addr_prefix_len_valid(len))	/* RFC 6052 §2.2 */
		return fail(why, n, "RFC 6052 allows only /32, /40, /48, /56, /64 or /96");
	if (check_host_bits(AF_INET6, &p.addr, len, why, n) < 0)
		return -1;
	p.len = (uint8_t)len;
	/* RFC 6052 §2.2: bits 64-71 are zero; only a /96 reaches them. */
	if (!addr_prefix_valid(&p))
		return fail(why, n, "bits 64-71 (the RFC 6052 u-octet) must be zero");
	c->prefix = p;
	return 0;
}

static int set_napt(struct config *c, const char *v, char *why, size_t n)
{
	if (!strcmp(v, "kernel")) {
		c->napt = NAPT_KERNEL;
		return 0;
	}
	if (!strcmp(v, "daemon"))
		return fail(why, n, "NAPT in the daemon (RFC 6146) is not supported yet; use \"kernel\"");
	return fail(why, n, "unknown mode; allowed: \"kernel\" or \"daemon\" (not supported yet)");
}

static int set_gateway(struct config *c, const char *v, char *why, size_t n)
{
	struct in_addr a;
	const char *bad;

	if (inet_pton(AF_INET, v, &a) != 1)
		return fail(why, n, "not an IPv4 address (expected a dotted quad such as \"192.0.2.1\")");
	if ((bad = v4_unusable(a)) != NULL)
		return fail(why, n, "not usable as the translator's address: %s", bad);
	c->gateway_v4 = a;
	return 0;
}

/* Why an IPv6 address cannot be the translator's own. */
static const char *v6_unusable(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_UNSPECIFIED(a))
		return ":: is the unspecified address";
	if (IN6_IS_ADDR_LOOPBACK(a))
		return "::1 is loopback";
	if (IN6_IS_ADDR_MULTICAST(a))
		return "ff00::/8 is multicast";
	if (IN6_IS_ADDR_LINKLOCAL(a))
		return "fe80::/10 is link-local";
	if (IN6_IS_ADDR_V4MAPPED(a))
		return "::ffff:0:0/96 is IPv4-mapped (RFC 4291 §2.5.5.2)";
	return NULL;
}

/* Checked against prefix and gateway-v4 in config_check_gateway_v6(). */
static int set_gateway6(struct config *c, const char *v, char *why, size_t n)
{
	struct in6_addr a;
	const char *bad;

	if (inet_pton(AF_INET6, v, &a) != 1)
		return fail(why, n, "not an IPv6 address (expected e.g. \"2001:db8::1\", no /LENGTH)");
	if ((bad = v6_unusable(&a)) != NULL)
		return fail(why, n, "not usable as the translator's address: %s", bad);
	c->gateway_v6 = a;
	c->gateway_v6_set = 1;
	return 0;
}

static int set_client(struct config *c, const char *v, char *why, size_t n)
{
	struct v6_net net, *grown;
	unsigned len;

	if (parse_net(AF_INET6, v, &net.addr, &len, why, n) < 0 ||
	    check_host_bits(AF_INET6, &net.addr, len, why, n) < 0)
		return -1;
	net.len = (uint8_t)len;
	grown = realloc(c->clients, (c->n_clients + 1) * sizeof(*grown));
	if (!grown)
		return fail(why, n, "out of memory");
	grown[c->n_clients++] = net;
	c->clients = grown;
	return 0;
}

static int set_deny4(struct config *c, const char *v, char *why, size_t n)
{
	struct xlat_v4net net, *grown;
	unsigned len;

	if (parse_net(AF_INET, v, &net.addr, &len, why, n) < 0 ||
	    check_host_bits(AF_INET, &net.addr, len, why, n) < 0)
		return -1;
	if (len == 0)
		return fail(why, n, "a /0 would deny every destination");
	net.len = (uint8_t)len;
	grown = realloc(c->deny_v4, (c->n_deny_v4 + 1) * sizeof(*grown));
	if (!grown)
		return fail(why, n, "out of memory");
	grown[c->n_deny_v4++] = net;
	c->deny_v4 = grown;
	return 0;
}

static int set_lowest_mtu(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->lowest_ipv6_mtu, v, MTU_MIN, MTU_MAX, why, n);
}

static int set_icmp_rate(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->icmp_errors.rate, v, 0, ICMP_RATE_MAX, why, n);
}

static int set_icmp_burst(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->icmp_errors.burst, v, 1, ICMP_BURST_MAX, why, n);
}

static int set_tun_name(struct config *c, const char *v, char *why, size_t n)
{
	if (check_ifname(v, why, n) < 0)
		return -1;
	snprintf(c->tun.name, sizeof(c->tun.name), "%s", v);
	return 0;
}

static int set_tun_queues(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->tun.queues_conf, v, 0, QUEUES_MAX, why, n);
}

static int set_tun_mtu(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->tun.mtu, v, MTU_MIN, MTU_MAX, why, n);
}

static int set_tun_txqlen(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->tun.txqueuelen, v, 1, TXQLEN_MAX, why, n);
}

static int set_tun_batch(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->tun.batch, v, 0, BATCH_MAX, why, n);
}

/* "on"/"off", or the other spellings of a libconfuse boolean. */
static int set_tun_offload(struct config *c, const char *v, char *why, size_t n)
{
	static const char *const on[] = { "on", "true", "yes" };
	static const char *const off[] = { "off", "false", "no" };
	size_t i;

	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		if (!strcasecmp(v, on[i]) || !strcasecmp(v, off[i])) {
			c->tun.offload = !strcasecmp(v, on[i]);
			return 0;
		}
	}
	return fail(why, n, "expected \"on\" or \"off\"");
}

/* One CPU number of a list, blanks around it allowed; appended to c. */
static int add_cpu(struct config *c, const char *s, size_t len, cpu_set_t *seen,
		   char *why, size_t n)
{
	char num[24];
	unsigned long cpu;
	unsigned *grown;
	size_t i;

	while (len && isblank((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isblank((unsigned char)s[len - 1]))
		len--;
	if (len == 0)
		return fail(why, n, "an empty entry; " CPUS_EXPECTED);
	snprintf(num, sizeof(num), "%.*s%s", (int)(len < 16 ? len : 16), s,
		 len > 16 ? "..." : "");
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return fail(why, n, "\"%s\" is not a CPU number; " CPUS_EXPECTED, num);
	if (len > 16 || parse_uint(num, 0, CPU_SETSIZE - 1, &cpu, why, n) < 0)
		return fail(why, n, "CPU %s is out of range 0..%d", num, CPU_SETSIZE - 1);
	if (CPU_ISSET(cpu, seen))
		return fail(why, n, "CPU %lu is listed twice", cpu);
	CPU_SET(cpu, seen);
	grown = realloc(c->tun.cpus, (c->tun.n_cpus + 1) * sizeof(*grown));
	if (!grown)
		return fail(why, n, "out of memory");
	grown[c->tun.n_cpus++] = (unsigned)cpu;
	c->tun.cpus = grown;
	return 0;
}

/* "auto" is resolved by config_resolve_host(), once the file is good. */
static int set_tun_cpus(struct config *c, const char *v, char *why, size_t n)
{
	cpu_set_t seen;
	const char *p;
	size_t len;

	free(c->tun.cpus);
	c->tun.cpus = NULL;
	c->tun.n_cpus = 0;
	c->tun.cpus_auto = !strcmp(v, "auto");
	c->tun.pin = strcmp(v, "none") != 0;
	if (c->tun.cpus_auto || !c->tun.pin)
		return 0;
	if (!*v)
		return fail(why, n, CPUS_EXPECTED);
	CPU_ZERO(&seen);
	for (p = v;; p += len + 1) {
		len = strcspn(p, ",");
		if (add_cpu(c, p, len, &seen, why, n) < 0)
			return -1;
		if (!p[len])
			return 0;
	}
}

static int set_pool(struct config *c, const char *v, char *why, size_t n)
{
	struct in_addr a;
	const char *bad;
	unsigned len;

	if (parse_net(AF_INET, v, &a, &len, why, n) < 0)
		return -1;
	if (len < POOL_LEN_MIN || len > POOL_LEN_MAX)
		return fail(why, n, "prefix length must be %d..%d (one inner address per client)",
			    POOL_LEN_MIN, POOL_LEN_MAX);
	if (check_host_bits(AF_INET, &a, len, why, n) < 0)
		return -1;
	if ((bad = v4_unusable(a)) != NULL)
		return fail(why, n, "not usable as an address pool: %s", bad);
	c->kernel.pool = a;
	c->kernel.pool_len = (uint8_t)len;
	return 0;
}

static int set_uplink(struct config *c, const char *v, char *why, size_t n)
{
	if (check_ifname(v, why, n) < 0)
		return -1;
	snprintf(c->kernel.uplink, sizeof(c->kernel.uplink), "%s", v);
	return 0;
}

static int set_idle(struct config *c, const char *v, char *why, size_t n)
{
	return set_uint(&c->kernel.idle_timeout, v, 1, IDLE_MAX, why, n);
}

const struct key_def config_keys[K_COUNT] = {
	[K_PREFIX]     = { NULL, "prefix", "prefix", set_prefix },
	[K_NAPT]       = { NULL, "napt", "napt", set_napt },
	[K_GATEWAY]    = { NULL, "gateway-v4", "gateway-v4", set_gateway },
	[K_GATEWAY6]   = { NULL, "gateway-v6", "gateway-v6", set_gateway6 },
	[K_CLIENTS]    = { NULL, "clients", "clients", set_client },
	[K_DENY4]      = { NULL, "deny-v4", "deny-v4", set_deny4 },
	[K_LOWEST_MTU] = { NULL, "lowest-ipv6-mtu", "lowest-ipv6-mtu", set_lowest_mtu },
	[K_ICMP_RATE]  = { "icmp-errors", "rate", "icmp-errors.rate", set_icmp_rate },
	[K_ICMP_BURST] = { "icmp-errors", "burst", "icmp-errors.burst", set_icmp_burst },
	[K_TUN_NAME]   = { "tun", "name", "tun.name", set_tun_name },
	[K_TUN_QUEUES] = { "tun", "queues", "tun.queues", set_tun_queues },
	[K_TUN_MTU]    = { "tun", "mtu", "tun.mtu", set_tun_mtu },
	[K_TUN_TXQLEN] = { "tun", "txqueuelen", "tun.txqueuelen", set_tun_txqlen },
	[K_TUN_BATCH]  = { "tun", "batch", "tun.batch", set_tun_batch },
	[K_TUN_OFFLOAD] = { "tun", "offload", "tun.offload", set_tun_offload },
	[K_TUN_CPUS]   = { "tun", "cpus", "tun.cpus", set_tun_cpus },
	[K_POOL]       = { "kernel", "inner-pool", "kernel.inner-pool", set_pool },
	[K_UPLINK]     = { "kernel", "uplink", "kernel.uplink", set_uplink },
	[K_IDLE]       = { "kernel", "idle-timeout", "kernel.idle-timeout", set_idle },
};

/* ---- rules across keys ---- */

int config_check_gateway_v6(struct config *c, char *why, size_t n)
{
	/* RFC 6052 §3.1: the Well-Known Prefix MUST NOT be used to represent
	 * non-global IPv4 addresses. */
	int wkp_forbids = addr_prefix_is_wkp(&c->prefix) &&
			  !addr_v4_is_global(c->gateway_v4);
	char pb[INET6_ADDRSTRLEN], eb[INET6_ADDRSTRLEN], gb[INET_ADDRSTRLEN];
	struct in6_addr embedded;

	addr_embed(&c->prefix, c->gateway_v4, &embedded);
	inet_ntop(AF_INET6, &c->prefix.addr, pb, sizeof(pb));
	inet_ntop(AF_INET6, &embedded, eb, sizeof(eb));
	inet_ntop(AF_INET, &c->gateway_v4, gb, sizeof(gb));
	if (!c->gateway_v6_set) {
		if (wkp_forbids)
			return fail(why, n, "required because gateway-v4 %s is not a global IPv4 "
				    "address, and RFC 6052 §3.1 forbids embedding it in the Well-Known "
				    "Prefix %s/96, so the translator has no IPv6 address of its own; "
				    "set gateway-v6 to an IPv6 address outside the prefix (or use a "
				    "global gateway-v4 or a network-specific prefix)", gb, pb);
		c->gateway_v6 = embedded;
		return 0;
	}
	if (!addr_in6_in_net(&c->gateway_v6, &c->prefix.addr, c->prefix.len))
		return 0;
	if (wkp_forbids)
		return fail(why, n, "inside the Well-Known Prefix %s/96, which must not embed the "
			    "non-global gateway-v4 %s (RFC 6052 §3.1); choose an address outside "
			    "the prefix", pb, gb);
	if (memcmp(&c->gateway_v6, &embedded, sizeof(embedded)) != 0)
		return fail(why, n, "inside the prefix %s/%u but not prefix||gateway-v4 (%s); "
			    "choose an address outside the prefix, or leave gateway-v6 out",
			    pb, c->prefix.len, eb);
	return 0;
}

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > QUEUES_MAX ? QUEUES_MAX : (unsigned)n;
}

/* The CPUs this process may run on, in order: its affinity mask, or when
 * that is unknown (over CPU_SETSIZE CPUs) the online ones from 0. */
static int allowed_cpus(struct config *c, char *why, size_t n)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;
	unsigned cpu;

	if (sched_getaffinity(0, sizeof(set), &set) < 0 || CPU_COUNT(&set) == 0) {
		CPU_ZERO(&set);
		for (cpu = 0; cpu < CPU_SETSIZE && (cpu == 0 || (long)cpu < online); cpu++)
			CPU_SET(cpu, &set);
	}
	c->tun.cpus = calloc((size_t)CPU_COUNT(&set), sizeof(*c->tun.cpus));
	if (!c->tun.cpus)
		return fail(why, n, "out of memory");
	c->tun.n_cpus = 0;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			c->tun.cpus[c->tun.n_cpus++] = cpu;
	return 0;
}

int config_resolve_host(struct config *c, char *why, size_t n)
{
	c->tun.queues = c->tun.queues_conf ? c->tun.queues_conf : online_cpus();
	if (c->tun.cpus_auto) {
		free(c->tun.cpus);
		c->tun.cpus = NULL;
		return allowed_cpus(c, why, n);
	}
	return 0;
}
