/* RFC 6052 IPv4-embedded IPv6 addresses. */
#ifndef NAT64_XLAT_ADDR_H
#define NAT64_XLAT_ADDR_H

#include <netinet/in.h>
#include <stdint.h>

struct nat64_prefix {
	struct in6_addr addr;
	uint8_t len; /* one of 32, 40, 48, 56, 64, 96 */
};

/* 1 if RFC 6052 §2.2 allows a prefix of `len` bits, else 0. */
int addr_prefix_len_valid(unsigned len);
/* 1 if `p` is usable: valid length, no bits set past the length, and (for
 * lengths that include it, i.e. /96) a zero u-octet (RFC 6052 §2.2). */
int addr_prefix_valid(const struct nat64_prefix *p);
/* RFC 6052 §2.2 embed; bits 64-71 (u-octet) and suffix zero. */
void addr_embed(const struct nat64_prefix *p, struct in_addr v4, struct in6_addr *out);
/* 0 and *v4 set if `a` is inside p with zero u-octet and zero suffix; -1 otherwise. */
int addr_extract(const struct nat64_prefix *p, const struct in6_addr *a, struct in_addr *v4);
/* 1 if a is in net/len (len 0..128), else 0. */
int addr_in6_in_net(const struct in6_addr *a, const struct in6_addr *net, unsigned len);

#endif
