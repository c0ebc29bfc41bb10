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

	rcu_read_lock();
	ret = bindings_lookup6(dp->bindings, src, now, out);
	rcu_read_unlock();
	if (ret == 0)
		return 0;	/* only allowed clients ever get a binding */
	if (!config_client_allowed(dp->cfg, src))
		return -XLAT_DROP_NOT_CLIENT;
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

static const struct virtio_net_hdr plain_vh;	/* no offload asked of the kernel */

/* Accounts for a write of `want` bytes that returned `done` (-errno on error). */
static void write_done(struct worker *w, ssize_t done, size_t want, uint64_t *counter)
{
	if (done == (ssize_t)want) {
		STATS_INC(*counter);
		return;
	}
	STATS_INC(w->stats.write_errors);
	worker_log(w, LOG_WARNING, "TUN write of %zu bytes: %s", want,
		   done < 0 ? strerror((int)-done) : "short write");
}

/* Writes one packet now, behind a plain virtio-net header when the queue
 * has them: replies and fragments, which are rare. */
static void worker_write(struct worker *w, const struct iovec *parts, int n, uint64_t *counter)
{
	struct iovec iov[3];
	size_t want = 0;
	int cnt = 0;
	ssize_t done;

	if (w->dp->offload) {
		iov[cnt].iov_base = (void *)&plain_vh;
		iov[cnt++].iov_len = VNET_HDR_LEN;
	}
	for (int i = 0; i < n; i++)
		iov[cnt++] = parts[i];
	for (int i = 0; i < cnt; i++)
		want += iov[i].iov_len;
	done = writev(w->fd, iov, cnt);
	write_done(w, done < 0 ? -errno : done, want, counter);
}

static void send_buf(struct worker *w, const struct xlat_buf *b, uint64_t *counter)
{
	struct iovec part = { b->data, b->len };

	worker_write(w, &part, 1, counter);
}

static void send_frags(struct worker *w, const struct xlat_frags *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct iovec parts[2] = {
			{ (void *)f->frag[i].hdr, f->frag[i].hdr_len },
			{ (void *)f->frag[i].payload, f->frag[i].payload_len },
		};

		worker_write(w, parts, 2, &w->stats.fragments);
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

/* Sets up the slot's write of the translated packet `out` (the common case:
 * one packet out for one in). */
static void slot_prepare_write(struct worker *w, struct slot *sl, const struct xlat_buf *out,
			       int gso, uint64_t *tx)
{
	int n = 0;

	if (w->dp->offload) {
		sl->wiov[n].iov_base = gso ? &sl->vh : (void *)&plain_vh;
		sl->wiov[n++].iov_len = VNET_HDR_LEN;
	}
	sl->wiov[n].iov_base = out->data;
	sl->wiov[n++].iov_len = out->len;
	sl->wcnt = n;
	sl->want = out->len + (w->dp->offload ? VNET_HDR_LEN : 0);
	sl->tx = tx;
}

/*
 * Translates the packet read into `sl`.  Returns 1 when the slot's write is
 * set up for the caller to send, 0 when the packet was dealt with here
 * (dropped, answered, or sent as fragments: rare, written at once).
 */
static int worker_packet(struct worker *w, const struct xlat_map *map, struct slot *sl,
			 size_t len, uint16_t gso_size)
{
	struct xlat_buf pkt = { sl->buf + XLAT_HEADROOM, len, XLAT_HEADROOM, gso_size };
	struct xlat_buf reply = { w->reply, XLAT_REPLY_MAX, 0, 0 };
	enum xlat_drop reason = XLAT_DROP_NONE;
	enum xlat_verdict v;
	uint64_t *tx;

	switch (pkt.data[0] >> 4) {
	case 6:
		STATS_INC(w->stats.rx6);
		if (foreign_source(w, pkt.data, len)) {
			STATS_INC(w->stats.drops[XLAT_DROP_NOT_CLIENT]);
			return 0;
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
		return 0;
	}
	if (reason >= XLAT_DROP__MAX)
		reason = XLAT_DROP_NONE;
	switch (v) {
	case XLAT_FORWARD:
		if (gso_size) {
			if (vnet_tx(&sl->vh, pkt.data, pkt.len) != VNET_OK) {
				STATS_INC(w->stats.bad_vnet);
				return 0;
			}
			STATS_INC(w->stats.gso);
		}
		slot_prepare_write(w, sl, &pkt, gso_size != 0, tx);
		return 1;
	case XLAT_FORWARD_MULTI:
		send_frags(w, w->frags);
		return 0;
	case XLAT_REPLY:
		STATS_INC(w->stats.drops[reason]);
		if (reply_allowed(w))
			send_buf(w, &reply, &w->stats.replies);
		else
			STATS_INC(w->stats.replies_limited);
		return 0;
	case XLAT_DROP:
		STATS_INC(w->stats.drops[reason]);
		return 0;
	}
	return 0;
}

/* Length of the packet a read of `n` bytes put into `sl`, its virtio-net
 * header checked; 0 for nothing to translate. */
static size_t slot_received(struct worker *w, struct slot *sl, size_t n, uint16_t *gso_size)
{
	*gso_size = 0;
	if (!w->dp->offload)
		return n;
	if (n <= VNET_HDR_LEN)
		return 0;
	n -= VNET_HDR_LEN;
	if (vnet_rx(&sl->vh, sl->buf + XLAT_HEADROOM, n, gso_size) != VNET_OK) {
		STATS_INC(w->stats.bad_vnet);
		return 0;
	}
	return n;
}

/* A failed read: 1 to go on, 0 when the queue is gone. */
static int read_failed(struct worker *w, int err)
{
	if (err == EINTR || err == EAGAIN)
		return 1;
	STATS_INC(w->stats.read_errors);
	worker_log(w, LOG_ERR, "TUN read: %s", strerror(err));
	return err != EBADFD && err != EBADF;
}

/* One packet per read() and write(): the simple loop. */
static void loop_plain(struct worker *w, const struct xlat_map *map)
{
	struct slot *sl = &w->slots[0];

	while (!w->dp->stop) {
		ssize_t n = readv(w->fd, sl->riov, sl->rcnt);
		uint16_t gso;
		size_t len;

		if (n < 0) {
			if (!read_failed(w, errno))
				return;
			continue;
		}
		len = slot_received(w, sl, (size_t)n, &gso);
		if (len && worker_packet(w, map, sl, len, gso)) {
			ssize_t done = writev(w->fd, sl->wiov, sl->wcnt);

			write_done(w, done < 0 ? -errno : done, sl->want, sl->tx);
		}
	}
}

/* ---- io_uring: many reads in flight, one system call per batch ---- */

#define RING_WRITE (1ULL << 63)

static void ring_queue(struct worker *w, unsigned i, int write)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
	struct slot *sl = &w->slots[i];

	/* Each slot has at most one operation in flight and the ring holds
	 * as many entries as there are slots: there is always room. */
	if (write)
		io_uring_prep_writev(sqe, w->fd, sl->wiov, (unsigned)sl->wcnt, (uint64_t)-1);
	else
		io_uring_prep_readv(sqe, w->fd, sl->riov, (unsigned)sl->rcnt, (uint64_t)-1);
	io_uring_sqe_set_data64(sqe, i | (write ? RING_WRITE : 0));
}

/* Handles one completion; 0 when the queue is gone. */
static int ring_complete(struct worker *w, const struct xlat_map *map,
			 const struct io_uring_cqe *cqe)
{
	uint64_t data = io_uring_cqe_get_data64(cqe);
	unsigned i = (unsigned)(data & ~RING_WRITE);
	struct slot *sl = &w->slots[i];
	uint16_t gso;
	size_t len;

	if (data & RING_WRITE) {
		write_done(w, cqe->res, sl->want, sl->tx);
		ring_queue(w, i, 0);
		return 1;
	}
	if (cqe->res < 0) {
		if (!read_failed(w, -cqe->res))
			return 0;
		ring_queue(w, i, 0);
		return 1;
	}
	len = slot_received(w, sl, (size_t)cqe->res, &gso);
	/* Writes are issued in completion order: a flow keeps its order. */
	ring_queue(w, i, len && worker_packet(w, map, sl, len, gso));
	return 1;
}

static void loop_ring(struct worker *w, const struct xlat_map *map)
{
	for (unsigned i = 0; i < w->n_slots; i++)
		ring_queue(w, i, 0);
	while (!w->dp->stop) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		int ret = io_uring_submit_and_wait(&w->ring, 1);

		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
			STATS_INC(w->stats.read_errors);
			worker_log(w, LOG_ERR, "io_uring: %s", strerror(-ret));
			return;
		}
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			seen++;
			if (!ring_complete(w, map, cqe)) {
				io_uring_cq_advance(&w->ring, seen);
				return;
			}
		}
		io_uring_cq_advance(&w->ring, seen);
	}
}

