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

struct xlat_cfg {
	struct nat64_prefix prefix;
	struct in_addr gateway_v4;   /* source of ICMPv4 errors the translator originates */
	struct in6_addr gateway_v6;  /* source of ICMPv6 errors the translator originates (prefix||gateway_v4) */
	uint32_t mtu;                /* TUN MTU (used later for Packet Too Big) */
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
	XLAT_DROP_FRAGMENT,         /* fragments: not yet translated */
	XLAT_DROP_EXT_HEADER,       /* IPv6 extension headers: not yet translated */
	XLAT_DROP_UDP_ZERO_CSUM,    /* IPv4 UDP with checksum 0 that is fragmented */
	XLAT_DROP_NOT_CLIENT,       /* source not in `clients` (set by the map) */
	XLAT_DROP_POOL_EXHAUSTED,   /* set by the map; xlat answers with ICMPv6 admin-prohibited */
	XLAT_DROP_NO_BINDING,       /* IPv4 destination has no client (set by the map) */
	XLAT_DROP_SOURCE_OPTION,    /* IPv4 unexpired source route option */
	XLAT_DROP_NO_HEADROOM,      /* caller left too little headroom for the bigger header */
	XLAT_DROP_MAP_ERROR,        /* map returned something that is not a -XLAT_DROP_* reason */
	XLAT_DROP__MAX
};
const char *xlat_drop_name(enum xlat_drop r);  /* short snake_case name, e.g. "hop_limit", for counters */

enum xlat_verdict { XLAT_FORWARD, XLAT_DROP, XLAT_REPLY };

struct xlat_buf { uint8_t *data; size_t len; size_t headroom; /* writable bytes before data */ };
struct xlat_state { uint32_t ip_id; };  /* per worker: IPv4 identification generator state */

/* Translates the IPv6 packet in `pkt` to IPv4 in place (the result may start inside the headroom or
 * later in the buffer; pkt->data/len/headroom are updated).  XLAT_FORWARD: pkt holds the IPv4 packet.
 * XLAT_DROP: *reason says why.  XLAT_REPLY: the packet is not forwarded (*reason says why) and
 * reply->data/len hold an ICMPv6 error to send back to the sender (reply->len on entry is the
 * buffer's capacity, >= XLAT_REPLY_MAX).  Bytes past the IPv6 payload length are trimmed.
 * `pkt` is left untouched unless the verdict is XLAT_FORWARD. */
enum xlat_verdict xlat_6to4(const struct xlat_cfg *cfg, const struct xlat_map *map, struct xlat_state *st,
                            struct xlat_buf *pkt, struct xlat_buf *reply, enum xlat_drop *reason);
/* The same for IPv4 -> IPv6 (the IPv6 packet grows by 20 bytes into the headroom, less if the
 * IPv4 header had options); a reply would be ICMPv4.  Bytes past the IPv4 total length are trimmed. */
enum xlat_verdict xlat_4to6(const struct xlat_cfg *cfg, const struct xlat_map *map, struct xlat_state *st,
                            struct xlat_buf *pkt, struct xlat_buf *reply, enum xlat_drop *reason);

#endif
