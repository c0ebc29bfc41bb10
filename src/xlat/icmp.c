/*
 * ICMP <-> ICMPv6 (RFC 7915 §4.2, §4.3, §5.2, §5.3): type/code mapping,
 * echo checksums, and errors with the packet in error translated inside.
 *
 * An error is rewritten in place like any packet: its quoted transport
 * bytes stay where they are, the three new headers (outer IP, ICMP, inner
 * IP) are written just before them over the old ones, which were parsed
 * into structs first.  The outer checksum is then computed over the whole
 * message, so the incoming one is verified beforehand: a wrong checksum
 * must not come out right.
 */
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <string.h>

#include "xlat/csum.h"
#include "xlat/pkt.h"
#include "xlat/xlat_int.h"

/* ---- classification ---- */

/* RFC 7915 §5.2: ND and MLD (RFC 4861, 2710, 3810), Inverse ND (RFC 3122),
 * SEND (RFC 3971) and Multicast Router Discovery (RFC 4286) are single-hop
 * and never translated. */
static int icmp6_single_hop(uint8_t type)
{
	return (type >= MLD_LISTENER_QUERY && type <= ND_REDIRECT) || type == 141 || type == 142 ||
	       type == 143 || type == 148 || type == 149 || (type >= 151 && type <= 153);
}

enum xlat_drop xlat_icmp6_classify(const uint8_t *l4, size_t len, int *err)
{
	*err = 0;
	if (len < ICMP_HLEN)
		return XLAT_DROP_TRUNCATED;
	switch (l4[0]) {
	case ICMP6_ECHO_REQUEST:
	case ICMP6_ECHO_REPLY:
		return XLAT_DROP_NONE;
	case ICMP6_DST_UNREACH:
	case ICMP6_PACKET_TOO_BIG:
	case ICMP6_TIME_EXCEEDED:
	case ICMP6_PARAM_PROB:
		*err = 1;
		return XLAT_DROP_NONE;
	default:
		if (icmp6_single_hop(l4[0]))
			return XLAT_DROP_ICMP_SINGLE_HOP;
		/* RFC 7915 §5.2: other informational messages and unknown
		 * errors are silently dropped. */
		return XLAT_DROP_UNSUPPORTED_ICMP;
	}
}

enum xlat_drop xlat_icmp4_classify(const uint8_t *l4, size_t len, int *err)
{
	*err = 0;
	if (len < ICMP_HLEN)
		return XLAT_DROP_TRUNCATED;
	switch (l4[0]) {
	case ICMP_ECHO:
	case ICMP_ECHOREPLY:
		return XLAT_DROP_NONE;
	case ICMP_DEST_UNREACH:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		*err = 1;
		return XLAT_DROP_NONE;
	case ICMP_REDIRECT:
	case 9:  /* router advertisement, RFC 1256 */
	case 10: /* router solicitation */
		/* RFC 7915 §4.2: single-hop messages. */
		return XLAT_DROP_ICMP_SINGLE_HOP;
	default:
		/* RFC 7915 §4.2: timestamp, information, address mask,
		 * source quench, unknown types: silently dropped. */
		return XLAT_DROP_UNSUPPORTED_ICMP;
	}
}

/* ---- echo (RFC 7915 §4.2, §5.2) ---- */

static int all_zero_but_csum(const uint8_t *l4, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (l4[i] && (i < ICMP_CSUM_OFF || i > ICMP_CSUM_OFF + 1))
			return 0;
	return 1;
}

/* 128/129 -> 8/0, id and sequence kept; the ICMPv4 checksum has no
 * pseudo-header: take it out and account for the type change. */
