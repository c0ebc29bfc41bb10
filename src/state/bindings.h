/*
 * Kernel-NAPT bindings: one inner IPv4 address from the pool per IPv6 client
 * (1:1).  Workers look bindings up in both directions without locks (RCU
 * readers, liburcu "memb" flavour); creation and reaping are serialised by a
 * mutex.  An inner address is never handed to a different client before its
 * conntrack entries are flushed.  Design note: docs/bindings.md.
 */
#ifndef NAT64_STATE_BINDINGS_H
#define NAT64_STATE_BINDINGS_H

#include <netinet/in.h>
#include <stdint.h>

struct bindings;

struct bindings_ct_ops {
	/* 1 if conntrack still holds entries whose original source is `inner`,
	 * 0 if none, -errno if unknown (treated as in use). */
	int (*in_use)(void *arg, struct in_addr inner);
	/* Delete conntrack entries whose original source is `inner`. 0 or -errno. */
	int (*flush)(void *arg, struct in_addr inner);
	void *arg;
};

/*
 * pool: network address (host bits zero), pool_len 12..30; exclude: an
 * address never given out (INADDR_ANY for none).  The network and broadcast
 * addresses of the pool are never given out either.  ops is copied; NULL
 * means "no conntrack" (nothing in use, flush is a no-op).  Returns NULL with
 * errno set (EINVAL, ENOMEM) on failure.
 *
 * The caller flushes conntrack for the whole pool once before the first
 * create: every address starts clean.
 */
struct bindings *bindings_new(struct in_addr pool, unsigned pool_len, struct in_addr exclude,
			      uint32_t idle_timeout, const struct bindings_ct_ops *ops);

/* Accepts NULL.  No readers may remain and no other call may be running. */
void bindings_free(struct bindings *b);

/*
 * Fast path.  Call inside rcu_read_lock() from a thread registered with
 * rcu_register_thread().  No lock, no allocation, no syscall.
 * 0 and *inner set if client has an active binding (its last-seen updated to
 * now), -ENOENT otherwise (then call bindings_create() outside the read-side
 * section).
 */
int bindings_lookup6(struct bindings *b, const struct in6_addr *client, uint32_t now,
		     struct in_addr *inner);

/* Fast path, same rules.  0 and *client set if inner is actively bound
 * (last-seen updated), -ENOENT otherwise. */
int bindings_lookup4(struct bindings *b, struct in_addr inner, uint32_t now,
		     struct in6_addr *client);

/*
 * Slow path, OUTSIDE any RCU read-side section (it may wait for a grace
 * period and call ops->flush): returns the client's binding, creating or
 * reviving it.  0 and *inner set; -ENOSPC pool exhausted (existing bindings
 * are unaffected); other -errno (e.g. ops->flush failed: nothing is bound).
 */
int bindings_create(struct bindings *b, const struct in6_addr *client, uint32_t now,
		    struct in_addr *inner);

/*
 * Reaper (one supervisor thread, outside read-side sections): reaps bindings
 * idle for >= idle_timeout seconds whose inner address ops->in_use reports
 * free.  Reaped bindings become dormant: the address remembers its last
 * client, who gets it back if it returns before the address is needed by
 * someone else.  Returns the number reaped.
 */
unsigned bindings_reap(struct bindings *b, uint32_t now);

struct bindings_stats {
	uint64_t active;		/* bindings in use now */
	uint64_t dormant;		/* reaped, address remembers its last client */
	uint64_t capacity;		/* usable addresses in the pool */
	uint64_t created;		/* new bindings (fresh or taken-over address) */
	uint64_t revived;		/* dormant bindings given back to their client */
	uint64_t reaped;
	uint64_t kept_by_conntrack;	/* idle but kept: conntrack still in use */
	uint64_t exhausted;		/* creates refused with -ENOSPC */
	uint64_t flushes;		/* ops->flush calls (address changed client) */
};

/* Consistent snapshot (takes the mutex; not for the fast path). */
void bindings_get_stats(struct bindings *b, struct bindings_stats *out);

#endif
