#define _GNU_SOURCE	/* pthread_tryjoin_np, pthread_setaffinity_np */
#include "dataplane/worker.h"

#include <errno.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>

#include "config.h"
#include "io/vnet.h"
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

/* RFC 7915 §4.4/§5.4 leave the rate of originated errors to the
 * implementation: a bucket of reply_burst, refilled reply_rate a second. */
static int reply_allowed(struct worker *w)
{
	const struct dataplane *dp = w->dp;
	struct token_bucket *tb = &w->replies;
	uint32_t now = worker_now(w);

	if (now != tb->last) {
		uint64_t t = tb->tokens + (uint64_t)dp->reply_rate * (now - tb->last);

		tb->tokens = t > dp->reply_burst ? dp->reply_burst : (uint32_t)t;
		tb->last = now;
	}
	if (tb->tokens == 0)
		return 0;
	tb->tokens--;
	return 1;
}

/* Writes one packet, behind a virtio-net header when the queue has them. */
static void worker_write(struct worker *w, const struct virtio_net_hdr *vh,
			 const struct iovec *parts, int n, uint64_t *counter)
{
	static const struct virtio_net_hdr plain;	/* no offload asked */
	struct iovec iov[3];
	size_t want = 0;
	int cnt = 0;
	ssize_t done;

	if (w->dp->offload) {
		iov[cnt].iov_base = (void *)(vh ? vh : &plain);
		iov[cnt++].iov_len = VNET_HDR_LEN;
	}
	for (int i = 0; i < n; i++)
		iov[cnt++] = parts[i];
	for (int i = 0; i < cnt; i++)
		want += iov[i].iov_len;
	done = writev(w->fd, iov, cnt);
	if (done == (ssize_t)want) {
		STATS_INC(*counter);
		return;
	}
	STATS_INC(w->stats.write_errors);
	worker_log(w, LOG_WARNING, "TUN write of %zu bytes: %s", want,
		   done < 0 ? strerror(errno) : "short write");
}

static void send_buf(struct worker *w, const struct virtio_net_hdr *vh,
		     const struct xlat_buf *b, uint64_t *counter)
{
	struct iovec part = { b->data, b->len };

	worker_write(w, vh, &part, 1, counter);
}

static void send_frags(struct worker *w, const struct xlat_frags *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct iovec parts[2] = {
			{ (void *)f->frag[i].hdr, f->frag[i].hdr_len },
			{ (void *)f->frag[i].payload, f->frag[i].payload_len },
		};

		worker_write(w, NULL, parts, 2, &w->stats.fragments);
	}
	STATS_INC(w->stats.tx6);
}

/* 1 if `pkt` is an IPv6 packet from outside `clients`: dropped before it can
 * cost a binding or draw an ICMP error. */
static int foreign_source(const struct worker *w, const uint8_t *pkt, size_t len)
{
	struct in6_addr src;

	if (len < 40)
		return 0;	/* the translator says what is wrong with it */
	memcpy(&src, pkt + 8, sizeof(src));
	return !config_client_allowed(w->dp->cfg, &src);
}

static void worker_packet(struct worker *w, const struct xlat_map *map, size_t len,
			  uint16_t gso_size)
{
	struct xlat_buf pkt = { w->buf + XLAT_HEADROOM, len, XLAT_HEADROOM, gso_size };
	struct xlat_buf reply = { w->reply, XLAT_REPLY_MAX, 0, 0 };
	enum xlat_drop reason = XLAT_DROP_NONE;
	enum xlat_verdict v;
	uint64_t *tx;

	switch (pkt.data[0] >> 4) {
	case 6:
		STATS_INC(w->stats.rx6);
		if (foreign_source(w, pkt.data, len)) {
			STATS_INC(w->stats.drops[XLAT_DROP_NOT_CLIENT]);
			return;
		}
		v = xlat_6to4(&w->dp->xcfg, map, &w->xs, &pkt, &reply, &reason);
		tx = &w->stats.tx4;
		break;
	case 4:
		STATS_INC(w->stats.rx4);
		v = xlat_4to6_frags(&w->dp->xcfg, map, &w->xs, &pkt, &reply, w->frags, &reason);
		tx = &w->stats.tx6;
		break;
	default:
		STATS_INC(w->stats.rx_other);
		STATS_INC(w->stats.drops[XLAT_DROP_BAD_VERSION]);
		return;
	}
	if (reason >= XLAT_DROP__MAX)
		reason = XLAT_DROP_NONE;
	switch (v) {
	case XLAT_FORWARD:
		if (gso_size) {
			if (vnet_tx(&w->vh, pkt.data, pkt.len) != VNET_OK) {
				STATS_INC(w->stats.bad_vnet);
				return;
			}
			STATS_INC(w->stats.gso);
		}
		send_buf(w, gso_size ? &w->vh : NULL, &pkt, tx);
		break;
	case XLAT_FORWARD_MULTI:
		send_frags(w, w->frags);
		break;
	case XLAT_REPLY:
		STATS_INC(w->stats.drops[reason]);
		if (reply_allowed(w))
			send_buf(w, NULL, &reply, &w->stats.replies);
		else
			STATS_INC(w->stats.replies_limited);
		break;
	case XLAT_DROP:
		STATS_INC(w->stats.drops[reason]);
		break;
	}
}

