/*
 * Plumbing orchestration: a list of steps, each with an undo.  plumb_up()
 * runs them in order and, when one fails, undoes in reverse only what this
 * run changed (an already-present route or TUN is not ours to remove then).
 */
#include "plumb/plumb.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "log.h"
#include "plumb/link.h"
#include "plumb/nft.h"
#include "plumb/route.h"
#include "plumb/sysctl.h"
#include "xlat/addr.h"

/* What one plumb_up() run changed. */
struct run {
	const struct config *c;
	struct link_undo link;
	bool route6_added;
	bool gw6_added;
	bool route4_added;
	bool fwd4_changed;
	bool fwd6_changed;
};

struct step {
	const char *name;
	bool kernel_only;		/* only for napt = "kernel" */
	int (*up)(struct run *r);	/* 0 or -errno */
	int (*undo)(struct run *r);
};

static int tun_up(struct run *r)
{
	return link_setup(r->c->tun.name, r->c->tun.mtu, r->c->tun.txqueuelen,
			  &r->link);
}

static int tun_undo(struct run *r)
{
	return link_undo(r->c->tun.name, &r->link);
}

static int route6_up(struct run *r)
{
	int ret = route_add(AF_INET6, &r->c->prefix.addr, r->c->prefix.len,
			    r->c->tun.name);

	r->route6_added = ret == 1;
	return ret < 0 ? ret : 0;
}

static int route6_undo(struct run *r)
{
	if (!r->route6_added)
		return 0;
	return route_del(AF_INET6, &r->c->prefix.addr, r->c->prefix.len);
}

/* Replies to the translator's own IPv6 address (the source of the ICMPv6
 * errors it originates) must reach the TUN too; inside the prefix the
 * prefix route carries them already. */
static bool gw6_needs_route(const struct config *c)
{
	return !addr_in6_in_net(&c->gateway_v6, &c->prefix.addr, c->prefix.len);
}

static int gw6_up(struct run *r)
{
	int ret;

	if (!gw6_needs_route(r->c))
		return 0;
	ret = route_add(AF_INET6, &r->c->gateway_v6, 128, r->c->tun.name);
	r->gw6_added = ret == 1;
	return ret < 0 ? ret : 0;
}

static int gw6_undo(struct run *r)
{
	if (!r->gw6_added)
		return 0;
	return route_del(AF_INET6, &r->c->gateway_v6, 128);
}

static int route4_up(struct run *r)
{
	int ret = route_add(AF_INET, &r->c->kernel.pool, r->c->kernel.pool_len,
			    r->c->tun.name);

	r->route4_added = ret == 1;
	return ret < 0 ? ret : 0;
}

static int route4_undo(struct run *r)
{
	if (!r->route4_added)
		return 0;
	return route_del(AF_INET, &r->c->kernel.pool, r->c->kernel.pool_len);
}

/* Forwarding is switched on but never off by plumb_down(): other services
 * on the host may rely on it, and nat64 cannot know whether they do.  Only a
 * failing plumb_up() puts back what it found. */
static int fwd_up(const char *path, bool *changed)
{
	int ret = sysctl_enable(path);

	*changed = ret == 1;
	if (ret < 0)
		log_err("plumb: sysctl %s=1: %s", path, strerror(-ret));
	return ret < 0 ? ret : 0;
}

static int fwd4_up(struct run *r)
{
	return fwd_up(SYSCTL_IPV4_FORWARD, &r->fwd4_changed);
}

static int fwd4_undo(struct run *r)
{
	return r->fwd4_changed ? sysctl_set(SYSCTL_IPV4_FORWARD, 0) : 0;
}

static int fwd6_up(struct run *r)
{
	return fwd_up(SYSCTL_IPV6_FORWARD, &r->fwd6_changed);
}

static int fwd6_undo(struct run *r)
{
	return r->fwd6_changed ? sysctl_set(SYSCTL_IPV6_FORWARD, 0) : 0;
}

static void nft_params_of(const struct config *c, struct nft_params *p)
{
	p->tun = c->tun.name;
	p->uplink = c->kernel.uplink;
	p->pool = c->kernel.pool;
	p->pool_len = c->kernel.pool_len;
}

static int nft_up(struct run *r)
{
	struct nft_params p;
	int ret;

	nft_params_of(r->c, &p);
	ret = nft_install(&p);
	return ret < 0 ? ret : 0;
}

/* The last step: the batch is atomic, so a failed install changed nothing
 * and no later step can fail after it. */
static const struct step steps[] = {
	{ "tun device", false, tun_up, tun_undo },
	{ "route to the prefix", false, route6_up, route6_undo },
	{ "route to gateway-v6", false, gw6_up, gw6_undo },
	{ "route to the inner pool", true, route4_up, route4_undo },
	{ "ipv4 forwarding", false, fwd4_up, fwd4_undo },
	{ "ipv6 forwarding", false, fwd6_up, fwd6_undo },
	{ "nftables table", true, nft_up, NULL },
};

#define N_STEPS (sizeof(steps) / sizeof(steps[0]))

static bool step_applies(const struct step *s, const struct config *c)
{
	return !s->kernel_only || c->napt == NAPT_KERNEL;
}

int plumb_up(const struct config *c)
{
	struct run r = { .c = c };
	size_t i;
	int ret = 0, err;

	for (i = 0; i < N_STEPS; i++) {
		if (!step_applies(&steps[i], c))
			continue;
		ret = steps[i].up(&r);
		if (ret < 0)
			break;
	}
	if (ret == 0) {
		log_info("plumb: %s is ready", c->tun.name);
		return 0;
	}
	log_err("plumb: step \"%s\" failed: %s; undoing what this run did",
		steps[i].name, strerror(-ret));
	while (i-- > 0) {
		if (!step_applies(&steps[i], c) || !steps[i].undo)
			continue;
		err = steps[i].undo(&r);
		if (err < 0)
			log_err("plumb: undoing step \"%s\": %s", steps[i].name,
				strerror(-err));
	}
	return ret;
}

/* Something of that name that is not nat64's is not unplumb's business. */
static int down_result(const char *what, int ret, int first)
{
	if (ret == -EEXIST) {
		log_warn("plumb: %s is not nat64's; left alone", what);
		return first;
	}
	if (ret < 0) {
		log_err("plumb: removing %s: %s", what, strerror(-ret));
		return first ? first : ret;
	}
	if (ret > 0)
		log_info("plumb: removed %s", what);
	return first;
}

int plumb_down(const struct config *c)
{
	int first = 0;

	first = down_result("nftables table inet " NFT_TABLE_NAME,
			    nft_remove(), first);
	if (c->napt == NAPT_KERNEL)
		first = down_result("route to the inner pool",
				    route_del(AF_INET, &c->kernel.pool,
					      c->kernel.pool_len), first);
	if (gw6_needs_route(c))
		first = down_result("route to gateway-v6",
				    route_del(AF_INET6, &c->gateway_v6, 128),
				    first);
	first = down_result("route to the prefix",
			    route_del(AF_INET6, &c->prefix.addr,
				      c->prefix.len), first);
	first = down_result("tun device", link_remove(c->tun.name), first);
	return first;
}

int plumb_verify(const struct config *c)
{
	int ret = link_owned(c->tun.name);

	if (ret == 1)
		return 0;
	return ret == 0 ? -ENODEV : ret;
}
