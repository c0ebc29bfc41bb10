/* Unit tests for src/state/bindings.c with a fake conntrack. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>

#include "state/bindings.h"

/* ---- helpers ---- */

static struct in_addr v4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct in6_addr client(unsigned n)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, "2001:db8::", &a), 1);
	a.s6_addr[12] = (uint8_t)(n >> 24);
	a.s6_addr[13] = (uint8_t)(n >> 16);
	a.s6_addr[14] = (uint8_t)(n >> 8);
	a.s6_addr[15] = (uint8_t)n;
	return a;
}

static const struct in_addr no_exclude = { .s_addr = 0 };

/* ---- fake conntrack ---- */

#define FAKE_MAX 64

struct fake_ct {
	int in_use[256];		/* by last octet; 0 = free */
	unsigned n_in_use;
	int flush_ret;
	unsigned n_flush;
	struct in_addr flushed[FAKE_MAX];
	/* Checked inside flush: the address must already be unreachable. */
	struct bindings *b;
	struct in6_addr probe6[2];
	unsigned n_probe6;
	unsigned probe_failures;
	/* Grace-period check: set by a reader thread when it leaves its
	 * read-side section. */
	volatile int *reader_done;
	unsigned flush_before_reader_done;
};

static int fake_in_use(void *arg, struct in_addr a)
{
	struct fake_ct *f = arg;

	f->n_in_use++;
	return f->in_use[ntohl(a.s_addr) & 0xff];
}

static int fake_flush(void *arg, struct in_addr a)
{
	struct fake_ct *f = arg;
	struct in6_addr c;
	struct in_addr in;

	if (f->n_flush < FAKE_MAX)
		f->flushed[f->n_flush] = a;
	f->n_flush++;
	if (f->reader_done && !__atomic_load_n(f->reader_done, __ATOMIC_ACQUIRE))
		f->flush_before_reader_done++;
	if (f->b) {
		rcu_read_lock();
		if (bindings_lookup4(f->b, a, 1, &c) != -ENOENT)
			f->probe_failures++;
		for (unsigned i = 0; i < f->n_probe6; i++)
			if (bindings_lookup6(f->b, &f->probe6[i], 1, &in) != -ENOENT)
				f->probe_failures++;
		rcu_read_unlock();
	}
	return f->flush_ret;
}

static struct bindings_ct_ops fake_ops(struct fake_ct *f)
{
	struct bindings_ct_ops o = { .in_use = fake_in_use, .flush = fake_flush, .arg = f };

	memset(f, 0, sizeof(*f));
	return o;
}

static int create(struct bindings *b, unsigned c, uint32_t now, struct in_addr *inner)
{
	struct in6_addr a = client(c);

	return bindings_create(b, &a, now, inner);
}

static int lookup6(struct bindings *b, unsigned c, uint32_t now, struct in_addr *inner)
{
	struct in6_addr a = client(c);
	int r;

	rcu_read_lock();
	r = bindings_lookup6(b, &a, now, inner);
	rcu_read_unlock();
	return r;
}

/* 0 if inner maps back to client c, -ENOENT if unbound, 1 if another client. */
static int lookup4_is(struct bindings *b, const char *inner, unsigned c, uint32_t now)
{
	struct in6_addr want = client(c), got;
	int r;

	rcu_read_lock();
	r = bindings_lookup4(b, v4(inner), now, &got);
	rcu_read_unlock();
	if (r)
		return r;
	return memcmp(&got, &want, sizeof(got)) ? 1 : 0;
}

