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
#include "ref_csum.h"

#define HR XLAT_HEADROOM
#define IP6H 40u
#define IP4H 20u
#define BUF_MAX (HR + 70000u)

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
	inet_pton(AF_INET, "93.184.216.34", &server4);  /* global: the WKP refuses TEST-NETs */
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

/* An ICMPv6 error the translator originated (RFC 7915 §5.4) in f->reply:
 * from gateway_v6 to the packet's source, quoting `orig`, at most 1280. */
static void check_reply6(struct fx *f, uint8_t type, uint8_t code, uint32_t info, const uint8_t *orig,
			 size_t orig_len)
{
	const uint8_t *r = f->reply.data;
	size_t body = orig_len < 1280 - 48 ? orig_len : 1280 - 48;

	assert_ptr_equal(r, f->reply_mem);
	assert_int_equal(f->reply.len, 48 + body);
	assert_int_equal(be32(r), 6u << 28);
	assert_int_equal(be16(r + 4), f->reply.len - IP6H);
	assert_int_equal(r[6], IPPROTO_ICMPV6);
	assert_int_equal(r[7], 64);
	assert_memory_equal(r + 8, &gw6, 16);
	assert_memory_equal(r + 24, orig + 8, 16);
	assert_int_equal(r[40], type);
	assert_int_equal(r[41], code);
	assert_int_equal(be32(r + 44), info);
	assert_memory_equal(r + 48, orig, body);
	assert_true(l4_valid6(r));
}

/* An ICMPv4 error the translator originated (RFC 7915 §4.4): from
 * gateway_v4 to the packet's source, quoting `orig`, at most 576 bytes. */
