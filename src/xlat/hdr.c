/*
 * IP headers: parsing (IPv4 with its options, IPv6 with its extension-header
 * chain) through the bounds-checked cursor, and writing the translated
 * headers (RFC 7915 §4.1, §5.1).
 */
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <string.h>

#include "xlat/csum.h"
#include "xlat/pkt.h"
#include "xlat/xlat_int.h"

/* A bounded walk: at most this many extension headers and bytes.  Real
 * traffic carries one or two; longer chains are an attack on the walker. */
#define EXT_MAX_HDRS 8u
#define EXT_MAX_BYTES 512u
/* IANA "IPv6 Extension Header Types" without a <netinet/in.h> name. */
#define PROTO_HIP 139
#define PROTO_SHIM6 140
#define PROTO_EXP1 253
#define PROTO_EXP2 254

/* Headers that are not translated and make the packet untranslatable:
 * ESP/AH protect the IPv6 header, the others have no IPv4 counterpart. */
static int ext_unsupported(uint8_t nh)
{
	switch (nh) {
	case IPPROTO_ESP: case IPPROTO_AH: case IPPROTO_MH: case PROTO_HIP:
	case PROTO_SHIM6: case PROTO_EXP1: case PROTO_EXP2:
		return 1;
	default:
		return 0;
	}
}

static int ext_skippable(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_DSTOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_FRAGMENT;
}

/* RFC 8200 §4.5: a Fragment header; *stop set if the walk ends here (a
 * non-first fragment: what follows is fragment data, not headers). */
static enum xlat_drop walk_fragment(const uint8_t *e, struct ip6_info *h, int *stop)
{
	uint16_t offm = pkt_load_be16(e + 2);

	*stop = 0;
	/* RFC 6946 §4 / RFC 8021: an atomic fragment (offset 0, M 0) is a
	 * whole packet; its header is skipped like any other. */
	if ((offm >> 3) == 0 && !(offm & 1))
		return XLAT_DROP_NONE;
	if (h->frag)
		return XLAT_DROP_EXT_HEADER;  /* two Fragment headers */
	h->frag = 1;
	h->frag_off = (uint16_t)(offm >> 3);
	h->frag_mf = (uint8_t)(offm & 1);
	h->frag_id = pkt_load_be32(e + 4);
	/* RFC 7915 §5.1 (Total Length): an extension header after the
	 * Fragment header (ESP excepted) - drop. */
	if (ext_skippable(e[0]) || (ext_unsupported(e[0]) && e[0] != IPPROTO_ESP))
		return XLAT_DROP_EXT_HEADER;
	*stop = h->frag_off != 0;
	return XLAT_DROP_NONE;
}

/* RFC 7915 §5.1: Hop-by-Hop, Destination Options and Routing headers (with
 * Segments Left 0) are skipped, the Fragment header is translated. */
static enum xlat_drop walk_ext(struct pkt_cursor *c, uint8_t *nh, struct ip6_info *h)
{
	size_t bytes = 0;
	unsigned n;

	for (n = 0; ext_skippable(*nh); n++) {
		const uint8_t *e;
		size_t elen = 8;
		enum xlat_drop r;
		int stop = 0;

		if (n >= EXT_MAX_HDRS)
			return XLAT_DROP_EXT_CHAIN;
		/* RFC 8200 §4.1: Hop-by-Hop only right after the IPv6 header. */
		if (*nh == IPPROTO_HOPOPTS && n != 0)
			return XLAT_DROP_EXT_HEADER;
		e = pkt_pull(c, 8);
		if (!e)
			return XLAT_DROP_TRUNCATED;
		if (*nh == IPPROTO_FRAGMENT) {
			r = walk_fragment(e, h, &stop);
			if (r != XLAT_DROP_NONE)
				return r;
		} else {
			/* RFC 8200 §4.3-4.6: length in 8-octet units, not
			 * counting the first 8. */
			elen = ((size_t)e[1] + 1u) * 8u;
			if (pkt_skip(c, elen - 8u))
				return XLAT_DROP_TRUNCATED;
			if (*nh == IPPROTO_ROUTING && e[3] != 0 && !h->seg_left)
				h->seg_left = c->off - elen + 3u;
		}
		bytes += elen;
		if (bytes > EXT_MAX_BYTES)
			return XLAT_DROP_EXT_CHAIN;
		*nh = e[0];
		if (stop)
			return XLAT_DROP_NONE;
	}
	if (ext_unsupported(*nh))
		return XLAT_DROP_EXT_HEADER;
	return XLAT_DROP_NONE;
}

