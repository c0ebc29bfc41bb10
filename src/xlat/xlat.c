/*
 * Stateless IP/ICMP translation, RFC 7915, for the NAT64 data path: the
 * entry points, the IP headers and the transport checksums.  ICMP lives in
 * icmp.c, extension headers and fragments in frag.c, errors the translator
 * originates in reply.c.
 *
 * Both directions work the same way: parse the IP header into a small struct
 * through a bounds-checked cursor, validate the transport header, decide, and
 * only then write.  The new IP header is written over the old one (6->4 it
 * starts 20 or more bytes later, 4->6 up to 28 bytes earlier, inside the
 * headroom); the transport header and payload never move, and their
 * checksums are adjusted incrementally (RFC 1624) for the pseudo-header
 * change.
 *
 * GSO super-packets (pkt->gso_size != 0, TSO/USO from a TUN queue with
 * IFF_VNET_HDR) go through the same code: their transport checksum field is
 * an uncomplemented partial sum (csum_partial_replace), and the size rules
 * look at one segment, not at the super-packet (see "Segmentation offload"
 * in docs/xlat-notes.md).
 */
#include "xlat/xlat.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stddef.h>
#include <string.h>

#include "xlat/csum.h"
#include "xlat/pkt.h"
#include "xlat/xlat_int.h"

#define TCP_DOFF_BYTE 12u                 /* data offset: high nibble */

static const char *const drop_names[XLAT_DROP__MAX] = {
	[XLAT_DROP_NONE] = "none",
	[XLAT_DROP_TRUNCATED] = "truncated",
	[XLAT_DROP_BAD_VERSION] = "bad_version",
	[XLAT_DROP_BAD_LENGTH] = "bad_length",
	[XLAT_DROP_BAD_HEADER] = "bad_header",
	[XLAT_DROP_BAD_CHECKSUM] = "bad_checksum",
	[XLAT_DROP_HOP_LIMIT] = "hop_limit",
	[XLAT_DROP_NOT_PREFIX] = "not_prefix",
	[XLAT_DROP_UNSUPPORTED_PROTO] = "unsupported_proto",
	[XLAT_DROP_UNSUPPORTED_ICMP] = "unsupported_icmp",
	[XLAT_DROP_FRAGMENT] = "fragment",
	[XLAT_DROP_EXT_HEADER] = "ext_header",
	[XLAT_DROP_UDP_ZERO_CSUM] = "udp_zero_csum",
	[XLAT_DROP_NOT_CLIENT] = "not_client",
	[XLAT_DROP_POOL_EXHAUSTED] = "pool_exhausted",
	[XLAT_DROP_NO_BINDING] = "no_binding",
	[XLAT_DROP_SOURCE_OPTION] = "source_option",
	[XLAT_DROP_NO_HEADROOM] = "no_headroom",
	[XLAT_DROP_MAP_ERROR] = "map_error",
	[XLAT_DROP_ICMP_SINGLE_HOP] = "icmp_single_hop",
	[XLAT_DROP_BAD_ICMP_CHECKSUM] = "bad_icmp_checksum",
	[XLAT_DROP_INNER_MALFORMED] = "inner_malformed",
	[XLAT_DROP_EXT_CHAIN] = "ext_chain",
	[XLAT_DROP_SEGMENTS_LEFT] = "segments_left",
	[XLAT_DROP_NON_GLOBAL] = "non_global",
	[XLAT_DROP_DENIED_DEST] = "denied_dest",
	[XLAT_DROP_TOO_BIG] = "too_big",
	[XLAT_DROP_BAD_GSO] = "bad_gso",
	[XLAT_DROP_GSO_NEEDS_FRAG] = "gso_needs_frag",
};

const char *xlat_drop_name(enum xlat_drop r)
{
	if ((unsigned)r >= XLAT_DROP__MAX || !drop_names[r])
		return "unknown";
	return drop_names[r];
}

/* ---- helpers shared by the module ---- */

static enum xlat_verdict drop(enum xlat_drop *reason, enum xlat_drop r)
{
	*reason = r;
	return XLAT_DROP;
}

/* A map result: 0, or a negative reason; anything else is the map's bug. */
enum xlat_drop xlat_map_reason(int m)
{
	if (m < 0 && m > -(int)XLAT_DROP__MAX)
		return (enum xlat_drop)-m;
	return XLAT_DROP_MAP_ERROR;
}

