/*
 * Unit tests: RFC 7915 translation (src/xlat/xlat.c).
 *
 * Packets are built here with checksums computed by an independent reference
 * (plain big-endian RFC 1071 sum, not csum.c), translated, and then every
 * header field and every checksum is checked against that reference.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/xlat.h"

#define HR XLAT_HEADROOM
#define IP6H 40u
#define IP4H 20u
#define BUF_MAX (HR + 70000u)

/* ---- independent reference checksum ---- */

static uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* Complemented 16-bit fold, host order. */
static uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint32_t ref_pseudo6(const uint8_t *src, const uint8_t *dst, size_t len, uint8_t nh)
{
	uint8_t tail[8] = { 0 };
	uint32_t s = ref_sum(src, 16, 0);

	s = ref_sum(dst, 16, s);
	put32(tail, (uint32_t)len);
	tail[7] = nh;
	return ref_sum(tail, 8, s);
}

static uint32_t ref_pseudo4(const uint8_t *src, const uint8_t *dst, size_t len, uint8_t proto)
{
	uint8_t tail[4] = { 0, proto, 0, 0 };

	put16(tail + 2, len);
	return ref_sum(tail, 4, ref_sum(dst, 4, ref_sum(src, 4, 0)));
}

static size_t csum_off(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 2;
}

/* ---- packet builders ---- */

static const uint8_t pay_seed = 3;

static size_t put_l4(uint8_t *l4, uint8_t proto, uint8_t icmp_type, size_t paylen)
{
	size_t hl = proto == IPPROTO_TCP ? 20 : 8, i;

	memset(l4, 0, hl);
	if (proto == IPPROTO_TCP) {
		put16(l4, 40000);
		put16(l4 + 2, 80);
		put32(l4 + 4, 0x01020304);
		put32(l4 + 8, 0x05060708);
		l4[12] = 5 << 4;
		l4[13] = 0x18;
		put16(l4 + 14, 0xfff0);
	} else if (proto == IPPROTO_UDP) {
		put16(l4, 5353);
		put16(l4 + 2, 53);
		put16(l4 + 4, 8 + paylen);
	} else {
		l4[0] = icmp_type;
		put16(l4 + 4, 0x1234);
		put16(l4 + 6, 0x0042);
	}
	for (i = 0; i < paylen; i++)
		l4[hl + i] = (uint8_t)(i * 7 + pay_seed);
	return hl + paylen;
}

struct spec {
	uint8_t proto;     /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6 */
	uint8_t icmp_type;
	size_t paylen;
	uint8_t hlim;      /* hop limit / TTL */
	uint8_t tclass;    /* traffic class / TOS */
};

static struct in6_addr client6, server6, gw6;
static struct in_addr inner4, server4, gw4;

static void set_l4_csum6(uint8_t *p)
{
	size_t len = be16(p + 4);
	uint8_t *l4 = p + IP6H;
	uint16_t c;

	memset(l4 + csum_off(p[6] == IPPROTO_ICMPV6 ? IPPROTO_ICMP : p[6]), 0, 2);
	c = ref_fold(ref_sum(l4, len, ref_pseudo6(p + 8, p + 24, len, p[6])));
	if (p[6] == IPPROTO_UDP && c == 0)
		c = 0xffff;
	put16(l4 + csum_off(p[6] == IPPROTO_ICMPV6 ? IPPROTO_ICMP : p[6]), c);
}

static size_t build6(uint8_t *p, const struct spec *s, const struct in6_addr *src, const struct in6_addr *dst)
{
	size_t l4len = put_l4(p + IP6H, s->proto, s->icmp_type, s->paylen);

	/* A non-zero flow label that the translation must not carry over. */
	put32(p, 6u << 28 | (uint32_t)s->tclass << 20 | 0xabcde);
	put16(p + 4, l4len);
	p[6] = s->proto;
	p[7] = s->hlim;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	set_l4_csum6(p);
	return IP6H + l4len;
}

static void set_ip4_csum(uint8_t *p)
{
	size_t hl = (size_t)(p[0] & 0xf) * 4;

	memset(p + 10, 0, 2);
	put16(p + 10, ref_fold(ref_sum(p, hl, 0)));
}

static void set_l4_csum4(uint8_t *p)
{
	size_t hl = (size_t)(p[0] & 0xf) * 4, len = be16(p + 2) - hl;
	uint8_t *l4 = p + hl;
	uint32_t s = p[9] == IPPROTO_ICMP ? 0 : ref_pseudo4(p + 12, p + 16, len, p[9]);
	uint16_t c;

	memset(l4 + csum_off(p[9]), 0, 2);
	c = ref_fold(ref_sum(l4, len, s));
	if (p[9] == IPPROTO_UDP && c == 0)
		c = 0xffff;
	put16(l4 + csum_off(p[9]), c);
}

static size_t build4_opts(uint8_t *p, const struct spec *s, struct in_addr src, struct in_addr dst,
			  const uint8_t *opts, size_t optlen)
{
	size_t hl = IP4H + optlen, l4len = put_l4(p + hl, s->proto, s->icmp_type, s->paylen);

	p[0] = (uint8_t)(0x40 | hl / 4);
	p[1] = s->tclass;
	put16(p + 2, hl + l4len);
	put16(p + 4, 0x4242);
	put16(p + 6, 0);
	p[8] = s->hlim;
	p[9] = s->proto;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	if (optlen)
		memcpy(p + IP4H, opts, optlen);
	set_ip4_csum(p);
	set_l4_csum4(p);
	return hl + l4len;
}

static size_t build4(uint8_t *p, const struct spec *s, struct in_addr src, struct in_addr dst)
{
	return build4_opts(p, s, src, dst, NULL, 0);
}

/* ---- checks ---- */

static int l4_valid6(const uint8_t *p)
{
	size_t len = be16(p + 4);

	return ref_fold(ref_sum(p + IP6H, len, ref_pseudo6(p + 8, p + 24, len, p[6]))) == 0;
}

static int l4_valid4(const uint8_t *p)
{
	size_t hl = (size_t)(p[0] & 0xf) * 4, len = be16(p + 2) - hl;
	uint32_t s = p[9] == IPPROTO_ICMP ? 0 : ref_pseudo4(p + 12, p + 16, len, p[9]);

	return ref_fold(ref_sum(p + hl, len, s)) == 0;
}

static int ip4_hdr_valid(const uint8_t *p)
{
	return ref_fold(ref_sum(p, (size_t)(p[0] & 0xf) * 4, 0)) == 0;
}

/* ---- fixture ---- */

struct tmap {
	int src_ret, dst_ret;
	unsigned src_calls, dst_calls;
};

static int t_src6_to_v4(void *arg, const struct in6_addr *src, struct in_addr *out)
{
	struct tmap *m = arg;

	m->src_calls++;
	if (m->src_ret)
		return m->src_ret;
	if (memcmp(src, &client6, 16) != 0)
		return -XLAT_DROP_NOT_CLIENT;
	*out = inner4;
	return 0;
}

