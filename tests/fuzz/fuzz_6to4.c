/*
 * libFuzzer harness: xlat_6to4() on arbitrary bytes.
 *
 * Each input is one IPv6 packet, translated under every configuration of
 * fuzz_runs() (all RFC 6052 prefix lengths, several MTUs, headrooms, a deny
 * list, GSO), as it is and with its transport checksum set right.
 * Besides ASan/UBSan, the verdict is checked against what xlat.h promises
 * and the IPv4 packet against RFC 7915 facts that hold for any input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>

#include "xlat/addr.h"
#include "xlat/xlat.h"
#include "xlat_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An ICMPv4 error (RFC 792: unreachable, time exceeded, parameter problem)
 * quoting at least an IPv4 header. */
static int is_icmp4_error(const uint8_t *d, size_t len, size_t hlen)
{
	uint8_t type;

	if (d[9] != IPPROTO_ICMP || len < hlen + 8 + 20)
		return 0;
	type = d[hlen];
	return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
}

static void check_forward(const struct xlat_cfg *cfg, const uint8_t *in, size_t in_len,
			  const struct xlat_buf *out)
{
	const uint8_t *d = out->data;
	struct in6_addr src6, dst6;
	struct in_addr want_src, dst4;
	size_t hlen, i;

	FUZZ_CHECK(out->len >= 20);
	FUZZ_CHECK(d[0] >> 4 == 4);
	hlen = (size_t)(d[0] & 0x0f) * 4u;
	FUZZ_CHECK(hlen >= 20 && hlen <= out->len);
	FUZZ_CHECK(get_be16(d + 2) == out->len);
	FUZZ_CHECK(ref_fold(ref_sum(d, hlen, 0)) == 0);

	/* Only a valid IPv6 packet is forwarded: its header was all there. */
	FUZZ_CHECK(in_len >= 40);
	/* RFC 7915 §5.1: TTL = hop limit - 1 (the translator is a router). */
	FUZZ_CHECK(in[7] > 1 && d[8] == in[7] - 1);
	if (is_icmp4_error(d, out->len, hlen)) {
		/* An ICMPv6 error may come from a router on the client's
		 * side: the client's inner address, i.e. the destination of
		 * the quoted packet, sources it (icmp.c, RFC 6791). */
		FUZZ_CHECK(memcmp(d + 12, d + hlen + 8 + 16, 4) == 0);
	} else {
		/* Source: the map's inner address of the client. */
		memcpy(&src6, in + 8, 16);
		FUZZ_CHECK(fuzz_map_src6(NULL, &src6, &want_src) == 0);
		FUZZ_CHECK(memcmp(d + 12, &want_src, 4) == 0);
	}
	/* Destination: what the prefix embeds (RFC 6052 §2.2), and nothing
	 * lost on the way (u-octet and suffix were zero). */
	memcpy(&dst4, d + 16, 4);
	addr_embed(&cfg->prefix, dst4, &dst6);
	FUZZ_CHECK(memcmp(&dst6, in + 24, 16) == 0);
	/* RFC 6052 §3.1: nothing non-global out of the Well-Known Prefix;
	 * and no destination of the deny list. */
	FUZZ_CHECK(!addr_prefix_is_wkp(&cfg->prefix) || addr_v4_is_global(dst4));
	for (i = 0; i < cfg->n_deny; i++)
		FUZZ_CHECK(!addr_v4_in_net(dst4, cfg->deny[i].addr, cfg->deny[i].len));

	/* A transport checksum that was right stays right (RFC 1624 updates).
	 * (A GSO super-packet carries a partial sum instead: not checked.) */
	if (!out->gso_size && l4_csum_ok6(in, in_len) == 1) {
		int r = l4_csum_ok4(d, out->len);

		FUZZ_CHECK(r == 1 || r == -1);
	}
}

static void run_one(const struct fuzz_run *run, const uint8_t *data, size_t size)
{
	struct xlat_state st = { .ip_id = UINT32_MAX }; /* wraps on the first packet */
	enum xlat_drop reason = XLAT_DROP__MAX;
	enum xlat_verdict v;
	struct fuzz_reply reply;
	struct xlat_buf before;
	struct fuzz_pkt p;

	fuzz_pkt_load(&p, data, size, run->headroom, run->gso_size);
	fuzz_reply_init(&reply);
	before = p.buf;
	v = xlat_6to4(&run->cfg, &fuzz_map, &st, &p.buf, &reply.buf, &reason);
	FUZZ_CHECK(v != XLAT_FORWARD_MULTI); /* only xlat_4to6_frags() fragments */
	check_verdict(v, reason, &p, &before, data, size);
	if (v == XLAT_FORWARD)
		check_forward(&run->cfg, data, size, &p.buf);
	else if (v == XLAT_REPLY)
		check_reply6(&run->cfg, reason, &reply, data, size);
	fuzz_reply_free(&reply);
	fuzz_pkt_free(&p);
}

static void run_all(const uint8_t *data, size_t size)
{
	const struct fuzz_run *runs;
	size_t i, n = fuzz_runs(&runs);

	for (i = 0; i < n; i++)
		run_one(&runs[i], data, size);
}

/* The input as it is, then (if that changes it) with its transport checksum
 * set right: a mutation rarely keeps a checksum valid, and without this the
 * paths behind the checksum checks (ICMP errors) would hardly be reached. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *fixed;

	run_all(data, size);
	fixed = malloc(size ? size : 1);
	if (!fixed)
		abort();
	memcpy(fixed, data, size);
	if (fuzz_fixup6(fixed, size) && memcmp(fixed, data, size) != 0)
		run_all(fixed, size);
	free(fixed);
	return 0;
}
