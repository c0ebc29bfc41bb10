#define _GNU_SOURCE	/* pthread_tryjoin_np */
#include "dataplane/worker.h"

#include <errno.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>

#include "config.h"
#include "state/bindings.h"

static uint32_t worker_now(const struct worker *w)
{
	return __atomic_load_n(&w->dp->now, __ATOMIC_RELAXED);
}

/* Rate-limited log from the data path: a few lines per second per worker. */
#define worker_log(w, prio, fmt, ...) do { \
	uint32_t n_ = log_ratelimit_ok(&(w)->rl, worker_now(w)); \
	if (n_) \
		log_msg(prio, "worker %u: " fmt " (%" PRIu32 " similar held back)", \
			(w)->index, __VA_ARGS__, n_ - 1); \
} while (0)

/* xlat_map: client IPv6 source -> inner IPv4, creating the binding if needed. */
static int map_src6(void *arg, const struct in6_addr *src, struct in_addr *out)
{
	struct worker *w = arg;
	const struct dataplane *dp = w->dp;
	uint32_t now = worker_now(w);
	char txt[INET6_ADDRSTRLEN];
	int ret;

	if (!config_client_allowed(dp->cfg, src))
		return -XLAT_DROP_NOT_CLIENT;
	rcu_read_lock();
	ret = bindings_lookup6(dp->bindings, src, now, out);
	rcu_read_unlock();
	if (ret == 0)
		return 0;
	/* First packet of this client: the slow path may lock and flush. */
	ret = bindings_create(dp->bindings, src, now, out);
	if (ret == 0)
		return 0;
	inet_ntop(AF_INET6, src, txt, sizeof(txt));
	if (ret == -ENOSPC) {
		worker_log(w, LOG_WARNING, "inner pool exhausted, refusing client %s", txt);
		return -XLAT_DROP_POOL_EXHAUSTED;
	}
	STATS_INC(w->stats.bindings_failed);
	worker_log(w, LOG_ERR, "cannot bind client %s: %s", txt, strerror(-ret));
	return -XLAT_DROP_NO_BINDING;
}

/* xlat_map: inner IPv4 destination -> client IPv6. */
static int map_dst4(void *arg, struct in_addr dst, struct in6_addr *out)
{
	struct worker *w = arg;
	int ret;

	rcu_read_lock();
	ret = bindings_lookup4(w->dp->bindings, dst, worker_now(w), out);
	rcu_read_unlock();
	return ret == 0 ? 0 : -XLAT_DROP_NO_BINDING;
}

static void worker_send(struct worker *w, const struct xlat_buf *b, uint64_t *counter)
{
	ssize_t n = write(w->fd, b->data, b->len);

	if (n == (ssize_t)b->len) {
		STATS_INC(*counter);
		return;
	}
	STATS_INC(w->stats.write_errors);
	worker_log(w, LOG_WARNING, "TUN write of %zu bytes: %s", b->len,
		   n < 0 ? strerror(errno) : "short write");
}

static void worker_packet(struct worker *w, const struct xlat_map *map, size_t len)
{
	struct xlat_buf pkt = { w->buf + XLAT_HEADROOM, len, XLAT_HEADROOM };
	struct xlat_buf reply = { w->reply, XLAT_REPLY_MAX, 0 };
	enum xlat_drop reason = XLAT_DROP_NONE;
	enum xlat_verdict v;
	uint64_t *tx;

	switch (pkt.data[0] >> 4) {
	case 6:
		STATS_INC(w->stats.rx6);
		v = xlat_6to4(&w->dp->xcfg, map, &w->xs, &pkt, &reply, &reason);
		tx = &w->stats.tx4;
		break;
	case 4:
		STATS_INC(w->stats.rx4);
		v = xlat_4to6(&w->dp->xcfg, map, &w->xs, &pkt, &reply, &reason);
		tx = &w->stats.tx6;
		break;
	default:
		STATS_INC(w->stats.rx_other);
		STATS_INC(w->stats.drops[XLAT_DROP_BAD_VERSION]);
		return;
	}
	switch (v) {
	case XLAT_FORWARD:
		worker_send(w, &pkt, tx);
		break;
	case XLAT_REPLY:
		STATS_INC(w->stats.drops[reason]);
		worker_send(w, &reply, &w->stats.replies);
		break;
	case XLAT_DROP:
		STATS_INC(w->stats.drops[reason < XLAT_DROP__MAX ? reason : XLAT_DROP_NONE]);
		break;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct xlat_map map = { map_src6, map_dst4, w };
	sigset_t kick;

	/* The supervisor takes every other signal; this one interrupts read(). */
	sigemptyset(&kick);
	sigaddset(&kick, WORKER_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	rcu_register_thread();

	while (!w->dp->stop) {
		ssize_t n = read(w->fd, w->buf + XLAT_HEADROOM, WORKER_MAX_PKT);

		if (n > 0) {
			worker_packet(w, &map, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		STATS_INC(w->stats.read_errors);
		worker_log(w, LOG_ERR, "TUN read: %s", n < 0 ? strerror(errno) : "end of file");
		if (n == 0 || errno == EBADFD || errno == EBADF)
			break;	/* the queue is gone: nothing more will come */
	}
	rcu_unregister_thread();
	return NULL;
}

static void kick_handler(int sig)
{
	(void)sig;
}

int worker_setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;	/* no SA_RESTART: read() returns EINTR */
	sigemptyset(&sa.sa_mask);
	return sigaction(WORKER_KICK_SIGNAL, &sa, NULL) < 0 ? -errno : 0;
}

int worker_start(struct worker *w, struct dataplane *dp, unsigned index, int fd)
{
	struct timespec ts;
	int ret;

	memset(w, 0, sizeof(*w));
	w->dp = dp;
	w->index = index;
	w->fd = fd;
	w->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1, 5);
	/* RFC 7915 §5.1 wants unpredictable identifications: seed per worker. */
	clock_gettime(CLOCK_REALTIME, &ts);
	w->xs.ip_id = (uint32_t)ts.tv_nsec ^ (index * 0x9e3779b9u);
	w->buf = malloc(XLAT_HEADROOM + WORKER_MAX_PKT);
	w->reply = malloc(XLAT_REPLY_MAX);
	if (!w->buf || !w->reply) {
		worker_free(w);
		return -ENOMEM;
	}
	ret = pthread_create(&w->thread, NULL, worker_main, w);
	if (ret) {
		worker_free(w);
		return -ret;
	}
	w->running = 1;
	return 0;
}

int worker_stop(struct worker *w, unsigned timeout_ms)
{
	if (!w->running)
		return 0;
	w->dp->stop = 1;
	/* A kick can land just before the worker enters read(): repeat it. */
	for (unsigned waited = 0; waited <= timeout_ms; waited += 10) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (pthread_tryjoin_np(w->thread, NULL) == 0) {
			w->running = 0;
			return 0;
		}
		pthread_kill(w->thread, WORKER_KICK_SIGNAL);
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

void worker_free(struct worker *w)
{
	free(w->buf);
	free(w->reply);
	w->buf = NULL;
	w->reply = NULL;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}
