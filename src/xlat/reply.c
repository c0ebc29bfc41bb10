/*
 * ICMP errors the translator originates (RFC 7915 §4.4, §5.4): Time
 * Exceeded, Packet Too Big / Fragmentation Needed, Parameter Problem,
 * administratively prohibited.  Sourced from cfg->gateway_v6 / gateway_v4,
 * quoting as much of the offending packet as fits.  Rate limiting
 * (RFC 4443 §2.4(f), RFC 1812 §4.3.2.8) is the caller's.
 */
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <string.h>

#include "xlat/csum.h"
#include "xlat/pkt.h"
#include "xlat/xlat_int.h"

/* RFC 4443 §2.4(e): never answer a source that is not one node. */
int xlat_may_answer6(const struct in6_addr *src)
{
	return !IN6_IS_ADDR_UNSPECIFIED(src) && !IN6_IS_ADDR_MULTICAST(src);
}

/* RFC 1812 §4.3.2.7: no error to a source that is not one host ("this
 * network", loopback, multicast, class E and broadcast), nor for a packet
 * sent to a multicast or broadcast address. */
int xlat_may_answer4(struct in_addr src, struct in_addr dst)
{
	uint32_t s = ntohl(src.s_addr), d = ntohl(dst.s_addr);

	if ((s >> 24) == 0 || (s >> 24) == 127 || (s >> 28) >= 0xe)
		return 0;
	return (d >> 28) < 0xe;
}

static int reply_room(const struct xlat_buf *reply, size_t cap, size_t hdrs, size_t *room)
{
	if (!reply || !reply->data)
		return 0;
	*room = min_sz(reply->len, cap);
	return *room >= hdrs;
}

enum xlat_verdict xlat_reply6(const struct xlat_cfg *cfg, const struct xlat_icmp *e, const uint8_t *orig,
			      size_t orig_len, const struct in6_addr *dst, struct xlat_buf *reply)
{
	uint8_t *r;
	size_t room, body;
	uint32_t sum;

	if (!xlat_may_answer6(dst) || !reply_room(reply, ICMP6_ERR_MAX, IP6_HLEN + ICMP_HLEN, &room))
		return XLAT_DROP;
	body = min_sz(orig_len, room - IP6_HLEN - ICMP_HLEN);
	r = reply->data;
	memset(r, 0, IP6_HLEN + ICMP_HLEN);
	pkt_store_be32(r, 6u << 28);
	pkt_store_be16(r + 4, (uint16_t)(ICMP_HLEN + body));
	r[6] = IPPROTO_ICMPV6;
	r[7] = XLAT_ERR_TTL;
	memcpy(r + 8, &cfg->gateway_v6, 16);
	memcpy(r + 24, dst, 16);
	r[IP6_HLEN] = e->type;
	r[IP6_HLEN + 1] = e->code;
	pkt_store_be32(r + IP6_HLEN + 4, e->info);
	memcpy(r + IP6_HLEN + ICMP_HLEN, orig, body);
	/* RFC 4443 §2.3: the checksum covers the IPv6 pseudo-header. */
	sum = csum_add(xlat_sum_addrs6(&cfg->gateway_v6, dst),
		       xlat_sum_pseudo6_tail(ICMP_HLEN + body, IPPROTO_ICMPV6));
	sum = csum_partial(r + IP6_HLEN, ICMP_HLEN + body, sum);
	pkt_store_csum(r + IP6_HLEN + ICMP_CSUM_OFF, csum_fold(sum));
	reply->len = IP6_HLEN + ICMP_HLEN + body;
	return XLAT_REPLY;
}

enum xlat_verdict xlat_reply4(const struct xlat_cfg *cfg, struct xlat_state *st, const struct xlat_icmp *e,
			      const uint8_t *orig, size_t orig_len, struct in_addr dst, struct xlat_buf *reply)
{
	uint8_t *r;
	size_t room, body;

	if (!reply_room(reply, ICMP4_ERR_MAX, IP4_HLEN + ICMP_HLEN, &room))
		return XLAT_DROP;
	body = min_sz(orig_len, room - IP4_HLEN - ICMP_HLEN);
	r = reply->data;
	memset(r, 0, IP4_HLEN + ICMP_HLEN);
	r[0] = 0x45;
	pkt_store_be16(r + 2, (uint16_t)(IP4_HLEN + ICMP_HLEN + body));
	pkt_store_be16(r + 4, xlat_next_ip_id(st));
	r[8] = XLAT_ERR_TTL;
	r[9] = IPPROTO_ICMP;
	memcpy(r + 12, &cfg->gateway_v4, 4);
	memcpy(r + 16, &dst, 4);
	pkt_store_csum(r + 10, csum_fold(csum_partial(r, IP4_HLEN, 0)));
	r[IP4_HLEN] = e->type;
	r[IP4_HLEN + 1] = e->code;
	pkt_store_be32(r + IP4_HLEN + 4, e->info);
	memcpy(r + IP4_HLEN + ICMP_HLEN, orig, body);
	pkt_store_csum(r + IP4_HLEN + ICMP_CSUM_OFF, csum_fold(csum_partial(r + IP4_HLEN, ICMP_HLEN + body, 0)));
	reply->len = IP4_HLEN + ICMP_HLEN + body;
	return XLAT_REPLY;
}