static void check_reply4(struct fx *f, uint8_t type, uint8_t code, uint32_t info, const uint8_t *orig,
			 size_t orig_len)
{
	const uint8_t *r = f->reply.data;
	size_t body = orig_len < 576 - 28 ? orig_len : 576 - 28;

	assert_ptr_equal(r, f->reply_mem);
	assert_int_equal(f->reply.len, 28 + body);
	assert_int_equal(r[0], 0x45);
	assert_int_equal(be16(r + 2), f->reply.len);
	assert_int_equal(be16(r + 6), 0);
	assert_int_equal(r[8], 64);
	assert_int_equal(r[9], IPPROTO_ICMP);
	assert_memory_equal(r + 12, &gw4, 4);
	assert_memory_equal(r + 16, orig + 12, 4);
	assert_true(ip4_hdr_valid(r));
	assert_int_equal(r[20], type);
	assert_int_equal(r[21], code);
	assert_int_equal(be32(r + 24), info);
	assert_memory_equal(r + 28, orig, body);
	assert_true(l4_valid4(r));
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

/* An all-zero ICMPv4 message sums to +0: its checksum must be 0xffff, where
 * RFC 1624 eqn. 3 alone gives 0x0000 (found by fuzz_6to4). */
static void test_6to4_icmp_echo_all_zero(void **state)
{
	struct fx *f = *state;
	struct spec s = { IPPROTO_ICMPV6, ICMP6_ECHO_REPLY, 8, 64, 0 };
	size_t len = build6(pkt_at(f), &s, &client6, &server6);
	uint8_t *l4;

	/* id 0, sequence 0, zero data; then a valid ICMPv6 checksum */
	memset(pkt_at(f) + IP6H + 4, 0, len - IP6H - 4);
	set_l4_csum6(pkt_at(f));
	assert_int_equal(run6(f, len), XLAT_FORWARD);
	l4 = f->pkt.data + IP4H;
	assert_int_equal(l4[0], 0);
	assert_int_equal(be16(l4 + 2), 0xffff);
	assert_true(l4_valid4(f->pkt.data));
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
		struct spec s = { IPPROTO_TCP, 0, i * 90, 64, 0 };
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
		uint8_t copy[200];

		/* RFC 7915 §5.4 / RFC 4443 §3.3: Time Exceeded, code 0, from
		 * the translator, quoting the packet. */
		memcpy(copy, pkt_at(f), len);
		assert_int_equal(run6(f, len), XLAT_REPLY);
		assert_int_equal(f->reason, XLAT_DROP_HOP_LIMIT);
		assert_memory_equal(copy, pkt_at(f), len);
		check_reply6(f, ICMP6_TIME_EXCEEDED, 0, 0, copy, len);
		assert_int_equal(f->tm.src_calls, 0);
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

	inet_pton(AF_INET6, "2001:db8::93.184.216.34", &other);
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

/* Inserts extension headers `ext` (chained by their own first bytes)
 * between the IPv6 header and the
 * transport header of the packet at p; returns the new length.  The
 * transport checksum is unaffected (RFC 8200 §8.1: final upper layer). */
static size_t insert_ext(uint8_t *p, size_t len, const uint8_t *ext, size_t extlen, uint8_t first_nh)
{
	memmove(p + IP6H + extlen, p + IP6H, len - IP6H);
	memcpy(p + IP6H, ext, extlen);
	put16(p + 4, be16(p + 4) + extlen);
	p[6] = first_nh;
	return len + extlen;
}

/* RFC 7915 §5.1: Hop-by-Hop, Destination Options and Routing (Segments
 * Left 0) are skipped; the walk is bounded; ESP/AH/others drop. */
static void test_6to4_ext_headers(void **state)
{
	/* HBH (8, PadN) -> DST (16) -> RT type 4, segments left 0 (8) -> UDP. */
	static const uint8_t chain[] = {
		IPPROTO_DSTOPTS, 0, 1, 4, 0, 0, 0, 0,
		IPPROTO_ROUTING, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		IPPROTO_UDP, 0, 4, 0, 0, 0, 0, 0,
	};
	static const uint8_t hbh_late[] = { IPPROTO_HOPOPTS, 0, 1, 4, 0, 0, 0, 0,
					    IPPROTO_UDP, 0, 1, 4, 0, 0, 0, 0 };
	static const struct { uint8_t nh; enum xlat_drop why; } cases[] = {
		{ IPPROTO_AH, XLAT_DROP_EXT_HEADER }, { IPPROTO_ESP, XLAT_DROP_EXT_HEADER },
		{ IPPROTO_MH, XLAT_DROP_EXT_HEADER }, { 139, XLAT_DROP_EXT_HEADER },
		{ IPPROTO_ICMP, XLAT_DROP_UNSUPPORTED_PROTO }, { IPPROTO_GRE, XLAT_DROP_UNSUPPORTED_PROTO },
		{ IPPROTO_NONE, XLAT_DROP_UNSUPPORTED_PROTO }, { IPPROTO_SCTP, XLAT_DROP_UNSUPPORTED_PROTO },
	};
	struct fx *f = *state;
	struct spec s = { IPPROTO_UDP, 0, 40, 64, 0 };
	uint8_t l4[200], ext[600];
	size_t i, len, l4len;

	len = build6(pkt_at(f), &s, &client6, &server6);
	l4len = len - IP6H;
	memcpy(l4, pkt_at(f) + IP6H, l4len);
	len = insert_ext(pkt_at(f), len, chain, sizeof(chain), IPPROTO_HOPOPTS);
	assert_int_equal(run6(f, len), XLAT_FORWARD);
	assert_int_equal(be16(f->pkt.data + 2), IP4H + l4len);
	assert_int_equal(f->pkt.len, IP4H + l4len);
	assert_int_equal(f->pkt.data[9], IPPROTO_UDP);
	assert_true(ip4_hdr_valid(f->pkt.data));
	assert_true(l4_valid4(f->pkt.data));
	assert_memory_equal(f->pkt.data + IP4H + 8, l4 + 8, l4len - 8);
	assert_ptr_equal(f->pkt.data + IP4H, pkt_at(f) + IP6H + sizeof(chain));

	/* RFC 8200 §4.1: Hop-by-Hop only first. */
	len = build6(pkt_at(f), &s, &client6, &server6);
	len = insert_ext(pkt_at(f), len, hbh_late, sizeof(hbh_late), IPPROTO_DSTOPTS);
	expect_drop6(f, len, XLAT_DROP_EXT_HEADER);
	/* A header cut off by the payload length. */
	len = build6(pkt_at(f), &s, &client6, &server6);
	len = insert_ext(pkt_at(f), len, chain, sizeof(chain), IPPROTO_HOPOPTS);
	put16(pkt_at(f) + 4, 12);
	expect_drop6(f, IP6H + 12, XLAT_DROP_TRUNCATED);

	/* 8 headers pass, 9 do not (chain cap); 512 bytes pass, 520 do not. */
	for (i = 0; i < 9; i++) {
		uint8_t *e = ext + i * 8;

		memset(e, 0, 8);
		e[0] = i == 8 ? IPPROTO_UDP : IPPROTO_DSTOPTS;
		e[2] = 1;
		e[3] = 4;
	}
	ext[7 * 8] = IPPROTO_UDP;
	len = build6(pkt_at(f), &s, &client6, &server6);
	len = insert_ext(pkt_at(f), len, ext, 8 * 8, IPPROTO_DSTOPTS);
	assert_int_equal(run6(f, len), XLAT_FORWARD);
	assert_true(l4_valid4(f->pkt.data));
	ext[7 * 8] = IPPROTO_DSTOPTS;
	len = build6(pkt_at(f), &s, &client6, &server6);
	len = insert_ext(pkt_at(f), len, ext, 9 * 8, IPPROTO_DSTOPTS);
	expect_drop6(f, len, XLAT_DROP_EXT_CHAIN);
	memset(ext, 0, sizeof(ext));
	ext[0] = IPPROTO_UDP;
	ext[1] = 63;                     /* 512 bytes */
	len = build6(pkt_at(f), &s, &client6, &server6);
	len = insert_ext(pkt_at(f), len, ext, 512, IPPROTO_DSTOPTS);
	assert_int_equal(run6(f, len), XLAT_FORWARD);
	ext[0] = IPPROTO_DSTOPTS;
	ext[512] = IPPROTO_UDP;
	len = build6(pkt_at(f), &s, &client6, &server6);
	len = insert_ext(pkt_at(f), len, ext, 520, IPPROTO_DSTOPTS);
	expect_drop6(f, len, XLAT_DROP_EXT_CHAIN);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = build6(pkt_at(f), &s, &client6, &server6);
		pkt_at(f)[6] = cases[i].nh;
		expect_drop6(f, len, cases[i].why);
		/* The same behind a Destination Options header. */
		len = build6(pkt_at(f), &s, &client6, &server6);
		ext[0] = cases[i].nh;
		ext[1] = 0;
		len = insert_ext(pkt_at(f), len, ext, 8, IPPROTO_DSTOPTS);
		expect_drop6(f, len, cases[i].why);
	}
}

/* RFC 7915 §5.1 / RFC 8200 §4.4: a Routing header with Segments Left > 0:
 * not translated; Parameter Problem code 0 pointing at Segments Left. */
static void test_6to4_segments_left(void **state)
{
	static const uint8_t chain[] = {
		IPPROTO_ROUTING, 0, 1, 4, 0, 0, 0, 0,
		IPPROTO_UDP, 0, 4, 2, 0, 0, 0, 0,
	};
	struct fx *f = *state;
	struct spec s = { IPPROTO_UDP, 0, 30, 64, 0 };
	uint8_t copy[200];
	size_t len = build6(pkt_at(f), &s, &client6, &server6);

	len = insert_ext(pkt_at(f), len, chain, sizeof(chain), IPPROTO_HOPOPTS);
	memcpy(copy, pkt_at(f), len);
	assert_int_equal(run6(f, len), XLAT_REPLY);
	assert_int_equal(f->reason, XLAT_DROP_SEGMENTS_LEFT);
	check_reply6(f, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER, IP6H + 8 + 3, copy, len);
	assert_int_equal(copy[IP6H + 8 + 3], 2);
	assert_int_equal(f->tm.src_calls, 0);
}

/* RFC 7915 §5.2: ND/MLD are never translated; informational types without
 * an ICMPv4 counterpart and unknown types are dropped. */
static void test_6to4_unsupported_icmp(void **state)
{
	static const uint8_t single[] = { MLD_LISTENER_QUERY, MLD_LISTENER_REPORT, MLD_LISTENER_REDUCTION,
					  ND_ROUTER_SOLICIT, ND_ROUTER_ADVERT, ND_NEIGHBOR_SOLICIT,
					  ND_NEIGHBOR_ADVERT, ND_REDIRECT, 141, 142, 143, 148, 149, 151, 152, 153 };
	static const uint8_t other[] = { 0, 5, 100, 127, 138, 139, 140, 144, 200, 255 };
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(single); i++) {
		struct spec s = { IPPROTO_ICMPV6, single[i], 32, 64, 0 };
		size_t len = build6(pkt_at(f), &s, &client6, &server6);

		expect_drop6(f, len, XLAT_DROP_ICMP_SINGLE_HOP);
	}
	for (i = 0; i < sizeof(other); i++) {
		struct spec s = { IPPROTO_ICMPV6, other[i], 32, 64, 0 };
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

	f->cfg.mtu = 0;  /* no Packet Too Big */
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

static void check_unreach_reply(struct fx *f, const uint8_t *orig, size_t orig_len)
{
	check_reply6(f, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_ADMIN, 0, orig, orig_len);
}

static void test_6to4_pool_exhausted(void **state)
{
	struct fx *f = *state;
	size_t paylen[] = { 0, 20, 1184, 1185, 1400, 9000 }, i;

	f->tm.src_ret = -XLAT_DROP_POOL_EXHAUSTED;
	f->cfg.mtu = 0;  /* no Packet Too Big */
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
	f->pkt = (struct xlat_buf){ pkt_at(f), len, HR, 0 };
	f->reply = (struct xlat_buf){ f->reply_mem, 47, 0, 0 };
	assert_int_equal(xlat_6to4(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, &f->reason), XLAT_DROP);
	assert_int_equal(f->reason, XLAT_DROP_POOL_EXHAUSTED);
	f->reply = (struct xlat_buf){ NULL, 0, 0, 0 };
	assert_int_equal(xlat_6to4(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, &f->reason), XLAT_DROP);
	assert_int_equal(xlat_6to4(&f->cfg, &f->map, &f->st, &f->pkt, NULL, &f->reason), XLAT_DROP);
	/* A larger reply buffer still gets at most 1280 bytes. */
	f->cfg.mtu = 0;
	{
		static uint8_t big[4000];
		struct spec b = { IPPROTO_UDP, 0, 3000, 64, 0 };

		len = build6(pkt_at(f), &b, &client6, &server6);
		f->pkt = (struct xlat_buf){ pkt_at(f), len, HR, 0 };
		f->reply = (struct xlat_buf){ big, sizeof(big), 0, 0 };
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

/* RFC 7915 §4.4 / RFC 792: TTL running out in the translator: ICMPv4
 * Time Exceeded from gateway_v4 to the IPv4 source. */
static void test_4to6_ttl(void **state)
{
	struct fx *f = *state;
	uint8_t t;

	for (t = 0; t <= 1; t++) {
		struct spec s = { IPPROTO_UDP, 0, 10, t, 0 };
		size_t len = build4(pkt_at(f), &s, server4, inner4);
		uint8_t copy[100];

		memcpy(copy, pkt_at(f), len);
		assert_int_equal(run4(f, len), XLAT_REPLY);
		assert_int_equal(f->reason, XLAT_DROP_HOP_LIMIT);
		assert_memory_equal(copy, pkt_at(f), len);
		check_reply4(f, ICMP_TIME_EXCEEDED, 0, 0, copy, len);
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

/* Malformed or untranslatable IPv4 fragments (translation: see
 * test_4to6_fragment_headers). */
static void test_4to6_fragments(void **state)
{
	struct fx *f = *state;
	struct spec s = { IPPROTO_UDP, 0, 30, 64, 0 };
	struct spec ic = { IPPROTO_ICMP, ICMP_ECHO, 32, 64, 0 };
	uint8_t *p = pkt_at(f);
	size_t len;

	/* MF with a payload that is not a multiple of 8 (38 bytes). */
	len = build4(p, &s, server4, inner4);
	put16(p + 6, IP_MF);
	set_ip4_csum(p);
	expect_drop4(f, len, XLAT_DROP_FRAGMENT);
	/* Offset + length beyond 65535. */
	put16(p + 6, 8190);
	set_ip4_csum(p);
	expect_drop4(f, len, XLAT_DROP_FRAGMENT);
	/* RFC 7915 §1.2: fragmented ICMP. */
	len = build4(p, &ic, server4, inner4);
	put16(p + 6, IP_MF);
	set_ip4_csum(p);
	expect_drop4(f, len, XLAT_DROP_FRAGMENT);
	put16(p + 6, 10);
	set_ip4_csum(p);
	expect_drop4(f, len, XLAT_DROP_FRAGMENT);
	/* RFC 7915 §4.5: first fragment of a UDP datagram without checksum. */
	s.paylen = 32;
	len = build4(p, &s, server4, inner4);
	put16(p + IP4H + 4, 200);
	put16(p + IP4H + 6, 0);
	put16(p + 6, IP_MF);
	set_ip4_csum(p);
	expect_drop4(f, len, XLAT_DROP_UDP_ZERO_CSUM);
	/* DF alone is a whole packet: no Fragment header (RFC 7915 §4). */
	s.paylen = 30;
	len = build4(p, &s, server4, inner4);
	put16(p + 6, IP_DF);
	set_ip4_csum(p);
	assert_int_equal(run4(f, len), XLAT_FORWARD);
	assert_int_equal(f->pkt.data[6], IPPROTO_UDP);
	assert_true(l4_valid6(f->pkt.data));
}

static void test_4to6_protocols(void **state)
{
	static const uint8_t protos[] = { IPPROTO_ICMPV6, IPPROTO_GRE, IPPROTO_SCTP, IPPROTO_ESP, 0, 255 };
	/* RFC 7915 §4.2: no counterpart (source quench, timestamp, info,
	 * mask, unknown) and single-hop (redirect, router discovery). */
	static const uint8_t other[] = { ICMP_SOURCE_QUENCH, ICMP_TIMESTAMP, ICMP_TIMESTAMPREPLY, ICMP_INFO_REQUEST,
					 ICMP_INFO_REPLY, ICMP_ADDRESS, ICMP_ADDRESSREPLY, 6, 128, 129, 255 };
	static const uint8_t single[] = { ICMP_REDIRECT, 9, 10 };
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(protos); i++) {
		struct spec s = { IPPROTO_UDP, 0, 30, 64, 0 };
		size_t len = build4(pkt_at(f), &s, server4, inner4);

		pkt_at(f)[9] = protos[i];
		set_ip4_csum(pkt_at(f));
		expect_drop4(f, len, XLAT_DROP_UNSUPPORTED_PROTO);
	}
	for (i = 0; i < sizeof(other); i++) {
		struct spec s = { IPPROTO_ICMP, other[i], 30, 64, 0 };
		size_t len = build4(pkt_at(f), &s, server4, inner4);

		expect_drop4(f, len, XLAT_DROP_UNSUPPORTED_ICMP);
	}
	for (i = 0; i < sizeof(single); i++) {
		struct spec s = { IPPROTO_ICMP, single[i], 30, 64, 0 };
		size_t len = build4(pkt_at(f), &s, server4, inner4);

		expect_drop4(f, len, XLAT_DROP_ICMP_SINGLE_HOP);
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

	f->pkt = (struct xlat_buf){ pkt_at(f), len, 19, 0 };
	assert_int_equal(xlat_4to6(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, &f->reason), XLAT_DROP);
	assert_int_equal(f->reason, XLAT_DROP_NO_HEADROOM);
	f->pkt = (struct xlat_buf){ pkt_at(f), len, 20, 0 };
	assert_int_equal(xlat_4to6(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, &f->reason), XLAT_FORWARD);
	assert_ptr_equal(f->pkt.data, pkt_at(f) - 20);
	assert_int_equal(f->pkt.headroom, 0);
	/* Four bytes of options need four bytes less. */
	len = build4_opts(pkt_at(f), &s, server4, inner4, nops, sizeof(nops));
	f->pkt = (struct xlat_buf){ pkt_at(f), len, 16, 0 };
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

/* ---- ICMP errors with the packet in error (RFC 7915 §4.2-4.3, §5.2-5.3) ---- */

/* The bytes of an ICMP/ICMPv6 header after the checksum. */
static void put_info(uint8_t *ic, uint32_t info)
{
	put32(ic + 4, info);
}

/*
 * An ICMPv4 error from `osrc` to the client's inner address, quoting `qlen`
 * bytes of the packet that the client sent to the server (`in` spec, inner
 * TTL 37).  Returns the length.
 */
static size_t build_err4(uint8_t *p, struct in_addr osrc, uint8_t type, uint8_t code, uint32_t info,
			 const struct spec *in, size_t qlen)
{
	static uint8_t q[70000];
	size_t qfull = build4(q, in, inner4, server4);
	struct spec outer = { IPPROTO_ICMP, type, 0, 64, 0 };
	size_t len;

	if (qlen > qfull)
		qlen = qfull;
	len = build4(p, &outer, osrc, inner4);   /* 20 + 8 */
	p[IP4H + 1] = code;
	put_info(p + IP4H, info);
	memcpy(p + len, q, qlen);
	len += qlen;
	put16(p + 2, len);
	set_ip4_csum(p);
	set_l4_csum4(p);
	return len;
}

/* An ICMPv6 error from `osrc` to the server (prefix||server), quoting `qlen`
 * bytes of the packet the server sent to the client (`in` spec). */
static size_t build_err6(uint8_t *p, const struct in6_addr *osrc, uint8_t type, uint8_t code, uint32_t info,
			 const struct spec *in, size_t qlen)
{
	static uint8_t q[70000];
	size_t qfull = build6(q, in, &server6, &client6);
	struct spec outer = { IPPROTO_ICMPV6, type, 0, 64, 0 };
	size_t len;

	if (qlen > qfull)
		qlen = qfull;
	len = build6(p, &outer, osrc, &server6);
	p[IP6H + 1] = code;
	put_info(p + IP6H, info);
	memcpy(p + len, q, qlen);
	len += qlen;
	put16(p + 4, len - IP6H);
	set_l4_csum6(p);
	return len;
}

/*
 * Checks a translated ICMPv6 error (from 4->6): outer header and checksum,
 * ICMPv6 type/code/info, and the inner packet against the same packet
 * built natively in IPv6 (client6 -> server6): headers field by field,
 * transport bytes (incl. their checksum) byte for byte, up to the cut.
 */
static void check_err6(struct fx *f, const struct in6_addr *osrc6, uint8_t type, uint8_t code, uint32_t info,
		       const struct spec *in, size_t qlen4, uint8_t ttl4)
{
	static uint8_t native[70000];
	struct spec n6 = *in;
	size_t nlen;

	if (in->proto == IPPROTO_ICMP) {
		n6.proto = IPPROTO_ICMPV6;
		n6.icmp_type = in->icmp_type == ICMP_ECHO ? ICMP6_ECHO_REQUEST : ICMP6_ECHO_REPLY;
	}
	nlen = build6(native, &n6, &client6, &server6);
	size_t inner_l4 = (qlen4 < IP4H + nlen - IP6H ? qlen4 : IP4H + nlen - IP6H) - IP4H;
	size_t out_len = 48 + 40 + inner_l4;
	const uint8_t *o = f->pkt.data, *i6 = o + 48;
	uint8_t proto6 = in->proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : in->proto;

	if (out_len > 1280)
		out_len = 1280;
	assert_int_equal(f->reason, XLAT_DROP_NONE);
	assert_int_equal(f->pkt.len, out_len);
	assert_int_equal((size_t)(f->pkt.data - f->mem), f->pkt.headroom);
	assert_int_equal(be32(o), 6u << 28);
	assert_int_equal(be16(o + 4), out_len - 40);
	assert_int_equal(o[6], IPPROTO_ICMPV6);
	assert_int_equal(o[7], ttl4 - 1);
	assert_memory_equal(o + 8, osrc6, 16);
	assert_memory_equal(o + 24, &client6, 16);
	assert_true(l4_valid6(o));
	assert_int_equal(o[40], type);
	assert_int_equal(o[41], code);
	assert_int_equal(be32(o + 44), info);
	/* Inner IPv6 header: lengths as declared, hop limit not decremented. */
	assert_int_equal(be32(i6), 6u << 28 | (uint32_t)in->tclass << 20);
	assert_int_equal(be16(i6 + 4), nlen - IP6H);
	assert_int_equal(i6[6], proto6);
	assert_int_equal(i6[7], in->hlim);
	assert_memory_equal(i6 + 8, &client6, 16);
	assert_memory_equal(i6 + 24, &server6, 16);
	assert_memory_equal(i6 + 40, native + IP6H, out_len - 88);
}

/* The same for a translated ICMPv4 error (from 6->4); the native packet is
 * server4 -> inner4. */
static void check_err4(struct fx *f, uint8_t type, uint8_t code, uint32_t info, const struct spec *in,
		       size_t qlen6, uint8_t hlim6)
{
	static uint8_t native[70000];
	struct spec n4 = *in;
	size_t nlen;

	if (in->proto == IPPROTO_ICMPV6) {
		n4.proto = IPPROTO_ICMP;
		n4.icmp_type = in->icmp_type == ICMP6_ECHO_REQUEST ? ICMP_ECHO : ICMP_ECHOREPLY;
	}
	nlen = build4(native, &n4, server4, inner4);
	size_t inner_l4 = (qlen6 < IP6H + nlen - IP4H ? qlen6 : IP6H + nlen - IP4H) - IP6H;
	size_t out_len = 28 + 20 + inner_l4;
	const uint8_t *o = f->pkt.data, *i4 = o + 28;
	uint8_t proto4 = in->proto == IPPROTO_ICMPV6 ? IPPROTO_ICMP : in->proto;

	if (out_len > 576)
		out_len = 576;
	assert_int_equal(f->reason, XLAT_DROP_NONE);
	assert_int_equal(f->pkt.len, out_len);
	assert_int_equal((size_t)(f->pkt.data - f->mem), f->pkt.headroom);
	assert_int_equal(o[0], 0x45);
	assert_int_equal(be16(o + 2), out_len);
	assert_int_equal(be16(o + 6), 0);       /* DF clear: <= 1260 */
	assert_int_equal(o[8], hlim6 - 1);
	assert_int_equal(o[9], IPPROTO_ICMP);
	assert_memory_equal(o + 12, &inner4, 4);
	assert_memory_equal(o + 16, &server4, 4);
	assert_true(ip4_hdr_valid(o));
	assert_true(l4_valid4(o));
	assert_int_equal(o[20], type);
	assert_int_equal(o[21], code);
	assert_int_equal(be32(o + 24), info);
	assert_true(ip4_hdr_valid(i4));
	assert_int_equal(i4[0], 0x45);
	assert_int_equal(i4[1], in->tclass);
	assert_int_equal(be16(i4 + 2), nlen);
	assert_int_equal(i4[8], in->hlim);
	assert_int_equal(i4[9], proto4);
	assert_memory_equal(i4 + 12, &server4, 4);
	assert_memory_equal(i4 + 16, &inner4, 4);
	assert_memory_equal(i4 + 20, native + IP4H, out_len - 48);
}

/* RFC 7915 §4.2: type/code mapping, inner packet translated with the
 * reverse mapping (inner source = client), outer checksum recomputed. */
static void test_4to6_icmp_errors(void **state)
{
	static const struct { uint8_t t4, c4, t6, c6; uint32_t info4, info6; } map[] = {
		{ 3, 0, 1, 0, 0, 0 }, { 3, 1, 1, 0, 0, 0 }, { 3, 3, 1, 4, 0, 0 },
		{ 3, 5, 1, 0, 0, 0 }, { 3, 6, 1, 0, 0, 0 }, { 3, 7, 1, 0, 0, 0 },
		{ 3, 8, 1, 0, 0, 0 }, { 3, 11, 1, 0, 0, 0 }, { 3, 12, 1, 0, 0, 0 },
		{ 3, 9, 1, 1, 0, 0 }, { 3, 10, 1, 1, 0, 0 }, { 3, 13, 1, 1, 0, 0 },
		{ 3, 15, 1, 1, 0, 0 },
		{ 3, 2, 4, 1, 0, 6 },                    /* protocol unreachable */
		{ 11, 0, 3, 0, 0, 0 }, { 11, 1, 3, 1, 0, 0 },
		/* Parameter Problem, RFC 7915 Figure 3. */
		{ 12, 0, 4, 0, 0u << 24, 0 }, { 12, 0, 4, 0, 1u << 24, 1 }, { 12, 0, 4, 0, 2u << 24, 4 },
		{ 12, 0, 4, 0, 3u << 24, 4 }, { 12, 0, 4, 0, 8u << 24, 7 }, { 12, 0, 4, 0, 9u << 24, 6 },
		{ 12, 0, 4, 0, 12u << 24, 8 }, { 12, 0, 4, 0, 15u << 24, 8 }, { 12, 2, 4, 0, 16u << 24, 24 },
		{ 12, 0, 4, 0, 19u << 24, 24 },
	};
	static const struct spec inners[] = {
		{ IPPROTO_UDP, 0, 100, 37, 0x20 }, { IPPROTO_TCP, 0, 100, 37, 0 },
		{ IPPROTO_ICMP, ICMP_ECHO, 100, 37, 0 },
	};
	struct fx *f = *state;
	size_t i, j;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		for (j = 0; j < 3; j++) {
			/* Quote the whole packet, and only header + 8 bytes. */
			size_t q = j == 2 ? IP4H + 8 : 1000;
			size_t len = build_err4(pkt_at(f), server4, map[i].t4, map[i].c4, map[i].info4,
						&inners[j], q);

			assert_int_equal(run4(f, len), XLAT_FORWARD);
			check_err6(f, &server6, map[i].t6, map[i].c6, map[i].info6, &inners[j], q, 64);
		}
	}
	/* From a router on the path: outer source is prefix||router. */
	{
		struct in_addr router;
		struct in6_addr router6;
		size_t len;

		inet_pton(AF_INET, "8.8.8.8", &router);
		addr_embed(&f->cfg.prefix, router, &router6);
		len = build_err4(pkt_at(f), router, 11, 0, 0, &inners[0], 1000);
		assert_int_equal(run4(f, len), XLAT_FORWARD);
		check_err6(f, &router6, 3, 0, 0, &inners[0], IP4H + 108, 64);
	}
}

/* RFC 7915 §4.2: Fragmentation Needed -> Packet Too Big:
 * max(1280, min(MTU + 20, next-hop MTU)); MTU 0: RFC 1191 plateaus. */
static void test_4to6_icmp_ptb(void **state)
{
	static const struct { uint32_t mtu_cfg; uint16_t field; size_t inner_pay; uint32_t want; } cases[] = {
		{ 1500, 1400, 100, 1420 }, { 1500, 1480, 100, 1500 }, { 1500, 1492, 100, 1500 },
		{ 9000, 8000, 100, 8020 }, { 1500, 576, 100, 1280 }, { 1500, 1000, 100, 1280 },
		{ 0, 65535, 100, 65555 },
		/* Plateaus: inner total length 1500 -> 1492; 1400 -> 1006 (-> 1280);
		 * 4000 -> 2002; 8166 -> 4352 (no next-hop limit). */
		{ 1500, 0, 1500 - 28, 1500 }, { 0, 0, 1500 - 28, 1512 }, { 0, 0, 1400 - 28, 1280 },
		{ 0, 0, 4000 - 28, 2022 }, { 0, 0, 8166 - 28, 4372 },
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spec in = { IPPROTO_UDP, 0, cases[i].inner_pay, 37, 0 };
		size_t len = build_err4(pkt_at(f), server4, 3, 4, cases[i].field, &in, IP4H + 8 + 64);

		f->cfg.mtu = cases[i].mtu_cfg;
		assert_int_equal(run4(f, len), XLAT_FORWARD);
		check_err6(f, &server6, ICMP6_PACKET_TOO_BIG, 0, cases[i].want, &in, IP4H + 8 + 64, 64);
	}
}

/* RFC 7915 §5.2: type/code mapping; inner source prefix||server (extract),
 * inner destination the client's inner address. */
static void test_6to4_icmp_errors(void **state)
{
	static const struct { uint8_t t6, c6, t4, c4; uint32_t info6, info4; } map[] = {
		{ 1, 0, 3, 1, 0, 0 }, { 1, 1, 3, 10, 0, 0 }, { 1, 2, 3, 1, 0, 0 },
		{ 1, 3, 3, 1, 0, 0 }, { 1, 4, 3, 3, 0, 0 },
		{ 3, 0, 11, 0, 0, 0 }, { 3, 1, 11, 1, 0, 0 },
		{ 4, 1, 3, 2, 6, 0 },                     /* unrecognized next header */
		/* Parameter Problem, RFC 7915 Figure 6. */
		{ 4, 0, 12, 0, 0, 0 }, { 4, 0, 12, 0, 1, 1u << 24 }, { 4, 0, 12, 0, 4, 2u << 24 },
		{ 4, 0, 12, 0, 5, 2u << 24 }, { 4, 0, 12, 0, 6, 9u << 24 }, { 4, 0, 12, 0, 7, 8u << 24 },
		{ 4, 0, 12, 0, 8, 12u << 24 }, { 4, 0, 12, 0, 23, 12u << 24 }, { 4, 0, 12, 0, 24, 16u << 24 },
		{ 4, 0, 12, 0, 39, 16u << 24 },
	};
	static const struct spec inners[] = {
		{ IPPROTO_UDP, 0, 100, 37, 0x20 }, { IPPROTO_TCP, 0, 100, 37, 0 },
		{ IPPROTO_ICMPV6, ICMP6_ECHO_REPLY, 100, 37, 0 },
	};
	struct fx *f = *state;
	struct in6_addr router6;
	size_t i, j;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		for (j = 0; j < 3; j++) {
			size_t q = j == 2 ? IP6H + 8 : 1000;
			size_t len = build_err6(pkt_at(f), &client6, map[i].t6, map[i].c6, map[i].info6,
						&inners[j], q);

			assert_int_equal(run6(f, len), XLAT_FORWARD);
			check_err4(f, map[i].t4, map[i].c4, map[i].info4, &inners[j], q, 64);
		}
	}
	/* From an IPv6 router that is not a client: sourced from the client's
	 * inner address all the same, and no binding asked for the router. */
	inet_pton(AF_INET6, "2001:db8:ffff::1", &router6);
	{
		size_t len = build_err6(pkt_at(f), &router6, 3, 0, 0, &inners[0], 1000);

		f->tm.src_calls = 0;
		assert_int_equal(run6(f, len), XLAT_FORWARD);
		check_err4(f, 11, 0, 0, &inners[0], IP6H + 108, 64);
		assert_int_equal(f->tm.src_calls, 1);
	}
}

/* RFC 7915 §5.2: Packet Too Big -> Fragmentation Needed:
 * min(MTU - 20, next-hop MTU - 20); 28 with a Fragment header inside. */
static void test_6to4_icmp_ptb(void **state)
{
	static const struct { uint32_t mtu_cfg, adv, want; } cases[] = {
		{ 1500, 1280, 1260 }, { 1500, 1500, 1480 }, { 1500, 9000, 1480 }, { 0, 9000, 8980 },
		{ 0, 100000, 65535 }, { 0, 50, 68 },
	};
	struct fx *f = *state;
	struct spec in = { IPPROTO_UDP, 0, 100, 37, 0 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = build_err6(pkt_at(f), &client6, 2, 0, cases[i].adv, &in, 1000);

		f->cfg.mtu = cases[i].mtu_cfg;
		assert_int_equal(run6(f, len), XLAT_FORWARD);
		check_err4(f, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, cases[i].want, &in, IP6H + 108, 64);
	}
}

/* RFC 7915 §4.3/§5.3 + RFC 1812 §4.3.2.3 / RFC 4443 §2.4(c): translated
 * errors are cut to 1280 bytes toward IPv6 and 576 toward IPv4. */
static void test_icmp_error_truncation(void **state)
{
	struct fx *f = *state;
	struct spec in4 = { IPPROTO_UDP, 0, 1452 - 8, 37, 0 };
	struct spec in6 = { IPPROTO_UDP, 0, 1212 - 8, 37, 0 };
	size_t len;

	f->cfg.mtu = 0;
	len = build_err4(pkt_at(f), server4, 3, 3, 0, &in4, 2000);   /* 1500 bytes */
	assert_int_equal(len, 1500);
	assert_int_equal(run4(f, len), XLAT_FORWARD);
	check_err6(f, &server6, 1, 4, 0, &in4, len - 28, 64);
	assert_int_equal(f->pkt.len, 1280);
	len = build_err6(pkt_at(f), &client6, 1, 4, 0, &in6, 2000);  /* 1300 bytes */
	assert_int_equal(run6(f, len), XLAT_FORWARD);
	check_err4(f, 3, 3, 0, &in6, len - 48, 64);
	assert_int_equal(f->pkt.len, 576);
}

/* Errors that are not translated: bad checksum, malformed or nested inner
 * packet, unmapped codes, inner addresses that do not map. */
static void test_icmp_error_drops(void **state)
{
	static const struct { uint8_t t, c; uint32_t info; } bad4[] = {
		{ 3, 14, 0 }, { 3, 16, 0 }, { 11, 2, 0 }, { 12, 1, 0 }, { 12, 0, 4u << 24 },
		{ 12, 0, 10u << 24 }, { 12, 0, 20u << 24 }, { 12, 3, 0 },
	};
	static const struct { uint8_t t, c; uint32_t info; } bad6[] = {
		{ 1, 5, 0 }, { 1, 7, 0 }, { 3, 2, 0 }, { 4, 2, 0 }, { 4, 0, 2 }, { 4, 0, 3 }, { 4, 0, 40 },
		{ 4, 3, 0 },
	};
	struct fx *f = *state;
	struct spec in = { IPPROTO_UDP, 0, 50, 37, 0 };
	uint8_t *p = pkt_at(f);
	size_t i, len;

	for (i = 0; i < sizeof(bad4) / sizeof(bad4[0]); i++) {
		len = build_err4(p, server4, bad4[i].t, bad4[i].c, bad4[i].info, &in, 1000);
		expect_drop4(f, len, XLAT_DROP_UNSUPPORTED_ICMP);
	}
	for (i = 0; i < sizeof(bad6) / sizeof(bad6[0]); i++) {
		len = build_err6(p, &client6, bad6[i].t, bad6[i].c, bad6[i].info, &in, 1000);
		expect_drop6(f, len, XLAT_DROP_UNSUPPORTED_ICMP);
	}
	/* A wrong outer checksum is not repaired by the recomputation. */
	len = build_err4(p, server4, 3, 3, 0, &in, 1000);
	p[len - 1] ^= 1;
	expect_drop4(f, len, XLAT_DROP_BAD_ICMP_CHECKSUM);
	len = build_err6(p, &client6, 1, 4, 0, &in, 1000);
	p[len - 1] ^= 1;
	expect_drop6(f, len, XLAT_DROP_BAD_ICMP_CHECKSUM);
	/* Inner packet: too short, wrong version, an ICMP error inside. */
	len = build_err4(p, server4, 3, 3, 0, &in, 19);
	expect_drop4(f, len, XLAT_DROP_INNER_MALFORMED);
	len = build_err6(p, &client6, 1, 4, 0, &in, 39);
	expect_drop6(f, len, XLAT_DROP_INNER_MALFORMED);
	len = build_err4(p, server4, 3, 3, 0, &in, 1000);
	p[28] = 0x65;
	set_l4_csum4(p);
	expect_drop4(f, len, XLAT_DROP_INNER_MALFORMED);
	{
		struct spec nested4 = { IPPROTO_ICMP, ICMP_DEST_UNREACH, 40, 37, 0 };
		struct spec nested6 = { IPPROTO_ICMPV6, ICMP6_DST_UNREACH, 40, 37, 0 };

		len = build_err4(p, server4, 3, 3, 0, &nested4, 1000);
		expect_drop4(f, len, XLAT_DROP_INNER_MALFORMED);
		len = build_err6(p, &client6, 1, 4, 0, &nested6, 1000);
		expect_drop6(f, len, XLAT_DROP_INNER_MALFORMED);
	}
	/* Inner client address without a binding. */
	len = build_err4(p, server4, 3, 3, 0, &in, 1000);
	memset(p + 28 + 12, 9, 4);
	set_l4_csum4(p);
	expect_drop4(f, len, XLAT_DROP_NO_BINDING);
	/* Inner server address outside the prefix. */
	len = build_err6(p, &client6, 1, 4, 0, &in, 1000);
	p[48 + 8] ^= 0x40;
	set_l4_csum6(p);
	expect_drop6(f, len, XLAT_DROP_INNER_MALFORMED);
}

/* Errors about errors are never generated (RFC 7915 §4.4/§5.4, RFC 4443
 * §2.4(e), RFC 1812 §4.3.2.7), nor for non-first fragments or sources that
 * are not one node. */
static void test_no_error_about_errors(void **state)
{
	struct fx *f = *state;
	struct spec in = { IPPROTO_UDP, 0, 50, 37, 0 };
	struct spec s = { IPPROTO_UDP, 0, 50, 1, 0 };
	struct in6_addr mc6;
	struct in_addr bc4;
	uint8_t *p = pkt_at(f);
	size_t len;

	len = build_err6(p, &client6, 1, 4, 0, &in, 1000);
	p[7] = 1;
	expect_drop6(f, len, XLAT_DROP_HOP_LIMIT);
	len = build_err4(p, server4, 3, 3, 0, &in, 1000);
	p[8] = 1;
	set_ip4_csum(p);
	expect_drop4(f, len, XLAT_DROP_HOP_LIMIT);
	/* Non-first IPv4 fragment with TTL 1. */
	len = build4(p, &s, server4, inner4);
	put16(p + 6, 100);
	set_ip4_csum(p);
	expect_drop4(f, len, XLAT_DROP_HOP_LIMIT);
	/* Multicast / unspecified / broadcast sources. */
	inet_pton(AF_INET6, "ff0e::1", &mc6);
	len = build6(p, &s, &mc6, &server6);
	expect_drop6(f, len, XLAT_DROP_HOP_LIMIT);
	f->cfg.prefix.len = 64;  /* not the WKP: 255.255.255.255 may be embedded */
	set_prefix(f, "2001:db8:122:344::", 64);
	inet_pton(AF_INET, "255.255.255.255", &bc4);
	len = build4(p, &s, bc4, inner4);
	expect_drop4(f, len, XLAT_DROP_HOP_LIMIT);
	/* 6->4 Packet Too Big is not sent about an ICMPv6 error either: it is
	 * cut to 576 bytes instead. */
	f->cfg.mtu = 600;
	len = build_err6(p, &client6, 1, 4, 0, &in, 1000);
	assert_int_equal(run6(f, len), XLAT_FORWARD);
}

/* ---- fragments (RFC 7915 §4.1, §5.1.1) ---- */

/* An IPv6 UDP datagram of `paylen` bytes from the client, cut into pieces of
 * `piece` bytes (multiple of 8) with Fragment headers (id 0xabcd1234);
 * piece `k` is written to p, its length returned. */
static size_t frag6_piece(uint8_t *p, size_t paylen, size_t piece, size_t k, int *last)
{
	static uint8_t whole[70000];
	struct spec s = { IPPROTO_UDP, 0, paylen, 64, 0 };
	size_t len = build6(whole, &s, &client6, &server6), l4len = len - IP6H;
	size_t off = k * piece, n = l4len - off < piece ? l4len - off : piece;

	*last = off + n == l4len;
	memcpy(p, whole, IP6H);
	put16(p + 4, 8 + n);
	p[6] = IPPROTO_FRAGMENT;
	p[IP6H] = IPPROTO_UDP;
	p[IP6H + 1] = 0;
	put16(p + IP6H + 2, off | (*last ? 0 : 1));
	put32(p + IP6H + 4, 0xabcd1234);
	memcpy(p + IP6H + 8, whole + IP6H + off, n);
	return IP6H + 8 + n;
}

/* RFC 7915 §5.1.1: Fragment header -> IPv4 fragment fields; only the first
 * fragment's checksum changes, and it is right for the whole datagram. */
static void test_6to4_fragments(void **state)
{
	static uint8_t re[70000];
	struct fx *f = *state;
	size_t k, paylen = 3000, piece = 1232, total = 0;
	int last = 0;

	for (k = 0; !last; k++) {
		size_t len = frag6_piece(pkt_at(f), paylen, piece, k, &last);
		const uint8_t *o;

		assert_int_equal(run6(f, len), XLAT_FORWARD);
		o = f->pkt.data;
		assert_true(ip4_hdr_valid(o));
		assert_int_equal(be16(o + 2), len - 48 + IP4H);
		assert_int_equal(be16(o + 4), 0x1234);           /* low 16 bits */
		assert_int_equal(be16(o + 6), (k * piece) / 8 | (last ? 0 : IP_MF)); /* DF 0 */
		assert_int_equal(o[9], IPPROTO_UDP);
		memcpy(re + IP4H + k * piece, o + IP4H, len - 48);
		total += len - 48;
		if (k == 0)
			memcpy(re, o, IP4H);
	}
	assert_int_equal(total, 8 + paylen);
	put16(re + 2, IP4H + total);
	put16(re + 6, 0);
	assert_true(l4_valid4(re));

	/* Atomic fragment (RFC 6946, RFC 8021): translated as a whole packet,
	 * identification from the translator, DF by size. */
	{
		size_t len = frag6_piece(pkt_at(f), 100, 1232, 0, &last);
		uint32_t id = f->st.ip_id;

		assert_true(last);
		assert_int_equal(run6(f, len), XLAT_FORWARD);
		assert_int_equal(be16(f->pkt.data + 6), 0);
		assert_int_equal(be16(f->pkt.data + 4), (uint16_t)(id + 1));
		assert_true(l4_valid4(f->pkt.data));
	}
	/* Extension header after the Fragment header; M with an odd size;
	 * fragmented ICMPv6. */
	{
		size_t len = frag6_piece(pkt_at(f), 3000, 1232, 0, &last);

		pkt_at(f)[IP6H] = IPPROTO_DSTOPTS;
		expect_drop6(f, len, XLAT_DROP_EXT_HEADER);
		len = frag6_piece(pkt_at(f), 3000, 1232, 0, &last);
		put16(pkt_at(f) + 4, be16(pkt_at(f) + 4) - 1);
		expect_drop6(f, len - 1, XLAT_DROP_FRAGMENT);
		len = frag6_piece(pkt_at(f), 3000, 1232, 1, &last);
		pkt_at(f)[IP6H] = IPPROTO_ICMPV6;
		expect_drop6(f, len, XLAT_DROP_FRAGMENT);
	}
}

/* An IPv4 UDP datagram from the server, cut into fragments of `piece`
 * bytes (id 0x4321); fragment `k` written to p. */
static size_t frag4_piece(uint8_t *p, size_t paylen, size_t piece, size_t k, uint16_t df, int *last)
{
	static uint8_t whole[70000];
	struct spec s = { IPPROTO_UDP, 0, paylen, 64, 0 };
	size_t len = build4(whole, &s, server4, inner4), l4len = len - IP4H;
	size_t off = k * piece, n = l4len - off < piece ? l4len - off : piece;

	*last = off + n == l4len;
	memcpy(p, whole, IP4H);
	put16(p + 2, IP4H + n);
	put16(p + 4, 0x4321);
	put16(p + 6, off / 8 | (*last ? 0 : IP_MF) | df);
	set_ip4_csum(p);
	memcpy(p + IP4H, whole + IP4H + off, n);
	return IP4H + n;
}

/* Reassembles IPv6 fragments (header at h, data at d) into `re`
 * (IPv6 header + payload); returns the payload bytes so far. */
static size_t reasm6(uint8_t *re, const uint8_t *h, const uint8_t *d, size_t n, uint32_t id, size_t *seen)
{
	size_t off = be16(h + IP6H + 2) & ~7u;

	assert_int_equal(h[6], IPPROTO_FRAGMENT);
	assert_int_equal(h[IP6H], IPPROTO_UDP);
	assert_int_equal(be32(h + IP6H + 4), id);
	assert_int_equal(be16(h + 4), 8 + n);
	memcpy(re, h, IP6H);
	memcpy(re + IP6H + off, d, n);
	*seen += n;
	return off + n;
}

/* RFC 7915 §4.1: IPv4 fragments get a Fragment header (identification
 * zero-extended, offset and MF copied); the first fragment's checksum is
 * right for the reassembled datagram. */
static void test_4to6_fragment_headers(void **state)
{
	static uint8_t re[70000];
	struct fx *f = *state;
	size_t k, seen = 0, end = 0, paylen = 1000;
	int last = 0;

	for (k = 0; !last; k++) {
		size_t len = frag4_piece(pkt_at(f), paylen, 512, k, 0, &last);
		const uint8_t *o;

		assert_int_equal(run4(f, len), XLAT_FORWARD);
		o = f->pkt.data;
		assert_int_equal(f->pkt.len, len - IP4H + 48);
		assert_int_equal(be16(o + IP6H + 2), (k * 512) | (last ? 0 : 1));
		assert_memory_equal(o + 8, &server6, 16);
		end = reasm6(re, o, o + 48, len - IP4H, 0x4321, &seen);
	}
	assert_int_equal(seen, 8 + paylen);
	assert_int_equal(end, seen);
	put16(re + 4, seen);
	re[6] = IPPROTO_UDP;
	assert_true(l4_valid6(re));
}

/* RFC 7915 §4.1: DF clear and larger than lowest-ipv6-mtu: fragments of at
 * most that size (XLAT_FORWARD_MULTI); DF set: Fragmentation Needed above
 * the MTU, whole otherwise; never a Fragment header on a whole packet. */
static void test_4to6_fragmentation(void **state)
{
	static uint8_t re[70000];
	static struct xlat_frags fr;
	struct fx *f = *state;
	static const struct { uint32_t lowest; size_t paylen; } cases[] = {
		{ 0, 3000 }, { 1280, 1300 }, { 1500, 5000 }, { 1400, 65507 - 8 }, { 9000, 3000 }, { 0, 1232 },
	};
	size_t i, j;

	f->cfg.mtu = 0;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spec s = { IPPROTO_UDP, 0, cases[i].paylen, 64, 0 };
		size_t len = build4(pkt_at(f), &s, server4, inner4), seen = 0, lim;
		size_t want_lim = cases[i].lowest > 1280 ? cases[i].lowest : 1280;
		enum xlat_verdict v;

		f->cfg.lowest_ipv6_mtu = cases[i].lowest;
		f->pkt = (struct xlat_buf){ pkt_at(f), len, HR, 0 };
		v = xlat_4to6_frags(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, &fr, &f->reason);
		if (len - IP4H + IP6H <= want_lim) {
			assert_int_equal(v, XLAT_FORWARD);
			assert_int_equal(fr.n, 0);
			assert_int_equal(f->pkt.data[6], IPPROTO_UDP);
			continue;
		}
		assert_int_equal(v, XLAT_FORWARD_MULTI);
		assert_true(fr.n > 1 && fr.n <= XLAT_FRAGS_MAX);
		for (j = 0; j < fr.n; j++) {
			lim = fr.frag[j].hdr_len + fr.frag[j].payload_len;
			assert_int_equal(fr.frag[j].hdr_len, 48);
			assert_true(lim <= want_lim);
			if (j + 1 < fr.n)
				assert_int_equal(fr.frag[j].payload_len % 8, 0);
			assert_int_equal(be16(fr.frag[j].hdr + IP6H + 2) & 1, j + 1 < fr.n);
			reasm6(re, fr.frag[j].hdr, fr.frag[j].payload, fr.frag[j].payload_len, 0x4242, &seen);
		}
		assert_int_equal(seen, 8 + cases[i].paylen);
		put16(re + 4, seen);
		re[6] = IPPROTO_UDP;
		assert_true(l4_valid6(re));
		assert_memory_equal(re + 8, &server6, 16);
		assert_memory_equal(re + 24, &client6, 16);
	}
	/* An arriving fragment that is too big is cut further: offsets continue
	 * the IPv4 offset, the last piece keeps MF. */
	{
		int last;
		size_t len = frag4_piece(pkt_at(f), 6000, 2400, 1, 0, &last), seen = 0;

		f->cfg.lowest_ipv6_mtu = 0;
		f->pkt = (struct xlat_buf){ pkt_at(f), len, HR, 0 };
		assert_int_equal(xlat_4to6_frags(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, &fr, &f->reason),
				 XLAT_FORWARD_MULTI);
		assert_int_equal(fr.n, 2);
		assert_int_equal(be16(fr.frag[0].hdr + IP6H + 2), 2400 | 1);
		assert_int_equal(be16(fr.frag[1].hdr + IP6H + 2), (2400 + 1232) | 1);
		reasm6(re, fr.frag[0].hdr, fr.frag[0].payload, fr.frag[0].payload_len, 0x4321, &seen);
		reasm6(re, fr.frag[1].hdr, fr.frag[1].payload, fr.frag[1].payload_len, 0x4321, &seen);
		assert_int_equal(seen, 2400);
	}
	/* xlat_4to6() (no fragment area) forwards the packet whole. */
	{
		struct spec s = { IPPROTO_UDP, 0, 3000, 64, 0 };
		size_t len = build4(pkt_at(f), &s, server4, inner4);

		assert_int_equal(run4(f, len), XLAT_FORWARD);
		assert_int_equal(f->pkt.len, len + 20);
		assert_true(l4_valid6(f->pkt.data));
	}
	/* DF set: whole up to the MTU, Fragmentation Needed above it
	 * (next-hop MTU = mtu - 20). */
	{
		struct spec s = { IPPROTO_TCP, 0, 1440, 64, 0 };
		size_t len = build4(pkt_at(f), &s, server4, inner4);
		uint8_t copy[2000];

		put16(pkt_at(f) + 6, IP_DF);
		set_ip4_csum(pkt_at(f));
		f->cfg.mtu = 1500;
		memcpy(copy, pkt_at(f), len);
		f->pkt = (struct xlat_buf){ pkt_at(f), len, HR, 0 };
		assert_int_equal(xlat_4to6_frags(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, &fr, &f->reason),
				 XLAT_FORWARD);
		assert_int_equal(fr.n, 0);
		assert_int_equal(f->pkt.len, 1500);
		f->cfg.mtu = 1499;
		memcpy(pkt_at(f), copy, len);
		assert_int_equal(run4(f, len), XLAT_REPLY);
		assert_int_equal(f->reason, XLAT_DROP_TOO_BIG);
		check_reply4(f, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 1479, copy, len);
	}
}

/* RFC 7915 §1.4 / §5: an IPv4 packet with DF (> 1260 bytes) larger than the
 * MTU: ICMPv6 Packet Too Big with mtu + 20, at least 1280. */
static void test_6to4_too_big_reply(void **state)
{
	static const struct { uint32_t mtu; size_t paylen; int ptb; uint32_t want; } cases[] = {
		{ 1500, 1500 - 28, 0, 0 }, { 1500, 1501 - 28, 1, 1520 }, { 1400, 1400, 1, 1420 },
		{ 1000, 1260 - 28, 0, 0 }, { 1000, 1261 - 28, 1, 1280 },
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spec s = { IPPROTO_UDP, 0, cases[i].paylen, 64, 0 };
		size_t len = build6(pkt_at(f), &s, &client6, &server6);
		static uint8_t copy[2000];

		f->cfg.mtu = cases[i].mtu;
		memcpy(copy, pkt_at(f), len);
		if (!cases[i].ptb) {
			assert_int_equal(run6(f, len), XLAT_FORWARD);
			continue;
		}
		assert_int_equal(run6(f, len), XLAT_REPLY);
		assert_int_equal(f->reason, XLAT_DROP_TOO_BIG);
		check_reply6(f, ICMP6_PACKET_TOO_BIG, 0, cases[i].want, copy, len);
	}
}

/* ---- address policy (RFC 6052 §3.1, deny list) ---- */

static void test_addr_v4_is_global(void **state)
{
	static const struct { const char *a; int g; } cases[] = {
		{ "0.1.2.3", 0 }, { "10.1.1.1", 0 }, { "100.64.0.1", 0 }, { "100.127.255.255", 0 },
		{ "100.128.0.1", 1 }, { "127.0.0.1", 0 }, { "169.254.3.3", 0 }, { "172.16.0.1", 0 },
		{ "172.31.255.255", 0 }, { "172.32.0.1", 1 }, { "192.0.0.1", 0 }, { "192.0.0.9", 1 },
		{ "192.0.0.10", 1 }, { "192.0.2.1", 0 }, { "192.88.99.1", 0 }, { "192.168.1.1", 0 },
		{ "198.18.0.1", 0 }, { "198.19.255.255", 0 }, { "198.20.0.1", 1 }, { "198.51.100.1", 0 },
		{ "203.0.113.1", 0 }, { "224.0.0.1", 0 }, { "239.255.255.255", 0 }, { "240.0.0.1", 0 },
		{ "255.255.255.255", 0 }, { "8.8.8.8", 1 }, { "93.184.216.34", 1 }, { "1.1.1.1", 1 },
		{ "223.255.255.255", 1 }, { "11.0.0.0", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct in_addr a;

		assert_int_equal(inet_pton(AF_INET, cases[i].a, &a), 1);
		if (addr_v4_is_global(a) != cases[i].g)
			fail_msg("%s", cases[i].a);
	}
}

/* RFC 6052 §3.1: with the Well-Known Prefix, non-global IPv4 addresses are
 * never translated: 6->4 refused with admin-prohibited, 4->6 dropped.  A
 * network-specific prefix has no such restriction. */
static void test_wkp_non_global(void **state)
{
	static const char *const ng[] = { "10.1.2.3", "192.168.0.1", "100.64.1.1", "172.16.5.5",
					  "198.51.100.7", "192.0.0.1" };
	struct fx *f = *state;
	struct spec s = { IPPROTO_UDP, 0, 20, 64, 0 };
	uint8_t copy[200];
	size_t i, len;

	for (i = 0; i < sizeof(ng) / sizeof(ng[0]); i++) {
		struct in_addr a;
		struct in6_addr a6;

		inet_pton(AF_INET, ng[i], &a);
		set_prefix(f, "64:ff9b::", 96);
		addr_embed(&f->cfg.prefix, a, &a6);
		len = build6(pkt_at(f), &s, &client6, &a6);
		memcpy(copy, pkt_at(f), len);
		assert_int_equal(run6(f, len), XLAT_REPLY);
		assert_int_equal(f->reason, XLAT_DROP_NON_GLOBAL);
		check_reply6(f, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_ADMIN, 0, copy, len);
		len = build4(pkt_at(f), &s, a, inner4);
		expect_drop4(f, len, XLAT_DROP_NON_GLOBAL);

		set_prefix(f, "2001:db8:64::", 96);
		addr_embed(&f->cfg.prefix, a, &a6);
		len = build6(pkt_at(f), &s, &client6, &a6);
		assert_int_equal(run6(f, len), XLAT_FORWARD);
		assert_memory_equal(f->pkt.data + 16, &a, 4);
		len = build4(pkt_at(f), &s, a, inner4);
		assert_int_equal(run4(f, len), XLAT_FORWARD);
		assert_true(l4_valid6(f->pkt.data));
	}
	assert_int_equal(f->tm.src_calls, sizeof(ng) / sizeof(ng[0]));
}

/* Destinations never translated whatever the prefix, and the caller's deny
 * list: ICMPv6 admin-prohibited, reason denied_dest. */
static void test_6to4_denied(void **state)
{
	static const char *const denied[] = { "0.0.0.1", "127.0.0.1", "169.254.1.1", "224.0.0.5",
					      "239.1.1.1", "240.0.0.1", "255.255.255.255", "10.64.0.9",
					      "10.64.0.255", "203.0.113.200" };
	struct xlat_v4net deny[2];
	struct fx *f = *state;
	struct spec s = { IPPROTO_TCP, 0, 20, 64, 0 };
	uint8_t copy[200];
	size_t i, len;

	inet_pton(AF_INET, "10.64.0.0", &deny[0].addr);
	deny[0].len = 24;
	inet_pton(AF_INET, "203.0.113.200", &deny[1].addr);
	deny[1].len = 32;
	f->cfg.deny = deny;
	f->cfg.n_deny = 2;
	set_prefix(f, "2001:db8:64::", 96);
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		struct in_addr a;
		struct in6_addr a6;

		inet_pton(AF_INET, denied[i], &a);
		addr_embed(&f->cfg.prefix, a, &a6);
		len = build6(pkt_at(f), &s, &client6, &a6);
		memcpy(copy, pkt_at(f), len);
		assert_int_equal(run6(f, len), XLAT_REPLY);
		assert_int_equal(f->reason, XLAT_DROP_DENIED_DEST);
		check_reply6(f, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_ADMIN, 0, copy, len);
	}
	/* Next to the list: translated. */
	{
		struct in_addr a;
		struct in6_addr a6;

		inet_pton(AF_INET, "10.64.1.1", &a);
		addr_embed(&f->cfg.prefix, a, &a6);
		len = build6(pkt_at(f), &s, &client6, &a6);
		assert_int_equal(run6(f, len), XLAT_FORWARD);
	}
	assert_int_equal(f->tm.src_calls, 1);
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
	static struct xlat_frags fr;
	uint8_t *mem = malloc(HR + len + 1);
	struct xlat_buf pkt = { mem + HR, len, HR, 0 }, reply = { f->reply_mem, sizeof(f->reply_mem), 0, 0 };
	enum xlat_drop reason = XLAT_DROP__MAX;
	enum xlat_verdict v;
	size_t i;

	assert_non_null(mem);
	memcpy(mem + HR, data, len);
	v = six ? xlat_6to4(&f->cfg, &f->map, &f->st, &pkt, &reply, &reason)
		: xlat_4to6_frags(&f->cfg, &f->map, &f->st, &pkt, &reply, &fr, &reason);
	assert_true(reason < XLAT_DROP__MAX);
	if (v == XLAT_FORWARD || v == XLAT_FORWARD_MULTI) {
		const uint8_t *o = pkt.data;

		assert_int_equal(reason, XLAT_DROP_NONE);
		assert_true(pkt.data >= mem && pkt.data + pkt.len <= mem + HR + len);
		assert_int_equal((size_t)(pkt.data - mem), pkt.headroom);
		if (six) {
			assert_true(ip4_hdr_valid(o));
			assert_int_equal(be16(o + 2), pkt.len);
			/* A translated error always has right checksums. */
			if (o[9] == IPPROTO_ICMP && o[20] != ICMP_ECHO && o[20] != ICMP_ECHOREPLY) {
				assert_true(pkt.len <= 576 && l4_valid4(o) && ip4_hdr_valid(o + 28));
			}
		} else {
			assert_int_equal(be16(o + 4) + IP6H, pkt.len);
			if (o[6] == IPPROTO_ICMPV6 && o[40] < 128)
				assert_true(pkt.len <= 1280 && l4_valid6(o));
		}
	} else {
		assert_int_not_equal(reason, XLAT_DROP_NONE);
	}
	if (v == XLAT_FORWARD_MULTI) {
		assert_false(six);
		assert_true(fr.n > 1 && fr.n <= XLAT_FRAGS_MAX);
		for (i = 0; i < fr.n; i++) {
			assert_true(fr.frag[i].payload >= pkt.data &&
				    fr.frag[i].payload + fr.frag[i].payload_len <= pkt.data + pkt.len);
			assert_true(fr.frag[i].hdr_len + fr.frag[i].payload_len <= 1280);
		}
	}
	if (v == XLAT_REPLY && six)
		assert_true(reply.len <= 1280 && l4_valid6(reply.data));
	if (v == XLAT_REPLY && !six)
		assert_true(reply.len <= 576 && ip4_hdr_valid(reply.data) && l4_valid4(reply.data));
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

/* ICMP errors whose quoted packets are mutated, cut or garbage (the outer
 * checksum fixed up so that the inner parser is reached), and random
 * extension-header chains, under ASan in the sanitizer build. */
static void test_garbage_errors(void **state)
{
	static const uint8_t t4[] = { 3, 11, 12 }, t6[] = { 1, 2, 3, 4 };
	static const uint8_t ext[] = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING, IPPROTO_FRAGMENT,
				       IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMPV6, IPPROTO_AH };
	struct fx *f = *state;
	static uint8_t pk[3000];
	unsigned seen[2][4] = { { 0 } };
	int round;

	for (round = 0; round < 100000; round++) {
		int six = round & 1, kind = (round >> 1) % 3;
		struct spec in = { 0, 0, rnd() % 200, (uint8_t)rnd(), 0 };
		size_t len, i, n;

		if (kind < 2) {
			static const uint8_t p4[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };
			static const uint8_t p6[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6 };

			in.proto = six ? p6[rnd() % 3] : p4[rnd() % 3];
			in.icmp_type = (uint8_t)(rnd() % 2 ? (six ? 128 : 8) : rnd());
			if (six)
				len = build_err6(pk, &client6, t6[rnd() % 4], (uint8_t)(rnd() % 6), rnd(), &in,
						 rnd() % 300);
			else
				len = build_err4(pk, server4, t4[rnd() % 3], (uint8_t)(rnd() % 16),
						 rnd() % 2 ? rnd() : (rnd() % 24) << 24, &in, rnd() % 300);
			n = kind == 0 ? rnd() % 4 : len;
			for (i = 0; i < n && len > 48; i++)
				pk[48 + rnd() % (len - 48)] ^= (uint8_t)(kind == 0 ? 1u << (rnd() % 8) : rnd());
			if (six)
				set_l4_csum6(pk);
			else
				set_l4_csum4(pk);
			if (rnd() % 4 == 0) {
				len -= rnd() % (len + 1);
				if (!six && len >= IP4H) {
					put16(pk + 2, len);
					set_ip4_csum(pk);
				}
				if (six && len >= IP6H)
					put16(pk + 4, len - IP6H);
			}
		} else {
			/* IPv6: a random chain of up to 12 headers with random
			 * lengths (some longer than the packet). */
			struct spec s = { IPPROTO_UDP, 0, rnd() % 64, 64, 0 };
			uint8_t chain[1200];
			size_t clen = 0, k, nh = rnd() % 12;

			six = 1;
			len = build6(pk, &s, &client6, &server6);
			for (k = 0; k < nh && clen + 8 * 8 <= sizeof(chain); k++) {
				size_t el = 8 * (1 + rnd() % 8);

				for (i = 0; i < el; i++)
					chain[clen + i] = (uint8_t)rnd();
				chain[clen] = ext[rnd() % sizeof(ext)];
				chain[clen + 1] = (uint8_t)(rnd() % 4 == 0 ? rnd() : el / 8 - 1);
				if (rnd() % 2)
					chain[clen + 3] = 0;
				clen += el;
			}
			if (clen)
				len = insert_ext(pk, len, chain, clen, ext[rnd() % sizeof(ext)]);
			len -= rnd() % 4 == 0 ? rnd() % (len + 1) : 0;
		}
		f->tm.src_ret = 0;
		seen[six][run_exact(f, six, pk, len)]++;
	}
	print_message("errors 6->4 fwd %u drop %u reply %u; 4->6 fwd %u drop %u reply %u\n", seen[1][0],
		      seen[1][1], seen[1][2], seen[0][0], seen[0][1], seen[0][2]);
	assert_true(seen[1][XLAT_FORWARD] > 500 && seen[0][XLAT_FORWARD] > 500);
	assert_true(seen[1][XLAT_DROP] > 500 && seen[0][XLAT_DROP] > 500);
}

static void test_empty(void **state)
{
	struct fx *f = *state;
	struct xlat_buf pkt = { NULL, 0, 0, 0 };

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
		T(test_6to4_icmp_echo_all_zero),
		T(test_6to4_prefix_lengths),
		T(test_6to4_df_id),
		T(test_6to4_hop_limit),
		T(test_6to4_not_prefix),
		T(test_6to4_ext_headers),
		T(test_6to4_segments_left),
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
		T(test_4to6_icmp_errors),
		T(test_4to6_icmp_ptb),
		T(test_6to4_icmp_errors),
		T(test_6to4_icmp_ptb),
		T(test_icmp_error_truncation),
		T(test_icmp_error_drops),
		T(test_no_error_about_errors),
		T(test_6to4_fragments),
		T(test_4to6_fragment_headers),
		T(test_4to6_fragmentation),
		T(test_6to4_too_big_reply),
		T(test_addr_v4_is_global),
		T(test_wkp_non_global),
		T(test_6to4_denied),
		T(test_drop_names),
		T(test_truncated),
		T(test_garbage),
		T(test_garbage_errors),
		T(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
