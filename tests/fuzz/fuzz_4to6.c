/*
 * libFuzzer harness: xlat_4to6_frags() / xlat_4to6() on arbitrary bytes.
 *
 * Each input is one IPv4 packet, translated under every configuration of
 * fuzz_runs() (all RFC 6052 prefix lengths, several MTUs, lowest-ipv6-mtu
 * values, headrooms (including none) and GSO sizes) by xlat_4to6_frags(), and under
 * the first one also by xlat_4to6(); as it is, and with its checksums set
 * right.  Besides ASan/UBSan, the verdict is
 * checked against what xlat.h promises, the IPv6 packet against RFC 7915
 * facts that hold for any input, and fragments against the packet they
 * were cut from.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/addr.h"
#include "xlat/xlat.h"
#include "xlat_common.h"

#define IP6H 40u
#define FRAGH 8u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_forward(const struct xlat_cfg *cfg, const uint8_t *in, size_t in_len,
			  const struct xlat_buf *out)
{
	const uint8_t *d = out->data;
	struct in6_addr src6, want_dst;
	struct in_addr dst4, src4;
	int in_csum;

	FUZZ_CHECK(out->len >= IP6H);
	FUZZ_CHECK(d[0] >> 4 == 6);
	FUZZ_CHECK(get_be16(d + 4) + IP6H == out->len);

	FUZZ_CHECK(in_len >= 20);
	/* RFC 7915 §4.1: hop limit = TTL - 1 (the translator is a router). */
	FUZZ_CHECK(in[8] > 1 && d[7] == in[8] - 1);
	/* Destination: the map's client of the inner address. */
	memcpy(&dst4, in + 16, 4);
	FUZZ_CHECK(fuzz_map_dst4(NULL, dst4, &want_dst) == 0);
	FUZZ_CHECK(memcmp(d + 24, &want_dst, 16) == 0);
	/* Source: the IPv4 source embedded in the prefix (RFC 6052 §2.2). */
	memcpy(&src6, d + 8, 16);
	FUZZ_CHECK(addr_extract(&cfg->prefix, &src6, &src4) == 0);
	FUZZ_CHECK(memcmp(&src4, in + 12, 4) == 0);
	/* RFC 6052 §3.1: nothing non-global in the Well-Known Prefix. */
	FUZZ_CHECK(!addr_prefix_is_wkp(&cfg->prefix) || addr_v4_is_global(src4));

	/* A transport checksum that was right stays right (RFC 1624 updates);
	 * an IPv4 UDP datagram without one gets one (RFC 7915 §4.5).  (A GSO
	 * super-packet carries a partial sum instead: not checked.) */
	in_csum = out->gso_size ? -1 : l4_csum_ok4(in, in_len);
	if (in_csum == 1 || in_csum == 2) {
		int r = l4_csum_ok6(d, out->len);

		FUZZ_CHECK(r == 1 || r == -1);
	}
}

/* The largest fragment allowed: lowest-ipv6-mtu (0 and below 1280 count as
 * 1280, xlat.h), never above a usable TUN MTU. */
static size_t frag_limit(const struct xlat_cfg *cfg)
{
	size_t s = cfg->lowest_ipv6_mtu > 1280 ? cfg->lowest_ipv6_mtu : 1280;

	if (cfg->mtu >= 1280 && cfg->mtu < s)
		s = cfg->mtu;
	return s;
}

/*
 * XLAT_FORWARD_MULTI: the fragments put back together are the translated
 * packet in `whole` (RFC 7915 §4.1, RFC 8200 §4.5): same addresses and hop
 * limit, contiguous offsets, 8-byte multiples but for the last, one
 * identification (the IPv4 one), MF on all but the last.
 */
