/*
 * Unit tests: translation of GSO super-packets (struct xlat_buf.gso_size),
 * src/xlat/xlat.c and csum_partial_replace() in src/xlat/csum.c.
 *
 * A super-packet is built as the kernel hands it over with CHECKSUM_PARTIAL:
 * IP lengths for the whole thing, the transport header once, and in its
 * checksum field the folded pseudo-header sum, not complemented.  After the
 * translation the test (a) compares that field with the pseudo-header sum of
 * the new header, (b) finishes it as a checksum-offloading device would and
 * compares with an independent full computation, and (c) cuts the output into
 * segments the way the kernel's tcp_gso_segment/__udp_gso_segment do (length
 * delta applied to the partial sum) and verifies every segment on its own.
 * All reference sums are plain big-endian RFC 1071, independent of csum.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/csum.h"
#include "xlat/xlat.h"
#include "ref_csum.h"

#define HR XLAT_HEADROOM
#define IP6H 40u
#define IP4H 20u
#define MEM_MAX (HR + 70000u)
#define GSO 1000u

static size_t csum_off(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 16 : 6;
}

/* Where the transport header of an IPv4/IPv6 packet starts (no IPv6
 * extension headers in the translator's output) and its length. */
static size_t l4_off(const uint8_t *p)
{
	return p[0] >> 4 == 4 ? (size_t)(p[0] & 0xf) * 4 : IP6H;
}

static size_t l4_len(const uint8_t *p)
{
	return p[0] >> 4 == 4 ? be16(p + 2) - l4_off(p) : be16(p + 4);
}

static uint8_t l4_proto(const uint8_t *p)
{
	return p[0] >> 4 == 4 ? p[9] : p[6];
}

static uint32_t ref_pseudo(const uint8_t *p, size_t len)
{
	return p[0] >> 4 == 4 ? ref_pseudo4(p + 12, p + 16, len, p[9]) : ref_pseudo6(p + 8, p + 24, len, p[6]);
}

static size_t l4_hlen(const uint8_t *l4, uint8_t proto)
{
	return proto == IPPROTO_TCP ? (size_t)(l4[12] >> 4) * 4 : 8;
}

/* A finished packet's transport checksum is right. */
static int l4_valid(const uint8_t *p)
{
	size_t len = l4_len(p);

	return ref_fold(ref_sum(p + l4_off(p), len, ref_pseudo(p, len))) == 0;
}

static int ip4_hdr_valid(const uint8_t *p)
{
	return ref_fold(ref_sum(p, (size_t)(p[0] & 0xf) * 4, 0)) == 0;
}

/* ---- builders ---- */

static struct in6_addr client6, server6, gw6;
static struct in_addr inner4, server4, gw4;

static size_t put_l4(uint8_t *l4, uint8_t proto, size_t paylen, unsigned doff)
{
	size_t hl = proto == IPPROTO_TCP ? doff * 4u : 8u, i;

	memset(l4, 0, hl);
	if (proto == IPPROTO_TCP) {
		put16(l4, 40000);
		put16(l4 + 2, 443);
		put32(l4 + 4, 0xfffff000);   /* sequence numbers wrap inside the super-packet */
		put32(l4 + 8, 0x05060708);
		l4[12] = (uint8_t)(doff << 4);
		l4[13] = 0x18;               /* ACK PSH */
		put16(l4 + 14, 0xfff0);
		for (i = 20; i < hl; i++)
			l4[i] = 1;           /* NOP options */
	} else {
		put16(l4, 5353);
		put16(l4 + 2, 4433);
		put16(l4 + 4, 8 + paylen);
	}
	for (i = 0; i < paylen; i++)
		l4[hl + i] = (uint8_t)(i * 13 + 5);
	return hl + paylen;
}

/* What the sender leaves in the field with CHECKSUM_PARTIAL: fold(pseudo),
 * not complemented, over the whole transport length. */
static void set_partial(uint8_t *p)
{
	size_t len = l4_len(p);

	put16(p + l4_off(p) + csum_off(l4_proto(p)), ref_fold_nc(ref_pseudo(p, len)));
}

static size_t build6(uint8_t *p, uint8_t proto, size_t paylen, unsigned doff)
{
	size_t l4len = put_l4(p + IP6H, proto, paylen, doff);

	put32(p, 6u << 28 | 0x2eu << 20 | 0x12345);
	put16(p + 4, l4len);
	p[6] = proto;
	p[7] = 64;
	memcpy(p + 8, &client6, 16);
	memcpy(p + 24, &server6, 16);
	set_partial(p);
	return IP6H + l4len;
}

static void set_ip4_csum(uint8_t *p)
{
	memset(p + 10, 0, 2);
	put16(p + 10, ref_fold(ref_sum(p, (size_t)(p[0] & 0xf) * 4, 0)));
}

