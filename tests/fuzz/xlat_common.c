/*
 * Shared parts of the translation harnesses; see xlat_common.h.
 */
#include "xlat_common.h"

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/addr.h"

#define IP4H 20u
#define IP6H 40u
#define ICMPH 8u

void fuzz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
	abort();
}

/* ---- buffers ---- */

void fuzz_pkt_load(struct fuzz_pkt *p, const uint8_t *data, size_t len, size_t headroom, uint16_t gso_size)
{
	p->size = headroom + len;
	/* malloc(0) may return NULL; one byte keeps the block valid, and the
	 * empty packet then starts at its end all the same. */
	p->block = malloc(p->size ? p->size : 1);
	if (!p->block)
		abort();
	memset(p->block, 0xa5, headroom);
	if (len)
		memcpy(p->block + headroom, data, len);
	p->buf = (struct xlat_buf){ .data = p->block + headroom, .len = len, .headroom = headroom,
				    .gso_size = gso_size };
	/* xlat.h: "pkt->data may be NULL with len 0". */
	if (len == 0)
		p->buf = (struct xlat_buf){ .data = NULL, .len = 0, .headroom = 0, .gso_size = gso_size };
}

void fuzz_pkt_free(struct fuzz_pkt *p)
{
	free(p->block);
	p->block = NULL;
}

void fuzz_reply_init(struct fuzz_reply *r)
{
	r->size = XLAT_REPLY_MAX;
	r->block = malloc(r->size);
	if (!r->block)
		abort();
	r->buf = (struct xlat_buf){ .data = r->block, .len = r->size, .headroom = 0 };
}

void fuzz_reply_free(struct fuzz_reply *r)
{
	free(r->block);
	r->block = NULL;
}

/* ---- configurations ---- */

/* 6->4 destinations some runs deny (xlat_cfg.deny): the seeds' server
 * 8.8.8.8 and networks of every length class. */
static const struct {
	uint32_t addr;	/* host order */
	uint8_t len;
} deny_specs[] = {
	{ 0x08080000, 16 },	/* 8.8.0.0/16 */
	{ 0x0a020304, 32 },	/* 10.2.3.4/32 */
	{ 0xc6000000, 8 },	/* 198.0.0.0/8 */
	{ 0xffffffff, 27 },	/* host bits set */
};
#define N_DENY (sizeof(deny_specs) / sizeof(deny_specs[0]))

static struct xlat_v4net deny_tab[N_DENY];

static const struct {
	const char *prefix;
	uint8_t len;
	uint32_t mtu, lowest_ipv6_mtu;
	size_t headroom;
	int deny;
	uint16_t gso_size;
} run_specs[] = {
	/* The /96 the seed corpus is written for, as a worker runs it. */
	{ "64:ff9b::", 96, 1500, 0, XLAT_HEADROOM, 0, 0 },
	/* Every other RFC 6052 §2.2 length; /40../56 split the IPv4
	 * address around the u-octet.  Not the Well-Known Prefix, so
	 * non-global IPv4 addresses are translated (RFC 6052 §3.1). */
	{ "2001:db8::", 32, 1280, 1280, XLAT_HEADROOM, 0, 0 },
	{ "2001:db8:100::", 40, 9000, 1500, XLAT_HEADROOM, 0, 0 },
	{ "2001:db8:122::", 48, 1500, 1000, 20, 0, 8 },	/* 20: exactly what 4->6 needs, no slack;
							 * GSO with tiny segments */
	{ "2001:db8:122:300::", 56, 65535, 2000, XLAT_HEADROOM, 0, 0 },
	{ "2001:db8:122:344::", 64, 0, 0, XLAT_HEADROOM, 0, 0 },	/* mtu 0: no limit */
	/* No headroom at all, a deny list, the smallest MTU. */
	{ "64:ff9b::", 96, 1280, 0, 0, 1, 0 },
	/* A GSO super-packet from an offloading TUN queue. */
	{ "64:ff9b::", 96, 1500, 1280, XLAT_HEADROOM, 0, 1400 },
};
#define N_RUNS (sizeof(run_specs) / sizeof(run_specs[0]))

static struct fuzz_run runs_tab[N_RUNS];

