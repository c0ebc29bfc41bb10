#include "supervisor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "config.h"
#include "dataplane/stats.h"
#include "dataplane/worker.h"
#include "io/tun.h"
#include "log.h"
#include "plumb/conntrack.h"
#include "plumb/plumb.h"
#include "state/bindings.h"
#include "xlat/addr.h"

#define STOP_TIMEOUT_MS 800

/* What the binding table asks of conntrack. */
struct ct_glue {
	struct ct *flush_ct;		/* used from workers, under flush_lock */
	pthread_mutex_t flush_lock;
	struct ct *dump_ct;		/* used by the reaper only */
	struct in_addr pool;
	uint32_t pool_size;
	uint64_t *in_use;		/* bitmap over the pool, one dump per reaper pass */
	int in_use_valid;
	int in_use_error;
};

struct supervisor {
	const struct config *cfg;
	struct dataplane dp;
	struct ct_glue ct;
	struct worker *workers;
	unsigned n_workers;
	struct xlat_v4net *deny;	/* handed to the translator */
	int sfd, tfd;
};

static uint32_t monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)ts.tv_sec;
}

static uint32_t pool_size(const struct config *cfg)
{
	return 1u << (32 - cfg->kernel.pool_len);
}

static int glue_in_use(void *arg, struct in_addr inner)
{
	struct ct_glue *g = arg;
	uint32_t i = ntohl(inner.s_addr) - ntohl(g->pool.s_addr);
	int ret;

	if (!g->in_use_valid) {
		memset(g->in_use, 0, (g->pool_size + 63) / 64 * sizeof(uint64_t));
		ret = ct_inner_in_use(g->dump_ct, g->pool, g->pool_size, g->in_use);
		g->in_use_error = ret < 0 ? ret : 0;
		g->in_use_valid = 1;
		if (ret < 0)
			log_warn("conntrack dump failed (%s): keeping idle bindings",
				 strerror(-ret));
	}
	if (g->in_use_error)
		return g->in_use_error;
	return (int)((g->in_use[i / 64] >> (i % 64)) & 1);
}

static int glue_flush(void *arg, struct in_addr inner)
{
	struct ct_glue *g = arg;
	int ret;

	pthread_mutex_lock(&g->flush_lock);
	ret = ct_flush_inner(g->flush_ct, inner, 1);
	pthread_mutex_unlock(&g->flush_lock);
	return ret < 0 ? ret : 0;
}

static void glue_close(struct ct_glue *g)
{
	ct_close(g->flush_ct);
	ct_close(g->dump_ct);
	free(g->in_use);
	pthread_mutex_destroy(&g->flush_lock);
}

static int glue_open(struct ct_glue *g, const struct config *cfg)
{
	int ret;

	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->flush_lock, NULL);
	g->pool = cfg->kernel.pool;
	g->pool_size = pool_size(cfg);
	g->in_use = calloc((g->pool_size + 63) / 64, sizeof(uint64_t));
	g->flush_ct = ct_open();
	g->dump_ct = ct_open();
	if (!g->in_use || !g->flush_ct || !g->dump_ct) {
		ret = g->in_use ? -errno : -ENOMEM;
		log_err("conntrack: cannot open netlink socket: %s", strerror(-ret));
		glue_close(g);
		return ret;
	}
	/* Entries left from an earlier run would send a previous client's
	 * return traffic to whoever gets that inner address now. */
	ret = ct_flush_inner(g->flush_ct, g->pool, g->pool_size);
	if (ret < 0) {
		log_err("conntrack: flushing stale entries of the inner pool: %s",
			strerror(-ret));
		glue_close(g);
		return ret;
	}
	if (ret > 0)
		log_info("conntrack: flushed %d stale entries of the inner pool", ret);
	return 0;
}

/* Signals go to a signalfd; only the kick signal reaches worker threads. */
static int setup_signals(sigset_t *set)
{
	int ret = worker_setup_signals();

	if (ret < 0)
		return ret;
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGPIPE);
	sigaddset(set, WORKER_KICK_SIGNAL);
	/* Threads inherit this mask; workers unblock the kick signal. */
	if (pthread_sigmask(SIG_BLOCK, set, NULL))
		return -EINVAL;
	sigdelset(set, WORKER_KICK_SIGNAL);
	sigdelset(set, SIGPIPE);
	return 0;
}