static int t_dst4_to_v6(void *arg, struct in_addr dst, struct in6_addr *out)
{
	struct tmap *m = arg;

	m->dst_calls++;
	if (m->dst_ret)
		return m->dst_ret;
	if (dst.s_addr != inner4.s_addr)
		return -XLAT_DROP_NO_BINDING;
	*out = client6;
	return 0;
}

struct fx {
	struct xlat_cfg cfg;
	struct tmap tm;
	struct xlat_map map;
	struct xlat_state st;
	uint8_t *mem;          /* BUF_MAX bytes */
	uint8_t reply_mem[XLAT_REPLY_MAX];
	struct xlat_buf pkt, reply;
	enum xlat_drop reason;
};

static void set_prefix(struct fx *f, const char *pfx, uint8_t len)
{
	assert_int_equal(inet_pton(AF_INET6, pfx, &f->cfg.prefix.addr), 1);
	f->cfg.prefix.len = len;
	addr_embed(&f->cfg.prefix, server4, &server6);
	addr_embed(&f->cfg.prefix, gw4, &gw6);
	f->cfg.gateway_v6 = gw6;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->mem = calloc(1, BUF_MAX);
	assert_non_null(f->mem);
	inet_pton(AF_INET6, "2001:db8:aaaa::1", &client6);
	inet_pton(AF_INET, "10.64.0.5", &inner4);
	inet_pton(AF_INET, "198.51.100.10", &server4);
	inet_pton(AF_INET, "192.0.2.1", &gw4);
	set_prefix(f, "64:ff9b::", 96);
	f->cfg.gateway_v4 = gw4;
	f->cfg.mtu = 1500;
	f->map.src6_to_v4 = t_src6_to_v4;
	f->map.dst4_to_v6 = t_dst4_to_v6;
	f->map.arg = &f->tm;
	f->st.ip_id = 1000;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->mem);
	free(f);
	return 0;
}

static uint8_t *pkt_at(struct fx *f)
{
	return f->mem + HR;
}

static enum xlat_verdict run6(struct fx *f, size_t len)
{
	f->pkt.data = pkt_at(f);
	f->pkt.len = len;
	f->pkt.headroom = HR;
	f->reply.data = f->reply_mem;
	f->reply.len = sizeof(f->reply_mem);
	f->reason = XLAT_DROP__MAX;
	return xlat_6to4(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, &f->reason);
}

static enum xlat_verdict run4(struct fx *f, size_t len)
{
	f->pkt.data = pkt_at(f);
	f->pkt.len = len;
	f->pkt.headroom = HR;
	f->reply.data = f->reply_mem;
	f->reply.len = sizeof(f->reply_mem);
	f->reason = XLAT_DROP__MAX;
	return xlat_4to6(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, &f->reason);
}

static void expect_drop6(struct fx *f, size_t len, enum xlat_drop why)
{
	uint8_t *copy = malloc(len ? len : 1);

	memcpy(copy, pkt_at(f), len);
	assert_int_equal(run6(f, len), XLAT_DROP);
	assert_int_equal(f->reason, why);
	/* A dropped packet is left as it was. */
	assert_ptr_equal(f->pkt.data, pkt_at(f));
	assert_int_equal(f->pkt.len, len);
	assert_memory_equal(copy, pkt_at(f), len);
	free(copy);
}

static void expect_drop4(struct fx *f, size_t len, enum xlat_drop why)
{
	uint8_t *copy = malloc(len ? len : 1);

	memcpy(copy, pkt_at(f), len);
	assert_int_equal(run4(f, len), XLAT_DROP);
	assert_int_equal(f->reason, why);
	assert_ptr_equal(f->pkt.data, pkt_at(f));
	assert_int_equal(f->pkt.len, len);
	assert_memory_equal(copy, pkt_at(f), len);
	free(copy);
}

/* ---- 6 -> 4 ---- */

/* Translate one IPv6 packet and check every IPv4 field and checksum. */
static void check_6to4(struct fx *f, const struct spec *s)
{
	size_t len = build6(pkt_at(f), s, &client6, &server6);
	size_t l4len = len - IP6H;
	uint8_t *orig_l4 = malloc(l4len), *p;
	uint8_t proto4 = s->proto == IPPROTO_ICMPV6 ? IPPROTO_ICMP : s->proto;
	uint32_t id_before = f->st.ip_id;

	memcpy(orig_l4, pkt_at(f) + IP6H, l4len);
	assert_int_equal(run6(f, len), XLAT_FORWARD);
	assert_int_equal(f->reason, XLAT_DROP_NONE);
	p = f->pkt.data;
	assert_ptr_equal(p, pkt_at(f) + IP6H - IP4H);
	assert_int_equal(f->pkt.len, IP4H + l4len);
	assert_int_equal(f->pkt.headroom, HR + IP6H - IP4H);

	assert_int_equal(p[0], 0x45);
	assert_int_equal(p[1], s->tclass);
	assert_int_equal(be16(p + 2), IP4H + l4len);
	assert_int_not_equal(f->st.ip_id, id_before);
	assert_int_equal(be16(p + 6) & ~IP_DF, 0); /* MF 0, offset 0 */
	assert_int_equal(!!(be16(p + 6) & IP_DF), IP4H + l4len > 1260);
	assert_int_equal(p[8], s->hlim - 1);
	assert_int_equal(p[9], proto4);
	assert_memory_equal(p + 12, &inner4, 4);
	assert_memory_equal(p + 16, &server4, 4);
	assert_true(ip4_hdr_valid(p));
	assert_true(l4_valid4(p));

	/* Transport header and payload unchanged except type and checksum. */
	if (s->proto == IPPROTO_ICMPV6) {
		assert_int_equal(p[IP4H], s->icmp_type == ICMP6_ECHO_REQUEST ? ICMP_ECHO : ICMP_ECHOREPLY);
		assert_int_equal(p[IP4H + 1], orig_l4[1]);
		assert_memory_equal(p + IP4H + 4, orig_l4 + 4, l4len - 4);
	} else {
		size_t co = csum_off(s->proto);

		assert_memory_equal(p + IP4H, orig_l4, co);
		assert_memory_equal(p + IP4H + co + 2, orig_l4 + co + 2, l4len - co - 2);
	}
	free(orig_l4);
}

static const size_t paylens[] = { 0, 1, 2, 13, 100, 1001, 1460 };

static void test_6to4_tcp(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(paylens) / sizeof(paylens[0]); i++) {
		struct spec s = { IPPROTO_TCP, 0, paylens[i], 64, 0 };

		check_6to4(*state, &s);
	}
}

static void test_6to4_udp(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(paylens) / sizeof(paylens[0]); i++) {
		struct spec s = { IPPROTO_UDP, 0, paylens[i], 255, 0x2e };

		check_6to4(*state, &s);
	}
}

static void test_6to4_icmp_echo(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(paylens) / sizeof(paylens[0]); i++) {
		struct spec req = { IPPROTO_ICMPV6, ICMP6_ECHO_REQUEST, paylens[i], 2, 0xb8 };
		struct spec rep = { IPPROTO_ICMPV6, ICMP6_ECHO_REPLY, paylens[i], 100, 0 };

		check_6to4(*state, &req);
		check_6to4(*state, &rep);
	}
}