/* Reads one packet into buf (after XLAT_HEADROOM) and its virtio-net header
 * into vh when the queue has them.  Returns the packet length, 0 for
 * nothing to do, -1 on a read error (errno set). */
static ssize_t worker_read(struct worker *w, uint16_t *gso_size)
{
	uint8_t *pkt = w->buf + XLAT_HEADROOM;
	struct iovec iov[2] = { { &w->vh, VNET_HDR_LEN }, { pkt, WORKER_MAX_PKT } };
	ssize_t n;

	*gso_size = 0;
	if (!w->dp->offload)
		return read(w->fd, pkt, WORKER_MAX_PKT);
	n = readv(w->fd, iov, 2);
	if (n < 0)
		return n;
	if ((size_t)n <= VNET_HDR_LEN)
		return 0;
	n -= (ssize_t)VNET_HDR_LEN;
	if (vnet_rx(&w->vh, pkt, (size_t)n, gso_size) != VNET_OK) {
		STATS_INC(w->stats.bad_vnet);
		return 0;
	}
	return n;
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
		uint16_t gso_size;
		ssize_t n = worker_read(w, &gso_size);

		if (n > 0) {
			worker_packet(w, &map, (size_t)n, gso_size);
			continue;
		}
		if (n == 0 || errno == EINTR || errno == EAGAIN)
			continue;
		STATS_INC(w->stats.read_errors);
		worker_log(w, LOG_ERR, "TUN read: %s", strerror(errno));
		if (errno == EBADFD || errno == EBADF)
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

static int worker_pin(struct worker *w)
{
	cpu_set_t set;
	int ret;

	if (w->cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET((unsigned)w->cpu, &set);
	ret = pthread_setaffinity_np(w->thread, sizeof(set), &set);
	if (ret)
		log_warn("worker %u: cannot pin to CPU %d: %s", w->index, w->cpu,
			 strerror(ret));
	return -ret;
}

int worker_start(struct worker *w, struct dataplane *dp, unsigned index, int fd, int cpu)
{
	struct timespec ts;
	int ret;

	memset(w, 0, sizeof(*w));
	w->dp = dp;
	w->index = index;
	w->fd = fd;
	w->cpu = cpu;
	w->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1, 5);
	w->replies.tokens = dp->reply_burst;
	w->replies.last = dp->now;
	/* RFC 7915 §5.1 wants unpredictable identifications: seed per worker. */
	clock_gettime(CLOCK_REALTIME, &ts);
	w->xs.ip_id = (uint32_t)ts.tv_nsec ^ (index * 0x9e3779b9u);
	w->buf = malloc(XLAT_HEADROOM + WORKER_MAX_PKT);
	w->reply = malloc(XLAT_REPLY_MAX);
	w->frags = malloc(sizeof(*w->frags));
	if (!w->buf || !w->reply || !w->frags) {
		worker_free(w);
		return -ENOMEM;
	}
	ret = pthread_create(&w->thread, NULL, worker_main, w);
	if (ret) {
		worker_free(w);
		return -ret;
	}
	w->running = 1;
	worker_pin(w);	/* a failure costs speed, not correctness: go on */
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
	free(w->frags);
	w->buf = NULL;
	w->reply = NULL;
	w->frags = NULL;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}