static void check_frags(const struct xlat_cfg *cfg, const uint8_t *in, const struct fuzz_pkt *p,
			const struct xlat_frags *fr)
{
	const uint8_t *w = p->buf.data;
	size_t wlen = p->buf.len, hdr = IP6H, base = 0, done = 0, i;
	unsigned last_mf = 0;
	uint8_t nh = w[6];
	uint32_t id = get_be16(in + 4);

	FUZZ_CHECK(fr->n > 1 && fr->n <= XLAT_FRAGS_MAX);
	/* The IPv4 packet with DF clear, too big for lowest-ipv6-mtu. */
	FUZZ_CHECK(!(get_be16(in + 6) & 0x4000));
	FUZZ_CHECK(wlen > frag_limit(cfg));
	if (w[6] == IPPROTO_FRAGMENT) {	/* it was an IPv4 fragment already */
		FUZZ_CHECK(wlen >= IP6H + FRAGH);
		hdr = IP6H + FRAGH;
		nh = w[IP6H];
		base = get_be16(w + IP6H + 2) & ~7u;
		last_mf = get_be16(w + IP6H + 2) & 1u;
		FUZZ_CHECK(get_be16(w + IP6H + 4) == 0 && get_be16(w + IP6H + 6) == id);
	}
	for (i = 0; i < fr->n; i++) {
		const struct xlat_frag *f = &fr->frag[i];
		const uint8_t *h = f->hdr;
		unsigned off_mf;

		FUZZ_CHECK(f->hdr_len == XLAT_FRAG_HDR_LEN);
		FUZZ_CHECK(f->payload_len > 0 && f->hdr_len + f->payload_len <= frag_limit(cfg));
		FUZZ_CHECK(f->payload >= p->block && f->payload + f->payload_len <= p->block + p->size);
		FUZZ_CHECK(h[0] >> 4 == 6 && get_be16(h + 4) == f->hdr_len - IP6H + f->payload_len);
		FUZZ_CHECK(memcmp(h, w, 4) == 0 && h[7] == w[7] && memcmp(h + 8, w + 8, 32) == 0);
		FUZZ_CHECK(h[6] == IPPROTO_FRAGMENT && h[IP6H] == nh && h[IP6H + 1] == 0);
		/* RFC 7915 §4.1: the IPv4 identification, upper 16 bits zero. */
		FUZZ_CHECK(get_be16(h + IP6H + 4) == 0 && get_be16(h + IP6H + 6) == id);
		off_mf = get_be16(h + IP6H + 2);
		FUZZ_CHECK((off_mf & 6u) == 0);
		FUZZ_CHECK((off_mf & ~7u) == base + done);
		FUZZ_CHECK(done + f->payload_len <= wlen - hdr);
		FUZZ_CHECK(memcmp(f->payload, w + hdr + done, f->payload_len) == 0);
		done += f->payload_len;
		if (i + 1 < fr->n)
			FUZZ_CHECK((off_mf & 1u) == 1 && f->payload_len % 8 == 0);
		else
			FUZZ_CHECK((off_mf & 1u) == last_mf);
	}
	FUZZ_CHECK(done == wlen - hdr);
}

static void run_one(const struct fuzz_run *run, const uint8_t *data, size_t size, int frags_on)
{
	struct xlat_state st = { .ip_id = UINT32_MAX };
	enum xlat_drop reason = XLAT_DROP__MAX;
	enum xlat_verdict v;
	struct fuzz_reply reply;
	struct xlat_frags frags;
	struct xlat_buf before;
	struct fuzz_pkt p;

	fuzz_pkt_load(&p, data, size, run->headroom, run->gso_size);
	fuzz_reply_init(&reply);
	memset(&frags, 0xbe, sizeof(frags));
	before = p.buf;
	if (frags_on)
		v = xlat_4to6_frags(&run->cfg, &fuzz_map, &st, &p.buf, &reply.buf, &frags, &reason);
	else
		v = xlat_4to6(&run->cfg, &fuzz_map, &st, &p.buf, &reply.buf, &reason);
	FUZZ_CHECK(frags_on || v != XLAT_FORWARD_MULTI);
	/* xlat.h: a GSO super-packet is never fragmented. */
	FUZZ_CHECK(!run->gso_size || v != XLAT_FORWARD_MULTI);
	check_verdict(v, reason, &p, &before, data, size);
	if (v == XLAT_FORWARD || v == XLAT_FORWARD_MULTI)
		check_forward(&run->cfg, data, size, &p.buf);
	if (v == XLAT_FORWARD_MULTI)
		check_frags(&run->cfg, data, &p, &frags);
	else if (v == XLAT_REPLY)
		check_reply4(&run->cfg, reason, &reply, data, size);
	fuzz_reply_free(&reply);
	fuzz_pkt_free(&p);
}

static void run_all(const uint8_t *data, size_t size)
{
	const struct fuzz_run *runs;
	size_t i, n = fuzz_runs(&runs);

	/* xlat_4to6() is xlat_4to6_frags() without fragments: once is enough. */
	run_one(&runs[0], data, size, 0);
	for (i = 0; i < n; i++)
		run_one(&runs[i], data, size, 1);
}

/* The input as it is, then (if that changes it) with its header and
 * transport checksums set right: a mutation of the IPv4 header rarely keeps
 * its checksum valid, and without this nearly every mutant would stop at
 * bad_checksum / bad_icmp_checksum. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *fixed;

	run_all(data, size);
	fixed = malloc(size ? size : 1);
	if (!fixed)
		abort();
	memcpy(fixed, data, size);
	if (fuzz_fixup4(fixed, size) && memcmp(fixed, data, size) != 0)
		run_all(fixed, size);
	free(fixed);
	return 0;
}