uint32_t xlat_sum_word(uint8_t hi, uint8_t lo)
{
	const uint8_t b[2] = { hi, lo };

	return csum_partial(b, sizeof(b), 0);
}

uint32_t xlat_sum_addrs6(const struct in6_addr *src, const struct in6_addr *dst)
{
	return csum_partial(dst, sizeof(*dst), csum_partial(src, sizeof(*src), 0));
}

uint32_t xlat_sum_addrs4(struct in_addr src, struct in_addr dst)
{
	return csum_partial(&dst, sizeof(dst), csum_partial(&src, sizeof(src), 0));
}

/* RFC 8200 §8.1: the IPv6 pseudo-header after the addresses: a 32-bit
 * upper-layer length, three zero bytes and the next header. */
uint32_t xlat_sum_pseudo6_tail(size_t len, uint8_t nexthdr)
{
	uint8_t b[8] = { 0 };

	pkt_store_be32(b, (uint32_t)len);
	b[7] = nexthdr;
	return csum_partial(b, sizeof(b), 0);
}

/* RFC 7915 §4.5/§5.5: the TCP/UDP pseudo-headers of both versions carry the
 * same length and protocol numbers, so only the address sums change - also
 * for a first fragment, whose checksum covers the whole datagram.  Nothing
 * is done unless the checksum field is among the `avail` bytes. */
void xlat_l4_replace_addrs(uint8_t proto, uint8_t *l4, size_t avail, uint32_t removed, uint32_t added)
{
	size_t off = proto == IPPROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF;
	uint16_t c;

	if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) || avail < off + 2u)
		return;
	c = csum_replace(pkt_load_csum(l4 + off), removed, added);
	/* RFC 768: a computed UDP checksum of zero is sent as all ones, because
	 * zero means "no checksum". */
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	pkt_store_csum(l4 + off, c);
}

/*
 * RFC 7915 §5.1 Identification: "set according to a Fragment Identification
 * generator at the translator" - every packet gets a fresh value, also with
 * DF set (RFC 6864 §4.1 allows any value then; fresh costs nothing).  A
 * counter repeats a value only after 65536 packets of this worker.
 */
uint16_t xlat_next_ip_id(struct xlat_state *st)
{
	if (!st)
		return 0;
	st->ip_id++;
	return (uint16_t)st->ip_id;
}

/* ---- segmentation offload ---- */

/* Only TCP (TSO) and UDP (USO) are segmented by the kernel; a fragment is
 * never a super-packet (UFO is not offered on the TUN queue). */