/* Prefix lengths other than /96 work in the data path too. */
static void test_6to4_prefix_lengths(void **state)
{
	static const struct { const char *p; uint8_t len; } pf[] = {
		{ "2001:db8::", 32 }, { "2001:db8:100::", 40 }, { "2001:db8:122::", 48 },
		{ "2001:db8:122:300::", 56 }, { "2001:db8:122:344::", 64 },
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(pf) / sizeof(pf[0]); i++) {
		struct spec s = { IPPROTO_UDP, 0, 33, 64, 0 };

		set_prefix(f, pf[i].p, pf[i].len);
		check_6to4(f, &s);
	}
}

static void test_6to4_df_id(void **state)
{
	struct fx *f = *state;
	uint16_t ids[16];
	size_t i, j;

	/* RFC 7915 §5.1: DF clear up to 1260 bytes of IPv4 packet, set above. */
	{
		struct spec s = { IPPROTO_UDP, 0, 1260 - IP4H - 8, 64, 0 };
		size_t len = build6(pkt_at(f), &s, &client6, &server6);

		assert_int_equal(run6(f, len), XLAT_FORWARD);
		assert_int_equal(be16(f->pkt.data + 2), 1260);
		assert_int_equal(be16(f->pkt.data + 6), 0);
	}
	{
		struct spec s = { IPPROTO_UDP, 0, 1261 - IP4H - 8, 64, 0 };
		size_t len = build6(pkt_at(f), &s, &client6, &server6);

		assert_int_equal(run6(f, len), XLAT_FORWARD);
		assert_int_equal(be16(f->pkt.data + 2), 1261);
		assert_int_equal(be16(f->pkt.data + 6), IP_DF);
	}
	/* Identification differs from packet to packet. */
	for (i = 0; i < 16; i++) {
		struct spec s = { IPPROTO_TCP, 0, i * 100, 64, 0 };
		size_t len = build6(pkt_at(f), &s, &client6, &server6);

		assert_int_equal(run6(f, len), XLAT_FORWARD);
		ids[i] = be16(f->pkt.data + 4);
		for (j = 0; j < i; j++)
			assert_int_not_equal(ids[i], ids[j]);
	}
}

static void test_6to4_hop_limit(void **state)
{
	struct fx *f = *state;
	uint8_t h;

	for (h = 0; h <= 1; h++) {
		struct spec s = { IPPROTO_TCP, 0, 10, h, 0 };
		size_t len = build6(pkt_at(f), &s, &client6, &server6);

		expect_drop6(f, len, XLAT_DROP_HOP_LIMIT);
	}
	{
		struct spec s = { IPPROTO_UDP, 0, 10, 2, 0 };

		check_6to4(f, &s); /* TTL 1 */
	}
}

static void test_6to4_not_prefix(void **state)
{
	struct fx *f = *state;
	struct spec s = { IPPROTO_TCP, 0, 10, 64, 0 };
	struct in6_addr other;
	size_t len;

	inet_pton(AF_INET6, "2001:db8::198.51.100.10", &other);
	len = build6(pkt_at(f), &s, &client6, &other);
	expect_drop6(f, len, XLAT_DROP_NOT_PREFIX);
	/* A /64 prefix: u-octet and suffix must be zero. */
	set_prefix(f, "2001:db8:122:344::", 64);
	other = server6;
	other.s6_addr[8] = 1;
	len = build6(pkt_at(f), &s, &client6, &other);
	expect_drop6(f, len, XLAT_DROP_NOT_PREFIX);
	other = server6;
	other.s6_addr[15] = 1;
	len = build6(pkt_at(f), &s, &client6, &other);
	expect_drop6(f, len, XLAT_DROP_NOT_PREFIX);
	assert_int_equal(f->tm.src_calls, 0);
}

static void test_6to4_ext_headers(void **state)
{
	static const struct { uint8_t nh; enum xlat_drop why; } cases[] = {
		{ IPPROTO_HOPOPTS, XLAT_DROP_EXT_HEADER }, { IPPROTO_ROUTING, XLAT_DROP_EXT_HEADER },
		{ IPPROTO_DSTOPTS, XLAT_DROP_EXT_HEADER }, { IPPROTO_AH, XLAT_DROP_EXT_HEADER },
		{ IPPROTO_MH, XLAT_DROP_EXT_HEADER }, { IPPROTO_FRAGMENT, XLAT_DROP_FRAGMENT },
		{ IPPROTO_ICMP, XLAT_DROP_UNSUPPORTED_PROTO }, { IPPROTO_GRE, XLAT_DROP_UNSUPPORTED_PROTO },
		{ IPPROTO_NONE, XLAT_DROP_UNSUPPORTED_PROTO }, { IPPROTO_SCTP, XLAT_DROP_UNSUPPORTED_PROTO },
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spec s = { IPPROTO_UDP, 0, 40, 64, 0 };
		size_t len = build6(pkt_at(f), &s, &client6, &server6);

		pkt_at(f)[6] = cases[i].nh;
		expect_drop6(f, len, cases[i].why);
	}
}

static void test_6to4_unsupported_icmp(void **state)
{
	static const uint8_t types[] = { ICMP6_DST_UNREACH, ICMP6_PACKET_TOO_BIG, ICMP6_TIME_EXCEEDED,
					 ICMP6_PARAM_PROB, ND_ROUTER_SOLICIT, ND_NEIGHBOR_SOLICIT,
					 ND_NEIGHBOR_ADVERT, MLD_LISTENER_QUERY, 143, 200, 255, 0 };
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		struct spec s = { IPPROTO_ICMPV6, types[i], 32, 64, 0 };
		size_t len = build6(pkt_at(f), &s, &client6, &server6);

		expect_drop6(f, len, XLAT_DROP_UNSUPPORTED_ICMP);
	}
}

static void test_6to4_lengths(void **state)
{
	struct fx *f = *state;
	struct spec s = { IPPROTO_UDP, 0, 100, 64, 0 };
	size_t len;

	/* Trailing bytes past the payload length are trimmed. */
	len = build6(pkt_at(f), &s, &client6, &server6);
	memset(pkt_at(f) + len, 0xee, 10);
	assert_int_equal(run6(f, len + 10), XLAT_FORWARD);
	assert_int_equal(f->pkt.len, len - IP6H + IP4H);
	assert_int_equal(be16(f->pkt.data + 2), f->pkt.len);
	assert_true(l4_valid4(f->pkt.data));
	/* Payload length larger than the bytes read. */
	len = build6(pkt_at(f), &s, &client6, &server6);
	expect_drop6(f, len - 1, XLAT_DROP_TRUNCATED);
	/* UDP length disagreeing with the payload length. */
	len = build6(pkt_at(f), &s, &client6, &server6);
	put16(pkt_at(f) + IP6H + 4, 107);
	expect_drop6(f, len, XLAT_DROP_BAD_LENGTH);
	put16(pkt_at(f) + IP6H + 4, 109);
	expect_drop6(f, len, XLAT_DROP_BAD_LENGTH);
	/* TCP data offset below 5, or beyond the segment. */
	s.proto = IPPROTO_TCP;
	s.paylen = 0;
	len = build6(pkt_at(f), &s, &client6, &server6);
	pkt_at(f)[IP6H + 12] = 4 << 4;
	expect_drop6(f, len, XLAT_DROP_BAD_HEADER);
	pkt_at(f)[IP6H + 12] = 6 << 4;
	expect_drop6(f, len, XLAT_DROP_TRUNCATED);
	/* TCP with options: data offset 8 and 12 bytes of options. */
	s.paylen = 12;
	len = build6(pkt_at(f), &s, &client6, &server6);
	pkt_at(f)[IP6H + 12] = 8 << 4;
	set_l4_csum6(pkt_at(f));
	assert_int_equal(run6(f, len), XLAT_FORWARD);
	assert_true(l4_valid4(f->pkt.data));
	/* Version not 6. */
	len = build6(pkt_at(f), &s, &client6, &server6);
	pkt_at(f)[0] = 0x45;
	expect_drop6(f, len, XLAT_DROP_BAD_VERSION);
}

