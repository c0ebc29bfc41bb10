/*
 * Stateless IP/ICMP translation, RFC 7915, for the NAT64 data path.
 *
 * Both directions work the same way: parse the IP header into a small struct
 * through a bounds-checked cursor, validate the transport header, decide, and
 * only then write.  The new IP header is written over the old one (6->4 it
 * starts 20 bytes later, 4->6 up to 20 bytes earlier, inside the headroom);
 * the transport header and payload never move, and their checksums are
 * adjusted incrementally (RFC 1624) for the pseudo-header change.
 */
#include "xlat/xlat.h"

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stddef.h>
#include <string.h>

#include "xlat/csum.h"
#include "xlat/pkt.h"

#define IP6_HLEN sizeof(struct ip6_hdr)   /* 40 */
#define IP4_HLEN sizeof(struct iphdr)     /* 20, no options */
#define IP4_TOT_MAX 0xffffu
#define TCP_HLEN sizeof(struct tcphdr)    /* 20, no options */
#define UDP_HLEN sizeof(struct udphdr)    /* 8 */
#define ICMP_HLEN 8u                      /* type, code, checksum, 4 more bytes */
#define ICMP_CSUM_OFF offsetof(struct icmp6_hdr, icmp6_cksum) /* same in ICMPv4 */
#define TCP_CSUM_OFF offsetof(struct tcphdr, th_sum)
#define UDP_CSUM_OFF offsetof(struct udphdr, uh_sum)
#define TCP_DOFF_BYTE 12u                 /* data offset: high nibble */
#define IPV6_MIN_MTU 1280u
/* RFC 7915 §5.1: translated packets up to this size leave DF clear. */
#define XLAT_DF_MAX_LEN 1260u
/* Hop limit of the ICMPv6 errors the translator originates. */
#define XLAT_ERR_HOP_LIMIT 64
/* Extension headers without a <netinet/in.h> name (IANA "IPv6 Extension Header Types"). */
#define XLAT_IPPROTO_HIP 139
#define XLAT_IPPROTO_SHIM6 140
#define XLAT_IPPROTO_EXP1 253
#define XLAT_IPPROTO_EXP2 254

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
};

const char *xlat_drop_name(enum xlat_drop r)
{
	if ((unsigned)r >= XLAT_DROP__MAX || !drop_names[r])
		return "unknown";
	return drop_names[r];
}

/* ---- helpers shared by both directions ---- */

struct ip6_info {
	struct in6_addr src, dst;
	uint16_t plen;
	uint8_t tclass, nexthdr, hlim;
};

struct ip4_info {
	struct in_addr src, dst;
	size_t hlen;
	uint16_t tot_len, frag_off;
	uint8_t tos, ttl, proto;
};

static enum xlat_verdict drop(enum xlat_drop *reason, enum xlat_drop r)
{
	*reason = r;
	return XLAT_DROP;
}

/* A map result: 0, or a negative reason; anything else is the map's bug. */
static enum xlat_drop map_reason(int m)
{
	if (m < 0 && m > -(int)XLAT_DROP__MAX)
		return (enum xlat_drop)-m;
	return XLAT_DROP_MAP_ERROR;
}

static uint32_t sum_word(uint8_t hi, uint8_t lo)
{
	const uint8_t b[2] = { hi, lo };

	return csum_partial(b, sizeof(b), 0);
}

static uint32_t sum_addrs6(const struct in6_addr *src, const struct in6_addr *dst)
{
	return csum_partial(dst, sizeof(*dst), csum_partial(src, sizeof(*src), 0));
}

static uint32_t sum_addrs4(struct in_addr src, struct in_addr dst)
{
	return csum_partial(&dst, sizeof(dst), csum_partial(&src, sizeof(src), 0));
}

/* RFC 8200 §8.1: the IPv6 pseudo-header after the addresses: a 32-bit
 * upper-layer length, three zero bytes and the next header. */
static uint32_t sum_pseudo6_tail(size_t len, uint8_t nexthdr)
{
	uint8_t b[8] = { 0 };

	pkt_store_be32(b, (uint32_t)len);
	b[7] = nexthdr;
	return csum_partial(b, sizeof(b), 0);
}