static enum xlat_drop gso_check(uint8_t proto, int frag)
{
	if (frag || (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return XLAT_DROP_BAD_GSO;
	return XLAT_DROP_NONE;
}

static size_t gso_l4_hlen(uint8_t proto, const uint8_t *l4)
{
	return proto == IPPROTO_TCP ? (size_t)(l4[TCP_DOFF_BYTE] >> 4) * 4u : UDP_HLEN;
}

/* Transport bytes of the largest segment of the `len`-byte transport part
 * `l4` (already checked by check_tcp/check_udp): its header (TCP with
 * options) and gso_size payload bytes, or the whole if that is less. */
static size_t gso_seg_l4(uint8_t proto, const uint8_t *l4, size_t len, uint16_t gso_size)
{
	return min_sz(gso_l4_hlen(proto, l4) + gso_size, len);
}

/* How many segments the kernel cuts the super-packet into (at least 1). */
static size_t gso_nsegs(uint8_t proto, const uint8_t *l4, size_t len, uint16_t gso_size)
{
	size_t data = len - gso_l4_hlen(proto, l4);

	return data <= gso_size ? 1u : (data + gso_size - 1u) / gso_size;
}

/* The partial sum in the checksum field (header checked, so present) gets
 * the address delta; the length and protocol in the pseudo-header are the
 * same in both versions. */
static void gso_replace_addrs(uint8_t proto, uint8_t *l4, uint32_t removed, uint32_t added)
{
	uint8_t *field = l4 + (proto == IPPROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF);

	pkt_store_csum(field, csum_partial_replace(pkt_load_csum(field), removed, added));
}

static enum xlat_drop check_tcp(const uint8_t *l4, size_t len)
{
	struct pkt_cursor c;
	const uint8_t *th;
	size_t doff;

	pkt_cursor_init(&c, l4, len);
	th = pkt_pull(&c, TCP_HLEN);
	if (!th)
		return XLAT_DROP_TRUNCATED;
	/* RFC 9293 §3.1: data offset counts 32-bit words, at least 5. */
	doff = (size_t)(th[TCP_DOFF_BYTE] >> 4) * 4u;
	if (doff < TCP_HLEN)
		return XLAT_DROP_BAD_HEADER;
	if (doff > len)
		return XLAT_DROP_TRUNCATED;
	return XLAT_DROP_NONE;
}

/* `frag`: a first fragment, holding only the start of the datagram. */
static enum xlat_drop check_udp(const uint8_t *l4, size_t len, int frag)
{
	struct pkt_cursor c;
	uint16_t sport, dport, ulen;

	pkt_cursor_init(&c, l4, len);
	if (pkt_get_be16(&c, &sport) || pkt_get_be16(&c, &dport) || pkt_get_be16(&c, &ulen) ||
	    pkt_skip(&c, sizeof(uint16_t)))
		return XLAT_DROP_TRUNCATED;
	/* RFC 768: the UDP length covers header and data and must match the IP
	 * payload; otherwise the checksum would not cover what we forward. */
	if (frag ? ulen <= len : ulen != len)
		return XLAT_DROP_BAD_LENGTH;
	return XLAT_DROP_NONE;
}

/* RFC 7915 §5.4 (and RFC 4443 §2.4(e)): the error to answer `r` with. */
static enum xlat_verdict reject6(const struct xlat_cfg *cfg, const struct xlat_icmp *e, int quiet,
				 const struct xlat_buf *pkt, size_t len, const struct ip6_info *h,
				 struct xlat_buf *reply, enum xlat_drop *reason, enum xlat_drop r)
{
	*reason = r;
	if (quiet || !e->type)
		return XLAT_DROP;
	return xlat_reply6(cfg, e, pkt->data, len, &h->src, reply);
}

/* ---- IPv6 -> IPv4 ---- */

/* The transport header (of a first fragment or whole packet). */
static enum xlat_drop classify6(const struct ip6_info *h, const uint8_t *l4, int *err)
{
	*err = 0;
	if (h->frag) {
		/* RFC 8200 §4.5: all fragments but the last carry a multiple
		 * of 8 bytes, and the datagram stays within 65535 bytes. */
		if ((h->frag_mf && h->ulen % 8u) || (size_t)h->frag_off * 8u + h->ulen > IP4_TOT_MAX)
			return XLAT_DROP_FRAGMENT;
	}
	switch (h->proto) {
	case IPPROTO_TCP:
		return h->frag_off ? XLAT_DROP_NONE : check_tcp(l4, h->ulen);
	case IPPROTO_UDP:
		return h->frag_off ? XLAT_DROP_NONE : check_udp(l4, h->ulen, h->frag);
	case IPPROTO_ICMPV6:
		/* RFC 7915 §1.2: fragmented ICMPv6 is not translated (its
		 * checksum covers the whole message's pseudo-header). */
		if (h->frag)
			return XLAT_DROP_FRAGMENT;
		return xlat_icmp6_classify(l4, h->ulen, err);
	default:
		/* ICMPv4 inside IPv6 is dropped (RFC 7915 §5.1); other
		 * protocols are not translated. */
		return XLAT_DROP_UNSUPPORTED_PROTO;
	}
}

/* IPv4 destinations never translated, whatever the prefix: "this network",
 * loopback, link local, multicast, reserved and broadcast (RFC 6890), and
 * the configured list. */
static int v4_denied(const struct xlat_cfg *cfg, struct in_addr a)
{
	static const struct { uint32_t net; uint8_t len; } builtin[] = {
		{ 0x00000000, 8 }, { 0x7f000000, 8 }, { 0xa9fe0000, 16 },
		{ 0xe0000000, 4 }, { 0xf0000000, 4 },
	};
	size_t i;

	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		struct in_addr n = { htonl(builtin[i].net) };

		if (addr_v4_in_net(a, n, builtin[i].len))
			return 1;
	}
	for (i = 0; cfg->deny && i < cfg->n_deny; i++)
		if (addr_v4_in_net(a, cfg->deny[i].addr, cfg->deny[i].len))
			return 1;
	return 0;
}

/* Forwarding decisions: extension headers, destination, hop limit, size;
 * `e` gets the ICMPv6 error to answer with (RFC 7915 §5.4).  `seg`: the
 * IPv4 size of each packet the translation becomes (tot, or one segment of
 * a GSO super-packet: `gso`). */
static enum xlat_drop route_6to4(const struct xlat_cfg *cfg, const struct ip6_info *h, struct in_addr dst4,
				 int err, size_t seg, int gso, struct xlat_icmp *e)
{
	size_t tot = IP4_HLEN + h->ulen;

	e->type = 0;
	e->code = 0;
	e->info = 0;
	/* RFC 7915 §5.1 / RFC 8200 §4.4: Parameter Problem pointing at the
	 * Segments Left field. */
	if (h->seg_left) {
		*e = (struct xlat_icmp){ 4, 0, (uint32_t)h->seg_left };
		return XLAT_DROP_SEGMENTS_LEFT;
	}
	/* RFC 7915 §5.4: refused destinations get "administratively
	 * prohibited" (RFC 4443 §3.1 code 1). */
	if (v4_denied(cfg, dst4)) {
		*e = (struct xlat_icmp){ 1, 1, 0 };
		return XLAT_DROP_DENIED_DEST;
	}
	/* RFC 6052 §3.1: the Well-Known Prefix never carries a non-global
	 * IPv4 address; such packets MUST be dropped. */
	if (addr_prefix_is_wkp(&cfg->prefix) && !addr_v4_is_global(dst4)) {
		*e = (struct xlat_icmp){ 1, 1, 0 };
		return XLAT_DROP_NON_GLOBAL;
	}
	/* RFC 7915 §5.1 + RFC 8200 §3: the translator is a router and
	 * decrements the hop limit; at zero: Time Exceeded (RFC 4443 §3.3). */
	if (h->hlim <= 1) {
		*e = (struct xlat_icmp){ 3, 0, 0 };
		return XLAT_DROP_HOP_LIMIT;
	}
	if (err)
		return XLAT_DROP_NONE;  /* truncated to 576 bytes */
	/* An IPv6 payload near 64 KiB does not fit an IPv4 total length (nor
	 * does such a super-packet: the kernel reads it from the IPv4 header). */
	if (tot > IP4_TOT_MAX)
		return gso ? XLAT_DROP_BAD_GSO : XLAT_DROP_BAD_LENGTH;
	/* RFC 7915 §1.4: a router sends Packet Too Big when it cannot forward;
	 * only DF packets (> 1260 bytes, not fragments) - the others may be
	 * fragmented in IPv4.  MTU: the IPv6 size of cfg->mtu IPv4 bytes,
	 * never below 1280 (RFC 8200 §5).  A GSO super-packet: each segment
	 * (DF is decided per segment too). */
	if (cfg->mtu && !h->frag && seg > XLAT_DF_MAX_LEN && seg > cfg->mtu) {
		uint32_t mtu = cfg->mtu + (IP6_HLEN - IP4_HLEN);

		*e = (struct xlat_icmp){ 2, 0, mtu < IPV6_MIN_MTU ? IPV6_MIN_MTU : mtu };
		return XLAT_DROP_TOO_BIG;
	}
	return XLAT_DROP_NONE;
}

static void l4_6to4(const struct ip6_info *h, uint8_t *l4, struct in_addr src4, struct in_addr dst4, int gso)
{
	uint32_t addrs6 = xlat_sum_addrs6(&h->src, &h->dst);

	/* RFC 7915 §5.1.1: only the first fragment holds the transport
	 * header; later ones are passed as they are. */
	if (h->frag_off)
		return;
	if (gso) {
		gso_replace_addrs(h->proto, l4, addrs6, xlat_sum_addrs4(src4, dst4));
		return;
	}
	if (h->proto == IPPROTO_ICMPV6) {
		xlat_icmp_echo_6to4(l4, h->ulen, addrs6);
		return;
	}
	/* A zero UDP checksum is invalid in IPv6 (RFC 8200 §8.1) except for
	 * RFC 6936 tunnels; in IPv4 it means "none" (RFC 768), which is what
	 * the sender said: pass it on rather than invent a checksum. */
	if (h->proto == IPPROTO_UDP && pkt_load_csum(l4 + UDP_CSUM_OFF) == 0)
		return;
	xlat_l4_replace_addrs(h->proto, l4, h->avail, addrs6, xlat_sum_addrs4(src4, dst4));
}

enum xlat_verdict xlat_6to4(const struct xlat_cfg *cfg, const struct xlat_map *map, struct xlat_state *st,
			    struct xlat_buf *pkt, struct xlat_buf *reply, enum xlat_drop *reason)
{
	struct in_addr src4, dst4;
	struct xlat_icmp e;
	struct ip6_info h;
	enum xlat_drop r;
	int err = 0, quiet, m, gso = pkt->gso_size != 0;
	size_t seg;
	uint16_t id;
	uint8_t *out;