static size_t build4(uint8_t *p, uint8_t proto, size_t paylen, unsigned doff, uint16_t frag)
{
	size_t l4len = put_l4(p + IP4H, proto, paylen, doff);

	p[0] = 0x45;
	p[1] = 0x2e;
	put16(p + 2, IP4H + l4len);
	put16(p + 4, 0x4242);
	put16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, &server4, 4);
	memcpy(p + 16, &inner4, 4);
	set_ip4_csum(p);
	set_partial(p);
	return IP4H + l4len;
}

/* ---- fixture ---- */

static int t_src6_to_v4(void *arg, const struct in6_addr *src, struct in_addr *out)
{
	(void)arg;
	if (memcmp(src, &client6, 16) != 0)
		return -XLAT_DROP_NOT_CLIENT;
	*out = inner4;
	return 0;
}

static int t_dst4_to_v6(void *arg, struct in_addr dst, struct in6_addr *out)
{
	(void)arg;
	if (dst.s_addr != inner4.s_addr)
		return -XLAT_DROP_NO_BINDING;
	*out = client6;
	return 0;
}

struct fx {
	struct xlat_cfg cfg;
	struct xlat_map map;
	struct xlat_state st;
	uint8_t *mem;
	uint8_t reply_mem[XLAT_REPLY_MAX];
	struct xlat_buf pkt, reply;
	struct xlat_frags frags;
	enum xlat_drop reason;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->mem = calloc(1, MEM_MAX);
	assert_non_null(f->mem);
	inet_pton(AF_INET6, "2001:db8:aaaa::1", &client6);
	inet_pton(AF_INET, "10.64.0.5", &inner4);
	inet_pton(AF_INET, "93.184.216.34", &server4);
	inet_pton(AF_INET, "192.0.2.1", &gw4);
	inet_pton(AF_INET6, "64:ff9b::", &f->cfg.prefix.addr);
	f->cfg.prefix.len = 96;
	addr_embed(&f->cfg.prefix, server4, &server6);
	addr_embed(&f->cfg.prefix, gw4, &gw6);
	f->cfg.gateway_v6 = gw6;
	f->cfg.gateway_v4 = gw4;
	f->cfg.mtu = 1500;
	f->map.src6_to_v4 = t_src6_to_v4;
	f->map.dst4_to_v6 = t_dst4_to_v6;
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

static uint8_t *at(struct fx *f)
{
	return f->mem + HR;
}

static enum xlat_verdict run(struct fx *f, int six, size_t len, uint16_t gso, int with_frags)
{
	f->pkt = (struct xlat_buf){ .data = at(f), .len = len, .headroom = HR, .gso_size = gso };
	f->reply = (struct xlat_buf){ .data = f->reply_mem, .len = sizeof(f->reply_mem) };
	f->reason = XLAT_DROP__MAX;
	f->frags.n = 99;
	if (six)
		return xlat_6to4(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, &f->reason);
	return xlat_4to6_frags(&f->cfg, &f->map, &f->st, &f->pkt, &f->reply, with_frags ? &f->frags : NULL,
			       &f->reason);
}

static void expect_drop(struct fx *f, int six, size_t len, uint16_t gso, enum xlat_drop why)
{
	uint8_t *copy = malloc(len);

	assert_non_null(copy);
	memcpy(copy, at(f), len);
	assert_int_equal(run(f, six, len, gso, 1), XLAT_DROP);
	assert_int_equal(f->reason, why);
	assert_memory_equal(at(f), copy, len);   /* untouched */
	free(copy);
}

/* ---- checks ---- */

/* The translated super-packet `p`: (a) the partial field is fold(pseudo) of
 * the new header, (b) finishing it gives the independently computed
 * checksum, (c) the kernel's segmentation yields valid segments whose data
 * is `paylen` bytes of the builder's pattern.  Returns the segment count. */
static size_t check_super(const uint8_t *p, uint16_t gso, size_t paylen)
{
	size_t off = l4_off(p), len = l4_len(p), hl, data, seg_off, n = 0;
	static uint8_t copy[65536];
	uint8_t proto = l4_proto(p), *seg;
	const uint8_t *l4 = p + off;
	size_t field = csum_off(proto);
	uint16_t partial = be16(l4 + field), finished, indep;

	/* (a) */
	assert_int_equal(partial, ref_fold_nc(ref_pseudo(p, len)));
	/* (b) a device sums from csum_start over the field holding the partial */
	finished = ref_fold(ref_sum(l4, len, 0));
	assert_true(len >= field + 2 && len <= sizeof(copy));
	memcpy(copy, l4, len);
	copy[field] = copy[field + 1] = 0;
	indep = ref_fold(ref_sum(copy, len, ref_pseudo(p, len)));
	assert_int_equal(finished, indep);

	/* (c) the kernel's GSO: same headers, lengths fixed, the partial sum
	 * moved by the length delta, then the device's sum over each piece. */
	hl = l4_hlen(l4, proto);
	data = len - hl;
	assert_int_equal(data, paylen);
	seg = malloc(off + hl + gso);
	assert_non_null(seg);
	for (seg_off = 0; seg_off < data || (data == 0 && n == 0); seg_off += gso, n++) {
		size_t piece = data - seg_off < gso ? data - seg_off : gso, slen = hl + piece, i;
		uint8_t *sl4 = seg + off;
		uint32_t s;

		memcpy(seg, p, off + hl);
		memcpy(sl4 + hl, l4 + hl + seg_off, piece);
		if (p[0] >> 4 == 4) {
			put16(seg + 2, off + slen);
			put16(seg + 4, (be16(p + 4) + n) & 0xffff);   /* per-segment ID */
			set_ip4_csum(seg);
			assert_true(ip4_hdr_valid(seg));
		} else {
			put16(seg + 4, slen);
		}
		if (proto == IPPROTO_TCP)
			put32(sl4 + 4, (uint32_t)(be32(l4 + 4) + seg_off));
		else
			put16(sl4 + 4, slen);
		/* partial + ~old length + new length (tcp_gso_segment) */
		s = (uint32_t)partial + (uint16_t)~(uint16_t)len + (uint32_t)slen;
		put16(sl4 + field, ref_fold_nc(s));
		put16(sl4 + field, ref_fold(ref_sum(sl4, slen, 0)));
		assert_true(l4_valid(seg));
		for (i = 0; i < piece; i++)
			assert_int_equal(sl4[hl + i], (uint8_t)((seg_off + i) * 13 + 5));
		if (data == 0)
			break;
	}
	free(seg);
	return n == 0 ? 1 : n;
}

/* The IPv4 header of a 6->4 translation (lengths for the super-packet). */
static void check_ip4(const uint8_t *p, size_t l4len, uint8_t proto, int df, uint16_t id)
{
	assert_int_equal(p[0], 0x45);
	assert_int_equal(p[1], 0x2e);
	assert_int_equal(be16(p + 2), IP4H + l4len);
	assert_int_equal(be16(p + 4), id);
	assert_int_equal(be16(p + 6), df ? 0x4000 : 0);
	assert_int_equal(p[8], 63);
	assert_int_equal(p[9], proto);
	assert_memory_equal(p + 12, &inner4, 4);
	assert_memory_equal(p + 16, &server4, 4);
	assert_true(ip4_hdr_valid(p));
}

static void check_ip6(const uint8_t *p, size_t l4len, uint8_t proto)
{
	assert_int_equal(be32(p), 6u << 28 | 0x2eu << 20);
	assert_int_equal(be16(p + 4), l4len);
	assert_int_equal(p[6], proto);
	assert_int_equal(p[7], 63);
	assert_memory_equal(p + 8, &server6, 16);
	assert_memory_equal(p + 24, &client6, 16);
}

/* ---- tests ---- */

static void test_partial_replace(void **state)
{
	static const uint8_t a[] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 1 }, b[] = { 10, 0, 0, 5, 1, 2, 3, 4 };
	uint32_t ra = csum_partial(a, sizeof(a), 0), rb = csum_partial(b, sizeof(b), 0);
	uint16_t olds[] = { 0x0000, 0x0001, 0x1234, 0xfffe, 0xffff }, v, want;
	uint8_t tmp[2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(olds) / sizeof(olds[0]); i++) {
		/* host-order reference: old + ~sum(a) + sum(b), folded */
		want = ref_fold_nc((uint32_t)olds[i] + (uint16_t)~ref_fold_nc(ref_sum(a, sizeof(a), 0)) +
				   ref_sum(b, sizeof(b), 0));
		put16(tmp, olds[i]);
		memcpy(&v, tmp, 2);
		v = csum_partial_replace(v, ra, rb);
		memcpy(tmp, &v, 2);
		/* 0x0000 and 0xffff are the same one's-complement number */
		if (want == 0xffff && be16(tmp) == 0)
			want = 0;
		assert_int_equal(be16(tmp), want);
	}
	/* Removing and adding the same data changes nothing (no zero special case). */
	put16(tmp, 0x1234);
	memcpy(&v, tmp, 2);
	assert_int_equal(csum_partial_replace(v, ra, ra), v);
}