enum xlat_drop xlat_parse6(const uint8_t *p, size_t len, int quoted, struct ip6_info *h)
{
	struct pkt_cursor c;
	struct ip6_hdr ip6;
	enum xlat_drop r;
	uint32_t flow;
	size_t end;
	uint8_t nh;

	memset(h, 0, sizeof(*h));
	pkt_cursor_init(&c, p, len);
	if (pkt_get_bytes(&c, &ip6, sizeof(ip6)))
		return XLAT_DROP_TRUNCATED;
	flow = ntohl(ip6.ip6_flow);
	if (flow >> 28 != 6)
		return XLAT_DROP_BAD_VERSION;
	h->tclass = (uint8_t)(flow >> 20);
	h->plen = ntohs(ip6.ip6_plen);
	h->hlim = ip6.ip6_hlim;
	h->src = ip6.ip6_src;
	h->dst = ip6.ip6_dst;
	/* RFC 8200 §3: the payload length counts the bytes after this header;
	 * a quoted packet (inside an ICMP error) may be cut short. */
	if (!quoted && h->plen > pkt_remaining(&c))
		return XLAT_DROP_TRUNCATED;
	end = IP6_HLEN + min_sz(h->plen, pkt_remaining(&c));
	pkt_cursor_init(&c, p, end);
	c.off = IP6_HLEN;
	nh = ip6.ip6_nxt;
	r = walk_ext(&c, &nh, h);
	if (r != XLAT_DROP_NONE)
		return r;
	h->proto = nh;
	h->l4off = c.off;
	h->ulen = IP6_HLEN + h->plen - c.off;
	h->avail = end - c.off;
	return XLAT_DROP_NONE;
}

/* RFC 791 §3.1: an unexpired source route (pointer <= length) still names
 * hops to visit; `o` points at the option's pointer octet. */
static int source_route_unexpired(const uint8_t *o, uint8_t olen)
{
	return o[0] <= olen;
}

/*
 * RFC 7915 §4.1: IPv4 options are not translated (ignored), except that a
 * packet with an unexpired source route option is dropped.  The option list
 * is walked bounds-checked (RFC 791 §3.1 formats).
 */
static enum xlat_drop check_options4(const uint8_t *opt, size_t len)
{
	struct pkt_cursor c;
	uint8_t type, olen;
	const uint8_t *o;

	pkt_cursor_init(&c, opt, len);
	while (pkt_get_u8(&c, &type) == 0) {
		if (type == IPOPT_EOL)
			break;
		if (type == IPOPT_NOP)
			continue;
		if (pkt_get_u8(&c, &olen) || olen < 2)
			return XLAT_DROP_BAD_HEADER;
		o = pkt_pull(&c, olen - 2u);
		if (!o)
			return XLAT_DROP_BAD_HEADER;
		if (type != IPOPT_LSRR && type != IPOPT_SSRR)
			continue;
		if (olen < 3)
			return XLAT_DROP_BAD_HEADER;
		if (source_route_unexpired(o, olen))
			return XLAT_DROP_SOURCE_OPTION;
	}
	return XLAT_DROP_NONE;
}

/* An IPv4 header: the packet's own (`quoted` 0: checksum, options and the
 * total length are checked) or one quoted in an ICMP error (cut short,
 * options skipped unread). */
enum xlat_drop xlat_parse4(const uint8_t *p, size_t len, int quoted, struct ip4_info *h)
{
	struct pkt_cursor c;
	struct iphdr ip;

	memset(h, 0, sizeof(*h));
	pkt_cursor_init(&c, p, len);
	if (pkt_get_bytes(&c, &ip, sizeof(ip)))
		return XLAT_DROP_TRUNCATED;
	if (ip.version != 4)
		return XLAT_DROP_BAD_VERSION;
	/* RFC 791 §3.1: IHL counts 32-bit words, minimum 5. */
	if (ip.ihl < 5)
		return XLAT_DROP_BAD_HEADER;
	h->hlen = (size_t)ip.ihl * 4u;
	if (pkt_skip(&c, h->hlen - IP4_HLEN))
		return XLAT_DROP_TRUNCATED;
	/* RFC 1812 §5.2.2: a router verifies the header checksum. */
	if (!quoted && csum_fold(csum_partial(p, h->hlen, 0)) != 0)
		return XLAT_DROP_BAD_CHECKSUM;
	h->tot_len = ntohs(ip.tot_len);
	if (h->tot_len < h->hlen)
		return XLAT_DROP_BAD_LENGTH;
	if (!quoted && h->tot_len > len)
		return XLAT_DROP_TRUNCATED;
	h->avail = min_sz(h->tot_len, len) - h->hlen;
	h->id = ntohs(ip.id);
	h->frag = ntohs(ip.frag_off);
	h->tos = ip.tos;
	h->ttl = ip.ttl;
	h->proto = ip.protocol;
	h->src.s_addr = ip.saddr;
	h->dst.s_addr = ip.daddr;
	return quoted ? XLAT_DROP_NONE : check_options4(p + IP4_HLEN, h->hlen - IP4_HLEN);
}