void xlat_icmp_echo_6to4(uint8_t *l4, size_t len, uint32_t addrs6)
{
	uint8_t type6 = l4[0], code = l4[1];
	uint8_t type4 = type6 == ICMP6_ECHO_REQUEST ? ICMP_ECHO : ICMP_ECHOREPLY;
	uint32_t removed = csum_add(addrs6, xlat_sum_pseudo6_tail(len, IPPROTO_ICMPV6));
	uint16_t c;

	removed = csum_add(removed, xlat_sum_word(type6, code));
	l4[0] = type4;
	c = csum_replace(pkt_load_csum(l4 + ICMP_CSUM_OFF), removed, xlat_sum_word(type4, code));
	/* RFC 1624 §3 cannot tell the two zeros apart: an all-zero message
	 * (echo reply, id 0, sequence 0, zero data) sums to +0 and so needs
	 * 0xffff, which eqn. 3 gives as 0x0000.  Only then is the message
	 * scanned.  ICMPv6 has a non-zero pseudo-header, so never hits it. */
	if (c == 0 && all_zero_but_csum(l4, len))
		c = 0xffff;
	pkt_store_csum(l4 + ICMP_CSUM_OFF, c);
}

/* 8/0 -> 128/129; add the IPv6 pseudo-header. */
void xlat_icmp_echo_4to6(uint8_t *l4, size_t len, uint32_t addrs6)
{
	uint8_t type4 = l4[0], code = l4[1];
	uint8_t type6 = type4 == ICMP_ECHO ? ICMP6_ECHO_REQUEST : ICMP6_ECHO_REPLY;
	uint32_t added = csum_add(addrs6, xlat_sum_pseudo6_tail(len, IPPROTO_ICMPV6));

	added = csum_add(added, xlat_sum_word(type6, code));
	l4[0] = type6;
	pkt_store_csum(l4 + ICMP_CSUM_OFF, csum_replace(pkt_load_csum(l4 + ICMP_CSUM_OFF),
							xlat_sum_word(type4, code), added));
}

/* ---- type/code mapping of errors ---- */

/* RFC 7915 §4.2 Figure 3: IPv4 header byte -> IPv6 header byte; -1 n/a. */
static int pointer_4to6(uint8_t p)
{
	static const int8_t map[20] = { 0, 1, 4, 4, -1, -1, -1, -1, 7, 6, -1, -1,
					8, 8, 8, 8, 24, 24, 24, 24 };

	return p < sizeof(map) ? map[p] : -1;
}

/* RFC 7915 §5.2 Figure 6: IPv6 header byte -> IPv4 header byte; -1 n/a. */
static int pointer_6to4(uint32_t p)
{
	static const int8_t head[8] = { 0, 1, -1, -1, 2, 2, 9, 8 };

	if (p < 8)
		return head[p];
	if (p < 24)
		return 12;
	if (p < 40)
		return 16;
	return -1;
}

/* RFC 1191 §7: the plateau table. */
static uint32_t plateau_below(size_t tot_len)
{
	static const uint32_t plateaus[] = { 65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006,
					     508, 296, 68 };
	size_t i;

	for (i = 0; i < sizeof(plateaus) / sizeof(plateaus[0]); i++)
		if (plateaus[i] < tot_len)
			return plateaus[i];
	return IPV4_MIN_MTU;
}

/*
 * RFC 7915 §4.2, Fragmentation Needed -> Packet Too Big:
 * max(1280, min(MTU + 20, MTU of the IPv6 next hop, MTU of the IPv4 next
 * hop + 20)); both next hops are the TUN (cfg->mtu, 0 = unknown).  A zero
 * MTU (a pre-RFC 1191 router): the greatest plateau below the quoted
 * packet's total length stands for the MTU.
 */
static uint32_t ptb_mtu_4to6(const struct xlat_cfg *cfg, uint16_t field, const struct ip4_info *in)
{
	uint32_t mtu = field ? field : plateau_below(in->tot_len);

	mtu += 20;
	if (cfg->mtu && cfg->mtu < mtu)
		mtu = cfg->mtu;
	return mtu < IPV6_MIN_MTU ? IPV6_MIN_MTU : mtu;
}

/*
 * RFC 7915 §5.2, Packet Too Big -> Fragmentation Needed:
 * min(MTU - 20, MTU of the IPv4 next hop, MTU of the IPv6 next hop - 20),
 * 28 instead of 20 when the packet in error has a Fragment header.  Kept
 * within the 16-bit field and at least the IPv4 minimum of 68.
 */