static int open_timer(void)
{
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void log_stats(const struct supervisor *s, const char *when)
{
	struct stats total;
	struct bindings_stats bs;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	memset(&total, 0, sizeof(total));
	for (unsigned i = 0; i < s->n_workers; i++)
		stats_add(&total, &s->workers[i].stats);
	bindings_get_stats(s->dp.bindings, &bs);
	f = open_memstream(&text, &len);
	if (!f)
		return;
	stats_print(&total, f);
	fprintf(f, "bindings active %llu dormant %llu created %llu reaped %llu "
		"kept_by_conntrack %llu exhausted %llu",
		(unsigned long long)bs.active, (unsigned long long)bs.dormant,
		(unsigned long long)bs.created, (unsigned long long)bs.reaped,
		(unsigned long long)bs.kept_by_conntrack,
		(unsigned long long)bs.exhausted);
	fclose(f);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		log_info("%s: %s", when, line);
	free(text);
}

static int start_workers(struct supervisor *s)
{
	const struct config *cfg = s->cfg;
	unsigned got, offered = 0;
	int ret;

	s->workers = calloc(cfg->tun.queues, sizeof(*s->workers));
	if (!s->workers)
		return -ENOMEM;
	for (unsigned i = 0; i < cfg->tun.queues; i++) {
		int cpu = cfg->tun.pin ? (int)cfg->tun.cpus[i % cfg->tun.n_cpus] : -1;
		int fd = tun_attach_queue(cfg->tun.name, cfg->tun.offload, &got);

		if (fd < 0) {
			log_err("TUN %s: attaching queue %u: %s", cfg->tun.name, i,
				strerror(-fd));
			return fd;
		}
		offered = got;
		ret = worker_start(&s->workers[i], &s->dp, i, fd, cpu);
		if (ret < 0) {
			close(fd);
			log_err("starting worker %u: %s", i, strerror(-ret));
			return ret;
		}
		s->n_workers++;
	}
	if (cfg->tun.offload)
		log_info("TUN offloads: checksum %s, TCP segmentation %s, UDP segmentation %s",
			 offered & TUN_OFFLOAD_CSUM ? "on" : "off",
			 offered & TUN_OFFLOAD_TSO ? "on" : "off",
			 offered & TUN_OFFLOAD_USO ? "on" : "off");
	return 0;
}

/* Returns 0 when every worker has stopped, -ETIMEDOUT otherwise. */
static int stop_workers(struct supervisor *s)
{
	int ret = 0;

	for (unsigned i = 0; i < s->n_workers; i++) {
		if (worker_stop(&s->workers[i], STOP_TIMEOUT_MS) < 0) {
			log_err("worker %u did not stop in time", i);
			ret = -ETIMEDOUT;
		}
	}
	return ret;
}

/* Reap every quarter of the idle timeout, at least once a minute. */
static uint32_t reap_interval(const struct config *cfg)
{
	uint32_t iv = cfg->kernel.idle_timeout / 4;

	if (iv < 1)
		iv = 1;
	return iv > 60 ? 60 : iv;
}

static void on_tick(struct supervisor *s, uint32_t *next_reap)
{
	uint64_t expirations;
	uint32_t now = monotonic_seconds();
	unsigned reaped;

	if (read(s->tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_warn("timer: %s", strerror(errno));
	__atomic_store_n(&s->dp.now, now, __ATOMIC_RELAXED);
	if (now < *next_reap)
		return;
	*next_reap = now + reap_interval(s->cfg);
	s->ct.in_use_valid = 0;	/* one conntrack dump per pass, when needed */
	reaped = bindings_reap(s->dp.bindings, now);
	if (reaped)
		log_info("reaped %u idle bindings", reaped);
}

/* Returns 1 to keep running, 0 to stop. */
static int on_signal(struct supervisor *s)
{
	struct signalfd_siginfo si;

	if (read(s->sfd, &si, sizeof(si)) != sizeof(si))
		return 1;
	switch (si.ssi_signo) {
	case SIGTERM:
	case SIGINT:
		log_info("signal %u: stopping", si.ssi_signo);
		return 0;
	case SIGUSR1:
		log_stats(s, "counters");
		return 1;
	default:
		log_info("signal %u ignored", si.ssi_signo);
		return 1;
	}
}

static void event_loop(struct supervisor *s)
{
	struct pollfd pfd[2] = { { s->sfd, POLLIN, 0 }, { s->tfd, POLLIN, 0 } };
	uint32_t next_reap = monotonic_seconds() + reap_interval(s->cfg);

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return;
		}
		if ((pfd[0].revents & POLLIN) && !on_signal(s))
			return;
		if (pfd[1].revents & POLLIN)
			on_tick(s, &next_reap);
	}
}

/* The translator never sends to the inner pool nor to the operator's
 * deny-v4 networks (the built-in special ranges are its own business). */
static int build_deny(struct supervisor *s)
{
	const struct config *cfg = s->cfg;
	size_t n = cfg->n_deny_v4 + 1;

	s->deny = calloc(n, sizeof(*s->deny));
	if (!s->deny)
		return -ENOMEM;
	s->deny[0].addr = cfg->kernel.pool;
	s->deny[0].len = cfg->kernel.pool_len;
	if (cfg->n_deny_v4)
		memcpy(&s->deny[1], cfg->deny_v4, cfg->n_deny_v4 * sizeof(*s->deny));
	s->dp.xcfg.deny = s->deny;
	s->dp.xcfg.n_deny = n;
	return 0;
}

/* The configured rate and burst are for the whole gateway: split them. */
static uint32_t per_worker(unsigned total, unsigned workers, unsigned floor)
{
	unsigned v = (total + workers - 1) / workers;

	return v < floor ? floor : v;
}

static int setup_dataplane(struct supervisor *s)
{
	const struct config *cfg = s->cfg;
	struct bindings_ct_ops ops = { glue_in_use, glue_flush, &s->ct };
	struct in_addr exclude = { INADDR_ANY };
	struct xlat_cfg *x = &s->dp.xcfg;

	s->dp.cfg = cfg;
	s->dp.now = monotonic_seconds();
	s->dp.offload = cfg->tun.offload;
	s->dp.batch = cfg->tun.batch;
	s->dp.reply_rate = cfg->icmp_errors.rate ?
		per_worker(cfg->icmp_errors.rate, cfg->tun.queues, 1) : 0;
	s->dp.reply_burst = cfg->icmp_errors.rate ?
		per_worker(cfg->icmp_errors.burst, cfg->tun.queues, 1) : 0;
	x->prefix = cfg->prefix;
	x->gateway_v4 = cfg->gateway_v4;
	x->gateway_v6 = cfg->gateway_v6;
	x->mtu = cfg->tun.mtu;
	x->lowest_ipv6_mtu = cfg->lowest_ipv6_mtu;
	if (build_deny(s) < 0)
		return -ENOMEM;
	if (addr_v4_in_net(cfg->gateway_v4, cfg->kernel.pool, cfg->kernel.pool_len))
		exclude = cfg->gateway_v4;
	s->dp.bindings = bindings_new(cfg->kernel.pool, cfg->kernel.pool_len, exclude,
				      cfg->kernel.idle_timeout, &ops);
	return s->dp.bindings ? 0 : -ENOMEM;
}

int supervisor_run(const struct config *cfg)
{
	struct supervisor s;
	sigset_t set;
	int ret;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.sfd = s.tfd = -1;
	ret = plumb_verify(cfg);
	if (ret == -ENODEV) {
		log_err("TUN device %s is missing: run `nat64 plumb` first", cfg->tun.name);
		return ret;
	}
	if (ret < 0) {
		log_err("TUN device %s: %s", cfg->tun.name, strerror(-ret));
		return ret;
	}
	ret = setup_signals(&set);
	if (ret == 0)
		ret = (s.sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0 ? -errno : 0;
	if (ret == 0)
		ret = (s.tfd = open_timer()) < 0 ? s.tfd : 0;
	if (ret < 0) {
		log_err("signals/timer: %s", strerror(-ret));
		goto out;
	}
	ret = glue_open(&s.ct, cfg);
	if (ret < 0)
		goto out;
	ret = setup_dataplane(&s);
	if (ret < 0) {
		log_err("setting up the data plane: %s", strerror(-ret));
		goto out_ct;
	}
	ret = start_workers(&s);
	if (ret == 0) {
		log_info("running on %s with %u queue(s), prefix and pool routed in",
			 cfg->tun.name, s.n_workers);
		event_loop(&s);
	}
	if (stop_workers(&s) < 0) {
		/* A worker still runs on its buffers and the bindings: leave
		 * them to the exit rather than free them under it. */
		return -ETIMEDOUT;
	}
	if (s.n_workers)
		log_stats(&s, "final counters");
	for (unsigned i = 0; i < s.n_workers; i++)
		worker_free(&s.workers[i]);
	free(s.workers);
	bindings_free(s.dp.bindings);
out_ct:
	free(s.deny);
	glue_close(&s.ct);
out:
	if (s.tfd >= 0)
		close(s.tfd);
	if (s.sfd >= 0)
		close(s.sfd);
	return ret;
}
