/*
 * Micro-benchmark of the translation functions alone: ns per packet for
 * xlat_6to4 and xlat_4to6 over TCP (1400-byte payload), UDP (64-byte
 * payload) and ICMP echo (56-byte data, ping's default), with a trivial map
 * (one client, one inner address, no lookup cost).
 *
 * Translation works in place, so every iteration translates a fresh copy of
 * the packet: the copy's cost is measured on its own (same loop, no
 * translation) and reported next to it; "xlat" is the difference.
 *
 * Output: a table, then "result KEY=VALUE" lines for scripts/bench/summarise.py.
 */
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xlat/csum.h"
#include "xlat/xlat.h"

#define ITERS 2000000u
#define ROUNDS 5
#define BUF_SIZE 2048

static const char *const CLIENT6 = "2001:db8:1::10";
static const char *const INNER4 = "100.64.0.2";
static const char *const SERVER4 = "203.0.113.2";
static const char *const PREFIX6 = "2001:db8:64::";

static struct in_addr inner4, server4;
static struct in6_addr client6, server6;

static int map_src6(void *arg, const struct in6_addr *src, struct in_addr *out)
{
	(void)arg;
	(void)src;
	*out = inner4;
	return 0;
}

static int map_dst4(void *arg, struct in_addr dst, struct in6_addr *out)
{
	(void)arg;
	(void)dst;
	*out = client6;
	return 0;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Checksum of an L4 segment with its pseudo-header (RFC 8200 §8.1 / RFC 793). */
static uint16_t l4_csum(int v6, const void *src, const void *dst, uint8_t proto, const uint8_t *l4, size_t len)
{
	uint8_t tail[8] = { 0 };
	uint32_t sum;
	size_t alen = v6 ? 16 : 4;

	sum = csum_partial(src, alen, 0);
	sum = csum_add(sum, csum_partial(dst, alen, 0));
	tail[0] = (uint8_t)(len >> 24);
	tail[1] = (uint8_t)(len >> 16);
	tail[2] = (uint8_t)(len >> 8);
	tail[3] = (uint8_t)len;
	tail[7] = proto;
	sum = csum_add(sum, csum_partial(tail, 8, 0));
	sum = csum_add(sum, csum_partial(l4, len, 0));
	return csum_fold(sum);
}

/* The transport header and payload of a test packet; returns its length. */
static size_t build_l4(uint8_t *l4, int v6, uint8_t proto, size_t payload, const void *src, const void *dst)
{
	size_t hlen, off;
	uint16_t c;

	switch (proto) {
	case IPPROTO_TCP:
		hlen = 20;
		memset(l4, 0, hlen);
		l4[0] = 0x9c; l4[1] = 0x40;	/* 40000 -> 5201 */
		l4[2] = 0x14; l4[3] = 0x51;
		l4[7] = 1;			/* seq */
		l4[12] = 5 << 4;		/* data offset */
		l4[13] = 0x18;			/* PSH ACK */
		l4[14] = 0xff; l4[15] = 0xff;
		off = 16;
		break;
	case IPPROTO_UDP:
		hlen = 8;
		l4[0] = 0x9c; l4[1] = 0x40;
		l4[2] = 0x14; l4[3] = 0xb5;	/* 5301 */
		l4[4] = (uint8_t)((hlen + payload) >> 8);
		l4[5] = (uint8_t)(hlen + payload);
		off = 6;
		break;
	default:	/* echo request, ICMPv6 or ICMPv4 */
		hlen = 8;
		memset(l4, 0, hlen);
		l4[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
		l4[5] = 0x2a; l4[7] = 1;	/* id, seq */
		off = 2;
		break;
	}
	for (size_t i = 0; i < payload; i++)
		l4[hlen + i] = (uint8_t)(i * 7 + 3);
	l4[off] = l4[off + 1] = 0;
	/* ICMPv4 has no pseudo-header; ICMPv6, TCP and UDP do. */
	if (!v6 && proto == IPPROTO_ICMP)
		c = csum_fold(csum_partial(l4, hlen + payload, 0));
	else
		c = l4_csum(v6, src, dst, proto, l4, hlen + payload);
	memcpy(l4 + off, &c, 2);
	return hlen + payload;
}

static size_t build_v6(uint8_t *p, uint8_t proto, size_t payload)
{
	struct ip6_hdr h;
	size_t l4len = build_l4(p + sizeof(h), 1, proto, payload, &client6, &server6);

	memset(&h, 0, sizeof(h));
	h.ip6_flow = htonl(6u << 28);
	h.ip6_plen = htons((uint16_t)l4len);
	h.ip6_nxt = proto;
	h.ip6_hlim = 64;
	h.ip6_src = client6;
	h.ip6_dst = server6;
	memcpy(p, &h, sizeof(h));
	return sizeof(h) + l4len;
}

static size_t build_v4(uint8_t *p, uint8_t proto, size_t payload)
{
	struct ip h;
	uint8_t p4 = proto == IPPROTO_ICMPV6 ? IPPROTO_ICMP : proto;
	size_t l4len = build_l4(p + sizeof(h), 0, p4, payload, &server4, &inner4);
	uint16_t c;

	memset(&h, 0, sizeof(h));
	h.ip_v = 4;
	h.ip_hl = 5;
	h.ip_len = htons((uint16_t)(sizeof(h) + l4len));
	h.ip_id = htons(0x1234);
	h.ip_off = htons(IP_DF);
	h.ip_ttl = 64;
	h.ip_p = p4;
	h.ip_src = server4;
	h.ip_dst = inner4;
	memcpy(p, &h, sizeof(h));
	c = csum_fold(csum_partial(p, sizeof(h), 0));
	memcpy(p + 10, &c, 2);
	return sizeof(h) + l4len;
}

typedef enum xlat_verdict (*xlat_fn)(const struct xlat_cfg *, const struct xlat_map *, struct xlat_state *,
				     struct xlat_buf *, struct xlat_buf *, enum xlat_drop *);

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median over ROUNDS of the ns per iteration; translate = 0: copy only. */
static double measure(xlat_fn fn, const struct xlat_cfg *cfg, const struct xlat_map *map,
		      const uint8_t *tmpl, size_t len, int translate, int *failed)
{
	static uint8_t buf[XLAT_HEADROOM + BUF_SIZE], reply[XLAT_REPLY_MAX];
	struct xlat_state st = { 0x5eed };
	double ns[ROUNDS];

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();

		for (unsigned i = 0; i < ITERS; i++) {
			struct xlat_buf pkt = { .data = buf + XLAT_HEADROOM, .len = len, .headroom = XLAT_HEADROOM };
			struct xlat_buf rep = { .data = reply, .len = sizeof(reply), .headroom = 0 };
			enum xlat_drop why = XLAT_DROP_NONE;

			memcpy(buf + XLAT_HEADROOM, tmpl, len);
			if (translate) {
				if (fn(cfg, map, &st, &pkt, &rep, &why) != XLAT_FORWARD) {
					fprintf(stderr, "bench_xlat: not forwarded: %s\n", xlat_drop_name(why));
					*failed = 1;
					return 0;
				}
			}
			/* keep the copy (and the result) observable */
			__asm__ volatile("" : : "r"(buf), "r"(pkt.data) : "memory");
		}
		ns[r] = (now_ns() - t0) / ITERS;
	}
	qsort(ns, ROUNDS, sizeof(ns[0]), cmp_double);
	return ns[ROUNDS / 2];
}

int main(void)
{
	static const struct {
		const char *name;
		uint8_t proto;
		size_t payload;
	} cases[] = {
		{ "tcp1400", IPPROTO_TCP, 1400 },
		{ "udp64", IPPROTO_UDP, 64 },
		{ "icmp_echo", IPPROTO_ICMPV6, 56 },
	};
	struct xlat_cfg cfg;
	struct xlat_map map = { map_src6, map_dst4, NULL };
	int failures = 0;

	inet_pton(AF_INET6, CLIENT6, &client6);
	inet_pton(AF_INET, INNER4, &inner4);
	inet_pton(AF_INET, SERVER4, &server4);
	memset(&cfg, 0, sizeof(cfg));
	inet_pton(AF_INET6, PREFIX6, &cfg.prefix.addr);
	cfg.prefix.len = 96;
	inet_pton(AF_INET, "100.64.0.1", &cfg.gateway_v4);
	addr_embed(&cfg.prefix, cfg.gateway_v4, &cfg.gateway_v6);
	addr_embed(&cfg.prefix, server4, &server6);
	cfg.mtu = 1500;

	printf("bench_xlat: %u packets x %d rounds, median ns per packet (copy = memcpy of a fresh packet)\n",
	       ITERS, ROUNDS);
	printf("%-10s %-9s %6s %10s %9s %9s %12s\n", "direction", "case", "bytes", "copy+xlat", "copy", "xlat",
	       "Mpps(xlat)");
	for (int dir = 0; dir < 2; dir++) {
		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			uint8_t tmpl[BUF_SIZE];
			size_t len = dir == 0 ? build_v6(tmpl, cases[c].proto, cases[c].payload)
					      : build_v4(tmpl, cases[c].proto, cases[c].payload);
			xlat_fn fn = dir == 0 ? xlat_6to4 : xlat_4to6;
			const char *dname = dir == 0 ? "6to4" : "4to6";
			int failed = 0;
			double total = measure(fn, &cfg, &map, tmpl, len, 1, &failed);
			double copy = measure(fn, &cfg, &map, tmpl, len, 0, &failed);
			double net = total - copy;

			if (failed) {
				printf("%-10s %-9s %6zu %10s\n", dname, cases[c].name, len, "FAILED");
				printf("result xlat.%s.%s.ns=failed\n", dname, cases[c].name);
				failures++;
				continue;
			}
			printf("%-10s %-9s %6zu %10.1f %9.1f %9.1f %12.2f\n", dname, cases[c].name, len, total,
			       copy, net, net > 0 ? 1e3 / net : 0.0);
			printf("result xlat.%s.%s.ns=%.1f\n", dname, cases[c].name, net);
			printf("result xlat.%s.%s.copy_ns=%.1f\n", dname, cases[c].name, copy);
		}
	}
	return failures ? 1 : 0;
}