size_t fuzz_runs(const struct fuzz_run **runs)
{
	static int ready;
	struct nat64_prefix p;
	struct in_addr gw4;
	struct in6_addr gw6;
	size_t i;

	if (!ready) {
		gw4.s_addr = htonl(0xc0000201); /* 192.0.2.1 */
		for (i = 0; i < N_DENY; i++)
			deny_tab[i] = (struct xlat_v4net){ .addr = { htonl(deny_specs[i].addr) },
							   .len = deny_specs[i].len };
		for (i = 0; i < N_RUNS; i++) {
			memset(&p, 0, sizeof(p));
			if (inet_pton(AF_INET6, run_specs[i].prefix, &p.addr) != 1)
				abort();
			p.len = run_specs[i].len;
			if (!addr_prefix_valid(&p))
				abort();
			addr_embed(&p, gw4, &gw6);
			/* Designated initialisers: fields xlat_cfg gains later
			 * start as zero, i.e. "off". */
			runs_tab[i].cfg = (struct xlat_cfg){
				.prefix = p,
				.gateway_v4 = gw4,
				.gateway_v6 = gw6,
				.mtu = run_specs[i].mtu,
				.lowest_ipv6_mtu = run_specs[i].lowest_ipv6_mtu,
				.deny = run_specs[i].deny ? deny_tab : NULL,
				.n_deny = run_specs[i].deny ? N_DENY : 0,
			};
			runs_tab[i].headroom = run_specs[i].headroom;
			runs_tab[i].gso_size = run_specs[i].gso_size;
		}
		ready = 1;
	}
	*runs = runs_tab;
	return N_RUNS;
}

/* ---- the fake map ---- */

static uint32_t fnv1a(const uint8_t *p, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

int fuzz_map_src6(void *arg, const struct in6_addr *src, struct in_addr *out)
{
	(void)arg;
	switch (src->s6_addr[15]) {
	case 0xfd:
		return -XLAT_DROP_POOL_EXHAUSTED;
	case 0xfc:
		return -XLAT_DROP_NOT_CLIENT;
	case 0xfb:
		return 7;
	default:
		break;
	}
	/* 100.64.0.0/10, as an inner pool would be. */
	out->s_addr = htonl(0x64400000u | (fnv1a(src->s6_addr, 16) & 0x003fffffu));
	return 0;
}

int fuzz_map_dst4(void *arg, struct in_addr dst, struct in6_addr *out)
{
	const uint8_t *b = (const uint8_t *)&dst.s_addr;
	uint32_t h = fnv1a(b, 4);

	(void)arg;
	if (b[3] == 255)
		return -XLAT_DROP_NO_BINDING;
	if (b[3] == 254)
		return -(int)XLAT_DROP__MAX;
	memset(out, 0, sizeof(*out));
	out->s6_addr[0] = 0x20;
	out->s6_addr[1] = 0x01;
	out->s6_addr[2] = 0x0d;
	out->s6_addr[3] = 0xb8;
	out->s6_addr[5] = 0xc1;
	memcpy(out->s6_addr + 8, &h, 4);
	memcpy(out->s6_addr + 12, b, 4);
	return 0;
}

const struct xlat_map fuzz_map = {
	.src6_to_v4 = fuzz_map_src6,
	.dst4_to_v6 = fuzz_map_dst4,
	.arg = NULL,
};

/* ---- reference checksums ---- */

uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t ref_pseudo4(const uint8_t *saddr, const uint8_t *daddr, uint8_t proto, size_t len)
{
	uint32_t s = ref_sum(saddr, 4, 0);

	s = ref_sum(daddr, 4, s);
	return s + proto + (uint32_t)len;
}

uint32_t ref_pseudo6(const uint8_t *saddr, const uint8_t *daddr, uint8_t nexthdr, size_t len)
{
	uint32_t s = ref_sum(saddr, 16, 0);

	s = ref_sum(daddr, 16, s);
	/* 32-bit length: both halves. */
	return s + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff) + nexthdr;
}

/* Transport checksum of the `l4len` bytes at `l4`, with pseudo-header sum `ph`
 * (0 for ICMPv4).  1 valid, 0 invalid, 2 UDP without checksum (IPv4 only),
 * -1 not a protocol with a checksum here / too short. */
static int l4_verify(uint8_t proto, const uint8_t *l4, size_t l4len, uint32_t ph, int v6)
{
	switch (proto) {
	case IPPROTO_TCP:
		if (l4len < 20)
			return -1;
		break;
	case IPPROTO_UDP:
		if (l4len < 8)
			return -1;
		if (get_be16(l4 + 6) == 0)
			return v6 ? 0 : 2; /* RFC 8200 §8.1 / RFC 768 */
		break;
	case IPPROTO_ICMP:
		if (v6 || l4len < ICMPH)
			return -1;
		ph = 0;
		break;
	case IPPROTO_ICMPV6:
		if (!v6 || l4len < ICMPH)
			return -1;
		break;
	default:
		return -1;
	}
	return ref_fold(ref_sum(l4, l4len, ph)) == 0;
}