static void test_6to4_super(void **state)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < 2; i++) {
		uint8_t proto = protos[i];
		size_t hl = proto == IPPROTO_TCP ? 20 : 8, len = build6(at(f), proto, 3 * GSO, 5);

		f->st.ip_id = 1000;
		assert_int_equal(run(f, 1, len, GSO, 1), XLAT_FORWARD);
		assert_int_equal(f->reason, XLAT_DROP_NONE);
		assert_int_equal(f->pkt.gso_size, GSO);          /* kept */
		assert_int_equal(f->pkt.len, IP4H + hl + 3 * GSO);
		assert_ptr_equal(f->pkt.data, at(f) + IP6H - IP4H);
		/* segment 20 + hl + 1000 <= 1260: DF clear, the kernel numbers
		 * the segments 1001..1003, the next packet gets 1004 */
		check_ip4(f->pkt.data, hl + 3 * GSO, proto, 0, 1001);
		assert_int_equal(check_super(f->pkt.data, GSO, 3 * GSO), 3);
		assert_int_equal(f->st.ip_id, 1003);
		/* a partial last segment, DF set by segment size */
		len = build6(at(f), proto, 3 * 1400 + 77, 5);
		assert_int_equal(run(f, 1, len, 1400, 1), XLAT_FORWARD);
		check_ip4(f->pkt.data, hl + 3 * 1400 + 77, proto, 1, 1004);
		assert_int_equal(check_super(f->pkt.data, 1400, 3 * 1400 + 77), 4);
		assert_int_equal(f->st.ip_id, 1007);
	}
}