static uint32_t ptb_mtu_6to4(const struct xlat_cfg *cfg, uint32_t adv, const struct ip6_info *in)
{
	uint32_t d = in->frag ? IP6_HLEN + FRAG6_HLEN - IP4_HLEN : IP6_HLEN - IP4_HLEN;
	uint32_t mtu = adv > d ? adv - d : 0;

	if (cfg->mtu > d && cfg->mtu - d < mtu)
		mtu = cfg->mtu - d;
	if (mtu > IP4_TOT_MAX)
		mtu = IP4_TOT_MAX;
	return mtu < IPV4_MIN_MTU ? IPV4_MIN_MTU : mtu;
}

/* RFC 7915 §4.2: ICMPv4 error -> ICMPv6 error. */
static enum xlat_drop map_err_4to6(const struct xlat_cfg *cfg, const uint8_t *ic, const struct ip4_info *in,
				   struct xlat_icmp *e)
{
	int p;

	e->info = 0;
	switch (ic[0]) {
	case ICMP_DEST_UNREACH:
		e->type = ICMP6_DST_UNREACH;
		switch (ic[1]) {
		case ICMP_NET_UNREACH: case ICMP_HOST_UNREACH: case ICMP_SR_FAILED:
		case ICMP_NET_UNKNOWN: case ICMP_HOST_UNKNOWN: case ICMP_HOST_ISOLATED:
		case ICMP_NET_UNR_TOS: case ICMP_HOST_UNR_TOS:
			e->code = ICMP6_DST_UNREACH_NOROUTE;
			return XLAT_DROP_NONE;
		case ICMP_NET_ANO: case ICMP_HOST_ANO: case ICMP_PKT_FILTERED: case ICMP_PREC_CUTOFF:
			e->code = ICMP6_DST_UNREACH_ADMIN;
			return XLAT_DROP_NONE;
		case ICMP_PORT_UNREACH:
			e->code = ICMP6_DST_UNREACH_NOPORT;
			return XLAT_DROP_NONE;
		case ICMP_PROT_UNREACH:
			/* Parameter Problem "unrecognized Next Header", pointing
			 * at the Next Header field. */
			e->type = ICMP6_PARAM_PROB;
			e->code = ICMP6_PARAMPROB_NEXTHEADER;
			e->info = 6;
			return XLAT_DROP_NONE;
		case ICMP_FRAG_NEEDED:
			e->type = ICMP6_PACKET_TOO_BIG;
			e->code = 0;
			e->info = ptb_mtu_4to6(cfg, pkt_load_be16(ic + 6), in);
			return XLAT_DROP_NONE;
		default: /* 14 host precedence violation, unknown codes */
			return XLAT_DROP_UNSUPPORTED_ICMP;
		}
	case ICMP_TIME_EXCEEDED:
		/* Code unchanged (0 hop limit, 1 reassembly). */
		if (ic[1] > 1)
			return XLAT_DROP_UNSUPPORTED_ICMP;
		e->type = ICMP6_TIME_EXCEEDED;
		e->code = ic[1];
		return XLAT_DROP_NONE;
	case ICMP_PARAMETERPROB:
		/* Codes 0 (pointer) and 2 (bad length) keep a pointer; code 1
		 * (missing option) and others are dropped. */
		p = ic[1] == 0 || ic[1] == 2 ? pointer_4to6(ic[4]) : -1;
		if (p < 0)
			return XLAT_DROP_UNSUPPORTED_ICMP;
		e->type = ICMP6_PARAM_PROB;
		e->code = ICMP6_PARAMPROB_HEADER;
		e->info = (uint32_t)p;
		return XLAT_DROP_NONE;
	default:
		return XLAT_DROP_UNSUPPORTED_ICMP;
	}
}

/* RFC 7915 §5.2: ICMPv6 error -> ICMPv4 error. */
static enum xlat_drop map_err_6to4(const struct xlat_cfg *cfg, const uint8_t *ic, const struct ip6_info *in,
				   struct xlat_icmp *e)
{
	static const int8_t unreach[] = { ICMP_HOST_UNREACH, ICMP_HOST_ANO, ICMP_HOST_UNREACH,
					  ICMP_HOST_UNREACH, ICMP_PORT_UNREACH };
	int p;