int l4_csum_ok4(const uint8_t *ip, size_t len)
{
	size_t hlen, tot;

	if (len < IP4H || ip[0] >> 4 != 4)
		return -1;
	hlen = (size_t)(ip[0] & 0x0f) * 4u;
	tot = get_be16(ip + 2);
	if (hlen < IP4H || tot < hlen || tot > len)
		return -1;
	if (get_be16(ip + 6) & (IP_MF | IP_OFFMASK))
		return -1;
	return l4_verify(ip[9], ip + hlen, tot - hlen, ref_pseudo4(ip + 12, ip + 16, ip[9], tot - hlen), 0);
}

int l4_csum_ok6(const uint8_t *ip, size_t len)
{
	size_t plen;

	if (len < IP6H || ip[0] >> 4 != 6)
		return -1;
	plen = get_be16(ip + 4);
	if (IP6H + plen > len)
		return -1;
	/* Only a transport header right after the fixed header: no
	 * extension headers, no fragments. */
	return l4_verify(ip[6], ip + IP6H, plen, ref_pseudo6(ip + 8, ip + 24, ip[6], plen), 1);
}

/* ---- checksum fix-up ---- */

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Sets the checksum at `l4 + off` so that the `len` bytes verify with the
 * pseudo-header sum `ph`. */
static void set_csum(uint8_t *l4, size_t len, size_t off, uint32_t ph)
{
	put_be16(l4 + off, 0);
	put_be16(l4 + off, ref_fold(ref_sum(l4, len, ph)));
}

static void fixup_l4(uint8_t proto, uint8_t *l4, size_t len, uint32_t ph)
{
	if (proto == IPPROTO_TCP && len >= 20)
		set_csum(l4, len, 16, ph);
	else if (proto == IPPROTO_UDP && len >= 8 && get_be16(l4 + 6) != 0)
		set_csum(l4, len, 6, ph);	/* a zero checksum stays: that path is fuzzed too */
	else if ((proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) && len >= ICMPH)
		set_csum(l4, len, 2, proto == IPPROTO_ICMP ? 0 : ph);
}

int fuzz_fixup4(uint8_t *p, size_t len)
{
	size_t hlen, tot;

	if (len < IP4H || p[0] >> 4 != 4)
		return 0;
	hlen = (size_t)(p[0] & 0x0f) * 4u;
	if (hlen < IP4H || hlen > len)
		return 0;
	set_csum(p, hlen, 10, 0);
	tot = get_be16(p + 2);
	if (tot >= hlen && tot <= len && !(get_be16(p + 6) & IP_OFFMASK))
		fixup_l4(p[9], p + hlen, tot - hlen, ref_pseudo4(p + 12, p + 16, p[9], tot - hlen));
	return 1;
}

int fuzz_fixup6(uint8_t *p, size_t len)
{
	size_t plen;

	if (len < IP6H || p[0] >> 4 != 6)
		return 0;
	plen = get_be16(p + 4);
	if (IP6H + plen > len)
		return 0;
	fixup_l4(p[6], p + IP6H, plen, ref_pseudo6(p + 8, p + 24, p[6], plen));
	return 1;
}

/* ---- invariants ---- */

static void check_reply_buf(const struct fuzz_reply *r)
{
	FUZZ_CHECK(r->buf.data >= r->block);
	FUZZ_CHECK(r->buf.len <= r->size);
	FUZZ_CHECK(r->buf.data + r->buf.len <= r->block + r->size);
}

void check_reply6(const struct xlat_cfg *cfg, enum xlat_drop reason, const struct fuzz_reply *r,
		  const uint8_t *orig, size_t orig_len)
{
	const uint8_t *d = r->buf.data;
	size_t len = r->buf.len;

	/* xlat.h lists the reasons that come with a reply. */
	FUZZ_CHECK(reason == XLAT_DROP_HOP_LIMIT || reason == XLAT_DROP_TOO_BIG ||
		   reason == XLAT_DROP_SEGMENTS_LEFT || reason == XLAT_DROP_DENIED_DEST ||
		   reason == XLAT_DROP_NON_GLOBAL || reason == XLAT_DROP_POOL_EXHAUSTED);
	check_reply_buf(r);
	FUZZ_CHECK(len >= IP6H + ICMPH && len <= 1280);
	FUZZ_CHECK(memcmp(d + 8, &cfg->gateway_v6, 16) == 0);
	FUZZ_CHECK(d[0] >> 4 == 6);
	FUZZ_CHECK(get_be16(d + 4) + IP6H == len);
	FUZZ_CHECK(d[6] == IPPROTO_ICMPV6);
	FUZZ_CHECK(d[7] > 0);
	/* RFC 4443 §2.1: an error message, sent back to the sender. */
	FUZZ_CHECK(d[IP6H] < 128);
	FUZZ_CHECK(orig_len >= IP6H && memcmp(d + 24, orig + 8, 16) == 0);
	FUZZ_CHECK(l4_csum_ok6(d, len) == 1);
	/* RFC 4443 §3: it quotes the start of the invoking packet as received. */
	FUZZ_CHECK(len - IP6H - ICMPH <= orig_len);
	FUZZ_CHECK(memcmp(d + IP6H + ICMPH, orig, len - IP6H - ICMPH) == 0);
}