	r = xlat_parse6(pkt->data, pkt->len, 0, &h);
	if (r == XLAT_DROP_NONE && gso)
		r = gso_check(h.proto, h.frag);
	if (r == XLAT_DROP_NONE)
		r = classify6(&h, pkt->data + h.l4off, &err);
	if (r != XLAT_DROP_NONE)
		return drop(reason, r);
	seg = IP4_HLEN + (gso ? gso_seg_l4(h.proto, pkt->data + h.l4off, h.ulen, pkt->gso_size) : h.ulen);
	/* RFC 6052 §2.2 / RFC 7915 §6: the IPv4 destination is embedded. */
	if (addr_extract(&cfg->prefix, &h.dst, &dst4))
		return drop(reason, XLAT_DROP_NOT_PREFIX);
	/* RFC 7915 §5.4, RFC 4443 §2.4(e): no error about an error, a
	 * non-first fragment, or to a source that is not one node. */
	quiet = err || h.frag_off || !xlat_may_answer6(&h.src);
	r = route_6to4(cfg, &h, dst4, err, seg, gso, &e);
	if (r != XLAT_DROP_NONE)
		return reject6(cfg, &e, quiet, pkt, IP6_HLEN + h.plen, &h, reply, reason, r);

	if (err) {
		r = xlat_icmp6_error_to4(cfg, map, st, &h, dst4, pkt);
		if (r != XLAT_DROP_NONE)
			return drop(reason, r);
		*reason = XLAT_DROP_NONE;
		return XLAT_FORWARD;
	}
	/* Last, so that no binding is created for a packet dropped anyway. */
	m = map->src6_to_v4(map->arg, &h.src, &src4);
	if (m != 0) {
		/* No inner address for this client: tell it, with RFC 4443
		 * §3.1 code 1 "administratively prohibited" (project choice;
		 * RFC 6146 §3.5.1.1 suggests code 3 for a failed BIB entry). */
		e = (struct xlat_icmp){ 1, 1, 0 };
		r = xlat_map_reason(m);
		return reject6(cfg, &e, quiet || r != XLAT_DROP_POOL_EXHAUSTED, pkt, IP6_HLEN + h.plen, &h,
			       reply, reason, r);
	}

