/*
 * Stateless IP/ICMP translation (RFC 7915) between a client's IPv6 packets and
 * IPv4.  Pure: no I/O, no globals, no allocation.  Bytes and a mapping in,
 * bytes and a verdict out.
 */
#ifndef NAT64_XLAT_XLAT_H
#define NAT64_XLAT_XLAT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "xlat/addr.h"

#define XLAT_HEADROOM 64      /* bytes callers leave writable before a packet */
#define XLAT_REPLY_MAX 1280   /* capacity callers give the reply buffer */

/* An IPv4 network: addr/len, len 0..32 (host bits are ignored). */
struct xlat_v4net {
	struct in_addr addr;
	uint8_t len;
};

struct xlat_cfg {
	struct nat64_prefix prefix;
	struct in_addr gateway_v4;   /* source of ICMPv4 errors the translator originates */
	struct in6_addr gateway_v6;  /* source of ICMPv6 errors the translator originates (prefix||gateway_v4) */
	uint32_t mtu;                /* TUN MTU: Packet Too Big / Fragmentation Needed above it; 0 = no limit */
	uint32_t lowest_ipv6_mtu;    /* RFC 7915 §4.1: 4->6 packets with DF=0 are fragmented to this size;
	                              * 0 = 1280, values below 1280 count as 1280 */
	const struct xlat_v4net *deny; /* 6->4 destinations never translated (besides the built-in ones); */
	size_t n_deny;                 /* answered with ICMPv6 admin-prohibited */
};

struct xlat_map {
	/* client IPv6 source -> its inner IPv4 address.  0, or a negative -XLAT_DROP_* reason
	 * (e.g. -XLAT_DROP_NOT_CLIENT, -XLAT_DROP_POOL_EXHAUSTED). */
	int (*src6_to_v4)(void *arg, const struct in6_addr *src, struct in_addr *out);
	/* inner IPv4 destination -> client IPv6 address.  0, or a negative -XLAT_DROP_* reason. */
	int (*dst4_to_v6)(void *arg, struct in_addr dst, struct in6_addr *out);
	void *arg;
};

enum xlat_drop {
	XLAT_DROP_NONE = 0,
	XLAT_DROP_TRUNCATED,        /* shorter than its headers say / than a header */
	XLAT_DROP_BAD_VERSION,
	XLAT_DROP_BAD_LENGTH,       /* length field disagrees with bytes read */
	XLAT_DROP_BAD_HEADER,       /* e.g. IPv4 IHL < 5 */
	XLAT_DROP_BAD_CHECKSUM,     /* IPv4 header checksum */
	XLAT_DROP_HOP_LIMIT,        /* TTL/hop limit would reach 0 */
	XLAT_DROP_NOT_PREFIX,       /* IPv6 destination not in the prefix (or u-octet/suffix not zero) */
	XLAT_DROP_UNSUPPORTED_PROTO,
	XLAT_DROP_UNSUPPORTED_ICMP, /* ICMP types not (yet) translated */
	XLAT_DROP_FRAGMENT,         /* fragmented ICMP (RFC 7915 §1.2), malformed fragment */
	XLAT_DROP_EXT_HEADER,       /* ESP, AH, Mobility, HIP, ...; headers after a Fragment header */
	XLAT_DROP_UDP_ZERO_CSUM,    /* IPv4 UDP with checksum 0 that is fragmented */
	XLAT_DROP_NOT_CLIENT,       /* source not in `clients` (set by the map) */
	XLAT_DROP_POOL_EXHAUSTED,   /* set by the map; xlat answers with ICMPv6 admin-prohibited */
	XLAT_DROP_NO_BINDING,       /* IPv4 destination has no client (set by the map) */
	XLAT_DROP_SOURCE_OPTION,    /* IPv4 unexpired source route option */
	XLAT_DROP_NO_HEADROOM,      /* caller left too little headroom for the bigger header */
	XLAT_DROP_MAP_ERROR,        /* map returned something that is not a -XLAT_DROP_* reason */
	XLAT_DROP_ICMP_SINGLE_HOP,  /* ND, MLD, redirects, router discovery: never translated */
	XLAT_DROP_BAD_ICMP_CHECKSUM,/* ICMP error with a wrong checksum (it would be recomputed) */
	XLAT_DROP_INNER_MALFORMED,  /* ICMP error whose quoted packet cannot be translated */
	XLAT_DROP_EXT_CHAIN,        /* IPv6 extension-header chain longer than the walk allows */
	XLAT_DROP_SEGMENTS_LEFT,    /* Routing header with Segments Left > 0 (reply: Parameter Problem) */
	XLAT_DROP_NON_GLOBAL,       /* RFC 6052 §3.1: Well-Known Prefix with a non-global IPv4 address */
	XLAT_DROP_DENIED_DEST,      /* IPv4 destination never translated (reply: admin-prohibited) */
	XLAT_DROP_TOO_BIG,          /* larger than cfg->mtu with DF (reply: Packet Too Big / Frag. Needed) */
	XLAT_DROP_BAD_GSO,          /* GSO super-packet: not TCP/UDP, a fragment, or > 65535 bytes as IPv4 */
	XLAT_DROP_GSO_NEEDS_FRAG,   /* 4->6 GSO, DF clear, segments > lowest_ipv6_mtu (not fragmentable) */
	XLAT_DROP__MAX
};
const char *xlat_drop_name(enum xlat_drop r);  /* short snake_case name, e.g. "hop_limit", for counters */