void check_reply4(const struct xlat_cfg *cfg, enum xlat_drop reason, const struct fuzz_reply *r,
		  const uint8_t *orig, size_t orig_len)
{
	const uint8_t *d = r->buf.data;
	size_t len = r->buf.len, hlen;

	FUZZ_CHECK(reason == XLAT_DROP_HOP_LIMIT || reason == XLAT_DROP_TOO_BIG);
	check_reply_buf(r);
	/* RFC 1812 §4.3.2.3: at most 576 bytes. */
	FUZZ_CHECK(len >= IP4H + ICMPH && len <= 576);
	FUZZ_CHECK(memcmp(d + 12, &cfg->gateway_v4, 4) == 0);
	FUZZ_CHECK(d[0] >> 4 == 4);
	hlen = (size_t)(d[0] & 0x0f) * 4u;
	FUZZ_CHECK(hlen >= IP4H && hlen + ICMPH <= len);
	FUZZ_CHECK(get_be16(d + 2) == len);
	FUZZ_CHECK(ref_fold(ref_sum(d, hlen, 0)) == 0);
	FUZZ_CHECK(d[8] > 0);
	FUZZ_CHECK(d[9] == IPPROTO_ICMP);
	/* RFC 792: an error (unreachable, time exceeded, parameter problem). */
	FUZZ_CHECK(d[hlen] == ICMP_DEST_UNREACH || d[hlen] == ICMP_TIME_EXCEEDED ||
		   d[hlen] == ICMP_PARAMETERPROB);
	FUZZ_CHECK(orig_len >= IP4H && memcmp(d + 16, orig + 12, 4) == 0);
	FUZZ_CHECK(l4_csum_ok4(d, len) == 1);
	FUZZ_CHECK(len - hlen - ICMPH <= orig_len);
	FUZZ_CHECK(memcmp(d + hlen + ICMPH, orig, len - hlen - ICMPH) == 0);
}

void check_verdict(enum xlat_verdict v, enum xlat_drop reason, const struct fuzz_pkt *p,
		   const struct xlat_buf *before, const uint8_t *in, size_t in_len)
{
	const struct xlat_buf *b = &p->buf;

	/* xlat.h: gso_size is "unchanged by the translation". */
	FUZZ_CHECK(b->gso_size == before->gso_size);

	FUZZ_CHECK(v == XLAT_FORWARD || v == XLAT_DROP || v == XLAT_REPLY || v == XLAT_FORWARD_MULTI);
	FUZZ_CHECK((unsigned)reason < XLAT_DROP__MAX);
	FUZZ_CHECK(strcmp(xlat_drop_name(reason), "unknown") != 0);
	if (v == XLAT_FORWARD || v == XLAT_FORWARD_MULTI) {
		FUZZ_CHECK(reason == XLAT_DROP_NONE);
		FUZZ_CHECK(b->data != NULL);
		/* The output lies inside the buffer, headroom included, and
		 * the headroom it reports is what is left before it. */
		FUZZ_CHECK(b->data >= p->block);
		FUZZ_CHECK(b->len <= p->size);
		FUZZ_CHECK(b->data + b->len <= p->block + p->size);
		FUZZ_CHECK(b->headroom == (size_t)(b->data - p->block));
		return;
	}
	/* xlat.h: `pkt` is left untouched unless the verdict is XLAT_FORWARD. */
	FUZZ_CHECK(reason != XLAT_DROP_NONE);
	FUZZ_CHECK(b->data == before->data && b->len == before->len && b->headroom == before->headroom);
	FUZZ_CHECK(in_len == 0 || (b->data && memcmp(b->data, in, in_len) == 0));
}
