/*
 * Fragmentation by the translator (RFC 7915 §4.1): 4->6 packets with DF
 * clear that exceed lowest-ipv6-mtu are cut into IPv6 fragments, without
 * copying the payload.  (Fragments that arrive are translated one by one,
 * without reassembly, by the header code: hdr.c, xlat.c.)
 */
#include <string.h>

#include "xlat/pkt.h"
#include "xlat/xlat_int.h"

/* RFC 7915 §4.1: lowest-ipv6-mtu, default and minimum 1280; never above
 * the next hop's MTU (cfg->mtu) when that is known and usable. */
size_t xlat_frag_size(const struct xlat_cfg *cfg)
{
	size_t s = cfg->lowest_ipv6_mtu > IPV6_MIN_MTU ? cfg->lowest_ipv6_mtu : IPV6_MIN_MTU;

	if (cfg->mtu >= IPV6_MIN_MTU && cfg->mtu < s)
		s = cfg->mtu;
	return s;
}

/*
 * RFC 7915 §4.1: the translated packet at `p` (`len` bytes: an IPv6 header,
 * a Fragment header if the IPv4 packet was a fragment, the payload) becomes
 * fragments of at most `mtu` bytes, each with a Fragment header.  As if the
 * IPv4 packet had been fragmented first and each piece translated: the
 * identification is the IPv4 one, the offsets continue the IPv4 offset and
 * the last piece keeps the IPv4 MF flag.  Every piece but the last carries
 * a multiple of 8 bytes (RFC 8200 §4.5).
 */
void xlat_fragment6(const uint8_t *p, size_t len, const struct ip4_info *h, size_t mtu,
		    struct xlat_frags *out)
{
	size_t hdr = ip4_is_frag(h) ? IP6_HLEN + FRAG6_HLEN : IP6_HLEN;
	size_t chunk = (mtu - IP6_HLEN - FRAG6_HLEN) & ~(size_t)7;
	size_t base = (size_t)(h->frag & IP4_OFFMASK) * 8u, plen = len - hdr, off;
	uint8_t nh = h->proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : h->proto;
	unsigned last_mf = (h->frag & IP4_MF) ? 1u : 0u;

	out->n = 0;
	for (off = 0; off < plen && out->n < XLAT_FRAGS_MAX; off += chunk) {
		struct xlat_frag *f = &out->frag[out->n++];
		size_t n = min_sz(chunk, plen - off);
		unsigned mf = off + n < plen ? 1u : last_mf;

		memcpy(f->hdr, p, IP6_HLEN);
		pkt_store_be16(f->hdr + 4, (uint16_t)(FRAG6_HLEN + n));
		f->hdr[6] = IPPROTO_FRAGMENT;
		f->hdr[IP6_HLEN] = nh;
		f->hdr[IP6_HLEN + 1] = 0;
		pkt_store_be16(f->hdr + IP6_HLEN + 2, (uint16_t)(((base + off) / 8u) << 3 | mf));
		pkt_store_be32(f->hdr + IP6_HLEN + 4, h->id);
		f->hdr_len = IP6_HLEN + FRAG6_HLEN;
		f->payload = p + hdr + off;
		f->payload_len = n;
	}
}