static void test_4to6_super(void **state)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < 2; i++) {
		uint8_t proto = protos[i];
		size_t hl = proto == IPPROTO_TCP ? 20 : 8, len = build4(at(f), proto, 3 * GSO, 5, 0x4000);

		assert_int_equal(run(f, 0, len, GSO, 1), XLAT_FORWARD);
		assert_int_equal(f->reason, XLAT_DROP_NONE);
		assert_int_equal(f->frags.n, 0);
		assert_int_equal(f->pkt.gso_size, GSO);
		assert_int_equal(f->pkt.len, IP6H + hl + 3 * GSO);
		assert_ptr_equal(f->pkt.data, at(f) - (IP6H - IP4H));
		check_ip6(f->pkt.data, hl + 3 * GSO, proto);
		assert_int_equal(check_super(f->pkt.data, GSO, 3 * GSO), 3);
		/* DF clear: segments of 40 + hl + 1000 fit lowest_ipv6_mtu (1280):
		 * forwarded whole although the super-packet is larger - never
		 * fragmented */
		len = build4(at(f), proto, 3 * GSO + 5, 5, 0);
		assert_int_equal(run(f, 0, len, GSO, 1), XLAT_FORWARD);
		assert_int_equal(f->frags.n, 0);
		check_ip6(f->pkt.data, hl + 3 * GSO + 5, proto);
		assert_int_equal(check_super(f->pkt.data, GSO, 3 * GSO + 5), 4);
	}
}

/* 6->4 then 4->6 gives the IPv6 super-packet back, partial sum included. */
static void test_round_trip(void **state)
{
	struct fx *f = *state;
	uint8_t orig[IP6H + 20 + 2500];
	size_t len = build6(at(f), IPPROTO_TCP, 2500, 5);

	memcpy(orig, at(f), len);
	assert_int_equal(run(f, 1, len, 1200, 1), XLAT_FORWARD);
	/* the IPv4 addresses swapped, as in the server's answer (the
	 * pseudo-header sum does not depend on their order) */
	memmove(at(f), f->pkt.data, f->pkt.len);
	memcpy(at(f) + 12, &server4, 4);
	memcpy(at(f) + 16, &inner4, 4);
	set_ip4_csum(at(f));
	assert_int_equal(run(f, 0, f->pkt.len, 1200, 1), XLAT_FORWARD);
	/* back: src server6, dst client6: the transport part, partial sum
	 * included, is the original's */
	assert_int_equal(f->pkt.len, len);
	assert_memory_equal(f->pkt.data + IP6H, orig + IP6H, len - IP6H);
	assert_memory_equal(f->pkt.data + 8, orig + 24, 16);
	assert_memory_equal(f->pkt.data + 24, orig + 8, 16);
}

/* The field is a partial sum: no UDP zero special case either way. */
static void test_udp_no_zero_case(void **state)
{
	struct fx *f = *state;
	size_t len;
	uint8_t *l4;
	uint32_t d;

	len = build6(at(f), IPPROTO_UDP, 2000, 5);
	put16(at(f) + IP6H + 6, 0);
	assert_int_equal(run(f, 1, len, GSO, 1), XLAT_FORWARD);
	l4 = f->pkt.data + IP4H;
	/* 0 + ~sum(IPv6 addresses) + sum(IPv4 addresses) */
	d = ref_sum((const uint8_t *)&client6, 16, ref_sum((const uint8_t *)&server6, 16, 0));
	d = (uint16_t)~ref_fold_nc(d);
	d += ref_sum(f->pkt.data + 12, 8, 0);
	assert_int_equal(be16(l4 + 6), ref_fold_nc(d));
	assert_int_not_equal(be16(l4 + 6), 0);

	len = build4(at(f), IPPROTO_UDP, 2000, 5, 0x4000);
	put16(at(f) + IP4H + 6, 0);
	assert_int_equal(run(f, 0, len, GSO, 1), XLAT_FORWARD);
	l4 = f->pkt.data + IP6H;
	/* not a full checksum computed over the data, only the address delta */
	d = (uint16_t)~ref_fold_nc(ref_sum((const uint8_t *)&server4, 4, ref_sum((const uint8_t *)&inner4, 4, 0)));
	d += ref_sum(f->pkt.data + 8, 32, 0);
	assert_int_equal(be16(l4 + 6), ref_fold_nc(d));
}