/* RFC 7915 §5.1: the IPv4 header, written at `out` (20 bytes, no options).
 * Fragment fields from the IPv6 Fragment header if there is one.  `seg`:
 * the size DF is decided by, tot or, for a GSO super-packet, one segment. */
void xlat_write_ip4(uint8_t *out, const struct ip6_info *h, struct in_addr src, struct in_addr dst,
		    uint16_t id, uint8_t ttl, size_t tot, size_t seg)
{
	struct iphdr ip;
	uint16_t frag;

	if (h->frag) {
		/* RFC 7915 §5.1.1: identification = low 16 bits of the
		 * Fragment header's, MF = M, DF clear, offset copied. */
		id = (uint16_t)h->frag_id;
		frag = (uint16_t)(h->frag_off | (h->frag_mf ? IP4_MF : 0));
	} else {
		/* RFC 7915 §5.1: MF 0, offset 0; DF 0 up to 1260 bytes (so
		 * IPv4 links with an MTU below 1280 may fragment it), else 1
		 * (so path MTU discovery works end to end). */
		frag = seg > XLAT_DF_MAX_LEN ? IP4_DF : 0;
	}
	memset(&ip, 0, sizeof(ip));
	ip.version = 4;
	ip.ihl = IP4_HLEN / 4;
	ip.tos = h->tclass;             /* RFC 7915 §5.1: traffic class copied */
	ip.tot_len = htons((uint16_t)tot);
	ip.id = htons(id);
	ip.frag_off = htons(frag);
	ip.ttl = ttl;
	/* RFC 7915 §5.1: protocol = next header, ICMPv6 58 becomes ICMP 1. */
	ip.protocol = h->proto == IPPROTO_ICMPV6 ? IPPROTO_ICMP : h->proto;
	ip.saddr = src.s_addr;
	ip.daddr = dst.s_addr;
	ip.check = csum_fold(csum_partial(&ip, sizeof(ip), 0));
	memcpy(out, &ip, sizeof(ip));
}

/* RFC 7915 §4.1: the IPv6 header at `out`, plus a Fragment header if the
 * IPv4 packet is a fragment (never otherwise: no atomic fragments, RFC
 * 8021).  `ulen` is the upper-layer length.  Returns the bytes written. */
size_t xlat_write_ip6(uint8_t *out, const struct ip4_info *h, const struct in6_addr *src,
		      const struct in6_addr *dst, uint8_t hlim, size_t ulen)
{
	uint8_t nh = h->proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : h->proto;
	size_t hlen = ip4_is_frag(h) ? IP6_HLEN + FRAG6_HLEN : IP6_HLEN;

	/* RFC 7915 §4.1: traffic class = TOS, flow label 0. */
	pkt_store_be32(out, 6u << 28 | (uint32_t)h->tos << 20);
	pkt_store_be16(out + 4, (uint16_t)min_sz(ulen + hlen - IP6_HLEN, 0xffffu));
	out[6] = hlen == IP6_HLEN ? nh : IPPROTO_FRAGMENT;
	out[7] = hlim;
	memcpy(out + 8, src, 16);
	memcpy(out + 24, dst, 16);
	if (hlen != IP6_HLEN) {
		/* RFC 7915 §4.1: identification (zero-extended), offset and
		 * M copied; next header = protocol. */
		uint8_t *f = out + IP6_HLEN;

		f[0] = nh;
		f[1] = 0;
		pkt_store_be16(f + 2, (uint16_t)((h->frag & IP4_OFFMASK) << 3 | ((h->frag & IP4_MF) ? 1 : 0)));
		pkt_store_be32(f + 4, h->id);
	}
	return hlen;
}