	l4_6to4(&h, pkt->data + h.l4off, src4, dst4, gso);
	id = xlat_next_ip_id(st);
	/* The kernel gives the segments of a super-packet id, id + 1, ...:
	 * those values are not handed out again (RFC 6864 §4.1 uniqueness for
	 * segments that leave with DF clear). */
	if (gso && st)
		st->ip_id += (uint32_t)gso_nsegs(h.proto, pkt->data + h.l4off, h.ulen, pkt->gso_size) - 1u;
	/* Extension headers are dropped with the IPv6 header; bytes past the
	 * payload length (link padding) are trimmed. */
	out = pkt->data + h.l4off - IP4_HLEN;
	xlat_write_ip4(out, &h, src4, dst4, id, (uint8_t)(h.hlim - 1), IP4_HLEN + h.ulen, seg);
	pkt->headroom += (size_t)(out - pkt->data);
	pkt->data = out;
	pkt->len = IP4_HLEN + h.ulen;
	*reason = XLAT_DROP_NONE;
	return XLAT_FORWARD;
}

/* ---- IPv4 -> IPv6 ---- */

static enum xlat_drop classify4(const struct ip4_info *h, const uint8_t *l4, int *err)
{
	size_t len = h->tot_len - h->hlen, off = (size_t)(h->frag & IP4_OFFMASK) * 8u;
	int mf = (h->frag & IP4_MF) != 0;

