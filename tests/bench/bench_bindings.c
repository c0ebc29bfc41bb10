/*
 * Micro-benchmark of the binding table at scale: 1 M bindings in a /12 pool.
 *
 *   create:   bindings_create() for 1 M distinct clients (the slow path)
 *   lookup6:  bindings_lookup6() of random bound clients (6->4 hash)
 *   lookup4:  bindings_lookup4() of random bound inner addresses (4->6 array)
 *   memory:   heap growth (mallinfo2: arena + mmapped blocks) from before
 *             bindings_new() to after the last create, per binding
 *
 * Lookups run the way a worker runs them: a thread registered with RCU,
 * rcu_read_lock()/rcu_read_unlock() around each lookup.  The random order is
 * precomputed so the loop times the lookups, not the random generator; the
 * pool and the client set are far bigger than the caches, as on a big
 * gateway.
 *
 * Output: a table, then "result KEY=VALUE" lines for scripts/bench/summarise.py.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu.h>

#include "state/bindings.h"

#define N_BINDINGS 1000000u
#define N_LOOKUPS 8000000u
#define POOL "100.64.0.0"
#define POOL_LEN 12u

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static struct in6_addr client_addr(uint32_t n)
{
	struct in6_addr a;

	/* Clients spread over a /64 and a few /48s, as real address plans are. */
	inet_pton(AF_INET6, "2001:db8::", &a);
	a.s6_addr[4] = (uint8_t)(n & 0x0f);
	a.s6_addr[12] = (uint8_t)(n >> 24);
	a.s6_addr[13] = (uint8_t)(n >> 16);
	a.s6_addr[14] = (uint8_t)(n >> 8);
	a.s6_addr[15] = (uint8_t)n;
	return a;
}

int main(void)
{
	struct in_addr pool, none = { INADDR_ANY };
	struct in6_addr *clients = malloc(N_BINDINGS * sizeof(*clients));
	struct in_addr *inner = malloc(N_BINDINGS * sizeof(*inner));
	uint32_t *order = malloc(N_LOOKUPS * sizeof(*order));
	struct bindings *b;
	size_t heap0, heap1;
	double t0, t_create, t6, t4;
	unsigned misses = 0;
	uint64_t rnd = 0x9e3779b97f4a7c15u;
	uint32_t now = 1000;

	if (!clients || !inner || !order) {
		fprintf(stderr, "bench_bindings: out of memory\n");
		return 1;
	}
	for (uint32_t i = 0; i < N_BINDINGS; i++)
		clients[i] = client_addr(i);
	for (uint32_t i = 0; i < N_LOOKUPS; i++)
		order[i] = (uint32_t)(xorshift(&rnd) % N_BINDINGS);
	inet_pton(AF_INET, POOL, &pool);
	rcu_register_thread();

	heap0 = heap_bytes();
	b = bindings_new(pool, POOL_LEN, none, 300, NULL);
	if (!b) {
		perror("bench_bindings: bindings_new");
		return 1;
	}
	t0 = now_s();
	for (uint32_t i = 0; i < N_BINDINGS; i++) {
		int ret = bindings_create(b, &clients[i], now, &inner[i]);

		if (ret) {
			fprintf(stderr, "bench_bindings: create %u: %s\n", i, strerror(-ret));
			return 1;
		}
	}
	t_create = now_s() - t0;
	heap1 = heap_bytes();

	t0 = now_s();
	for (uint32_t i = 0; i < N_LOOKUPS; i++) {
		struct in_addr a;
		int ret;

		rcu_read_lock();
		ret = bindings_lookup6(b, &clients[order[i]], now, &a);
		rcu_read_unlock();
		misses += ret != 0 || a.s_addr != inner[order[i]].s_addr;
	}
	t6 = now_s() - t0;

	t0 = now_s();
	for (uint32_t i = 0; i < N_LOOKUPS; i++) {
		struct in6_addr a;
		int ret;

		rcu_read_lock();
		ret = bindings_lookup4(b, inner[order[i]], now, &a);
		rcu_read_unlock();
		misses += ret != 0 || memcmp(&a, &clients[order[i]], sizeof(a)) != 0;
	}
	t4 = now_s() - t0;

	printf("bench_bindings: %u bindings in a /%u pool, %u random lookups each way\n",
	       N_BINDINGS, POOL_LEN, N_LOOKUPS);
	printf("  create   %10.0f /s  (%.0f ns each)\n", N_BINDINGS / t_create, t_create / N_BINDINGS * 1e9);
	printf("  lookup6  %10.0f /s  (%.1f ns each)\n", N_LOOKUPS / t6, t6 / N_LOOKUPS * 1e9);
	printf("  lookup4  %10.0f /s  (%.1f ns each)\n", N_LOOKUPS / t4, t4 / N_LOOKUPS * 1e9);
	printf("  memory   %zu bytes for the table, %.1f bytes per binding (pool of %u addresses)\n",
	       heap1 - heap0, (double)(heap1 - heap0) / N_BINDINGS, 1u << (32 - POOL_LEN));
	printf("  wrong or missing lookups: %u\n", misses);
	printf("result bindings.create_per_s=%.0f\n", N_BINDINGS / t_create);
	printf("result bindings.lookup6_per_s=%.0f\n", N_LOOKUPS / t6);
	printf("result bindings.lookup4_per_s=%.0f\n", N_LOOKUPS / t4);
	printf("result bindings.bytes_per_binding=%.1f\n", (double)(heap1 - heap0) / N_BINDINGS);
	printf("result bindings.misses=%u\n", misses);

	bindings_free(b);
	rcu_unregister_thread();
	free(clients);
	free(inner);
	free(order);
	return misses ? 1 : 0;
}
