/*
 * The TUN link.  Ownership is the alias: nat64 only ever changes or deletes
 * a link that is a TUN device and carries LINK_ALIAS (or, right after it
 * created it, none yet).
 */
#include "plumb/link.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "io/tun.h"
#include "log.h"

int link_nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0:			return 0;
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_EXIST:		return -EEXIST;
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_NODEV:		return -ENODEV;
	case NLE_PERM:		return -EPERM;
	case NLE_NOACCESS:	return -EACCES;
	case NLE_INVAL:		return -EINVAL;
	case NLE_RANGE:		return -ERANGE;
	case NLE_BUSY:		return -EBUSY;
	case NLE_AGAIN:		return -EAGAIN;
	case NLE_OPNOTSUPP:	return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:	return -EAFNOSUPPORT;
	case NLE_MSGSIZE:	return -EMSGSIZE;
	default:		return -EIO;
	}
}

struct nl_sock *link_rtnl_open(int *err)
{
	struct nl_sock *sk = nl_socket_alloc();
	int ret;

	if (!sk) {
		*err = -ENOMEM;
		return NULL;
	}
	ret = nl_connect(sk, NETLINK_ROUTE);
	if (ret < 0) {
		*err = link_nl_errno(ret);
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

/* Looks `name` up: 1 and *out set if it exists, 0 if not, -errno. */
static int link_get(struct nl_sock *sk, const char *name, struct rtnl_link **out)
{
	int ret = rtnl_link_get_kernel(sk, 0, name, out);

	if (ret == -NLE_OBJ_NOTFOUND || ret == -NLE_NODEV)
		return 0;
	return ret < 0 ? link_nl_errno(ret) : 1;
}

static bool alias_is_ours(struct rtnl_link *l)
{
	const char *a = rtnl_link_get_ifalias(l);

	return a && !strcmp(a, LINK_ALIAS);
}

/* -EEXIST unless `l` may be used as nat64's TUN; the reason is logged at
 * `prio`.  With `adopt`, a TUN device without alias passes (e.g. one left by
 * an interrupted run, or made by hand for nat64). */
static int check_ours(const char *name, struct rtnl_link *l, bool adopt,
		      int prio)
{
	const char *a = rtnl_link_get_ifalias(l);
	int t = tun_exists(name);

	if (t == -ENOTTY) {
		log_msg(prio, "plumb: link %s exists and is not a TUN device; "
			"not touching it", name);
		return -EEXIST;
	}
	if (t < 0)
		return t;
	if (t == 0)
		return -ENODEV;
	if (a && *a && !alias_is_ours(l)) {
		log_msg(prio, "plumb: link %s exists with alias \"%s\", not "
			"\"%s\"; not touching it", name, a, LINK_ALIAS);
		return -EEXIST;
	}
	if (!(a && *a) && !adopt) {
		log_msg(prio, "plumb: TUN device %s has no alias \"%s\": not nat64's",
			 name, LINK_ALIAS);
		return -EEXIST;
	}
	return 0;
}

/* Sets MTU, txqueuelen, up and alias where they differ; records old values
 * in `u`. */
static int link_configure(struct nl_sock *sk, struct rtnl_link *l,
			  unsigned int mtu, unsigned int txqlen,
			  struct link_undo *u)
{
	struct rtnl_link *chg = rtnl_link_alloc();
	bool differs = false;
	int ret;

	if (!chg)
		return -ENOMEM;
	u->mtu = rtnl_link_get_mtu(l);
	u->txqlen = rtnl_link_get_txqlen(l);
	u->was_up = rtnl_link_get_flags(l) & IFF_UP;
	u->had_alias = alias_is_ours(l);
	if (u->mtu != mtu) {
		rtnl_link_set_mtu(chg, mtu);
		differs = true;
	}
	if (u->txqlen != txqlen) {
		rtnl_link_set_txqlen(chg, txqlen);
		differs = true;
	}
	if (!u->was_up) {
		rtnl_link_set_flags(chg, IFF_UP);
		differs = true;
	}
	if (!u->had_alias) {
		rtnl_link_set_ifalias(chg, LINK_ALIAS);
		differs = true;
	}
	ret = differs ? link_nl_errno(rtnl_link_change(sk, l, chg, 0)) : 0;
	rtnl_link_put(chg);
	if (ret == 0)
		u->changed = differs;
	return ret;
}

int link_setup(const char *name, unsigned int mtu, unsigned int txqlen,
	       struct link_undo *u)
{
	struct rtnl_link *l = NULL;
	struct nl_sock *sk;
	int ret;

	memset(u, 0, sizeof(*u));
	sk = link_rtnl_open(&ret);
	if (!sk)
		return ret;
	ret = link_get(sk, name, &l);
	if (ret == 1) {
		ret = check_ours(name, l, true, LOG_ERR);
		rtnl_link_put(l);
		l = NULL;
	}
	if (ret < 0)
		goto out;

	ret = tun_create(name);
	if (ret < 0) {
		log_err("plumb: creating TUN device %s: %s%s", name,
			strerror(-ret), ret == -EINVAL ?
			" (is it a TUN device without multi-queue support?)" : "");
		goto out;
	}
	u->created = ret == 1;
	ret = link_get(sk, name, &l);
	if (ret == 0)
		ret = -ENODEV;	/* deleted under our feet */
	if (ret < 0)
		goto fail;
	ret = link_configure(sk, l, mtu, txqlen, u);
	if (ret < 0) {
		log_err("plumb: setting up link %s (mtu %u, txqueuelen %u, up, "
			"alias): %s", name, mtu, txqlen, strerror(-ret));
		goto fail;
	}
	goto out;
fail:
	if (u->created && tun_destroy(name) == 0)
		u->created = false;
out:
	if (l)
		rtnl_link_put(l);
	nl_socket_free(sk);
	return ret < 0 ? ret : 0;
}

int link_undo(const char *name, const struct link_undo *u)
{
	struct rtnl_link *l = NULL, *chg;
	struct nl_sock *sk;
	int ret;

	if (u->created)
		return tun_destroy(name);
	if (!u->changed)
		return 0;
	sk = link_rtnl_open(&ret);
	if (!sk)
		return ret;
	ret = link_get(sk, name, &l);
	if (ret <= 0)
		goto out;
	chg = rtnl_link_alloc();
	if (!chg) {
		ret = -ENOMEM;
		goto out;
	}
	rtnl_link_set_mtu(chg, u->mtu);
	rtnl_link_set_txqlen(chg, u->txqlen);
	if (!u->was_up)
		rtnl_link_unset_flags(chg, IFF_UP);
	if (!u->had_alias)
		rtnl_link_set_ifalias(chg, "");	/* an empty alias is none */
	ret = link_nl_errno(rtnl_link_change(sk, l, chg, 0));
	rtnl_link_put(chg);
out:
	if (l)
		rtnl_link_put(l);
	nl_socket_free(sk);
	return ret < 0 ? ret : 0;
}

int link_owned(const char *name)
{
	struct rtnl_link *l = NULL;
	struct nl_sock *sk;
	int ret;

	sk = link_rtnl_open(&ret);
	if (!sk)
		return ret;
	ret = link_get(sk, name, &l);
	if (ret == 1) {
		ret = check_ours(name, l, false, LOG_INFO);
		ret = ret == 0 ? 1 : ret == -ENODEV ? 0 : ret;
		rtnl_link_put(l);
	}
	nl_socket_free(sk);
	return ret;
}

int link_remove(const char *name)
{
	int ret = link_owned(name);

	if (ret <= 0)
		return ret;
	/* Clearing the persistent flag removes the device once no worker has a
	 * queue open; a running daemon keeps it until it stops. */
	ret = tun_destroy(name);
	if (ret == -ENODEV)
		return 0;
	return ret < 0 ? ret : 1;
}