/* An IPv6 payload of 65516+ bytes has no IPv4 total length. */
static void test_6to4_too_big(void **state)
{
	struct fx *f = *state;
	struct spec s = { IPPROTO_UDP, 0, 65535 - 8, 64, 0 };
	size_t len = build6(pkt_at(f), &s, &client6, &server6);

	expect_drop6(f, len, XLAT_DROP_BAD_LENGTH);
	s.paylen = 65535 - IP4H - 8;
	len = build6(pkt_at(f), &s, &client6, &server6);
	assert_int_equal(run6(f, len), XLAT_FORWARD);
	assert_int_equal(be16(f->pkt.data + 2), 65535);
	assert_true(l4_valid4(f->pkt.data));
}

static void test_6to4_map_errors(void **state)
{
	static const struct { int ret; enum xlat_drop why; } cases[] = {
		{ -XLAT_DROP_NOT_CLIENT, XLAT_DROP_NOT_CLIENT },
		{ -XLAT_DROP_NO_BINDING, XLAT_DROP_NO_BINDING },
		{ 1, XLAT_DROP_MAP_ERROR },
		{ -XLAT_DROP__MAX, XLAT_DROP_MAP_ERROR },
		{ INT_MIN, XLAT_DROP_MAP_ERROR },
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spec s = { IPPROTO_TCP, 0, 10, 64, 0 };
		size_t len = build6(pkt_at(f), &s, &client6, &server6);

		f->tm.src_ret = cases[i].ret;
		expect_drop6(f, len, cases[i].why);
	}
}

/* Check the ICMPv6 error in f->reply against the packet `orig`. */
static void check_unreach_reply(struct fx *f, const uint8_t *orig, size_t orig_len)
{
	const uint8_t *r = f->reply.data;
	size_t body = orig_len < 1280 - 48 ? orig_len : 1280 - 48;

	assert_ptr_equal(r, f->reply_mem);
	assert_true(f->reply.len <= 1280);
	assert_int_equal(f->reply.len, 48 + body);
	assert_int_equal(be32(r), 6u << 28);
	assert_int_equal(be16(r + 4), f->reply.len - IP6H);
	assert_int_equal(r[6], IPPROTO_ICMPV6);
	assert_int_equal(r[7], 64);
	assert_memory_equal(r + 8, &gw6, 16);
	assert_memory_equal(r + 24, orig + 8, 16);
	assert_int_equal(r[40], ICMP6_DST_UNREACH);
	assert_int_equal(r[41], ICMP6_DST_UNREACH_ADMIN);
	assert_int_equal(be32(r + 44), 0);
	assert_memory_equal(r + 48, orig, body);
	assert_true(l4_valid6(r));
}

static void test_6to4_pool_exhausted(void **state)
{
	struct fx *f = *state;
	size_t paylen[] = { 0, 20, 1184, 1185, 1400, 9000 }, i;

	f->tm.src_ret = -XLAT_DROP_POOL_EXHAUSTED;
	for (i = 0; i < sizeof(paylen) / sizeof(paylen[0]); i++) {
		struct spec s = { IPPROTO_UDP, 0, paylen[i], 64, 0 };
		size_t len = build6(pkt_at(f), &s, &client6, &server6);
		uint8_t *copy = malloc(len);

		memcpy(copy, pkt_at(f), len);
		assert_int_equal(run6(f, len), XLAT_REPLY);
		assert_int_equal(f->reason, XLAT_DROP_POOL_EXHAUSTED);
		/* The packet itself is untouched. */
		assert_ptr_equal(f->pkt.data, pkt_at(f));
		assert_memory_equal(copy, pkt_at(f), len);
		check_unreach_reply(f, copy, len);
		free(copy);
	}
	/* Trailing bytes are not quoted. */
	{
		struct spec s = { IPPROTO_TCP, 0, 5, 64, 0 };
		size_t len = build6(pkt_at(f), &s, &client6, &server6);

		assert_int_equal(run6(f, len + 7), XLAT_REPLY);
		check_unreach_reply(f, pkt_at(f), len);
	}
}

static void test_6to4_pool_exhausted_no_reply(void **state)
{
	struct fx *f = *state;
	struct spec s = { IPPROTO_UDP, 0, 20, 64, 0 };
	struct in6_addr mc, unspec = IN6ADDR_ANY_INIT;
	size_t len;

	f->tm.src_ret = -XLAT_DROP_POOL_EXHAUSTED;
	/* RFC 4443 §2.4(e): no error to a multicast or unspecified source. */
	inet_pton(AF_INET6, "ff02::1", &mc);
	len = build6(pkt_at(f), &s, &mc, &server6);
	expect_drop6(f, len, XLAT_DROP_POOL_EXHAUSTED);
	len = build6(pkt_at(f), &s, &unspec, &server6);
	expect_drop6(f, len, XLAT_DROP_POOL_EXHAUSTED);
	/* A reply buffer too small for any error: drop. */
	len = build6(pkt_at(f), &s, &client6, &server6);
	f->pkt = (struct xlat_buf){ pkt_at(f), len, HR };
	f->reply = (struct xlat_buf){ f->reply_mem, 47, 0 };
	assert_int_equal(xlat_6to4(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, &f->reason), XLAT_DROP);
	assert_int_equal(f->reason, XLAT_DROP_POOL_EXHAUSTED);
	f->reply = (struct xlat_buf){ NULL, 0, 0 };
	assert_int_equal(xlat_6to4(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, &f->reason), XLAT_DROP);
	assert_int_equal(xlat_6to4(&f->cfg, &f->map, &f->st, &f->pkt, NULL, &f->reason), XLAT_DROP);
	/* A larger reply buffer still gets at most 1280 bytes. */
	{
		static uint8_t big[4000];
		struct spec b = { IPPROTO_UDP, 0, 3000, 64, 0 };

		len = build6(pkt_at(f), &b, &client6, &server6);
		f->pkt = (struct xlat_buf){ pkt_at(f), len, HR };
		f->reply = (struct xlat_buf){ big, sizeof(big), 0 };
		assert_int_equal(xlat_6to4(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, &f->reason),
				 XLAT_REPLY);
		assert_int_equal(f->reply.len, 1280);
		assert_true(l4_valid6(big));
	}
}