	e->info = 0;
	switch (ic[0]) {
	case ICMP6_DST_UNREACH:
		/* 0 no route, 2 beyond scope, 3 address -> 1 host
		 * unreachable; 1 admin -> 10; 4 port -> 3. */
		if (ic[1] >= sizeof(unreach))
			return XLAT_DROP_UNSUPPORTED_ICMP;
		e->type = ICMP_DEST_UNREACH;
		e->code = (uint8_t)unreach[ic[1]];
		return XLAT_DROP_NONE;
	case ICMP6_PACKET_TOO_BIG:
		e->type = ICMP_DEST_UNREACH;
		e->code = ICMP_FRAG_NEEDED;
		e->info = ptb_mtu_6to4(cfg, pkt_load_be32(ic + 4), in);
		return XLAT_DROP_NONE;
	case ICMP6_TIME_EXCEEDED:
		if (ic[1] > 1)
			return XLAT_DROP_UNSUPPORTED_ICMP;
		e->type = ICMP_TIME_EXCEEDED;
		e->code = ic[1];
		return XLAT_DROP_NONE;
	case ICMP6_PARAM_PROB:
		if (ic[1] == ICMP6_PARAMPROB_NEXTHEADER) {
			e->type = ICMP_DEST_UNREACH;
			e->code = ICMP_PROT_UNREACH;
			return XLAT_DROP_NONE;
		}
		/* Code 0 keeps a pointer; 2 (unrecognized option) and
		 * others are dropped. */
		p = ic[1] == ICMP6_PARAMPROB_HEADER ? pointer_6to4(pkt_load_be32(ic + 4)) : -1;
		if (p < 0)
			return XLAT_DROP_UNSUPPORTED_ICMP;
		e->type = ICMP_PARAMETERPROB;
		e->code = 0;
		e->info = (uint32_t)p << 24;  /* RFC 792: the pointer is the first byte */
		return XLAT_DROP_NONE;
	default:
		return XLAT_DROP_UNSUPPORTED_ICMP;
	}
}

/* ---- the packet in error (RFC 7915 §4.3, §5.3) ---- */

/* RFC 7915 §4.3/§5.3: "MUST stop at the first embedded header": the quoted
 * packet carries TCP, UDP or an echo, never another ICMP error. */
static int inner_ok(uint8_t proto, const uint8_t *il4, size_t avail, int first, int six)
{
	uint8_t req = six ? ICMP6_ECHO_REQUEST : ICMP_ECHO, rep = six ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY;

	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP)
		return 1;
	if (proto != (six ? IPPROTO_ICMPV6 : IPPROTO_ICMP))
		return 0;
	if (!first)
		return 1;
	return avail >= ICMP_HLEN && (il4[0] == req || il4[0] == rep);
}

/* Transport checksum of the packet in error: adjusted for the address
 * change where its checksum field was quoted (it usually cannot be
 * verified: the packet is cut short).  A UDP zero checksum stays zero. */
static void inner_l4(uint8_t proto, uint8_t *il4, size_t avail, uint32_t removed, uint32_t added)
{
	if (proto == IPPROTO_UDP && (avail < UDP_HLEN || pkt_load_csum(il4 + UDP_CSUM_OFF) == 0))
		return;
	xlat_l4_replace_addrs(proto, il4, avail, removed, added);
}

static int csum_ok(const uint8_t *l4, size_t ulen, uint32_t pseudo)
{
	return csum_fold(csum_partial(l4, ulen, pseudo)) == 0;
}

enum xlat_drop xlat_icmp6_error_to4(const struct xlat_cfg *cfg, const struct xlat_map *map,
				    struct xlat_state *st, const struct ip6_info *h, struct in_addr dst4,
				    struct xlat_buf *pkt)
{
	uint8_t *l4 = pkt->data + h->l4off, *il4, *out;
	struct in_addr isrc4, idst4;
	struct ip6_info in;
	struct xlat_icmp e;
	enum xlat_drop r;
	size_t out_len;
	int first, m;