static void test_6to4_sizes(void **state)
{
	struct fx *f = *state;
	size_t len;

	/* super-packet of 3060 bytes > mtu 1500, segments of 1040: forwarded */
	len = build6(at(f), IPPROTO_TCP, 3 * GSO, 5);
	assert_int_equal(run(f, 1, len, GSO, 1), XLAT_FORWARD);
	/* the same packet without GSO: Packet Too Big */
	len = build6(at(f), IPPROTO_TCP, 3 * GSO, 5);
	assert_int_equal(run(f, 1, len, 0, 1), XLAT_REPLY);
	assert_int_equal(f->reason, XLAT_DROP_TOO_BIG);
	/* segments of 20 + 20 + 1460 = 1500: fit exactly */
	len = build6(at(f), IPPROTO_TCP, 3 * 1460, 5);
	assert_int_equal(run(f, 1, len, 1460, 1), XLAT_FORWARD);
	check_ip4(f->pkt.data, 20 + 3 * 1460, IPPROTO_TCP, 1, (uint16_t)(f->st.ip_id - 2));
	/* 1501: Packet Too Big with MTU 1520, the super-packet quoted */
	len = build6(at(f), IPPROTO_TCP, 3 * 1461, 5);
	assert_int_equal(run(f, 1, len, 1461, 1), XLAT_REPLY);
	assert_int_equal(f->reason, XLAT_DROP_TOO_BIG);
	assert_int_equal(f->reply_mem[IP6H], 2);
	assert_int_equal(be32(f->reply_mem + IP6H + 4), 1520);
	assert_memory_equal(f->reply_mem + IP6H + 8, at(f), 1280 - IP6H - 8);
	assert_int_equal(f->reply.len, 1280);
	/* TCP options count: data offset 8 (32 bytes), mtu 1300 */
	f->cfg.mtu = 1300;
	len = build6(at(f), IPPROTO_TCP, 2 * 1248, 8);
	assert_int_equal(run(f, 1, len, 1248, 1), XLAT_FORWARD);
	check_super(f->pkt.data, 1248, 2 * 1248);
	len = build6(at(f), IPPROTO_TCP, 2 * 1249, 8);
	assert_int_equal(run(f, 1, len, 1249, 1), XLAT_REPLY);
	assert_int_equal(be32(f->reply_mem + IP6H + 4), 1320);
	/* UDP: 20 + 8 + 1272 = 1300 fits, 1273 does not */
	len = build6(at(f), IPPROTO_UDP, 3 * 1272, 5);
	assert_int_equal(run(f, 1, len, 1272, 1), XLAT_FORWARD);
	len = build6(at(f), IPPROTO_UDP, 3 * 1273, 5);
	assert_int_equal(run(f, 1, len, 1273, 1), XLAT_REPLY);
	assert_int_equal(f->reason, XLAT_DROP_TOO_BIG);
	/* one segment's worth (payload < gso_size): the packet itself counts */
	len = build6(at(f), IPPROTO_TCP, 500, 5);
	assert_int_equal(run(f, 1, len, 1400, 1), XLAT_FORWARD);
	assert_int_equal(be16(f->pkt.data + 6), 0);   /* 540 bytes: DF clear */
	assert_int_equal(check_super(f->pkt.data, 1400, 500), 1);
	/* mtu below 1260 with DF-clear segments: forwarded (may be fragmented
	 * in IPv4 after segmentation), as an ordinary packet would be */
	f->cfg.mtu = 1000;
	len = build6(at(f), IPPROTO_TCP, 3 * 1100, 5);
	assert_int_equal(run(f, 1, len, 1100, 1), XLAT_FORWARD);
	assert_int_equal(be16(f->pkt.data + 6), 0);
	/* no mtu: no limit */
	f->cfg.mtu = 0;
	len = build6(at(f), IPPROTO_TCP, 3 * 9000, 5);
	assert_int_equal(run(f, 1, len, 9000, 1), XLAT_FORWARD);
	assert_int_equal(be16(f->pkt.data + 6), 0x4000);
	check_super(f->pkt.data, 9000, 3 * 9000);
}

