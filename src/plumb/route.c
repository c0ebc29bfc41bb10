/*
 * Routes into the TUN device.  A route is nat64's when it carries protocol
 * NAT64_RTPROTO; nat64 never replaces or deletes any other route.
 */
#include "plumb/route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <string.h>

#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>

#include "log.h"
#include "plumb/link.h"

struct route_key {
	int family;
	struct nl_addr *dst;	/* masked, with prefix length */
	char text[INET6_ADDRSTRLEN + 4];
};

static int key_init(struct route_key *k, int family, const void *dst,
		    unsigned int plen)
{
	unsigned char a[sizeof(struct in6_addr)] = { 0 };
	size_t len = family == AF_INET ? 4 : 16;

	if ((family != AF_INET && family != AF_INET6) || plen > len * 8)
		return -EINVAL;
	memcpy(a, dst, len);
	for (size_t i = 0; i < len; i++) {
		unsigned int keep = plen > i * 8 ? plen - (unsigned int)i * 8 : 0;

		if (keep < 8)
			a[i] &= (unsigned char)(0xff00U >> keep);
	}
	k->family = family;
	k->dst = nl_addr_build(family, a, len);
	if (!k->dst)
		return -ENOMEM;
	nl_addr_set_prefixlen(k->dst, (int)plen);
	nl_addr2str(k->dst, k->text, sizeof(k->text));
	return 0;
}

/* Is `r` a main-table route for the key's destination? */
static bool route_is_for(struct rtnl_route *r, const struct route_key *k)
{
	return rtnl_route_get_table(r) == RT_TABLE_MAIN &&
	       nl_addr_cmp(rtnl_route_get_dst(r), k->dst) == 0;
}

/* Is `r` nat64's route into `ifindex`? */
static bool route_is_ours(struct rtnl_route *r, int ifindex)
{
	return rtnl_route_get_protocol(r) == NAT64_RTPROTO &&
	       rtnl_route_get_type(r) == RTN_UNICAST &&
	       rtnl_route_get_nnexthops(r) == 1 &&
	       rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, 0)) == ifindex;
}

static void log_conflict(const struct route_key *k, const char *ifname,
			 struct rtnl_route *r)
{
	char proto[32], dev[IF_NAMESIZE] = "?";
	struct rtnl_nexthop *nh = rtnl_route_get_nnexthops(r) > 0 ?
				  rtnl_route_nexthop_n(r, 0) : NULL;

	rtnl_route_proto2str(rtnl_route_get_protocol(r), proto, sizeof(proto));
	if (nh && rtnl_route_nh_get_ifindex(nh) > 0)
		if_indextoname((unsigned int)rtnl_route_nh_get_ifindex(nh), dev);
	log_err("plumb: route %s dev %s: %s (a route with protocol %s via dev "
		"%s is in the way; nat64 does not replace it)", k->text, ifname,
		strerror(EEXIST), proto, dev);
}

/* Walks the main-table routes for the key: `found` gets one of them (a
 * reference), preferring one that is nat64's in `ifindex`. */
static int route_find(struct nl_sock *sk, const struct route_key *k,
		      int ifindex, struct rtnl_route **found)
{
	struct nl_cache *cache;
	struct nl_object *o;
	int ret;

	*found = NULL;
	ret = rtnl_route_alloc_cache(sk, k->family, 0, &cache);
	if (ret < 0)
		return link_nl_errno(ret);
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;

		if (!route_is_for(r, k))
			continue;
		if (!*found || route_is_ours(r, ifindex)) {
			if (*found)
				rtnl_route_put(*found);
			nl_object_get(o);
			*found = r;
		}
	}
	nl_cache_free(cache);
	return 0;
}

static int route_new(const struct route_key *k, int ifindex,
		     struct rtnl_route **out)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();

	if (!r || !nh) {
		if (r)
			rtnl_route_put(r);
		if (nh)
			rtnl_route_nh_free(nh);
		return -ENOMEM;
	}
	rtnl_route_set_family(r, (uint8_t)k->family);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_protocol(r, NAT64_RTPROTO);
	rtnl_route_set_type(r, RTN_UNICAST);
	/* As ip(8) does: a gateway-less IPv4 route is on-link; IPv6 routes
	 * are always universe scope. */
	rtnl_route_set_scope(r, k->family == AF_INET ? RT_SCOPE_LINK
						     : RT_SCOPE_UNIVERSE);
	rtnl_route_set_dst(r, k->dst);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(r, nh);
	*out = r;
	return 0;
}

int route_add(int family, const void *dst, unsigned int plen, const char *ifname)
{
	struct rtnl_route *r = NULL, *old = NULL;
	struct route_key k;
	struct nl_sock *sk;
	int ifindex = (int)if_nametoindex(ifname);
	int ret;

	if (ifindex == 0)
		return -errno;
	if ((ret = key_init(&k, family, dst, plen)))
		return ret;
	sk = link_rtnl_open(&ret);
	if (!sk)
		goto out;
	/* Look first: an IPv6 route with another metric would not collide
	 * on add (NLM_F_EXCL) yet could take the traffic. */
	ret = route_find(sk, &k, ifindex, &old);
	if (ret < 0)
		goto out;
	if (old) {
		if (route_is_ours(old, ifindex)) {
			ret = 0;
		} else {
			log_conflict(&k, ifname, old);
			ret = -EEXIST;
		}
		goto out;
	}
	if ((ret = route_new(&k, ifindex, &r)))
		goto out;
	ret = link_nl_errno(rtnl_route_add(sk, r, NLM_F_EXCL));
	if (ret < 0)
		log_err("plumb: route %s dev %s: %s", k.text, ifname,
			strerror(-ret));
	else
		ret = 1;
out:
	if (r)
		rtnl_route_put(r);
	if (old)
		rtnl_route_put(old);
	if (sk)
		nl_socket_free(sk);
	nl_addr_put(k.dst);
	return ret;
}

int route_del(int family, const void *dst, unsigned int plen)
{
	struct nl_cache *cache = NULL;
	struct route_key k;
	struct nl_sock *sk;
	struct nl_object *o;
	int ret, deleted = 0;

	if ((ret = key_init(&k, family, dst, plen)))
		return ret;
	sk = link_rtnl_open(&ret);
	if (!sk)
		goto out;
	ret = rtnl_route_alloc_cache(sk, family, 0, &cache);
	if (ret < 0) {
		ret = link_nl_errno(ret);
		goto out;
	}
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;

		if (!route_is_for(r, &k) ||
		    rtnl_route_get_protocol(r) != NAT64_RTPROTO)
			continue;
		ret = link_nl_errno(rtnl_route_delete(sk, r, 0));
		if (ret == -ESRCH || ret == -ENOENT)
			ret = 0;	/* gone meanwhile */
		if (ret < 0) {
			log_err("plumb: deleting route %s: %s", k.text,
				strerror(-ret));
			goto out;
		}
		deleted = 1;
	}
	ret = deleted;
out:
	if (cache)
		nl_cache_free(cache);
	if (sk)
		nl_socket_free(sk);
	nl_addr_put(k.dst);
	return ret;
}
