/* The TUN link: created through io/tun, marked as nat64's with its alias,
 * given its MTU and transmit queue length and brought up (libnl-route-3). */
#ifndef NAT64_PLUMB_LINK_H
#define NAT64_PLUMB_LINK_H

#include <stdbool.h>

/* The link alias (IFLA_IFALIAS) that says a link is nat64's. */
#define LINK_ALIAS "nat64: managed by nat64"

/* What link_setup() changed, so that link_undo() can put it back. */
struct link_undo {
	bool created;		/* the device did not exist before */
	bool changed;		/* an existing device got new settings: */
	unsigned int mtu;	/*   its previous MTU */
	unsigned int txqlen;	/*   its previous txqueuelen */
	bool was_up;		/*   whether it was up */
	bool had_alias;		/*   whether it already carried LINK_ALIAS */
};

/* Creates the TUN device `name` unless it is there, marks it as nat64's,
 * sets `mtu` and `txqlen` (the transmit queue length, in packets) and brings
 * it up; only what differs is changed.  A link called `name` that is not a
 * TUN device or carries another alias is left alone: -EEXIST.  Returns 0 or
 * -errno. */
int link_setup(const char *name, unsigned int mtu, unsigned int txqlen,
	       struct link_undo *u);

/* Reverts what link_setup() recorded in `u`.  Returns 0 or -errno. */
int link_undo(const char *name, const struct link_undo *u);

/* 1 if `name` exists and is nat64's TUN device, 0 if there is no such link,
 * -EEXIST if a link of that name is not nat64's, -errno on other errors. */
int link_owned(const char *name);

/* Deletes nat64's TUN device `name`.  1 deleted, 0 absent, -EEXIST if the
 * link is not nat64's (left alone), -errno. */
int link_remove(const char *name);

/* libnl's NLE_* error code as -errno (route.c uses it too). */
int link_nl_errno(int nlerr);

struct nl_sock;
/* A connected NETLINK_ROUTE socket for libnl, or NULL with *err = -errno.
 * Free it with nl_socket_free(). */
struct nl_sock *link_rtnl_open(int *err);

#endif
