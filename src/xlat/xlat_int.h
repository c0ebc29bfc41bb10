/*
 * Private to src/xlat: parsed headers and the helpers that xlat.c (entry
 * points, IP headers), icmp.c (ICMP mapping, inner packets), frag.c (IPv6
 * extension-header walk, fragments) and reply.c (errors the translator
 * originates) share.
 */
#ifndef NAT64_XLAT_XLAT_INT_H
#define NAT64_XLAT_XLAT_INT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "xlat/xlat.h"

#define IP6_HLEN 40u
#define IP4_HLEN 20u
#define FRAG6_HLEN 8u
#define ICMP_HLEN 8u            /* type, code, checksum, 4 more bytes (both versions) */
#define TCP_HLEN 20u
#define UDP_HLEN 8u
#define ICMP_CSUM_OFF 2u
#define TCP_CSUM_OFF 16u
#define UDP_CSUM_OFF 6u
#define IP4_TOT_MAX 0xffffu
#define IPV6_MIN_MTU 1280u      /* RFC 8200 §5 */
#define IPV4_MIN_MTU 68u        /* RFC 791 §3.2 */
/* RFC 1812 §4.3.2.3: an ICMPv4 error is at most 576 bytes. */
#define ICMP4_ERR_MAX 576u
/* RFC 4443 §2.4(c): an ICMPv6 error fits the minimum IPv6 MTU. */
#define ICMP6_ERR_MAX IPV6_MIN_MTU
/* Hop limit / TTL of the errors the translator originates. */
#define XLAT_ERR_TTL 64u
/* RFC 7915 §5.1: translated packets up to this size leave DF clear. */
#define XLAT_DF_MAX_LEN 1260u
/* IPv4 fragment field (host order). */
#define IP4_DF 0x4000u
#define IP4_MF 0x2000u
#define IP4_OFFMASK 0x1fffu

/* An IPv6 header and its extension-header chain, walked (frag.c). */
struct ip6_info {
	struct in6_addr src, dst;
	size_t plen;       /* payload length field */
	size_t l4off;      /* offset of the upper-layer header (or fragment data) */
	size_t ulen;       /* upper-layer bytes the header declares: plen - extension headers */
	size_t avail;      /* of those, bytes present (less than ulen only in a quoted packet) */
	size_t seg_left;   /* offset of the first non-zero Segments Left field, 0 if none */
	uint32_t frag_id;
	uint16_t frag_off; /* 8-byte units */
	uint8_t frag;      /* a Fragment header that is not an atomic fragment */
	uint8_t frag_mf;
	uint8_t tclass, hlim, proto;
};

/* An IPv4 header. */
struct ip4_info {
	struct in_addr src, dst;
	size_t hlen, tot_len;
	size_t avail;      /* payload bytes present (< tot_len - hlen only in a quoted packet) */
	uint16_t id, frag; /* frag: flags and offset, host order */
	uint8_t tos, ttl, proto;
};

/* An ICMP error to originate or translate: type, code, and the 32 bits
 * after the checksum (pointer, MTU), host order.  type 0 with a drop
 * reason means "drop without an error". */
struct xlat_icmp {
	uint8_t type, code;
	uint32_t info;
};

static inline int ip4_is_frag(const struct ip4_info *h)
{
	return (h->frag & (IP4_MF | IP4_OFFMASK)) != 0;
}

static inline size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* xlat.c */
uint32_t xlat_sum_word(uint8_t hi, uint8_t lo);
uint32_t xlat_sum_addrs6(const struct in6_addr *src, const struct in6_addr *dst);
uint32_t xlat_sum_addrs4(struct in_addr src, struct in_addr dst);
uint32_t xlat_sum_pseudo6_tail(size_t len, uint8_t nexthdr);
void xlat_l4_replace_addrs(uint8_t proto, uint8_t *l4, size_t avail, uint32_t removed, uint32_t added);
enum xlat_drop xlat_parse4(const uint8_t *p, size_t len, int quoted, struct ip4_info *h);
void xlat_write_ip4(uint8_t *out, const struct ip6_info *h, struct in_addr src, struct in_addr dst,
		    uint16_t id, uint8_t ttl, size_t tot, size_t seg);
size_t xlat_write_ip6(uint8_t *out, const struct ip4_info *h, const struct in6_addr *src,
		      const struct in6_addr *dst, uint8_t hlim, size_t ulen);
uint16_t xlat_next_ip_id(struct xlat_state *st);
enum xlat_drop xlat_map_reason(int m);

/* frag.c */
enum xlat_drop xlat_parse6(const uint8_t *p, size_t len, int quoted, struct ip6_info *h);
size_t xlat_frag_size(const struct xlat_cfg *cfg);
void xlat_fragment6(const uint8_t *p, size_t len, const struct ip4_info *h, size_t mtu,
		    struct xlat_frags *out);

/* icmp.c */
enum xlat_drop xlat_icmp6_classify(const uint8_t *l4, size_t len, int *err);
enum xlat_drop xlat_icmp4_classify(const uint8_t *l4, size_t len, int *err);
void xlat_icmp_echo_6to4(uint8_t *l4, size_t len, uint32_t addrs6);
void xlat_icmp_echo_4to6(uint8_t *l4, size_t len, uint32_t addrs6);
enum xlat_drop xlat_icmp6_error_to4(const struct xlat_cfg *cfg, const struct xlat_map *map,
				    struct xlat_state *st, const struct ip6_info *h, struct in_addr dst4,
				    struct xlat_buf *pkt);
enum xlat_drop xlat_icmp4_error_to6(const struct xlat_cfg *cfg, const struct xlat_map *map,
				    const struct ip4_info *h, const struct in6_addr *src6,
				    const struct in6_addr *dst6, struct xlat_buf *pkt);

/* reply.c */
int xlat_may_answer6(const struct in6_addr *src);
int xlat_may_answer4(struct in_addr src, struct in_addr dst);
enum xlat_verdict xlat_reply6(const struct xlat_cfg *cfg, const struct xlat_icmp *e, const uint8_t *orig,
			      size_t orig_len, const struct in6_addr *dst, struct xlat_buf *reply);
enum xlat_verdict xlat_reply4(const struct xlat_cfg *cfg, struct xlat_state *st, const struct xlat_icmp *e,
			      const uint8_t *orig, size_t orig_len, struct in_addr dst, struct xlat_buf *reply);

#endif
