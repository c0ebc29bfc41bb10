/* One worker per TUN queue: read, translate, write. */
#ifndef NAT64_WORKER_H
#define NAT64_WORKER_H

#include <linux/virtio_net.h>
#include <liburing.h>
#include <pthread.h>
#include <sys/uio.h>
#include <stdint.h>

#include "dataplane/stats.h"
#include "log.h"
#include "xlat/xlat.h"

struct config;
struct bindings;

/* What every worker shares, read-only once workers run (but `now`, `stop`). */
struct dataplane {
	const struct config *cfg;
	struct xlat_cfg xcfg;
	struct bindings *bindings;
	int offload;			/* queues carry virtio-net headers */
	unsigned batch;			/* reads in flight per worker (io_uring); 0: read/write */
	uint32_t reply_rate;		/* ICMP errors per second, per worker; 0: none */
	uint32_t reply_burst;		/* bucket depth, per worker */
	uint32_t now;			/* monotonic seconds, advanced by the supervisor */
	volatile int stop;		/* set by the supervisor, then workers are kicked */
};

/* Token bucket for the ICMP errors a worker originates, refilled once a
 * second from the supervisor's clock (no syscall on the packet path). */
struct token_bucket {
	uint32_t tokens;
	uint32_t last;
};

/* One packet buffer and the I/O on it: a read, then maybe a write from it. */
struct slot {
	uint8_t *buf;			/* XLAT_HEADROOM + WORKER_MAX_PKT */
	struct virtio_net_hdr vh;	/* header of the packet in buf */
	struct iovec riov[2], wiov[2];
	int rcnt, wcnt;
	size_t want;			/* bytes the write must take */
	uint64_t *tx;			/* counter for a completed write */
};

struct worker {
	struct stats stats;		/* first: its own cache lines */
	struct dataplane *dp;
	pthread_t thread;
	unsigned index;
	int fd;
	int cpu;			/* pinned to this CPU, -1: not pinned */
	int running;
	struct xlat_state xs;
	struct token_bucket replies;
	struct log_ratelimit rl;
	struct slot *slots;		/* dp->batch of them, or one */
	unsigned n_slots;
	struct io_uring ring;		/* when dp->batch */
	int ring_ready;
	uint8_t *reply;			/* XLAT_REPLY_MAX */
	struct xlat_frags *frags;	/* IPv6 fragments of one IPv4 packet */
};

#define WORKER_MAX_PKT 65536

/* The signal that interrupts a worker's read(); its handler does nothing. */
#define WORKER_KICK_SIGNAL SIGUSR2

/* Installs the no-op WORKER_KICK_SIGNAL handler (without SA_RESTART). */
int worker_setup_signals(void);
/* Allocates the worker's buffers and starts its thread on queue fd `fd`,
 * pinned to `cpu` unless it is negative. */
int worker_start(struct worker *w, struct dataplane *dp, unsigned index, int fd, int cpu);
/* Asks the worker to stop and waits at most timeout_ms; 0 or -ETIMEDOUT. */
int worker_stop(struct worker *w, unsigned timeout_ms);
/* Frees the buffers and closes the queue (after worker_stop). */
void worker_free(struct worker *w);

#endif