/* XLAT_FORWARD_MULTI: only from xlat_4to6_frags(); send frags->frag[0..n-1] instead of pkt. */
enum xlat_verdict { XLAT_FORWARD, XLAT_DROP, XLAT_REPLY, XLAT_FORWARD_MULTI };

/*
 * A packet.  gso_size != 0: a TCP/UDP super-packet from a TUN queue with segmentation offload
 * (virtio-net gso_size): the IP length fields cover the whole super-packet, the transport header
 * is there once, and its checksum field holds the uncomplemented pseudo-header sum (the device
 * adds the bytes when it segments).  The translator then updates that partial sum, applies the
 * size rules (MTU, DF) to one segment (IP header + transport header + gso_size) and never
 * fragments.  0: an ordinary, finished packet (what designated initialisers that leave it out, and
 * old positional ones { data, len, headroom }, give - the latter draw -Wmissing-field-initializers
 * with -Wextra: write { data, len, headroom, 0 }).  The translation does not change it.
 */
struct xlat_buf {
	uint8_t *data;
	size_t len;
	size_t headroom;     /* writable bytes before data */
	uint16_t gso_size;   /* payload bytes per segment of a GSO super-packet; 0 = not GSO */
};
struct xlat_state { uint32_t ip_id; };  /* per worker: IPv4 identification generator state */

/*
 * IPv6 fragments of one translated IPv4 packet (RFC 7915 §4.1), without copying the payload:
 * fragment i is frag[i].hdr (an IPv6 header and a Fragment header, hdr_len = 48 bytes) followed
 * by frag[i].payload_len bytes at frag[i].payload, which points into the translated packet in
 * `pkt` (valid until that buffer is reused).  Write each fragment as one packet, e.g.
 * writev(fd, {hdr, hdr_len}, {payload, payload_len}).  XLAT_FRAGS_MAX fragments of at least
 * 1280 - 48 bytes hold any IPv4 payload (<= 65515 bytes).
 */
#define XLAT_FRAG_HDR_LEN 48
#define XLAT_FRAGS_MAX 54
struct xlat_frag {
	uint8_t hdr[XLAT_FRAG_HDR_LEN];
	size_t hdr_len;
	const uint8_t *payload;
	size_t payload_len;
};
struct xlat_frags {
	size_t n;
	struct xlat_frag frag[XLAT_FRAGS_MAX];
};

/* Translates the IPv6 packet in `pkt` to IPv4 in place (the result may start inside the headroom or
 * later in the buffer; pkt->data/len/headroom are updated).  XLAT_FORWARD: pkt holds the IPv4 packet.
 * XLAT_DROP: *reason says why.  XLAT_REPLY: the packet is not forwarded (*reason says why: hop_limit,
 * too_big, segments_left, denied_dest, non_global, pool_exhausted) and reply->data/len hold an
 * ICMPv6 error from cfg->gateway_v6 to send back to the sender (reply->len on entry is the buffer's
 * capacity, >= XLAT_REPLY_MAX; the reply is at most 1280 bytes; reply->gso_size is ignored).
 * Bytes past the IPv6 payload length are trimmed.  `pkt` is left untouched unless the verdict is
 * XLAT_FORWARD.  Any bytes are safe input (pkt->data may be NULL with len 0).  GSO super-packets
 * (pkt->gso_size != 0): see struct xlat_buf; an IPv4 total length beyond 65535 drops (bad_gso). */
enum xlat_verdict xlat_6to4(const struct xlat_cfg *cfg, const struct xlat_map *map, struct xlat_state *st,
                            struct xlat_buf *pkt, struct xlat_buf *reply, enum xlat_drop *reason);
/* The same for IPv4 -> IPv6 (the IPv6 packet grows by 20 bytes into the headroom, 28 with a Fragment
 * header, less if the IPv4 header had options; ICMP errors grow by up to 48); a reply is ICMPv4 from
 * cfg->gateway_v4, at most 576 bytes (reasons hop_limit, too_big).
 * Bytes past the IPv4 total length are trimmed.  A packet that xlat_4to6_frags() would fragment is
 * forwarded whole here. */
enum xlat_verdict xlat_4to6(const struct xlat_cfg *cfg, const struct xlat_map *map, struct xlat_state *st,
                            struct xlat_buf *pkt, struct xlat_buf *reply, enum xlat_drop *reason);
/* xlat_4to6() that fragments (RFC 7915 §4.1): an IPv4 packet with DF clear whose translation exceeds
 * lowest_ipv6_mtu gives XLAT_FORWARD_MULTI and frags->n > 1 fragments (pkt then holds the whole
 * translated packet, for reference).  `frags` may be NULL (then it is xlat_4to6()).  A GSO
 * super-packet (pkt->gso_size) is never fragmented: DF clear and its IPv6 *segments* larger than
 * lowest_ipv6_mtu -> XLAT_DROP, gso_needs_frag (xlat_4to6() forwards it whole, as any packet). */
enum xlat_verdict xlat_4to6_frags(const struct xlat_cfg *cfg, const struct xlat_map *map,
                                  struct xlat_state *st, struct xlat_buf *pkt, struct xlat_buf *reply,
                                  struct xlat_frags *frags, enum xlat_drop *reason);

#endif