/* ---- 4 -> 6 ---- */

static void check_4to6_opts(struct fx *f, const struct spec *s, const uint8_t *opts, size_t optlen)
{
	size_t len = build4_opts(pkt_at(f), s, server4, inner4, opts, optlen);
	size_t hl = IP4H + optlen, l4len = len - hl;
	uint8_t *orig_l4 = malloc(l4len), *p;
	uint8_t proto6 = s->proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : s->proto;

	memcpy(orig_l4, pkt_at(f) + hl, l4len);
	assert_int_equal(run4(f, len), XLAT_FORWARD);
	assert_int_equal(f->reason, XLAT_DROP_NONE);
	p = f->pkt.data;
	assert_ptr_equal(p, pkt_at(f) + hl - IP6H);
	assert_int_equal(f->pkt.len, IP6H + l4len);
	assert_int_equal(f->pkt.headroom, HR + hl - IP6H);

	assert_int_equal(be32(p), 6u << 28 | (uint32_t)s->tclass << 20); /* flow label 0 */
	assert_int_equal(be16(p + 4), l4len);
	assert_int_equal(p[6], proto6);
	assert_int_equal(p[7], s->hlim - 1);
	assert_memory_equal(p + 8, &server6, 16);
	assert_memory_equal(p + 24, &client6, 16);
	assert_true(l4_valid6(p));
	if (s->proto == IPPROTO_UDP)
		assert_int_not_equal(be16(p + IP6H + 6), 0);

	if (s->proto == IPPROTO_ICMP) {
		assert_int_equal(p[IP6H], s->icmp_type == ICMP_ECHO ? ICMP6_ECHO_REQUEST : ICMP6_ECHO_REPLY);
		assert_int_equal(p[IP6H + 1], orig_l4[1]);
		assert_memory_equal(p + IP6H + 4, orig_l4 + 4, l4len - 4);
	} else {
		size_t co = csum_off(s->proto);

		assert_memory_equal(p + IP6H, orig_l4, co);
		assert_memory_equal(p + IP6H + co + 2, orig_l4 + co + 2, l4len - co - 2);
	}
	free(orig_l4);
}

static void check_4to6(struct fx *f, const struct spec *s)
{
	check_4to6_opts(f, s, NULL, 0);
}

static void test_4to6_tcp(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(paylens) / sizeof(paylens[0]); i++) {
		struct spec s = { IPPROTO_TCP, 0, paylens[i], 64, 0x10 };

		check_4to6(*state, &s);
	}
}

static void test_4to6_udp(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(paylens) / sizeof(paylens[0]); i++) {
		struct spec s = { IPPROTO_UDP, 0, paylens[i], 2, 0 };

		check_4to6(*state, &s);
	}
}

static void test_4to6_icmp_echo(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(paylens) / sizeof(paylens[0]); i++) {
		struct spec req = { IPPROTO_ICMP, ICMP_ECHO, paylens[i], 255, 0xff };
		struct spec rep = { IPPROTO_ICMP, ICMP_ECHOREPLY, paylens[i], 50, 0 };

		check_4to6(*state, &req);
		check_4to6(*state, &rep);
	}
}

static void test_4to6_prefix_lengths(void **state)
{
	struct fx *f = *state;
	struct spec s = { IPPROTO_TCP, 0, 77, 64, 0 };

	set_prefix(f, "2001:db8:100::", 40);
	check_4to6(f, &s);
	set_prefix(f, "2001:db8::", 32);
	check_4to6(f, &s);
}

/* RFC 7915 §4.5: an unfragmented UDP datagram without checksum gets one. */
static void test_4to6_udp_zero_csum(void **state)
{
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(paylens) / sizeof(paylens[0]); i++) {
		struct spec s = { IPPROTO_UDP, 0, paylens[i], 64, 0 };
		size_t len = build4(pkt_at(f), &s, server4, inner4);

		put16(pkt_at(f) + IP4H + 6, 0);
		assert_int_equal(run4(f, len), XLAT_FORWARD);
		assert_int_not_equal(be16(f->pkt.data + IP6H + 6), 0);
		assert_true(l4_valid6(f->pkt.data));
	}
}

/* A computed UDP checksum of zero goes out as 0xffff (RFC 768), both for
 * the full computation (4->6) and for the incremental update (6->4). */
static void test_udp_csum_zero_result(void **state)
{
	struct fx *f = *state;
	struct spec s = { IPPROTO_UDP, 0, 20, 64, 0 };
	uint8_t *p = pkt_at(f);
	size_t len;
	uint16_t c;

	/* 4->6: pick the last payload word so that the IPv6 sum is 0xffff. */
	len = build4(p, &s, server4, inner4);
	put16(p + len - 2, 0);
	put16(p + IP4H + 6, 0);
	c = ref_fold(ref_sum(p + IP4H, len - IP4H, ref_pseudo6((const uint8_t *)&server6,
								 (const uint8_t *)&client6, len - IP4H,
								 IPPROTO_UDP)));
	put16(p + len - 2, c);
	assert_int_equal(run4(f, len), XLAT_FORWARD);
	assert_int_equal(be16(f->pkt.data + IP6H + 6), 0xffff);
	assert_true(l4_valid6(f->pkt.data));

	/* 6->4: pick the last payload word so that the IPv4 sum is 0xffff. */
	len = build6(p, &s, &client6, &server6);
	put16(p + len - 2, 0);
	put16(p + IP6H + 6, 0);
	c = ref_fold(ref_sum(p + IP6H, len - IP6H, ref_pseudo4((const uint8_t *)&inner4,
								 (const uint8_t *)&server4, len - IP6H,
								 IPPROTO_UDP)));
	put16(p + len - 2, c);
	set_l4_csum6(p);
	assert_int_equal(run6(f, len), XLAT_FORWARD);
	assert_int_equal(be16(f->pkt.data + IP4H + 6), 0xffff);
	assert_true(l4_valid4(f->pkt.data));
}

/* An IPv6 UDP datagram with a zero checksum keeps "no checksum" in IPv4. */
static void test_6to4_udp_zero_csum(void **state)
{
	struct fx *f = *state;
	struct spec s = { IPPROTO_UDP, 0, 20, 64, 0 };
	size_t len = build6(pkt_at(f), &s, &client6, &server6);

	put16(pkt_at(f) + IP6H + 6, 0);
	assert_int_equal(run6(f, len), XLAT_FORWARD);
	assert_int_equal(be16(f->pkt.data + IP4H + 6), 0);
}

static void test_4to6_ttl(void **state)
{
	struct fx *f = *state;
	uint8_t t;

	for (t = 0; t <= 1; t++) {
		struct spec s = { IPPROTO_UDP, 0, 10, t, 0 };
		size_t len = build4(pkt_at(f), &s, server4, inner4);

		expect_drop4(f, len, XLAT_DROP_HOP_LIMIT);
	}
	{
		struct spec s = { IPPROTO_UDP, 0, 10, 2, 0 };

		check_4to6(f, &s);
	}
}