/* An IPv6 super-packet whose IPv4 total length would pass 65535. */
static void test_6to4_too_long(void **state)
{
	struct fx *f = *state;
	size_t len;

	f->cfg.mtu = 0;
	/* 20 + 20 + 65495 = 65535: fits */
	len = build6(at(f), IPPROTO_TCP, 65535 - 40, 5);
	assert_int_equal(run(f, 1, len, 1440, 1), XLAT_FORWARD);
	assert_int_equal(be16(f->pkt.data + 2), 65535);
	check_super(f->pkt.data, 1440, 65535 - 40);
	/* one byte more: bad_gso (ordinary packets: bad_length) */
	len = build6(at(f), IPPROTO_TCP, 65535 - 39, 5);
	expect_drop(f, 1, len, 1440, XLAT_DROP_BAD_GSO);
	expect_drop(f, 1, len, 0, XLAT_DROP_BAD_LENGTH);
	len = build6(at(f), IPPROTO_UDP, 65535 - 8, 5);
	expect_drop(f, 1, len, 1440, XLAT_DROP_BAD_GSO);
}

static void test_6to4_not_gso(void **state)
{
	struct fx *f = *state;
	size_t len;
	uint8_t *p = at(f);

	/* ICMPv6 echo with gso_size */
	len = build6(p, IPPROTO_TCP, 100, 5);
	p[6] = IPPROTO_ICMPV6;
	p[IP6H] = 128;
	p[IP6H + 1] = 0;
	expect_drop(f, 1, len, GSO, XLAT_DROP_BAD_GSO);
	/* a protocol that is never translated */
	p[6] = IPPROTO_SCTP;
	expect_drop(f, 1, len, GSO, XLAT_DROP_BAD_GSO);
	expect_drop(f, 1, len, 0, XLAT_DROP_UNSUPPORTED_PROTO);
	/* a fragment (offset 0, M 1) */
	len = build6(p + 8, IPPROTO_TCP, 2 * GSO, 5) + 8;
	memmove(p, p + 8, IP6H);
	p[6] = 44;
	put16(p + 4, len - IP6H);
	memset(p + IP6H, 0, 8);
	p[IP6H] = IPPROTO_TCP;
	put16(p + IP6H + 2, 1);
	put32(p + IP6H + 4, 77);
	expect_drop(f, 1, len, GSO, XLAT_DROP_BAD_GSO);
	/* an atomic fragment (offset 0, M 0) is a whole packet */
	put16(p + IP6H + 2, 0);
	assert_int_equal(run(f, 1, len, GSO, 1), XLAT_FORWARD);
	assert_int_equal(f->pkt.len, IP4H + 20 + 2 * GSO);
	check_super(f->pkt.data, GSO, 2 * GSO);
	/* header problems are still reported as such */
	len = build6(p, IPPROTO_TCP, 2 * GSO, 5);
	p[IP6H + 12] = 4 << 4;
	expect_drop(f, 1, len, GSO, XLAT_DROP_BAD_HEADER);
	len = build6(p, IPPROTO_UDP, 2 * GSO, 5);
	put16(p + IP6H + 4, 1000);
	expect_drop(f, 1, len, GSO, XLAT_DROP_BAD_LENGTH);
	/* hop limit: Time Exceeded as for any packet */
	len = build6(p, IPPROTO_TCP, 2 * GSO, 5);
	p[7] = 1;
	assert_int_equal(run(f, 1, len, GSO, 1), XLAT_REPLY);
	assert_int_equal(f->reason, XLAT_DROP_HOP_LIMIT);
}

