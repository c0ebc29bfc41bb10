/* Plumbing: the host-side setup nat64 needs (TUN device, routes, forwarding
 * sysctls, nftables table), each step undoable.  Works in the caller's
 * network namespace. */
#ifndef NAT64_PLUMB_H
#define NAT64_PLUMB_H

struct config;

/* Makes the host ready for `nat64 run`.  Idempotent: what is already right is
 * left alone (nftables counters keep counting).  On failure undoes, in
 * reverse, exactly what this call did, logs which step failed and why, and
 * returns -errno; 0 on success. */
int plumb_up(const struct config *c);

/* Removes what plumb_up() creates: the nftables table, nat64's routes and the
 * TUN device, each only if it is nat64's (forwarding sysctls stay on).
 * Missing pieces are fine.  Carries on past failures and returns the first
 * one as -errno, else 0. */
int plumb_down(const struct config *c);

/* 0 if the TUN device exists and is nat64's, -ENODEV if it is missing,
 * -EEXIST if a link of that name is not nat64's, -errno on other errors. */
int plumb_verify(const struct config *c);

#endif