/* RFC 7915 §4.5/§5.5: the TCP/UDP pseudo-headers of both versions carry the
 * same length and protocol numbers, so only the address sums change. */
static void l4_replace_addrs(uint8_t proto, uint8_t *l4, uint32_t removed, uint32_t added)
{
	size_t off = proto == IPPROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF;
	uint16_t c = csum_replace(pkt_load_csum(l4 + off), removed, added);

	/* RFC 768: a computed UDP checksum of zero is sent as all ones, because
	 * zero means "no checksum". */
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	pkt_store_csum(l4 + off, c);
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

static enum xlat_drop check_udp(const uint8_t *l4, size_t len)
{
	struct pkt_cursor c;
	uint16_t sport, dport, ulen;

	pkt_cursor_init(&c, l4, len);
	if (pkt_get_be16(&c, &sport) || pkt_get_be16(&c, &dport) || pkt_get_be16(&c, &ulen) ||
	    pkt_skip(&c, sizeof(uint16_t)))
		return XLAT_DROP_TRUNCATED;
	/* RFC 768: the UDP length covers header and data and must match the IP
	 * payload; otherwise the checksum would not cover what we forward. */
	if (ulen != len)
		return XLAT_DROP_BAD_LENGTH;
	return XLAT_DROP_NONE;
}

/* Type of an ICMP/ICMPv6 message whose fixed 8-byte header is present. */
static enum xlat_drop check_icmp_type(const uint8_t *l4, size_t len, uint8_t ok1, uint8_t ok2)
{
	struct pkt_cursor c;
	const uint8_t *ih;

	pkt_cursor_init(&c, l4, len);
	ih = pkt_pull(&c, ICMP_HLEN);
	if (!ih)
		return XLAT_DROP_TRUNCATED;
	if (ih[0] != ok1 && ih[0] != ok2)
		return XLAT_DROP_UNSUPPORTED_ICMP;
	return XLAT_DROP_NONE;
}

/* ---- IPv6 -> IPv4 ---- */

static enum xlat_drop parse_ip6(const struct xlat_buf *pkt, struct ip6_info *h)
{
	struct pkt_cursor c;
	struct ip6_hdr ip6;
	uint32_t flow;

	pkt_cursor_init(&c, pkt->data, pkt->len);
	if (pkt_get_bytes(&c, &ip6, sizeof(ip6)))
		return XLAT_DROP_TRUNCATED;
	flow = ntohl(ip6.ip6_flow);
	if (flow >> 28 != 6)
		return XLAT_DROP_BAD_VERSION;
	h->tclass = (uint8_t)(flow >> 20);
	h->plen = ntohs(ip6.ip6_plen);
	h->nexthdr = ip6.ip6_nxt;
	h->hlim = ip6.ip6_hlim;
	h->src = ip6.ip6_src;
	h->dst = ip6.ip6_dst;
	/* RFC 8200 §3: payload length counts the bytes after this header.  A
	 * jumbogram (zero) needs a hop-by-hop header, dropped below. */
	if (h->plen > pkt_remaining(&c))
		return XLAT_DROP_TRUNCATED;
	return XLAT_DROP_NONE;
}

/* Next header after the fixed IPv6 header, and the transport header. */
static enum xlat_drop check_l4_6(const struct ip6_info *h, const uint8_t *l4)
{
	switch (h->nexthdr) {
	case IPPROTO_TCP:
		return check_tcp(l4, h->plen);
	case IPPROTO_UDP:
		return check_udp(l4, h->plen);
	case IPPROTO_ICMPV6:
		/* RFC 7915 §5.2: only echo is translated so far; the
		 * informational rest (MLD, ND) is single-hop and dropped. */
		return check_icmp_type(l4, h->plen, ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY);
	case IPPROTO_FRAGMENT:
		return XLAT_DROP_FRAGMENT;
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_MH:
	case XLAT_IPPROTO_HIP:
	case XLAT_IPPROTO_SHIM6:
	case XLAT_IPPROTO_EXP1:
	case XLAT_IPPROTO_EXP2:
		/* RFC 7915 §5.1: extension headers are not translated; the
		 * chain walk comes with fragment support. */
		return XLAT_DROP_EXT_HEADER;
	default:
		/* RFC 7915 §5.1: ICMPv4 inside IPv6 is dropped; other
		 * protocols are not translated yet. */
		return XLAT_DROP_UNSUPPORTED_PROTO;
	}
}

/* Forwarding decisions: hop limit, destination, size. */
static enum xlat_drop route_6to4(const struct xlat_cfg *cfg, const struct ip6_info *h, struct in_addr *dst4)
{
	/* RFC 7915 §5.1 + RFC 8200 §3: the translator is a router and
	 * decrements the hop limit; one that would reach zero is dropped. */
	if (h->hlim <= 1)
		return XLAT_DROP_HOP_LIMIT;
	/* RFC 6052 §2.2 / RFC 7915 §6: the IPv4 destination is embedded. */
	if (addr_extract(&cfg->prefix, &h->dst, dst4))
		return XLAT_DROP_NOT_PREFIX;
	/* An IPv6 payload near 64 KiB does not fit an IPv4 total length. */
	if (IP4_HLEN + h->plen > IP4_TOT_MAX)
		return XLAT_DROP_BAD_LENGTH;
	return XLAT_DROP_NONE;
}

/* RFC 4443 §2.4(e): never answer a packet whose source is not one node. */
static int may_answer6(const struct in6_addr *src)
{
	return !IN6_IS_ADDR_UNSPECIFIED(src) && !IN6_IS_ADDR_MULTICAST(src);
}

/*
 * RFC 4443 §3.1: Destination Unreachable to `dst` (the original sender) from
 * the translator, quoting as much of the packet `orig` as fits in the minimum
 * IPv6 MTU (RFC 4443 §2.4(c)).  `orig` must not overlap reply->data.
 */
static enum xlat_verdict reply_unreach6(const struct xlat_cfg *cfg, uint8_t code, const uint8_t *orig,
					size_t orig_len, const struct in6_addr *dst, struct xlat_buf *reply)
{
	struct ip6_hdr ip6;
	struct icmp6_hdr ic;
	size_t cap, body;
	uint32_t sum;

	if (!reply || !reply->data || !may_answer6(dst))
		return XLAT_DROP;
	cap = reply->len < IPV6_MIN_MTU ? reply->len : IPV6_MIN_MTU;
	if (cap < IP6_HLEN + ICMP_HLEN)
		return XLAT_DROP;
	body = orig_len < cap - IP6_HLEN - ICMP_HLEN ? orig_len : cap - IP6_HLEN - ICMP_HLEN;

	memset(&ip6, 0, sizeof(ip6));
	ip6.ip6_flow = htonl(6u << 28);
	ip6.ip6_plen = htons((uint16_t)(ICMP_HLEN + body));
	ip6.ip6_nxt = IPPROTO_ICMPV6;
	ip6.ip6_hlim = XLAT_ERR_HOP_LIMIT;
	ip6.ip6_src = cfg->gateway_v6;
	ip6.ip6_dst = *dst;

	memset(&ic, 0, sizeof(ic));
	ic.icmp6_type = ICMP6_DST_UNREACH;
	ic.icmp6_code = code;
	sum = csum_add(sum_addrs6(&ip6.ip6_src, &ip6.ip6_dst), sum_pseudo6_tail(ICMP_HLEN + body, IPPROTO_ICMPV6));
	sum = csum_partial(&ic, ICMP_HLEN, sum);
	sum = csum_partial(orig, body, sum);
	ic.icmp6_cksum = csum_fold(sum);

	memcpy(reply->data, &ip6, IP6_HLEN);
	memcpy(reply->data + IP6_HLEN, &ic, ICMP_HLEN);
	memcpy(reply->data + IP6_HLEN + ICMP_HLEN, orig, body);
	reply->len = IP6_HLEN + ICMP_HLEN + body;
	return XLAT_REPLY;
}

/*
 * RFC 7915 §5.2: echo request/reply 128/129 become 8/0, identifier and
 * sequence kept.  The ICMPv4 checksum has no pseudo-header: take the IPv6
 * pseudo-header out of the sum and account for the type change.
 */
static void icmp_echo_6to4(uint8_t *l4, size_t len, uint32_t addrs6)
{
	uint8_t type6 = l4[0], code = l4[1];
	uint8_t type4 = type6 == ICMP6_ECHO_REQUEST ? ICMP_ECHO : ICMP_ECHOREPLY;
	uint32_t removed = csum_add(addrs6, sum_pseudo6_tail(len, IPPROTO_ICMPV6));

	removed = csum_add(removed, sum_word(type6, code));
	l4[0] = type4;
	pkt_store_csum(l4 + ICMP_CSUM_OFF,
		       csum_replace(pkt_load_csum(l4 + ICMP_CSUM_OFF), removed, sum_word(type4, code)));
}

static void l4_6to4(const struct ip6_info *h, uint8_t *l4, struct in_addr src4, struct in_addr dst4)
{
	uint32_t addrs6 = sum_addrs6(&h->src, &h->dst);

	if (h->nexthdr == IPPROTO_ICMPV6) {
		icmp_echo_6to4(l4, h->plen, addrs6);
		return;
	}
	/* A zero UDP checksum is invalid in IPv6 (RFC 8200 §8.1) except for
	 * RFC 6936 tunnels; in IPv4 it means "none" (RFC 768), which is what
	 * the sender said: pass it on rather than invent a checksum. */
	if (h->nexthdr == IPPROTO_UDP && pkt_load_csum(l4 + UDP_CSUM_OFF) == 0)
		return;
	l4_replace_addrs(h->nexthdr, l4, addrs6, sum_addrs4(src4, dst4));
}

/* RFC 7915 §5.1: the IPv4 header, written at `out` (20 bytes). */
static void write_ip4(uint8_t *out, const struct ip6_info *h, struct in_addr src4, struct in_addr dst4,
		      uint16_t id)
{
	struct iphdr ip;
	uint16_t tot = (uint16_t)(IP4_HLEN + h->plen);

	memset(&ip, 0, sizeof(ip));
	ip.version = 4;
	ip.ihl = IP4_HLEN / 4;          /* RFC 7915 §5.1: no options */
	ip.tos = h->tclass;             /* RFC 7915 §5.1: traffic class copied */
	ip.tot_len = htons(tot);
	ip.id = htons(id);
	/* RFC 7915 §5.1: MF 0, offset 0; DF 0 up to 1260 bytes (so IPv4 links
	 * with an MTU below 1280 may fragment it), else 1 (so path MTU
	 * discovery works end to end). */
	ip.frag_off = htons(tot > XLAT_DF_MAX_LEN ? IP_DF : 0);
	ip.ttl = (uint8_t)(h->hlim - 1);
	/* RFC 7915 §5.1: protocol = next header, ICMPv6 58 becomes ICMP 1. */
	ip.protocol = h->nexthdr == IPPROTO_ICMPV6 ? IPPROTO_ICMP : h->nexthdr;
	ip.saddr = src4.s_addr;
	ip.daddr = dst4.s_addr;
	ip.check = csum_fold(csum_partial(&ip, sizeof(ip), 0));
	memcpy(out, &ip, sizeof(ip));
}

/*
 * RFC 7915 §5.1 Identification: "set according to a Fragment Identification
 * generator at the translator" - every packet gets a fresh value, also with
 * DF set (RFC 6864 §4.1 allows any value then; fresh costs nothing).  A
 * counter repeats a value only after 65536 packets of this worker.
 */
static uint16_t next_ip_id(struct xlat_state *st)
{
	st->ip_id++;
	return (uint16_t)st->ip_id;
}

enum xlat_verdict xlat_6to4(const struct xlat_cfg *cfg, const struct xlat_map *map, struct xlat_state *st,
			    struct xlat_buf *pkt, struct xlat_buf *reply, enum xlat_drop *reason)
{
	struct ip6_info h;
	struct in_addr src4, dst4;
	enum xlat_drop r;
	int m;

	r = parse_ip6(pkt, &h);
	if (r == XLAT_DROP_NONE)
		r = check_l4_6(&h, pkt->data + IP6_HLEN);
	if (r == XLAT_DROP_NONE)
		r = route_6to4(cfg, &h, &dst4);
	if (r != XLAT_DROP_NONE)
		return drop(reason, r);

	/* Last, so that no binding is created for a packet dropped anyway. */
	m = map->src6_to_v4(map->arg, &h.src, &src4);
	if (m != 0) {
		*reason = map_reason(m);
		/* No inner address for this client: tell it, with RFC 4443
		 * §3.1 code 1 "administratively prohibited" (project choice;
		 * RFC 6146 §3.5.1.1 suggests code 3 for a failed BIB entry). */
		if (*reason == XLAT_DROP_POOL_EXHAUSTED)
			return reply_unreach6(cfg, ICMP6_DST_UNREACH_ADMIN, pkt->data, IP6_HLEN + h.plen,
					      &h.src, reply);
		return XLAT_DROP;
	}

	l4_6to4(&h, pkt->data + IP6_HLEN, src4, dst4);
	pkt->data += IP6_HLEN - IP4_HLEN;
	pkt->headroom += IP6_HLEN - IP4_HLEN;
	/* Bytes past the payload length (link padding) are trimmed. */
	pkt->len = IP4_HLEN + h.plen;
	write_ip4(pkt->data, &h, src4, dst4, next_ip_id(st));
	*reason = XLAT_DROP_NONE;
	return XLAT_FORWARD;
}

/* ---- IPv4 -> IPv6 ---- */

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

static enum xlat_drop parse_ip4(const struct xlat_buf *pkt, struct ip4_info *h)
{
	struct pkt_cursor c;
	struct iphdr ip;

	pkt_cursor_init(&c, pkt->data, pkt->len);
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
	if (csum_fold(csum_partial(pkt->data, h->hlen, 0)) != 0)
		return XLAT_DROP_BAD_CHECKSUM;
	h->tot_len = ntohs(ip.tot_len);
	if (h->tot_len < h->hlen)
		return XLAT_DROP_BAD_LENGTH;
	if (h->tot_len > pkt->len)
		return XLAT_DROP_TRUNCATED;
	h->frag_off = ntohs(ip.frag_off);
	h->tos = ip.tos;
	h->ttl = ip.ttl;
	h->proto = ip.protocol;
	h->src.s_addr = ip.saddr;
	h->dst.s_addr = ip.daddr;
	return check_options4(pkt->data + IP4_HLEN, h->hlen - IP4_HLEN);
}

static enum xlat_drop check_l4_4(const struct ip4_info *h, const uint8_t *l4)
{
	size_t len = h->tot_len - h->hlen;

	/* RFC 7915 §4: fragments are not translated yet. */
	if (h->frag_off & (IP_MF | IP_OFFMASK))
		return XLAT_DROP_FRAGMENT;
	switch (h->proto) {
	case IPPROTO_TCP:
		return check_tcp(l4, len);
	case IPPROTO_UDP:
		return check_udp(l4, len);
	case IPPROTO_ICMP:
		/* RFC 7915 §4.2: only echo is translated so far. */
		return check_icmp_type(l4, len, ICMP_ECHO, ICMP_ECHOREPLY);
	default:
		/* RFC 7915 §4.1: ICMPv6 inside IPv4 is dropped; other
		 * protocols are not translated yet. */
		return XLAT_DROP_UNSUPPORTED_PROTO;
	}
}

static enum xlat_drop route_4to6(const struct ip4_info *h, const struct xlat_buf *pkt)
{
	/* RFC 7915 §4.1 + RFC 1812 §5.3.1: TTL decremented as by a router. */
	if (h->ttl <= 1)
		return XLAT_DROP_HOP_LIMIT;
	if (h->hlen < IP6_HLEN && pkt->headroom < IP6_HLEN - h->hlen)
		return XLAT_DROP_NO_HEADROOM;
	return XLAT_DROP_NONE;
}

/* RFC 7915 §4.2: echo 8/0 become 128/129; add the IPv6 pseudo-header. */
static void icmp_echo_4to6(uint8_t *l4, size_t len, uint32_t addrs6)
{
	uint8_t type4 = l4[0], code = l4[1];
	uint8_t type6 = type4 == ICMP_ECHO ? ICMP6_ECHO_REQUEST : ICMP6_ECHO_REPLY;
	uint32_t added = csum_add(addrs6, sum_pseudo6_tail(len, IPPROTO_ICMPV6));

	added = csum_add(added, sum_word(type6, code));
	l4[0] = type6;
	pkt_store_csum(l4 + ICMP_CSUM_OFF,
		       csum_replace(pkt_load_csum(l4 + ICMP_CSUM_OFF), sum_word(type4, code), added));
}

/* RFC 7915 §4.5: an unfragmented IPv4 UDP packet without a checksum gets
 * one, since IPv6 requires it (RFC 8200 §8.1).  The one full re-sum. */
static void udp_fill_csum6(uint8_t *l4, size_t len, uint32_t addrs6)
{
	uint32_t sum = csum_add(addrs6, sum_pseudo6_tail(len, IPPROTO_UDP));
	uint16_t c = csum_fold(csum_partial(l4, len, sum));

	pkt_store_csum(l4 + UDP_CSUM_OFF, c == 0 ? 0xffff : c);
}

static void l4_4to6(const struct ip4_info *h, uint8_t *l4, const struct in6_addr *src6,
		    const struct in6_addr *dst6)
{
	size_t len = h->tot_len - h->hlen;
	uint32_t addrs6 = sum_addrs6(src6, dst6);

	if (h->proto == IPPROTO_ICMP)
		icmp_echo_4to6(l4, len, addrs6);
	else if (h->proto == IPPROTO_UDP && pkt_load_csum(l4 + UDP_CSUM_OFF) == 0)
		udp_fill_csum6(l4, len, addrs6);
	else
		l4_replace_addrs(h->proto, l4, sum_addrs4(h->src, h->dst), addrs6);
}

/* RFC 7915 §4.1: the IPv6 header, written at `out` (40 bytes). */
static void write_ip6(uint8_t *out, const struct ip4_info *h, const struct in6_addr *src6,
		      const struct in6_addr *dst6)
{
	struct ip6_hdr ip6;

	memset(&ip6, 0, sizeof(ip6));
	/* RFC 7915 §4.1: traffic class = TOS, flow label 0. */
	ip6.ip6_flow = htonl(6u << 28 | (uint32_t)h->tos << 20);
	ip6.ip6_plen = htons((uint16_t)(h->tot_len - h->hlen));
	/* RFC 7915 §4.1: next header = protocol, ICMP 1 becomes ICMPv6 58. */
	ip6.ip6_nxt = h->proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : h->proto;
	ip6.ip6_hlim = (uint8_t)(h->ttl - 1);
	ip6.ip6_src = *src6;
	ip6.ip6_dst = *dst6;
	memcpy(out, &ip6, sizeof(ip6));
}

enum xlat_verdict xlat_4to6(const struct xlat_cfg *cfg, const struct xlat_map *map, struct xlat_state *st,
			    struct xlat_buf *pkt, struct xlat_buf *reply, enum xlat_drop *reason)
{
	struct ip4_info h;
	struct in6_addr src6, dst6;
	enum xlat_drop r;
	int m;

	(void)st;    /* the fragment-ID state of 4->6 comes with fragments */
	(void)reply; /* no ICMPv4 errors originated yet */
	r = parse_ip4(pkt, &h);
	if (r == XLAT_DROP_NONE)
		r = check_l4_4(&h, pkt->data + h.hlen);
	if (r == XLAT_DROP_NONE)
		r = route_4to6(&h, pkt);
	if (r != XLAT_DROP_NONE)
		return drop(reason, r);

	m = map->dst4_to_v6(map->arg, h.dst, &dst6);
	if (m != 0)
		return drop(reason, map_reason(m));
	/* RFC 7915 §4.1 / RFC 6052 §2.2: the IPv4 source is embedded. */
	addr_embed(&cfg->prefix, h.src, &src6);

	l4_4to6(&h, pkt->data + h.hlen, &src6, &dst6);
	/* The IPv6 header ends where the IPv4 header ended (options dropped). */
	pkt->data = pkt->data + h.hlen - IP6_HLEN;
	pkt->headroom = pkt->headroom + h.hlen - IP6_HLEN;
	pkt->len = IP6_HLEN + h.tot_len - h.hlen;
	write_ip6(pkt->data, &h, &src6, &dst6);
	*reason = XLAT_DROP_NONE;
	return XLAT_FORWARD;
}