/* io_uring with the cheapest completion handling the kernel offers; the
 * plain loop when io_uring is not to be had (old kernel, disabled). */
static void ring_setup(struct worker *w)
{
	unsigned flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	int ret;

	if (!w->dp->batch)
		return;
	ret = io_uring_queue_init(w->n_slots, &w->ring, flags);
	if (ret == -EINVAL)
		ret = io_uring_queue_init(w->n_slots, &w->ring, 0);
	if (ret < 0) {
		log_warn("worker %u: io_uring unavailable (%s): one read per packet",
			 w->index, strerror(-ret));
		return;
	}
	w->ring_ready = 1;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct xlat_map map = { map_src6, map_dst4, w };
	sigset_t kick;

	/* The supervisor takes every other signal; this one interrupts reads. */
	sigemptyset(&kick);
	sigaddset(&kick, WORKER_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	rcu_register_thread();
	ring_setup(w);	/* here: a single-issuer ring belongs to its creator */
	if (w->ring_ready)
		loop_ring(w, &map);
	else
		loop_plain(w, &map);
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

static int slots_alloc(struct worker *w, unsigned n)
{
	w->slots = calloc(n, sizeof(*w->slots));
	if (!w->slots)
		return -ENOMEM;
	w->n_slots = n;
	for (unsigned i = 0; i < n; i++) {
		struct slot *sl = &w->slots[i];
		int c = 0;

		sl->buf = malloc(XLAT_HEADROOM + WORKER_MAX_PKT);
		if (!sl->buf)
			return -ENOMEM;
		if (w->dp->offload) {
			sl->riov[c].iov_base = &sl->vh;
			sl->riov[c++].iov_len = VNET_HDR_LEN;
		}
		sl->riov[c].iov_base = sl->buf + XLAT_HEADROOM;
		sl->riov[c++].iov_len = WORKER_MAX_PKT;
		sl->rcnt = c;
	}
	return 0;
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
	w->reply = malloc(XLAT_REPLY_MAX);
	w->frags = malloc(sizeof(*w->frags));
	ret = slots_alloc(w, dp->batch ? dp->batch : 1);
	if (ret < 0 || !w->reply || !w->frags) {
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
	if (w->ring_ready)
		io_uring_queue_exit(&w->ring);
	w->ring_ready = 0;
	for (unsigned i = 0; i < w->n_slots; i++)
		free(w->slots[i].buf);
	free(w->slots);
	free(w->reply);
	free(w->frags);
	w->slots = NULL;
	w->n_slots = 0;
	w->reply = NULL;
	w->frags = NULL;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}