	*err = 0;
	/* RFC 791 §3.2: all fragments but the last carry a multiple of 8
	 * bytes; a datagram beyond 65535 bytes cannot be reassembled. */
	if ((mf && len % 8u) || off + len > IP4_TOT_MAX)
		return XLAT_DROP_FRAGMENT;
	switch (h->proto) {
	case IPPROTO_TCP:
		return off ? XLAT_DROP_NONE : check_tcp(l4, len);
	case IPPROTO_UDP:
		if (off)
			return XLAT_DROP_NONE;
		/* RFC 7915 §4.5: the checksum of a fragmented datagram
		 * without one cannot be computed here. */
		if (mf && len >= UDP_HLEN && pkt_load_csum(l4 + UDP_CSUM_OFF) == 0)
			return XLAT_DROP_UDP_ZERO_CSUM;
		return check_udp(l4, len, mf);
	case IPPROTO_ICMP:
		/* RFC 7915 §1.2: fragmented ICMP is not translated. */
		if (ip4_is_frag(h))
			return XLAT_DROP_FRAGMENT;
		return xlat_icmp4_classify(l4, len, err);
	default:
		/* ICMPv6 inside IPv4 is dropped (RFC 7915 §4.1); other
		 * protocols are not translated. */
		return XLAT_DROP_UNSUPPORTED_PROTO;
	}
}

/* Forwarding decisions after the mapping: TTL and size; `e` gets the
 * ICMPv4 error to answer with (RFC 7915 §4.4).  `len6`: the IPv6 size of
 * each packet the translation becomes (one segment of a GSO super-packet). */
static enum xlat_drop route_4to6(const struct xlat_cfg *cfg, const struct ip4_info *h, size_t len6,
				 struct xlat_icmp *e)
{
	size_t hdr6 = ip4_is_frag(h) ? IP6_HLEN + FRAG6_HLEN : IP6_HLEN;

	*e = (struct xlat_icmp){ 0, 0, 0 };
	/* RFC 7915 §4.1 + RFC 1812 §5.3.1: TTL decremented as by a router;
	 * at zero: Time Exceeded in transit (RFC 792). */
	if (h->ttl <= 1) {
		*e = (struct xlat_icmp){ 11, 0, 0 };
		return XLAT_DROP_HOP_LIMIT;
	}
	/* RFC 7915 §4.1: DF set and the IPv6 packet larger than the next
	 * hop's MTU: Fragmentation Needed with the IPv4 size that fits
	 * (RFC 1191 §4: MTU in the low 16 bits). */
	if (cfg->mtu && (h->frag & IP4_DF) && len6 > cfg->mtu) {
		size_t mtu = cfg->mtu > hdr6 - IP4_HLEN + IPV4_MIN_MTU ? cfg->mtu - (hdr6 - IP4_HLEN) : IPV4_MIN_MTU;

		*e = (struct xlat_icmp){ 3, 4, (uint32_t)min_sz(mtu, IP4_TOT_MAX) };
		return XLAT_DROP_TOO_BIG;
	}
	return XLAT_DROP_NONE;
}

static void l4_4to6(const struct ip4_info *h, uint8_t *l4, const struct in6_addr *src6,
		    const struct in6_addr *dst6, int gso)
{
	size_t len = h->tot_len - h->hlen;
	uint32_t addrs6 = xlat_sum_addrs6(src6, dst6);

	/* RFC 7915 §4.1: only the first fragment holds the transport header;
	 * its checksum covers the whole datagram, and the address delta is
	 * all that changes in it. */
	if (h->frag & IP4_OFFMASK)
		return;
	if (gso) {
		/* A partial sum: never "no checksum", never recomputed. */
		gso_replace_addrs(h->proto, l4, xlat_sum_addrs4(h->src, h->dst), addrs6);
	} else if (h->proto == IPPROTO_ICMP) {
		xlat_icmp_echo_4to6(l4, len, addrs6);
	} else if (h->proto == IPPROTO_UDP && pkt_load_csum(l4 + UDP_CSUM_OFF) == 0) {
		/* RFC 7915 §4.5: an unfragmented datagram without checksum
		 * gets one, since IPv6 requires it (RFC 8200 §8.1). */
		uint16_t c = csum_fold(csum_partial(l4, len, csum_add(addrs6, xlat_sum_pseudo6_tail(len, IPPROTO_UDP))));

		pkt_store_csum(l4 + UDP_CSUM_OFF, c == 0 ? 0xffff : c);
	} else {
		xlat_l4_replace_addrs(h->proto, l4, len, xlat_sum_addrs4(h->src, h->dst), addrs6);
	}
}

enum xlat_verdict xlat_4to6_frags(const struct xlat_cfg *cfg, const struct xlat_map *map,
				  struct xlat_state *st, struct xlat_buf *pkt, struct xlat_buf *reply,
				  struct xlat_frags *frags, enum xlat_drop *reason)
{
	struct in6_addr src6, dst6;
	struct xlat_icmp e;
	struct ip4_info h;
	enum xlat_drop r;
	size_t hdr6, len6, seg6;
	uint8_t *l4, *out;
	int err = 0, m, gso = pkt->gso_size != 0;