static void test_4to6_sizes(void **state)
{
	struct fx *f = *state;
	size_t len;

	/* DF: segments 40 + 20 + 1440 = 1500 fit mtu 1500 */
	len = build4(at(f), IPPROTO_TCP, 3 * 1440, 5, 0x4000);
	assert_int_equal(run(f, 0, len, 1440, 1), XLAT_FORWARD);
	check_super(f->pkt.data, 1440, 3 * 1440);
	/* the same without GSO: Fragmentation Needed */
	len = build4(at(f), IPPROTO_TCP, 3 * 1440, 5, 0x4000);
	assert_int_equal(run(f, 0, len, 0, 1), XLAT_REPLY);
	/* 1460: Fragmentation Needed, next-hop MTU 1480, from gateway_v4 */
	len = build4(at(f), IPPROTO_TCP, 3 * 1460, 5, 0x4000);
	assert_int_equal(run(f, 0, len, 1460, 1), XLAT_REPLY);
	assert_int_equal(f->reason, XLAT_DROP_TOO_BIG);
	assert_int_equal(f->reply_mem[IP4H], 3);
	assert_int_equal(f->reply_mem[IP4H + 1], 4);
	assert_int_equal(be16(f->reply_mem + IP4H + 6), 1480);
	assert_memory_equal(f->reply_mem + 12, &gw4, 4);
	assert_int_equal(f->reply.len, 576);
	/* UDP */
	len = build4(at(f), IPPROTO_UDP, 3 * 1452, 5, 0x4000);
	assert_int_equal(run(f, 0, len, 1452, 1), XLAT_FORWARD);
	len = build4(at(f), IPPROTO_UDP, 3 * 1453, 5, 0x4000);
	assert_int_equal(run(f, 0, len, 1453, 1), XLAT_REPLY);
	/* DF clear, super-packet > lowest_ipv6_mtu, segments fit: forwarded
	 * whole, not fragmented */
	f->cfg.lowest_ipv6_mtu = 1400;
	len = build4(at(f), IPPROTO_TCP, 3 * 1340, 5, 0);
	assert_int_equal(run(f, 0, len, 1340, 1), XLAT_FORWARD);
	assert_int_equal(f->frags.n, 0);
	assert_int_equal(f->pkt.len, IP6H + 20 + 3 * 1340);
	/* segments 1 byte over: cannot be fragmented -> gso_needs_frag */
	len = build4(at(f), IPPROTO_TCP, 3 * 1341, 5, 0);
	expect_drop(f, 0, len, 1341, XLAT_DROP_GSO_NEEDS_FRAG);
	/* xlat_4to6() never fragments: forwarded whole */
	assert_int_equal(run(f, 0, len, 1341, 0), XLAT_FORWARD);
	check_super(f->pkt.data, 1341, 3 * 1341);
	/* an ordinary packet of that size is fragmented */
	len = build4(at(f), IPPROTO_TCP, 3 * 1341, 5, 0);
	assert_int_equal(run(f, 0, len, 0, 1), XLAT_FORWARD_MULTI);
	/* one segment's worth: the packet's own size */
	f->cfg.lowest_ipv6_mtu = 0;
	len = build4(at(f), IPPROTO_UDP, 1000, 5, 0);
	assert_int_equal(run(f, 0, len, 1400, 1), XLAT_FORWARD);
	assert_int_equal(check_super(f->pkt.data, 1400, 1000), 1);
	/* TCP options: 40 + 60 + 1400 = 1500 */
	len = build4(at(f), IPPROTO_TCP, 2 * 1400, 15, 0x4000);
	assert_int_equal(run(f, 0, len, 1400, 1), XLAT_FORWARD);
	check_super(f->pkt.data, 1400, 2 * 1400);
	len = build4(at(f), IPPROTO_TCP, 2 * 1401, 15, 0x4000);
	assert_int_equal(run(f, 0, len, 1401, 1), XLAT_REPLY);
	/* the largest IPv4 super-packet */
	f->cfg.mtu = 0;
	len = build4(at(f), IPPROTO_TCP, 65535 - 40, 5, 0x4000);
	assert_int_equal(run(f, 0, len, 1448, 1), XLAT_FORWARD);
	assert_int_equal(be16(f->pkt.data + 4), 65535 - 20);
	check_super(f->pkt.data, 1448, 65535 - 40);
}

static void test_4to6_not_gso(void **state)
{
	struct fx *f = *state;
	uint8_t *p = at(f);
	size_t len;

	/* ICMP echo */
	len = build4(p, IPPROTO_TCP, 100, 5, 0x4000);
	p[9] = IPPROTO_ICMP;
	set_ip4_csum(p);
	p[IP4H] = 8;
	p[IP4H + 1] = 0;
	expect_drop(f, 0, len, GSO, XLAT_DROP_BAD_GSO);
	/* fragments: MF, offset, both */
	len = build4(p, IPPROTO_TCP, 2 * GSO, 5, 0x2000);
	expect_drop(f, 0, len, GSO, XLAT_DROP_BAD_GSO);
	len = build4(p, IPPROTO_UDP, 2 * GSO, 5, 100);
	expect_drop(f, 0, len, GSO, XLAT_DROP_BAD_GSO);
	len = build4(p, IPPROTO_UDP, 2 * GSO, 5, 0x2000 | 100);
	expect_drop(f, 0, len, GSO, XLAT_DROP_BAD_GSO);
	/* parse errors come first */
	len = build4(p, IPPROTO_TCP, 2 * GSO, 5, 0x2000);
	p[10] ^= 1;
	expect_drop(f, 0, len, GSO, XLAT_DROP_BAD_CHECKSUM);
	/* TTL */
	len = build4(p, IPPROTO_TCP, 2 * GSO, 5, 0x4000);
	p[8] = 1;
	set_ip4_csum(p);
	assert_int_equal(run(f, 0, len, GSO, 1), XLAT_REPLY);
	assert_int_equal(f->reason, XLAT_DROP_HOP_LIMIT);
}

static void test_drop_names(void **state)
{
	(void)state;
	assert_string_equal(xlat_drop_name(XLAT_DROP_BAD_GSO), "bad_gso");
	assert_string_equal(xlat_drop_name(XLAT_DROP_GSO_NEEDS_FRAG), "gso_needs_frag");
	assert_int_equal(XLAT_DROP_BAD_GSO, XLAT_DROP_TOO_BIG + 1);
}