static void test_4to6_bad_ip4(void **state)
{
	struct fx *f = *state;
	struct spec s = { IPPROTO_TCP, 0, 30, 64, 0 };
	uint8_t *p = pkt_at(f);
	size_t len;

	len = build4(p, &s, server4, inner4);
	p[0] = 0x65;
	set_ip4_csum(p);
	expect_drop4(f, len, XLAT_DROP_BAD_VERSION);
	len = build4(p, &s, server4, inner4);
	p[0] = 0x44;
	expect_drop4(f, len, XLAT_DROP_BAD_HEADER);
	len = build4(p, &s, server4, inner4);
	p[11] ^= 1;
	expect_drop4(f, len, XLAT_DROP_BAD_CHECKSUM);
	len = build4(p, &s, server4, inner4);
	put16(p + 2, 19);
	set_ip4_csum(p);
	expect_drop4(f, len, XLAT_DROP_BAD_LENGTH);
	len = build4(p, &s, server4, inner4);
	put16(p + 2, len + 1);
	set_ip4_csum(p);
	expect_drop4(f, len, XLAT_DROP_TRUNCATED);
	/* IHL 15 but only a 20-byte header present. */
	len = build4(p, &s, server4, inner4);
	expect_drop4(f, 20, XLAT_DROP_TRUNCATED);
	p[0] = 0x4f;
	expect_drop4(f, 40, XLAT_DROP_TRUNCATED);
	/* Trailing bytes are trimmed. */
	len = build4(p, &s, server4, inner4);
	memset(p + len, 0xee, 9);
	assert_int_equal(run4(f, len + 9), XLAT_FORWARD);
	assert_int_equal(f->pkt.len, len - IP4H + IP6H);
	assert_true(l4_valid6(f->pkt.data));
	/* UDP length must match the IP payload. */
	s.proto = IPPROTO_UDP;
	len = build4(p, &s, server4, inner4);
	put16(p + IP4H + 4, 37);
	expect_drop4(f, len, XLAT_DROP_BAD_LENGTH);
}

static void test_4to6_fragments(void **state)
{
	struct fx *f = *state;
	struct spec s = { IPPROTO_UDP, 0, 30, 64, 0 };
	uint8_t *p = pkt_at(f);
	size_t len;

	len = build4(p, &s, server4, inner4);
	put16(p + 6, IP_MF);
	set_ip4_csum(p);
	expect_drop4(f, len, XLAT_DROP_FRAGMENT);
	put16(p + 6, 185);
	set_ip4_csum(p);
	expect_drop4(f, len, XLAT_DROP_FRAGMENT);
	put16(p + 6, IP_DF | 1);
	set_ip4_csum(p);
	expect_drop4(f, len, XLAT_DROP_FRAGMENT);
	/* DF alone is a whole packet. */
	put16(p + 6, IP_DF);
	set_ip4_csum(p);
	assert_int_equal(run4(f, len), XLAT_FORWARD);
	assert_true(l4_valid6(f->pkt.data));
}

static void test_4to6_protocols(void **state)
{
	static const uint8_t protos[] = { IPPROTO_ICMPV6, IPPROTO_GRE, IPPROTO_SCTP, IPPROTO_ESP, 0, 255 };
	static const uint8_t icmp_types[] = { ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, ICMP_TIMESTAMP,
					      ICMP_REDIRECT, ICMP_PARAMETERPROB, 128, 129, 255 };
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(protos); i++) {
		struct spec s = { IPPROTO_UDP, 0, 30, 64, 0 };
		size_t len = build4(pkt_at(f), &s, server4, inner4);

		pkt_at(f)[9] = protos[i];
		set_ip4_csum(pkt_at(f));
		expect_drop4(f, len, XLAT_DROP_UNSUPPORTED_PROTO);
	}
	for (i = 0; i < sizeof(icmp_types); i++) {
		struct spec s = { IPPROTO_ICMP, icmp_types[i], 30, 64, 0 };
		size_t len = build4(pkt_at(f), &s, server4, inner4);

		expect_drop4(f, len, XLAT_DROP_UNSUPPORTED_ICMP);
	}
}

static void test_4to6_options(void **state)
{
	/* NOPs and EOL, padded to 4 bytes. */
	static const uint8_t nops[] = { IPOPT_NOP, IPOPT_NOP, IPOPT_NOP, IPOPT_EOL };
	/* Record route (7): len 7, pointer 4, one slot, then EOL. */
	static const uint8_t rr[] = { IPOPT_RR, 7, 4, 0, 0, 0, 0, IPOPT_EOL };
	/* Loose source route, pointer 4 <= length 7: unexpired. */
	static const uint8_t lsrr[] = { IPOPT_NOP, IPOPT_LSRR, 7, 4, 192, 0, 2, 99 };
	/* Strict source route, unexpired. */
	static const uint8_t ssrr[] = { IPOPT_SSRR, 7, 4, 192, 0, 2, 99, IPOPT_EOL };
	/* RFC 791: only a pointer greater than the length means expired. */
	static const uint8_t lsrr_edge[] = { IPOPT_NOP, IPOPT_LSRR, 7, 7, 192, 0, 2, 99 };
	/* Loose source route, pointer 8 > length 7: expired, translate. */
	static const uint8_t lsrr_done[] = { IPOPT_LSRR, 7, 8, 192, 0, 2, 99, IPOPT_EOL };
	/* Malformed: option length 1, length past the header, SRR without pointer. */
	static const uint8_t bad1[] = { IPOPT_NOP, IPOPT_RR, 1, 0 };
	static const uint8_t bad2[] = { IPOPT_NOP, IPOPT_RR, 9, 4 };
	static const uint8_t bad3[] = { IPOPT_NOP, IPOPT_LSRR, 2, 0 };
	static const uint8_t bad4[] = { IPOPT_NOP, IPOPT_NOP, IPOPT_NOP, IPOPT_RR };
	struct fx *f = *state;
	struct spec s = { IPPROTO_TCP, 0, 50, 64, 0 };
	uint8_t max[40];
	size_t len;

	check_4to6_opts(f, &s, nops, sizeof(nops));
	check_4to6_opts(f, &s, rr, sizeof(rr));
	check_4to6_opts(f, &s, lsrr_done, sizeof(lsrr_done));
	/* The largest header: 40 bytes of options; IPv6 header needs no headroom. */
	memset(max, IPOPT_NOP, sizeof(max));
	check_4to6_opts(f, &s, max, sizeof(max));

	len = build4_opts(pkt_at(f), &s, server4, inner4, lsrr, sizeof(lsrr));
	expect_drop4(f, len, XLAT_DROP_SOURCE_OPTION);
	len = build4_opts(pkt_at(f), &s, server4, inner4, ssrr, sizeof(ssrr));
	expect_drop4(f, len, XLAT_DROP_SOURCE_OPTION);
	len = build4_opts(pkt_at(f), &s, server4, inner4, lsrr_edge, sizeof(lsrr_edge));
	expect_drop4(f, len, XLAT_DROP_SOURCE_OPTION);
	len = build4_opts(pkt_at(f), &s, server4, inner4, bad1, sizeof(bad1));
	expect_drop4(f, len, XLAT_DROP_BAD_HEADER);
	len = build4_opts(pkt_at(f), &s, server4, inner4, bad2, sizeof(bad2));
	expect_drop4(f, len, XLAT_DROP_BAD_HEADER);
	len = build4_opts(pkt_at(f), &s, server4, inner4, bad3, sizeof(bad3));
	expect_drop4(f, len, XLAT_DROP_BAD_HEADER);
	len = build4_opts(pkt_at(f), &s, server4, inner4, bad4, sizeof(bad4));
	expect_drop4(f, len, XLAT_DROP_BAD_HEADER);
}