	/* RFC 4443 §2.3: checksum with the pseudo-header. */
	if (!csum_ok(l4, h->ulen, csum_add(xlat_sum_addrs6(&h->src, &h->dst),
					       xlat_sum_pseudo6_tail(h->ulen, IPPROTO_ICMPV6))))
		return XLAT_DROP_BAD_ICMP_CHECKSUM;
	if (xlat_parse6(l4 + ICMP_HLEN, h->ulen - ICMP_HLEN, 1, &in) != XLAT_DROP_NONE)
		return XLAT_DROP_INNER_MALFORMED;
	il4 = l4 + ICMP_HLEN + in.l4off;
	first = !in.frag || in.frag_off == 0;
	if (!inner_ok(in.proto, il4, in.avail, first, 1))
		return XLAT_DROP_INNER_MALFORMED;
	r = map_err_6to4(cfg, l4, &in, &e);
	if (r != XLAT_DROP_NONE)
		return r;
	/* The packet in error went from the server (prefix||server) to the
	 * client; the client's inner address also sources the error, whoever
	 * on the IPv6 side sent it (the translator has no IPv4 address for an
	 * IPv6 router; RFC 6791). */
	if (addr_extract(&cfg->prefix, &in.src, &isrc4))
		return XLAT_DROP_INNER_MALFORMED;
	if (addr_prefix_is_wkp(&cfg->prefix) && !addr_v4_is_global(isrc4))
		return XLAT_DROP_NON_GLOBAL;  /* RFC 6052 §3.1 */
	m = map->src6_to_v4(map->arg, &in.dst, &idst4);
	if (m != 0)
		return xlat_map_reason(m);

	if (first && in.proto == IPPROTO_ICMPV6) {
		/* The ICMPv6 length is unknown in a fragment: the pseudo-header
		 * cannot be taken out; only the type is translated. */
		if (in.frag)
			il4[0] = il4[0] == ICMP6_ECHO_REQUEST ? ICMP_ECHO : ICMP_ECHOREPLY;
		else
			xlat_icmp_echo_6to4(il4, in.ulen, xlat_sum_addrs6(&in.src, &in.dst));
	} else if (first) {
		inner_l4(in.proto, il4, in.avail, xlat_sum_addrs6(&in.src, &in.dst),
			 xlat_sum_addrs4(isrc4, idst4));
	}
	/* RFC 1812 §4.3.2.3: at most 576 bytes. */
	out = il4 - (IP4_HLEN + ICMP_HLEN + IP4_HLEN);
	out_len = min_sz(IP4_HLEN + ICMP_HLEN + IP4_HLEN + in.avail, ICMP4_ERR_MAX);
	/* RFC 7915 §5.3: inner TTL not decremented; lengths as declared. */
	xlat_write_ip4(out + IP4_HLEN + ICMP_HLEN, &in, isrc4, idst4, 0, in.hlim,
		       min_sz(IP4_HLEN + in.ulen, IP4_TOT_MAX), min_sz(IP4_HLEN + in.ulen, IP4_TOT_MAX));
	memset(out + IP4_HLEN, 0, ICMP_HLEN);
	out[IP4_HLEN] = e.type;
	out[IP4_HLEN + 1] = e.code;
	pkt_store_be32(out + IP4_HLEN + 4, e.info);
	pkt_store_csum(out + IP4_HLEN + ICMP_CSUM_OFF,
		       csum_fold(csum_partial(out + IP4_HLEN, out_len - IP4_HLEN, 0)));
	xlat_write_ip4(out, h, idst4, dst4, xlat_next_ip_id(st), (uint8_t)(h->hlim - 1), out_len, out_len);
	pkt->headroom += (size_t)(out - pkt->data);
	pkt->data = out;
	pkt->len = out_len;
	return XLAT_DROP_NONE;
}