	if (frags)
		frags->n = 0;
	r = xlat_parse4(pkt->data, pkt->len, 0, &h);
	if (r == XLAT_DROP_NONE && gso)
		r = gso_check(h.proto, ip4_is_frag(&h));
	if (r == XLAT_DROP_NONE)
		r = classify4(&h, pkt->data + h.hlen, &err);
	if (r != XLAT_DROP_NONE)
		return drop(reason, r);
	m = map->dst4_to_v6(map->arg, h.dst, &dst6);
	if (m != 0)
		return drop(reason, xlat_map_reason(m));
	/* RFC 6052 §3.1: a non-global source is never embedded in the
	 * Well-Known Prefix. */
	if (addr_prefix_is_wkp(&cfg->prefix) && !addr_v4_is_global(h.src))
		return drop(reason, XLAT_DROP_NON_GLOBAL);
	/* RFC 7915 §4.1 / RFC 6052 §2.2: the IPv4 source is embedded. */
	addr_embed(&cfg->prefix, h.src, &src6);

	hdr6 = ip4_is_frag(&h) ? IP6_HLEN + FRAG6_HLEN : IP6_HLEN;
	len6 = hdr6 + h.tot_len - h.hlen;
	seg6 = gso ? hdr6 + gso_seg_l4(h.proto, pkt->data + h.hlen, h.tot_len - h.hlen, pkt->gso_size) : len6;
	r = route_4to6(cfg, &h, err ? 0 : seg6, &e);
	if (r != XLAT_DROP_NONE) {
		*reason = r;
		/* RFC 7915 §4.4, RFC 1812 §4.3.2.7: no error about an error,
		 * a non-first fragment, or to a source that is not one host. */
		if (err || (h.frag & IP4_OFFMASK) || !xlat_may_answer4(h.src, h.dst))
			return XLAT_DROP;
		return xlat_reply4(cfg, st, &e, pkt->data, h.tot_len, h.src, reply);
	}
	/* A GSO super-packet cannot be fragmented (the kernel segments it
	 * after us): DF clear and segments that xlat_fragment6 would cut. */
	if (gso && frags && !(h.frag & IP4_DF) && seg6 > xlat_frag_size(cfg))
		return drop(reason, XLAT_DROP_GSO_NEEDS_FRAG);
	if (err) {
		r = xlat_icmp4_error_to6(cfg, map, &h, &src6, &dst6, pkt);
		if (r != XLAT_DROP_NONE)
			return drop(reason, r);
		*reason = XLAT_DROP_NONE;
		return XLAT_FORWARD;
	}
	if (hdr6 > h.hlen && pkt->headroom < hdr6 - h.hlen)
		return drop(reason, XLAT_DROP_NO_HEADROOM);

	l4 = pkt->data + h.hlen;
	l4_4to6(&h, l4, &src6, &dst6, gso);
	/* The IPv6 header ends where the IPv4 header ended (options dropped). */
	out = l4 - hdr6;
	xlat_write_ip6(out, &h, &src6, &dst6, (uint8_t)(h.ttl - 1), h.tot_len - h.hlen);
	pkt->headroom = pkt->headroom + h.hlen - hdr6;
	pkt->data = out;
	pkt->len = len6;
	*reason = XLAT_DROP_NONE;
	/* RFC 7915 §4.1: DF clear and larger than lowest-ipv6-mtu: fragment. */
	if (frags && !gso && !(h.frag & IP4_DF) && len6 > xlat_frag_size(cfg)) {
		xlat_fragment6(out, len6, &h, xlat_frag_size(cfg), frags);
		return XLAT_FORWARD_MULTI;
	}
	return XLAT_FORWARD;
}

enum xlat_verdict xlat_4to6(const struct xlat_cfg *cfg, const struct xlat_map *map, struct xlat_state *st,
			    struct xlat_buf *pkt, struct xlat_buf *reply, enum xlat_drop *reason)
{
	return xlat_4to6_frags(cfg, map, st, pkt, reply, NULL, reason);
}
