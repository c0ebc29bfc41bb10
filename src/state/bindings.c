/*
 * Kernel-NAPT bindings (see docs/bindings.md for the whole picture).
 *
 * Layout: one `struct slot` per pool address, indexed by
 * ntohl(inner) - pool_base, so 4->6 is one load.  6->4 goes through a chained
 * hash whose buckets and links are 32-bit slot numbers (index + 1, 0 = end):
 * a slot is in the hash while it is active or dormant, keyed by its owner.
 *
 * Concurrency: readers (workers) hold rcu_read_lock() and only load; every
 * field they load is written with __atomic stores so neither the compiler
 * nor TSan sees a plain race.  Writers (create, reap) hold b->lock.  A slot's
 * owner only changes after the slot has left the hash and synchronize_rcu()
 * has returned, so a reader never sees an owner change under its feet, and no
 * worker still translates with the old mapping when conntrack is flushed.
 */
#include "state/bindings.h"

#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <urcu.h>

enum slot_state {
	SLOT_FREE = 0,	/* never given out since start-up: conntrack is clean */
	SLOT_RESERVED,	/* network, broadcast or excluded address */
	SLOT_ACTIVE,	/* bound: lookups succeed */
	SLOT_DORMANT,	/* reaped; owner kept so a returning client gets it back */
	SLOT_MOVING,	/* changing owner: out of the hash, waiting for grace + flush */
};

#define LINK_NONE 0u	/* links are slot index + 1 */

struct slot {
	uint32_t owner[4];	/* client IPv6 address, network byte order */
	uint32_t last_seen;	/* written by workers, only when it changed */
	uint32_t hnext;		/* hash chain (read by workers) */
	uint32_t dprev, dnext;	/* dormant FIFO, oldest first (writers only) */
	uint8_t state;		/* enum slot_state */
};

struct bindings {
	/* Read-mostly: everything the fast path needs. */
	struct slot *slots;
	uint32_t *buckets;	/* as many as pool addresses (a power of two) */
	uint32_t base;		/* pool network address, host byte order */
	uint32_t size;		/* addresses in the pool, 2^(32 - pool_len) */
	unsigned hash_shift;	/* 64 - log2(size) */
	uint64_t seed[2];	/* keyed hash: clients cannot aim at one bucket */
	uint32_t idle_timeout;
	struct bindings_ct_ops ops;

	/* Writers only, on their own cache line. */
	pthread_mutex_t lock __attribute__((aligned(64)));
	uint32_t fresh;		/* no never-used address below this index */
	uint32_t dhead, dtail;	/* dormant FIFO */
	struct bindings_stats st;
	struct log_ratelimit flush_rl;
	pthread_mutex_t reap_lock;	/* one reaper at a time */
};

static inline uint32_t load32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void store32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline enum slot_state slot_state(const struct slot *s)
{
	return (enum slot_state)__atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
}

static inline void set_state(struct slot *s, enum slot_state st)
{
	/* Release: owner, last_seen and links are written before a reader
	 * can see the new state. */
	__atomic_store_n(&s->state, (uint8_t)st, __ATOMIC_RELEASE);
}

