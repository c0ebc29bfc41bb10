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
/* 1 if a is in net/len (len 0..32; host bits of net ignored), else 0. */
int addr_v4_in_net(struct in_addr a, struct in_addr net, unsigned len);
/* 1 if `p` is the Well-Known Prefix 64:ff9b::/96 (RFC 6052 §2.1). */
int addr_prefix_is_wkp(const struct nat64_prefix *p);
/* 1 if `a` is globally reachable per the IANA IPv4 Special-Purpose Address Registry (RFC 6890),
 * 0 for the non-global ranges (0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24
 * but .9 and .10, 192.0.2/24, 192.88.99/24, 192.168/16, 198.18/15, 198.51.100/24, 203.0.113/24,
 * 224/4, 240/4 incl. 255.255.255.255).  RFC 6052 §3.1: never embedded in the Well-Known Prefix. */
int addr_v4_is_global(struct in_addr a);

#endif