static void test_4to6_headroom(void **state)
{
	static const uint8_t nops[] = { IPOPT_NOP, IPOPT_NOP, IPOPT_NOP, IPOPT_NOP };
	struct fx *f = *state;
	struct spec s = { IPPROTO_UDP, 0, 10, 64, 0 };
	size_t len = build4(pkt_at(f), &s, server4, inner4);

	f->pkt = (struct xlat_buf){ pkt_at(f), len, 19 };
	assert_int_equal(xlat_4to6(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, &f->reason), XLAT_DROP);
	assert_int_equal(f->reason, XLAT_DROP_NO_HEADROOM);
	f->pkt = (struct xlat_buf){ pkt_at(f), len, 20 };
	assert_int_equal(xlat_4to6(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, &f->reason), XLAT_FORWARD);
	assert_ptr_equal(f->pkt.data, pkt_at(f) - 20);
	assert_int_equal(f->pkt.headroom, 0);
	/* Four bytes of options need four bytes less. */
	len = build4_opts(pkt_at(f), &s, server4, inner4, nops, sizeof(nops));
	f->pkt = (struct xlat_buf){ pkt_at(f), len, 16 };
	assert_int_equal(xlat_4to6(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, &f->reason), XLAT_FORWARD);
	assert_int_equal(f->pkt.headroom, 0);
	assert_true(l4_valid6(f->pkt.data));
}

static void test_4to6_map_errors(void **state)
{
	struct fx *f = *state;
	struct spec s = { IPPROTO_TCP, 0, 10, 64, 0 };
	size_t len = build4(pkt_at(f), &s, server4, inner4);

	f->tm.dst_ret = -XLAT_DROP_NO_BINDING;
	expect_drop4(f, len, XLAT_DROP_NO_BINDING);
	f->tm.dst_ret = 7;
	expect_drop4(f, len, XLAT_DROP_MAP_ERROR);
}

/* ---- both directions ---- */

/* Incremental updates keep a wrong transport checksum wrong. */
static void test_bad_l4_csum_stays_bad(void **state)
{
	static const struct { uint8_t p6, p4, t6, t4; } protos[] = {
		{ IPPROTO_TCP, IPPROTO_TCP, 0, 0 },
		{ IPPROTO_UDP, IPPROTO_UDP, 0, 0 },
		{ IPPROTO_ICMPV6, IPPROTO_ICMP, ICMP6_ECHO_REQUEST, ICMP_ECHO },
	};
	struct fx *f = *state;
	uint8_t *p = pkt_at(f);
	size_t i, len;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		struct spec s6 = { protos[i].p6, protos[i].t6, 40, 64, 0 };
		struct spec s4 = { protos[i].p4, protos[i].t4, 40, 64, 0 };

		/* Corrupt a payload byte: the checksum no longer matches. */
		len = build6(p, &s6, &client6, &server6);
		p[len - 1] ^= 0x5a;
		assert_false(l4_valid6(p));
		assert_int_equal(run6(f, len), XLAT_FORWARD);
		assert_false(l4_valid4(f->pkt.data));
		/* Corrupt the checksum itself. */
		len = build6(p, &s6, &client6, &server6);
		p[IP6H + csum_off(protos[i].p4)] ^= 0x01;
		assert_int_equal(run6(f, len), XLAT_FORWARD);
		assert_false(l4_valid4(f->pkt.data));

		len = build4(p, &s4, server4, inner4);
		p[len - 1] ^= 0x5a;
		assert_int_equal(run4(f, len), XLAT_FORWARD);
		assert_false(l4_valid6(f->pkt.data));
		len = build4(p, &s4, server4, inner4);
		p[IP4H + csum_off(protos[i].p4) + 1] ^= 0x80;
		assert_int_equal(run4(f, len), XLAT_FORWARD);
		assert_false(l4_valid6(f->pkt.data));
	}
}

/* Translate 6->4 then feed the IPv4 packet, addresses swapped, back 4->6:
 * the original IPv6 transport bytes come back. */
static void test_round_trip(void **state)
{
	struct fx *f = *state;
	struct spec s = { IPPROTO_ICMPV6, ICMP6_ECHO_REQUEST, 56, 64, 0 };
	uint8_t orig[200], *p;
	size_t len = build6(pkt_at(f), &s, &client6, &server6);

	memcpy(orig, pkt_at(f), len);
	assert_int_equal(run6(f, len), XLAT_FORWARD);
	p = f->pkt.data;
	/* Echo reply from the server: swap addresses, type 0. */
	memcpy(p + 12, &server4, 4);
	memcpy(p + 16, &inner4, 4);
	p[8] = 65;
	set_ip4_csum(p);
	memmove(pkt_at(f), p, f->pkt.len);
	assert_int_equal(run4(f, len - IP6H + IP4H), XLAT_FORWARD);
	p = f->pkt.data;
	assert_memory_equal(p + 8, orig + 24, 16);
	assert_memory_equal(p + 24, orig + 8, 16);
	/* The checksum is the original one: the pseudo-header is symmetric. */
	assert_memory_equal(p + IP6H, orig + IP6H, len - IP6H);
}

static void test_drop_names(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < XLAT_DROP__MAX; i++) {
		const char *n = xlat_drop_name((enum xlat_drop)i);

		assert_non_null(n);
		assert_string_not_equal(n, "unknown");
		assert_int_equal(strspn(n, "abcdefghijklmnopqrstuvwxyz_"), strlen(n));
		for (j = 0; j < i; j++)
			assert_string_not_equal(n, xlat_drop_name((enum xlat_drop)j));
	}
	assert_string_equal(xlat_drop_name(XLAT_DROP_HOP_LIMIT), "hop_limit");
	assert_string_equal(xlat_drop_name(XLAT_DROP__MAX), "unknown");
	assert_string_equal(xlat_drop_name((enum xlat_drop)-1), "unknown");
}

/* ---- hostile input ---- */

/* Runs one direction on an exact-size heap copy (so ASan sees any overread)
 * and checks that the verdict and the reason agree. */
static enum xlat_verdict run_exact(struct fx *f, int six, const uint8_t *data, size_t len)
{
	uint8_t *mem = malloc(HR + len + 1);
	struct xlat_buf pkt = { mem + HR, len, HR }, reply = { f->reply_mem, sizeof(f->reply_mem), 0 };
	enum xlat_drop reason = XLAT_DROP__MAX;
	enum xlat_verdict v;