static void assert_inner(struct in_addr got, const char *want)
{
	char buf[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &got, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static int setup_rcu(void **state)
{
	(void)state;
	rcu_register_thread();
	return 0;
}

static int teardown_rcu(void **state)
{
	(void)state;
	rcu_unregister_thread();
	return 0;
}

/* ---- tests ---- */

static void test_new_rejects_bad_pool(void **state)
{
	(void)state;
	errno = 0;
	assert_null(bindings_new(v4("10.0.0.0"), 11, no_exclude, 30, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(bindings_new(v4("10.0.0.0"), 31, no_exclude, 30, NULL));
	assert_null(bindings_new(v4("10.0.0.4"), 29, no_exclude, 30, NULL));
	bindings_free(NULL);
}

static void test_allocate_skips_reserved(void **state)
{
	const char *want[] = { "10.0.0.1", "10.0.0.2", "10.0.0.4", "10.0.0.5", "10.0.0.6" };
	struct bindings_stats st;
	struct in_addr in;
	struct fake_ct f;
	struct bindings_ct_ops ops = fake_ops(&f);
	struct bindings *b = bindings_new(v4("10.0.0.0"), 29, v4("10.0.0.3"), 30, &ops);

	(void)state;
	assert_non_null(b);
	bindings_get_stats(b, &st);
	assert_int_equal(st.capacity, 5);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(create(b, i, 100, &in), 0);
		assert_inner(in, want[i]);
	}
	assert_int_equal(create(b, 99, 100, &in), -ENOSPC);
	/* Never bound: network, excluded, broadcast. */
	assert_int_equal(lookup4_is(b, "10.0.0.0", 0, 100), -ENOENT);
	assert_int_equal(lookup4_is(b, "10.0.0.3", 0, 100), -ENOENT);
	assert_int_equal(lookup4_is(b, "10.0.0.7", 0, 100), -ENOENT);
	assert_int_equal(f.n_flush, 0);
	bindings_free(b);
}

static void test_lookup_both_ways(void **state)
{
	struct in_addr in, in2;
	struct in6_addr c;
	struct bindings *b = bindings_new(v4("192.168.0.0"), 16, no_exclude, 30, NULL);

	(void)state;
	assert_non_null(b);
	assert_int_equal(lookup6(b, 1, 10, &in), -ENOENT);
	assert_int_equal(create(b, 1, 10, &in), 0);
	assert_inner(in, "192.168.0.1");
	assert_int_equal(create(b, 2, 10, &in2), 0);
	assert_inner(in2, "192.168.0.2");

	assert_int_equal(lookup6(b, 1, 11, &in), 0);
	assert_inner(in, "192.168.0.1");
	assert_int_equal(lookup6(b, 2, 11, &in), 0);
	assert_inner(in, "192.168.0.2");
	assert_int_equal(lookup4_is(b, "192.168.0.1", 1, 11), 0);
	assert_int_equal(lookup4_is(b, "192.168.0.2", 2, 11), 0);

	/* Unbound, outside the pool, unknown client. */
	assert_int_equal(lookup4_is(b, "192.168.0.3", 1, 11), -ENOENT);
	assert_int_equal(lookup4_is(b, "192.169.0.1", 1, 11), -ENOENT);
	assert_int_equal(lookup4_is(b, "192.167.255.255", 1, 11), -ENOENT);
	assert_int_equal(lookup6(b, 3, 11, &in), -ENOENT);
	rcu_read_lock();
	assert_int_equal(bindings_lookup4(b, v4("0.0.0.0"), 11, &c), -ENOENT);
	rcu_read_unlock();
	bindings_free(b);
}

static void test_same_client_same_address(void **state)
{
	struct bindings_stats st;
	struct in_addr in, in2;
	struct bindings *b = bindings_new(v4("10.1.0.0"), 24, no_exclude, 30, NULL);

	(void)state;
	assert_int_equal(create(b, 7, 1, &in), 0);
	assert_int_equal(create(b, 7, 2, &in2), 0);
	assert_int_equal(in.s_addr, in2.s_addr);
	bindings_get_stats(b, &st);
	assert_int_equal(st.created, 1);
	assert_int_equal(st.active, 1);
	bindings_free(b);
}

static void test_exhaustion_slash30(void **state)
{
	struct bindings_stats st;
	struct in_addr in;
	struct bindings *b = bindings_new(v4("10.2.0.0"), 30, no_exclude, 30, NULL);

	(void)state;
	assert_int_equal(create(b, 1, 1, &in), 0);
	assert_inner(in, "10.2.0.1");
	assert_int_equal(create(b, 2, 1, &in), 0);
	assert_inner(in, "10.2.0.2");
	assert_int_equal(create(b, 3, 1, &in), -ENOSPC);
	assert_int_equal(create(b, 4, 1, &in), -ENOSPC);
	assert_int_equal(lookup6(b, 3, 1, &in), -ENOENT);
	/* Existing clients unaffected. */
	assert_int_equal(create(b, 1, 2, &in), 0);
	assert_inner(in, "10.2.0.1");
	assert_int_equal(lookup6(b, 2, 2, &in), 0);
	assert_inner(in, "10.2.0.2");
	assert_int_equal(lookup4_is(b, "10.2.0.1", 1, 2), 0);
	bindings_get_stats(b, &st);
	assert_int_equal(st.capacity, 2);
	assert_int_equal(st.exhausted, 2);
	assert_int_equal(st.active, 2);
	bindings_free(b);
}

static void test_exhaustion_slash29_exclude(void **state)
{
	struct in_addr in;
	struct bindings *b = bindings_new(v4("10.3.0.8"), 29, v4("10.3.0.9"), 30, NULL);

	(void)state;
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(create(b, i, 1, &in), 0);
		assert_int_not_equal(in.s_addr, v4("10.3.0.9").s_addr);
		assert_int_not_equal(in.s_addr, v4("10.3.0.8").s_addr);
		assert_int_not_equal(in.s_addr, v4("10.3.0.15").s_addr);
	}
	assert_int_equal(create(b, 5, 1, &in), -ENOSPC);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(lookup6(b, i, 1, &in), 0);
	bindings_free(b);
}

static void test_reap_after_idle_timeout(void **state)
{
	struct bindings_stats st;
	struct in_addr in;
	struct fake_ct f;
	struct bindings_ct_ops ops = fake_ops(&f);
	struct bindings *b = bindings_new(v4("10.4.0.0"), 24, no_exclude, 30, &ops);

	(void)state;
	assert_int_equal(create(b, 1, 100, &in), 0);
	assert_int_equal(create(b, 2, 100, &in), 0);
	assert_int_equal(bindings_reap(b, 129), 0);
	assert_int_equal(f.n_in_use, 0);	/* not even asked before idle */
	/* Traffic either way keeps a binding: 6->4 for 1, 4->6 for 2. */
	assert_int_equal(lookup6(b, 1, 120, &in), 0);
	assert_int_equal(lookup4_is(b, "10.4.0.2", 2, 125), 0);
	assert_int_equal(bindings_reap(b, 149), 0);
	assert_int_equal(bindings_reap(b, 150), 1);
	assert_int_equal(lookup6(b, 1, 150, &in), -ENOENT);
	assert_int_equal(lookup4_is(b, "10.4.0.1", 1, 150), -ENOENT);
	assert_int_equal(lookup6(b, 2, 125, &in), 0);	/* same second: no update */
	assert_int_equal(bindings_reap(b, 154), 0);
	assert_int_equal(bindings_reap(b, 155), 1);
	assert_int_equal(lookup4_is(b, "10.4.0.2", 2, 155), -ENOENT);
	/* A clock a worker saw ahead of the reaper's is not "very idle". */
	assert_int_equal(create(b, 3, 200, &in), 0);
	assert_int_equal(bindings_reap(b, 199), 0);
	bindings_get_stats(b, &st);
	assert_int_equal(st.reaped, 2);
	assert_int_equal(st.active, 1);
	assert_int_equal(st.dormant, 2);
	bindings_free(b);
}

static void test_reap_waits_for_conntrack(void **state)
{
	struct bindings_stats st;
	struct in_addr in;
	struct fake_ct f;
	struct bindings_ct_ops ops = fake_ops(&f);
	struct bindings *b = bindings_new(v4("10.5.0.0"), 24, no_exclude, 10, &ops);

	(void)state;
	assert_int_equal(create(b, 1, 0, &in), 0);
	assert_inner(in, "10.5.0.1");
	f.in_use[1] = 1;
	assert_int_equal(bindings_reap(b, 100), 0);
	assert_int_equal(lookup6(b, 1, 100, &in), 0);
	f.in_use[1] = -EIO;	/* unknown counts as in use */
	assert_int_equal(bindings_reap(b, 200), 0);
	assert_int_equal(lookup4_is(b, "10.5.0.1", 1, 200), 0);
	bindings_get_stats(b, &st);
	assert_int_equal(st.kept_by_conntrack, 2);
	f.in_use[1] = 0;
	assert_int_equal(bindings_reap(b, 210), 1);
	assert_int_equal(lookup6(b, 1, 210, &in), -ENOENT);
	assert_int_equal(f.n_in_use, 3);
	bindings_get_stats(b, &st);
	assert_int_equal(st.reaped, 1);
	assert_int_equal(st.kept_by_conntrack, 2);
	bindings_free(b);
}

static void test_returning_client_gets_previous_address(void **state)
{
	struct bindings_stats st;
	struct in_addr in;
	struct fake_ct f;
	struct bindings_ct_ops ops = fake_ops(&f);
	struct bindings *b = bindings_new(v4("10.6.0.0"), 29, no_exclude, 10, &ops);

	(void)state;
	assert_int_equal(create(b, 1, 0, &in), 0);
	assert_inner(in, "10.6.0.1");
	assert_int_equal(bindings_reap(b, 10), 1);
	/* A new client takes a never-used address, not the dormant one. */
	assert_int_equal(create(b, 2, 11, &in), 0);
	assert_inner(in, "10.6.0.2");
	assert_int_equal(lookup6(b, 1, 11, &in), -ENOENT);
	assert_int_equal(create(b, 1, 12, &in), 0);
	assert_inner(in, "10.6.0.1");
	assert_int_equal(lookup4_is(b, "10.6.0.1", 1, 12), 0);
	assert_int_equal(f.n_flush, 0);	/* same client: nothing to flush */
	bindings_get_stats(b, &st);
	assert_int_equal(st.revived, 1);
	assert_int_equal(st.created, 2);
	assert_int_equal(st.active, 2);
	assert_int_equal(st.dormant, 0);
	bindings_free(b);
}

struct holder {
	struct bindings *b;
	volatile int holding, done;
};

/* Stays in a read-side section having looked up client 1's mapping. */
static void *hold_reader(void *arg)
{
	struct holder *h = arg;
	struct in6_addr c;

	rcu_register_thread();
	rcu_read_lock();
	(void)bindings_lookup4(h->b, v4("10.7.0.1"), 10, &c);
	__atomic_store_n(&h->holding, 1, __ATOMIC_RELEASE);
	usleep(200 * 1000);
	__atomic_store_n(&h->done, 1, __ATOMIC_RELEASE);
	rcu_read_unlock();
	rcu_unregister_thread();
	return NULL;
}

static void test_new_owner_flushes_first(void **state)
{
	struct bindings_stats st;
	struct in_addr in;
	struct fake_ct f;
	struct bindings_ct_ops ops = fake_ops(&f);
	struct bindings *b = bindings_new(v4("10.7.0.0"), 30, no_exclude, 10, &ops);
	struct holder h = { .b = b };
	pthread_t t;

	(void)state;
	assert_int_equal(create(b, 1, 0, &in), 0);
	assert_int_equal(create(b, 2, 5, &in), 0);
	assert_int_equal(bindings_reap(b, 10), 1);	/* 1 dormant on .1 */
	assert_int_equal(bindings_reap(b, 15), 1);	/* 2 dormant on .2 */

	/* Client 3 takes the oldest dormant address (.1): flush exactly it,
	 * after any reader that may still use the old mapping has left, and
	 * while neither the old nor the new owner resolves. */
	f.b = b;
	f.probe6[0] = client(1);
	f.probe6[1] = client(3);
	f.n_probe6 = 2;
	f.reader_done = &h.done;
	assert_int_equal(pthread_create(&t, NULL, hold_reader, &h), 0);
	while (!__atomic_load_n(&h.holding, __ATOMIC_ACQUIRE))
		usleep(1000);
	assert_int_equal(create(b, 3, 20, &in), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_inner(in, "10.7.0.1");
	assert_int_equal(f.n_flush, 1);
	assert_inner(f.flushed[0], "10.7.0.1");
	assert_int_equal(f.flush_before_reader_done, 0);
	assert_int_equal(f.probe_failures, 0);
	assert_int_equal(lookup4_is(b, "10.7.0.1", 3, 20), 0);
	assert_int_equal(lookup6(b, 1, 20, &in), -ENOENT);

	/* Client 1 lost its address; it gets 2's dormant one, flushed too. */
	f.reader_done = NULL;
	f.probe6[1] = client(2);
	assert_int_equal(create(b, 1, 21, &in), 0);
	assert_inner(in, "10.7.0.2");
	assert_int_equal(f.n_flush, 2);
	assert_inner(f.flushed[1], "10.7.0.2");
	assert_int_equal(f.probe_failures, 0);
	assert_int_equal(create(b, 2, 22, &in), -ENOSPC);
	bindings_get_stats(b, &st);
	assert_int_equal(st.flushes, 2);
	assert_int_equal(st.created, 4);
	assert_int_equal(st.dormant, 0);
	assert_int_equal(st.active, 2);
	assert_int_equal(st.exhausted, 1);
	bindings_free(b);
}

static void test_flush_failure_binds_nothing(void **state)
{
	struct bindings_stats st;
	struct in_addr in;
	struct fake_ct f;
	struct bindings_ct_ops ops = fake_ops(&f);
	struct bindings *b = bindings_new(v4("10.8.0.0"), 30, no_exclude, 10, &ops);

	(void)state;
	assert_int_equal(create(b, 1, 0, &in), 0);
	assert_int_equal(create(b, 2, 0, &in), 0);
	assert_int_equal(bindings_reap(b, 10), 2);
	f.flush_ret = -EIO;
	assert_int_equal(create(b, 3, 11, &in), -EIO);
	assert_int_equal(f.n_flush, 1);
	assert_int_equal(lookup6(b, 3, 11, &in), -ENOENT);
	assert_int_equal(lookup4_is(b, "10.8.0.1", 3, 11), -ENOENT);
	assert_int_equal(lookup4_is(b, "10.8.0.2", 3, 11), -ENOENT);
	bindings_get_stats(b, &st);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.dormant, 2);
	/* The old owner keeps its claim and gets its address back. */
	assert_int_equal(create(b, 1, 12, &in), 0);
	assert_inner(in, "10.8.0.1");
	assert_int_equal(f.n_flush, 1);
	/* Once flush works again the new client gets the other address. */
	f.flush_ret = 0;
	assert_int_equal(create(b, 3, 13, &in), 0);
	assert_inner(in, "10.8.0.2");
	assert_int_equal(lookup4_is(b, "10.8.0.2", 3, 13), 0);
	bindings_free(b);
}

static void test_stats(void **state)
{
	struct bindings_stats st;
	struct in_addr in;
	struct fake_ct f;
	struct bindings_ct_ops ops = fake_ops(&f);
	struct bindings *b = bindings_new(v4("10.9.0.0"), 29, v4("10.9.0.6"), 10, &ops);

	(void)state;
	bindings_get_stats(b, &st);
	assert_int_equal(st.capacity, 5);
	assert_int_equal(st.active + st.dormant + st.created + st.revived + st.reaped, 0);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(create(b, i, 0, &in), 0);
	assert_int_equal(create(b, 5, 0, &in), -ENOSPC);
	f.in_use[1] = 1;				/* client 0 on .1 */
	assert_int_equal(bindings_reap(b, 10), 4);
	assert_int_equal(create(b, 1, 11, &in), 0);	/* revive */
	assert_int_equal(create(b, 5, 11, &in), 0);	/* takes oldest dormant */
	assert_inner(in, "10.9.0.3");
	bindings_get_stats(b, &st);
	assert_int_equal(st.capacity, 5);
	assert_int_equal(st.active, 3);
	assert_int_equal(st.dormant, 2);
	assert_int_equal(st.created, 6);
	assert_int_equal(st.revived, 1);
	assert_int_equal(st.reaped, 4);
	assert_int_equal(st.kept_by_conntrack, 1);
	assert_int_equal(st.exhausted, 1);
	assert_int_equal(st.flushes, 1);
	bindings_free(b);
}

/* ---- concurrency smoke test ---- */

#define MT_CLIENTS 40
#define MT_READERS 4

struct mt {
	struct bindings *b;
	uint32_t clock;
	int stop;
	unsigned long bad, hits;
};

static void *mt_reader(void *arg)
{
	struct mt *m = arg;
	unsigned seed = (unsigned)(uintptr_t)&seed;
	unsigned long bad = 0, hits = 0;

	rcu_register_thread();
	while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
		unsigned n = (unsigned)rand_r(&seed) % MT_CLIENTS;
		/* A stale clock now and then, so bindings do go idle. */
		uint32_t now = __atomic_load_n(&m->clock, __ATOMIC_RELAXED) -
			       (uint32_t)(rand_r(&seed) % 4);
		struct in6_addr c = client(n), back;
		struct in_addr in;

		rcu_read_lock();
		if (bindings_lookup6(m->b, &c, now, &in) == 0) {
			hits++;
			/* Within one read-side section a mapping cannot move. */
			if (bindings_lookup4(m->b, in, now, &back) == 0 &&
			    memcmp(&back, &c, sizeof(c)))
				bad++;
		}
		in.s_addr = htonl(0x0a0a0000u + (uint32_t)(rand_r(&seed) % 16));
		if (bindings_lookup4(m->b, in, now, &back) == 0) {
			struct in_addr in2;

			if (bindings_lookup6(m->b, &back, now, &in2) == 0 &&
			    in2.s_addr != in.s_addr)
				bad++;
		}
		rcu_read_unlock();
	}
	rcu_unregister_thread();
	__atomic_fetch_add(&m->bad, bad, __ATOMIC_RELAXED);
	__atomic_fetch_add(&m->hits, hits, __ATOMIC_RELAXED);
	return NULL;
}

static void test_concurrent_smoke(void **state)
{
	struct bindings_stats st;
	struct fake_ct f;
	struct bindings_ct_ops ops = fake_ops(&f);
	struct mt m = { 0 };
	pthread_t t[MT_READERS];
	unsigned bad_create = 0, reaped = 0;

	(void)state;
	/* 14 usable addresses for 40 clients: constant reaping and stealing. */
	m.b = bindings_new(v4("10.10.0.0"), 28, no_exclude, 2, &ops);
	m.clock = 100;
	for (int i = 0; i < MT_READERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, mt_reader, &m), 0);
	for (unsigned it = 0; it < 3000; it++) {
		uint32_t now = 100 + it / 10;
		unsigned n = (it * 7) % MT_CLIENTS;
		struct in_addr in, in2;
		int r;

		__atomic_store_n(&m.clock, now, __ATOMIC_RELAXED);
		r = create(m.b, n, now, &in);
		if (r == 0 && (lookup6(m.b, n, now, &in2) != 0 || in2.s_addr != in.s_addr))
			bad_create++;
		else if (r != 0 && r != -ENOSPC)
			bad_create++;
		if (it % 5 == 0)
			reaped += bindings_reap(m.b, now);
	}
	__atomic_store_n(&m.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < MT_READERS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	bindings_get_stats(m.b, &st);
	printf("concurrent: %lu reader hits, %u reaped, %" PRIu64 " flushes, %" PRIu64
	       " revived\n", m.hits, reaped, st.flushes, st.revived);
	assert_int_equal(m.bad, 0);
	assert_int_equal(bad_create, 0);
	assert_true(reaped > 0);
	assert_true(st.flushes > 0);
	assert_true(st.active + st.dormant <= st.capacity);
	bindings_free(m.b);
}

/* ---- memory per binding ---- */

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void test_fill_million(void **state)
{
	struct bindings_stats st;
	struct in_addr in;
	struct timespec t0, t1, r0, r1;
	size_t before, after;
	double per, secs;
	struct bindings *b;

	(void)state;
	before = heap_in_use();
	b = bindings_new(v4("10.16.0.0"), 12, v4("10.16.0.1"), 300, NULL);
	assert_non_null(b);
	bindings_get_stats(b, &st);
	assert_int_equal(st.capacity, (1u << 20) - 3);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < st.capacity; i++) {
		if (create(b, i, 1, &in) != 0)
			fail_msg("create %u failed", i);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(create(b, 1u << 21, 1, &in), -ENOSPC);
	for (unsigned i = 0; i < st.capacity; i += 4099) {
		assert_int_equal(lookup6(b, i, 2, &in), 0);
		assert_int_equal(ntohl(in.s_addr), 0x0a100002u + i);
	}
	clock_gettime(CLOCK_MONOTONIC, &r0);
	assert_int_equal(bindings_reap(b, 2), 0);	/* full scan, nothing idle */
	clock_gettime(CLOCK_MONOTONIC, &r1);
	printf("1M reap scan: %.1f ms\n", (double)(r1.tv_sec - r0.tv_sec) * 1e3 +
	       (double)(r1.tv_nsec - r0.tv_nsec) / 1e6);
	after = heap_in_use();
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	per = (double)(after - before) / (double)st.capacity;
	printf("1M fill: %" PRIu64 " bindings in %.2f s, %zu bytes heap, %.1f bytes/binding\n",
	       st.capacity, secs, after - before, per);
	if (after > before + (1u << 20))	/* 0 under ASan: its heap is not glibc's */
		assert_true(per <= 128.0);
	bindings_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_rejects_bad_pool),
		cmocka_unit_test(test_allocate_skips_reserved),
		cmocka_unit_test(test_lookup_both_ways),
		cmocka_unit_test(test_same_client_same_address),
		cmocka_unit_test(test_exhaustion_slash30),
		cmocka_unit_test(test_exhaustion_slash29_exclude),
		cmocka_unit_test(test_reap_after_idle_timeout),
		cmocka_unit_test(test_reap_waits_for_conntrack),
		cmocka_unit_test(test_returning_client_gets_previous_address),
		cmocka_unit_test(test_new_owner_flushes_first),
		cmocka_unit_test(test_flush_failure_binds_nothing),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_concurrent_smoke),
		cmocka_unit_test(test_fill_million),
	};

	return cmocka_run_group_tests(tests, setup_rcu, teardown_rcu);
}