enum xlat_drop xlat_icmp4_error_to6(const struct xlat_cfg *cfg, const struct xlat_map *map,
				    const struct ip4_info *h, const struct in6_addr *src6,
				    const struct in6_addr *dst6, struct xlat_buf *pkt)
{
	uint8_t *l4 = pkt->data + h->hlen, *base = pkt->data - pkt->headroom, *il4, *out;
	size_t ulen = h->tot_len - h->hlen, ihdr6, hdrs, out_len;
	struct in6_addr isrc6, idst6;
	struct ip4_info in;
	struct xlat_icmp e;
	enum xlat_drop r;
	uint32_t sum;
	int first, m;

	/* RFC 792: checksum over the ICMP message. */
	if (!csum_ok(l4, ulen, 0))
		return XLAT_DROP_BAD_ICMP_CHECKSUM;
	if (xlat_parse4(l4 + ICMP_HLEN, ulen - ICMP_HLEN, 1, &in) != XLAT_DROP_NONE)
		return XLAT_DROP_INNER_MALFORMED;
	il4 = l4 + ICMP_HLEN + in.hlen;
	first = (in.frag & IP4_OFFMASK) == 0;
	if (!inner_ok(in.proto, il4, in.avail, first, 0))
		return XLAT_DROP_INNER_MALFORMED;
	r = map_err_4to6(cfg, l4, &in, &e);
	if (r != XLAT_DROP_NONE)
		return r;
	/* The packet in error went from the client (its inner address, the
	 * reverse mapping) to the server (embedded with the prefix). */
	m = map->dst4_to_v6(map->arg, in.src, &isrc6);
	if (m != 0)
		return xlat_map_reason(m);
	if (addr_prefix_is_wkp(&cfg->prefix) && !addr_v4_is_global(in.dst))
		return XLAT_DROP_NON_GLOBAL;  /* RFC 6052 §3.1 */
	addr_embed(&cfg->prefix, in.dst, &idst6);

	ihdr6 = ip4_is_frag(&in) ? IP6_HLEN + FRAG6_HLEN : IP6_HLEN;
	hdrs = IP6_HLEN + ICMP_HLEN + ihdr6;
	if ((size_t)(il4 - base) < hdrs)
		return XLAT_DROP_NO_HEADROOM;
	if (first && in.proto == IPPROTO_ICMP) {
		if (ip4_is_frag(&in))
			il4[0] = il4[0] == ICMP_ECHO ? ICMP6_ECHO_REQUEST : ICMP6_ECHO_REPLY;
		else
			xlat_icmp_echo_4to6(il4, in.tot_len - in.hlen, xlat_sum_addrs6(&isrc6, &idst6));
	} else if (first) {
		inner_l4(in.proto, il4, in.avail, xlat_sum_addrs4(in.src, in.dst), xlat_sum_addrs6(&isrc6, &idst6));
	}
	/* RFC 4443 §2.4(c): the error fits the minimum IPv6 MTU. */
	out = il4 - hdrs;
	out_len = min_sz(hdrs + in.avail, ICMP6_ERR_MAX);
	/* RFC 7915 §4.3: inner hop limit not decremented. */
	xlat_write_ip6(out + IP6_HLEN + ICMP_HLEN, &in, &isrc6, &idst6, in.ttl, in.tot_len - in.hlen);
	memset(out + IP6_HLEN, 0, ICMP_HLEN);
	out[IP6_HLEN] = e.type;
	out[IP6_HLEN + 1] = e.code;
	pkt_store_be32(out + IP6_HLEN + 4, e.info);
	xlat_write_ip6(out, h, src6, dst6, (uint8_t)(h->ttl - 1), out_len - IP6_HLEN);
	sum = csum_add(xlat_sum_addrs6(src6, dst6), xlat_sum_pseudo6_tail(out_len - IP6_HLEN, IPPROTO_ICMPV6));
	pkt_store_csum(out + IP6_HLEN + ICMP_CSUM_OFF,
		       csum_fold(csum_partial(out + IP6_HLEN, out_len - IP6_HLEN, sum)));
	pkt->headroom = (size_t)(out - base);
	pkt->data = out;
	pkt->len = out_len;
	return XLAT_DROP_NONE;
}