static inline uint64_t mix64(uint64_t x)
{
	/* splitmix64 finaliser */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static inline uint32_t *bucket_of(const struct bindings *b, const uint32_t k[4])
{
	uint64_t hi = ((uint64_t)k[0] << 32) | k[1];
	uint64_t lo = ((uint64_t)k[2] << 32) | k[3];
	uint64_t h = mix64(hi ^ b->seed[0]);

	h = mix64(h ^ lo ^ b->seed[1]);
	return &b->buckets[h >> b->hash_shift];
}

static inline bool owner_is(const struct slot *s, const uint32_t k[4])
{
	return load32(&s->owner[0]) == k[0] && load32(&s->owner[1]) == k[1] &&
	       load32(&s->owner[2]) == k[2] && load32(&s->owner[3]) == k[3];
}

/* Record traffic; skip the store (and the cache-line transfer) when the
 * value is already current, which is the common case. */
static inline void touch(struct slot *s, uint32_t now)
{
	if (load32(&s->last_seen) != now)
		store32(&s->last_seen, now);
}

static inline struct in_addr inner_of(const struct bindings *b, uint32_t i)
{
	struct in_addr a = { .s_addr = htonl(b->base + i) };

	return a;
}

/* ---- fast path ---- */

int bindings_lookup6(struct bindings *b, const struct in6_addr *client, uint32_t now,
		     struct in_addr *inner)
{
	uint32_t k[4];
	uint32_t n;

	memcpy(k, client, sizeof(k));
	n = __atomic_load_n(bucket_of(b, k), __ATOMIC_ACQUIRE);
	while (n != LINK_NONE) {
		struct slot *s = &b->slots[n - 1];

		if (owner_is(s, k)) {
			if (slot_state(s) != SLOT_ACTIVE)
				return -ENOENT;
			touch(s, now);
			*inner = inner_of(b, n - 1);
			return 0;
		}
		n = __atomic_load_n(&s->hnext, __ATOMIC_ACQUIRE);
	}
	return -ENOENT;
}

int bindings_lookup4(struct bindings *b, struct in_addr inner, uint32_t now,
		     struct in6_addr *client)
{
	uint32_t i = ntohl(inner.s_addr) - b->base;
	uint32_t k[4];
	struct slot *s;

	if (i >= b->size)
		return -ENOENT;
	s = &b->slots[i];
	if (slot_state(s) != SLOT_ACTIVE)
		return -ENOENT;
	for (int j = 0; j < 4; j++)
		k[j] = load32(&s->owner[j]);
	touch(s, now);
	memcpy(client, k, sizeof(k));
	return 0;
}

/* ---- writer helpers (b->lock held) ---- */

static uint32_t hash_find(const struct bindings *b, const uint32_t k[4])
{
	uint32_t n = *bucket_of(b, k);

	while (n != LINK_NONE && !owner_is(&b->slots[n - 1], k))
		n = b->slots[n - 1].hnext;
	return n;
}

static void hash_insert(struct bindings *b, uint32_t i)
{
	uint32_t *head = bucket_of(b, b->slots[i].owner);

	store32(&b->slots[i].hnext, *head);
	__atomic_store_n(head, i + 1, __ATOMIC_RELEASE);
}

/* Readers already on slot i keep walking through its hnext, which stays
 * intact until a grace period has passed. */
static void hash_unlink(struct bindings *b, uint32_t i)
{
	uint32_t *link = bucket_of(b, b->slots[i].owner);

	while (*link != i + 1)
		link = &b->slots[*link - 1].hnext;
	__atomic_store_n(link, b->slots[i].hnext, __ATOMIC_RELEASE);
}

static void set_owner(struct slot *s, const uint32_t k[4])
{
	for (int j = 0; j < 4; j++)
		store32(&s->owner[j], k[j]);
}

static void dormant_push(struct bindings *b, uint32_t i, bool oldest)
{
	struct slot *s = &b->slots[i];

	if (oldest) {
		s->dprev = LINK_NONE;
		s->dnext = b->dhead;
		if (b->dhead != LINK_NONE)
			b->slots[b->dhead - 1].dprev = i + 1;
		else
			b->dtail = i + 1;
		b->dhead = i + 1;
	} else {
		s->dnext = LINK_NONE;
		s->dprev = b->dtail;
		if (b->dtail != LINK_NONE)
			b->slots[b->dtail - 1].dnext = i + 1;
		else
			b->dhead = i + 1;
		b->dtail = i + 1;
	}
}

static void dormant_remove(struct bindings *b, uint32_t i)
{
	struct slot *s = &b->slots[i];

	if (s->dprev != LINK_NONE)
		b->slots[s->dprev - 1].dnext = s->dnext;
	else
		b->dhead = s->dnext;
	if (s->dnext != LINK_NONE)
		b->slots[s->dnext - 1].dprev = s->dprev;
	else
		b->dtail = s->dprev;
	s->dprev = s->dnext = LINK_NONE;
}

static int ct_in_use(const struct bindings *b, struct in_addr a)
{
	return b->ops.in_use ? b->ops.in_use(b->ops.arg, a) : 0;
}

static int ct_flush(const struct bindings *b, struct in_addr a)
{
	return b->ops.flush ? b->ops.flush(b->ops.arg, a) : 0;
}

static void bind_slot(struct bindings *b, uint32_t i, const uint32_t k[4], uint32_t now)
{
	struct slot *s = &b->slots[i];

	set_owner(s, k);
	store32(&s->last_seen, now);
	hash_insert(b, i);
	set_state(s, SLOT_ACTIVE);
	b->st.active++;
	b->st.created++;
}

/*
 * Give dormant slot i (the oldest) to a different client.  Its old owner's
 * entry leaves the hash, then synchronize_rcu() makes sure no worker still
 * uses the old mapping, then conntrack entries of the old owner are flushed
 * so the new client cannot receive the old client's return traffic.
 */
static int steal(struct bindings *b, uint32_t i, const uint32_t k[4], uint32_t now)
{
	struct slot *s = &b->slots[i];
	struct in_addr a = inner_of(b, i);
	int err;

	dormant_remove(b, i);
	hash_unlink(b, i);
	set_state(s, SLOT_MOVING);
	synchronize_rcu();

	b->st.flushes++;
	err = ct_flush(b, a);
	if (err < 0) {
		uint32_t held = log_ratelimit_ok(&b->flush_rl, now);
		char buf[INET_ADDRSTRLEN];

		if (held)
			log_warn("bindings: conntrack flush of %s failed, not rebound: %s"
				 " (%u such messages suppressed)",
				 inet_ntop(AF_INET, &a, buf, sizeof(buf)), strerror(-err),
				 held - 1);
		/* Nothing is bound: the old owner keeps its dormant claim. */
		hash_insert(b, i);
		set_state(s, SLOT_DORMANT);
		dormant_push(b, i, true);
		return err;
	}
	b->st.dormant--;
	bind_slot(b, i, k, now);
	return 0;
}

/* ---- slow path ---- */

int bindings_create(struct bindings *b, const struct in6_addr *client, uint32_t now,
		    struct in_addr *inner)
{
	uint32_t k[4];
	uint32_t n, i = 0;
	int err = 0;

	memcpy(k, client, sizeof(k));
	pthread_mutex_lock(&b->lock);
	n = hash_find(b, k);
	if (n != LINK_NONE) {
		struct slot *s = &b->slots[n - 1];

		i = n - 1;
		/* Another worker may have created it meanwhile. */
		if (slot_state(s) == SLOT_DORMANT) {
			dormant_remove(b, i);
			store32(&s->last_seen, now);
			set_state(s, SLOT_ACTIVE);
			b->st.dormant--;
			b->st.active++;
			b->st.revived++;
		} else {
			touch(s, now);
		}
		goto out;
	}

	/* Never-used addresses first: dormant ones may still be claimed back. */
	while (b->fresh < b->size && b->slots[b->fresh].state != SLOT_FREE)
		b->fresh++;
	if (b->fresh < b->size) {
		i = b->fresh++;
		bind_slot(b, i, k, now);
	} else if (b->dhead != LINK_NONE) {
		i = b->dhead - 1;
		err = steal(b, i, k, now);
	} else {
		b->st.exhausted++;
		err = -ENOSPC;
	}
out:
	pthread_mutex_unlock(&b->lock);
	if (!err)
		*inner = inner_of(b, i);
	return err;
}

/*
 * Takes b->lock per candidate only, so ops->in_use (a netlink round trip)
 * does not hold up creates.  Only the reaper moves a slot out of ACTIVE, so
 * a slot seen ACTIVE here stays ACTIVE until this function changes it.
 */
static bool reap_one(struct bindings *b, uint32_t i, uint32_t now, uint64_t *kept)
{
	struct slot *s = &b->slots[i];
	uint32_t seen;
	int r;

	if (slot_state(s) != SLOT_ACTIVE)
		return false;
	seen = load32(&s->last_seen);
	if ((int32_t)(now - seen) < (int32_t)b->idle_timeout)
		return false;
	r = ct_in_use(b, inner_of(b, i));
	if (r != 0) {	/* in use, or unknown: keep */
		(*kept)++;
		return false;
	}

	pthread_mutex_lock(&b->lock);
	__atomic_store_n(&s->state, (uint8_t)SLOT_DORMANT, __ATOMIC_SEQ_CST);
	/* A worker touched it while we asked conntrack: not idle after all. */
	if (__atomic_load_n(&s->last_seen, __ATOMIC_SEQ_CST) != seen) {
		set_state(s, SLOT_ACTIVE);
		pthread_mutex_unlock(&b->lock);
		return false;
	}
	dormant_push(b, i, false);
	b->st.active--;
	b->st.dormant++;
	b->st.reaped++;
	pthread_mutex_unlock(&b->lock);
	return true;
}

unsigned bindings_reap(struct bindings *b, uint32_t now)
{
	unsigned reaped = 0;
	uint64_t kept = 0;

	pthread_mutex_lock(&b->reap_lock);
	for (uint32_t i = 0; i < b->size; i++)
		reaped += reap_one(b, i, now, &kept);
	pthread_mutex_lock(&b->lock);
	b->st.kept_by_conntrack += kept;
	pthread_mutex_unlock(&b->lock);
	pthread_mutex_unlock(&b->reap_lock);
	return reaped;
}

void bindings_get_stats(struct bindings *b, struct bindings_stats *out)
{
	pthread_mutex_lock(&b->lock);
	*out = b->st;
	pthread_mutex_unlock(&b->lock);
}

/* ---- life cycle ---- */

static void seed_hash(struct bindings *b)
{
	struct timespec ts;

	if (getrandom(b->seed, sizeof(b->seed), GRND_NONBLOCK) == (ssize_t)sizeof(b->seed))
		return;
	/* Early boot without entropy: weaker, still not a constant. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	b->seed[0] = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32));
	b->seed[1] = mix64(b->seed[0] ^ (uint64_t)(uintptr_t)b);
}

static void reserve(struct bindings *b, uint32_t i)
{
	if (b->slots[i].state == SLOT_RESERVED)
		return;
	b->slots[i].state = SLOT_RESERVED;
	b->st.capacity--;
}

struct bindings *bindings_new(struct in_addr pool, unsigned pool_len, struct in_addr exclude,
			      uint32_t idle_timeout, const struct bindings_ct_ops *ops)
{
	uint32_t base = ntohl(pool.s_addr);
	uint32_t ex = ntohl(exclude.s_addr) - base;
	struct bindings *b;

	if (pool_len < 12 || pool_len > 30 || (base & ~(UINT32_MAX << (32 - pool_len)))) {
		errno = EINVAL;
		return NULL;
	}
	b = aligned_alloc(64, (sizeof(*b) + 63) & ~(size_t)63);
	if (!b) {
		errno = ENOMEM;
		return NULL;
	}
	memset(b, 0, sizeof(*b));
	b->base = base;
	b->size = 1u << (32 - pool_len);
	b->hash_shift = 32 + pool_len;	/* 64 - log2(size) */
	b->idle_timeout = idle_timeout;
	if (ops)
		b->ops = *ops;
	b->flush_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10, 5);
	seed_hash(b);

	b->slots = calloc(b->size, sizeof(*b->slots));
	b->buckets = calloc(b->size, sizeof(*b->buckets));
	if (!b->slots || !b->buckets) {
		free(b->slots);
		free(b->buckets);
		free(b);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&b->lock, NULL);
	pthread_mutex_init(&b->reap_lock, NULL);

	b->st.capacity = b->size;
	reserve(b, 0);
	reserve(b, b->size - 1);
	if (exclude.s_addr != htonl(INADDR_ANY) && ex < b->size)
		reserve(b, ex);
	return b;
}

void bindings_free(struct bindings *b)
{
	if (!b)
		return;
	pthread_mutex_destroy(&b->reap_lock);
	pthread_mutex_destroy(&b->lock);
	free(b->buckets);
	free(b->slots);
	free(b);
}