/* ---- hostile input ---- */

static uint32_t rng = 0x9e3779b9;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static uint16_t rnd_gso(void)
{
	switch (rnd() % 4) {
	case 0: return (uint16_t)(1 + rnd() % 8);
	case 1: return (uint16_t)(1 + rnd() % 0xffff);
	case 2: return 0xffff;
	default: return (uint16_t)(500 + rnd() % 1500);
	}
}

/* One direction on an exact-size heap copy with a random gso_size; checks
 * the invariants. */
static void run_hostile(struct fx *f, int six, const uint8_t *data, size_t len, uint16_t gso)
{
	static struct xlat_frags fr;
	uint8_t *mem = malloc(HR + len + 1);
	struct xlat_buf pkt = { .data = mem + HR, .len = len, .headroom = HR, .gso_size = gso };
	struct xlat_buf reply = { .data = f->reply_mem, .len = sizeof(f->reply_mem) };
	enum xlat_drop reason = XLAT_DROP__MAX;
	enum xlat_verdict v;

	assert_non_null(mem);
	memcpy(mem + HR, data, len);
	v = six ? xlat_6to4(&f->cfg, &f->map, &f->st, &pkt, &reply, &reason)
		: xlat_4to6_frags(&f->cfg, &f->map, &f->st, &pkt, &reply, (rnd() & 1) ? &fr : NULL, &reason);
	assert_true(reason < XLAT_DROP__MAX);
	assert_int_equal(pkt.gso_size, gso);
	assert_int_not_equal(v, XLAT_FORWARD_MULTI);   /* gso != 0 here */
	if (v == XLAT_FORWARD) {
		const uint8_t *o = pkt.data;

		assert_int_equal(reason, XLAT_DROP_NONE);
		assert_true(pkt.data >= mem && pkt.data + pkt.len <= mem + HR + len);
		assert_true(l4_proto(o) == IPPROTO_TCP || l4_proto(o) == IPPROTO_UDP);
		if (six) {
			assert_true(ip4_hdr_valid(o));
			assert_int_equal(be16(o + 2), pkt.len);
			assert_int_equal(be16(o + 6) & 0x3fff, 0);   /* no MF, no offset */
		} else {
			assert_int_equal(be16(o + 4) + IP6H, pkt.len);
		}
	} else if (v == XLAT_REPLY) {
		assert_true(reason == XLAT_DROP_TOO_BIG || reason == XLAT_DROP_HOP_LIMIT ||
			    reason == XLAT_DROP_SEGMENTS_LEFT || reason == XLAT_DROP_DENIED_DEST ||
			    reason == XLAT_DROP_NON_GLOBAL || reason == XLAT_DROP_POOL_EXHAUSTED);
	} else {
		assert_int_not_equal(reason, XLAT_DROP_NONE);
	}
	free(mem);
}

static void test_hostile(void **state)
{
	struct fx *f = *state;
	uint8_t *pk = malloc(70000);
	unsigned n;

	assert_non_null(pk);
	for (n = 0; n < 60000; n++) {
		int six = (int)(rnd() & 1);
		uint8_t proto = (rnd() & 1) ? IPPROTO_TCP : IPPROTO_UDP;
		size_t paylen = (rnd() & 7) == 0 ? rnd() % 65000 : rnd() % 4000, len, i, k;

		f->cfg.mtu = (rnd() & 3) ? 1500 : rnd() % 9000;
		f->cfg.lowest_ipv6_mtu = rnd() % 2000;
		len = six ? build6(pk, proto, paylen, 5 + rnd() % 11)
			  : build4(pk, proto, paylen, 5 + rnd() % 11, (rnd() & 1) ? 0x4000 : 0);
		/* mutate: a few bytes in the headers, a random cut, or garbage */
		switch (rnd() % 4) {
		case 0:
			break;
		case 1:
			for (k = rnd() % 4 + 1; k; k--)
				pk[rnd() % (six ? IP6H + 60 : IP4H + 60)] = (uint8_t)rnd();
			if (!six && (rnd() & 1))
				set_ip4_csum(pk);
			break;
		case 2:
			len = rnd() % (len + 1);
			break;
		default:
			len = rnd() % 200;
			for (i = 0; i < len; i++)
				pk[i] = (uint8_t)rnd();
			if (len)
				pk[0] = (uint8_t)((six ? 0x60 : 0x45) | (pk[0] & 0x0f));
			break;
		}
		run_hostile(f, six, pk, len, rnd_gso());
	}
	free(pk);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_partial_replace),
		T(test_6to4_super),
		T(test_4to6_super),
		T(test_round_trip),
		T(test_udp_no_zero_case),
		T(test_6to4_sizes),
		T(test_6to4_too_long),
		T(test_6to4_not_gso),
		T(test_4to6_sizes),
		T(test_4to6_not_gso),
		T(test_drop_names),
		T(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
