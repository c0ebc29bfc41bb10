/* nat64's routes: a destination into the TUN device, in the main table,
 * tagged with nat64's own route protocol number (libnl-route-3). */
#ifndef NAT64_PLUMB_ROUTE_H
#define NAT64_PLUMB_ROUTE_H

/* `ip route show proto 64` lists exactly nat64's routes;
 * scripts/rt_protos.nat64 gives the number its name for iproute2. */
#define NAT64_RTPROTO 64

/* Adds dst/plen (AF_INET: struct in_addr, AF_INET6: struct in6_addr; host
 * bits are cleared) dev `ifname`.  1 added, 0 nat64's identical route was
 * already there, -EEXIST if any other route for that destination is in the
 * main table (left alone, reason logged), -errno otherwise. */
int route_add(int family, const void *dst, unsigned int plen, const char *ifname);

/* Deletes nat64's routes (protocol NAT64_RTPROTO) for dst/plen from the main
 * table; other routes are left alone.  1 deleted, 0 none there, -errno. */
int route_del(int family, const void *dst, unsigned int plen);

#endif