	assert_non_null(mem);
	memcpy(mem + HR, data, len);
	v = six ? xlat_6to4(&f->cfg, &f->map, &f->st, &pkt, &reply, &reason)
		: xlat_4to6(&f->cfg, &f->map, &f->st, &pkt, &reply, &reason);
	assert_true(reason < XLAT_DROP__MAX);
	if (v == XLAT_FORWARD) {
		assert_int_equal(reason, XLAT_DROP_NONE);
		assert_true(pkt.data >= mem && pkt.data + pkt.len <= mem + HR + len);
		assert_int_equal((size_t)(pkt.data - mem), pkt.headroom);
		if (six)
			assert_true(ip4_hdr_valid(pkt.data));
		else
			assert_int_equal(be16(pkt.data + 4) + IP6H, pkt.len);
	} else {
		assert_int_not_equal(reason, XLAT_DROP_NONE);
	}
	if (v == XLAT_REPLY)
		assert_true(reply.len <= XLAT_REPLY_MAX && l4_valid6(reply.data));
	free(mem);
	return v;
}

/* Every prefix of a valid packet is dropped, with the length fields as
 * they were (claiming more) and fixed up to the shorter length. */
static void test_truncated(void **state)
{
	static const struct spec specs6[] = {
		{ IPPROTO_TCP, 0, 12, 64, 0 }, { IPPROTO_UDP, 0, 12, 64, 0 },
		{ IPPROTO_ICMPV6, ICMP6_ECHO_REQUEST, 12, 64, 0 },
	};
	static const struct spec specs4[] = {
		{ IPPROTO_TCP, 0, 12, 64, 0 }, { IPPROTO_UDP, 0, 12, 64, 0 },
		{ IPPROTO_ICMP, ICMP_ECHO, 12, 64, 0 },
	};
	static const uint8_t opts[] = { IPOPT_RR, 7, 4, 0, 0, 0, 0, IPOPT_EOL };
	struct fx *f = *state;
	uint8_t pk[200];
	size_t i, n, len;

	for (i = 0; i < 3; i++) {
		len = build6(pk, &specs6[i], &client6, &server6);
		for (n = 0; n < len; n++) {
			uint8_t fixed[200];
			size_t hdrs = IP6H + (specs6[i].proto == IPPROTO_TCP ? 20 : 8);

			assert_int_equal(run_exact(f, 1, pk, n), XLAT_DROP);
			memcpy(fixed, pk, n);
			if (n >= IP6H)
				put16(fixed + 4, n - IP6H);
			if (n < hdrs)
				assert_int_equal(run_exact(f, 1, fixed, n), XLAT_DROP);
			else
				run_exact(f, 1, fixed, n);
		}
		assert_int_equal(run_exact(f, 1, pk, len), XLAT_FORWARD);
	}
	for (i = 0; i < 6; i++) {
		len = i < 3 ? build4(pk, &specs4[i], server4, inner4)
			    : build4_opts(pk, &specs4[i - 3], server4, inner4, opts, sizeof(opts));
		for (n = 0; n < len; n++) {
			uint8_t fixed[200];

			assert_int_equal(run_exact(f, 0, pk, n), XLAT_DROP);
			memcpy(fixed, pk, n);
			if (n >= IP4H) {
				put16(fixed + 2, n);
				set_ip4_csum(fixed);
			}
			run_exact(f, 0, fixed, n);
		}
		assert_int_equal(run_exact(f, 0, pk, len), XLAT_FORWARD);
	}
}

static uint32_t rng = 0x12345678;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Random bytes, and random mutations of valid packets, both directions. */
static void test_garbage(void **state)
{
	struct fx *f = *state;
	uint8_t pk[300];
	unsigned seen[2][3] = { { 0 } };
	int round;

	for (round = 0; round < 200000; round++) {
		int six = round & 1, mutate = round & 2;
		size_t len, i;

		if (mutate) {
			struct spec s = { 0, 0, rnd() % 60, (uint8_t)rnd(), (uint8_t)rnd() };
			static const uint8_t p6[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6 };
			static const uint8_t p4[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };

			s.proto = six ? p6[rnd() % 3] : p4[rnd() % 3];
			s.icmp_type = six ? (uint8_t)(128 + rnd() % 2) : (uint8_t)(rnd() % 2 ? 8 : 0);
			len = six ? build6(pk, &s, &client6, &server6) : build4(pk, &s, server4, inner4);
			for (i = rnd() % 4; i > 0; i--)
				pk[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
			if (!six && rnd() % 2)
				set_ip4_csum(pk);
			len -= rnd() % 3 == 0 ? rnd() % (len + 1) : 0;
		} else {
			len = rnd() % sizeof(pk);
			for (i = 0; i < len; i++)
				pk[i] = (uint8_t)rnd();
			if (len)
				pk[0] = (uint8_t)((six ? 0x60 : 0x40) | (pk[0] & 0x0f));
		}
		f->tm.src_ret = round % 5 == 0 ? -XLAT_DROP_POOL_EXHAUSTED : 0;
		seen[six][run_exact(f, six, pk, len)]++;
	}
	/* The loop reached every outcome, not just early drops. */
	assert_true(seen[1][XLAT_FORWARD] > 1000 && seen[1][XLAT_DROP] > 1000 && seen[1][XLAT_REPLY] > 100);
	assert_true(seen[0][XLAT_FORWARD] > 1000 && seen[0][XLAT_DROP] > 1000);
	print_message("6->4 fwd %u drop %u reply %u; 4->6 fwd %u drop %u\n", seen[1][0], seen[1][1],
		      seen[1][2], seen[0][0], seen[0][1]);
}

static void test_empty(void **state)
{
	struct fx *f = *state;
	struct xlat_buf pkt = { NULL, 0, 0 };

	assert_int_equal(xlat_6to4(&f->cfg, &f->map, &f->st, &pkt, &f->reply, &f->reason), XLAT_DROP);
	assert_int_equal(f->reason, XLAT_DROP_TRUNCATED);
	assert_int_equal(xlat_4to6(&f->cfg, &f->map, &f->st, &pkt, &f->reply, &f->reason), XLAT_DROP);
	assert_int_equal(f->reason, XLAT_DROP_TRUNCATED);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_6to4_tcp),
		T(test_6to4_udp),
		T(test_6to4_icmp_echo),
		T(test_6to4_prefix_lengths),
		T(test_6to4_df_id),
		T(test_6to4_hop_limit),
		T(test_6to4_not_prefix),
		T(test_6to4_ext_headers),
		T(test_6to4_unsupported_icmp),
		T(test_6to4_lengths),
		T(test_6to4_too_big),
		T(test_6to4_map_errors),
		T(test_6to4_pool_exhausted),
		T(test_6to4_pool_exhausted_no_reply),
		T(test_6to4_udp_zero_csum),
		T(test_4to6_tcp),
		T(test_4to6_udp),
		T(test_4to6_icmp_echo),
		T(test_4to6_prefix_lengths),
		T(test_4to6_udp_zero_csum),
		T(test_udp_csum_zero_result),
		T(test_4to6_ttl),
		T(test_4to6_bad_ip4),
		T(test_4to6_fragments),
		T(test_4to6_protocols),
		T(test_4to6_options),
		T(test_4to6_headroom),
		T(test_4to6_map_errors),
		T(test_bad_l4_csum_stays_bad),
		T(test_round_trip),
		T(test_drop_names),
		T(test_truncated),
		T(test_garbage),
		T(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
