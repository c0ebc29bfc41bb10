/* Conntrack entries of inner-pool addresses (ctnetlink over libmnl), for the
 * binding reaper: an inner address is busy while the kernel still tracks a
 * connection from it, and its entries go when its binding is given away. */
#ifndef NAT64_PLUMB_CONNTRACK_H
#define NAT64_PLUMB_CONNTRACK_H

#include <netinet/in.h>
#include <stdint.h>

struct ct;

/* Opens a NETLINK_NETFILTER socket.  NULL with errno set on failure. */
struct ct *ct_open(void);

/* Accepts NULL. */
void ct_close(struct ct *ct);

/* Sets bit (ntohl(addr) - ntohl(base)) in `bitmap` (bit i is
 * bitmap[i / 64] >> (i % 64)) for every IPv4 conntrack entry whose
 * original-direction source lies in [base, base + count); other bits are
 * left as they are.  Returns the number of entries in that range, or -errno. */
int ct_inner_in_use(struct ct *ct, struct in_addr base, uint32_t count,
		    uint64_t *bitmap);

/* Deletes every IPv4 conntrack entry whose original source lies in
 * [base, base + count) (count 1: one address).  Entries that vanish meanwhile
 * are fine.  Returns the number deleted, or -errno. */
int ct_flush_inner(struct ct *ct, struct in_addr base, uint32_t count);

#endif
