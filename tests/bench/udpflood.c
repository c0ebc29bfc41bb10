/*
 * udpflood: a minimal UDP load generator and counter for scripts/bench.sh.
 *
 * iperf3's UDP mode sends one datagram per syscall with a timer check around
 * each, and its receiver is slower still: on the benchmark machine it tops
 * out near 100 kpps and loses packets even on the plain kernel path, so it
 * measures itself rather than the gateway.  This tool sends with sendmmsg()
 * and receives with recvmmsg() in batches, so the gateway is the bottleneck.
 *
 *   udpflood tx  DST PORT LEN SECS    flood DST:PORT with LEN-byte payloads
 *   udpflood rx  BIND PORT SECS       count datagrams arriving at BIND:PORT
 *   udpflood rtx BIND PORT LEN SECS   wait for a hello at BIND:PORT, then
 *                                     flood its sender (the reverse direction:
 *                                     the IPv4 side cannot open a flow through
 *                                     NAT64, the client has to)
 *   udpflood rrx DST PORT SECS        send hellos to DST:PORT, count what
 *                                     comes back
 *
 * Each prints one JSON object: {"sent":N,"errors":N,...} or
 * {"received":N,"bytes":N,...}.  Every mode is bounded in time: a receiver
 * stops SECS + 3 s after it starts, or 1 s after the last datagram.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_LEN 9000
#define HELLO_WAIT_S 5

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int resolve(const char *host, const char *port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints, *ai;
	int ret;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	ret = getaddrinfo(host, port, &hints, &ai);
	if (ret) {
		fprintf(stderr, "udpflood: %s port %s: %s\n", host, port, gai_strerror(ret));
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int open_socket(int family)
{
	int fd = socket(family, SOCK_DGRAM, 0);
	int size = 32 << 20;

	if (fd < 0) {
		perror("udpflood: socket");
		return -1;
	}
	/* A per-socket setting (FORCE needs CAP_NET_ADMIN); no sysctl changes. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return fd;
}

/* Sends LEN-byte datagrams on the connected fd for secs seconds. */
static int flood(int fd, size_t len, double secs)
{
	static uint8_t payload[MAX_LEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint64_t sent = 0, errors = 0;
	double t0 = now_s(), t;

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = payload;
		iov[i].iov_len = len;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	do {
		int n;

		n = sendmmsg(fd, msgs, BATCH, 0);
		if (n > 0) {
			sent += (uint64_t)n;
		} else if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED) {
			errors++;	/* local queue full, or an ICMP error came back */
		} else {
			perror("udpflood: sendmmsg");
			return 1;
		}
		t = now_s();
	} while (t - t0 < secs);
	printf("{\"sent\":%llu,\"errors\":%llu,\"seconds\":%.3f,\"len\":%zu}\n",
	       (unsigned long long)sent, (unsigned long long)errors, t - t0, len);
	return 0;
}

/* Counts datagrams on fd until secs + 3 s have passed or 1 s of silence
 * follows the first datagram.  On a connected fd, sends a hello to the peer
 * every 200 ms until the first datagram arrives. */
static int count(int fd, double secs, int connected)
{
	static uint8_t bufs[BATCH][2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint64_t received = 0, bytes = 0;
	double t0 = now_s(), first = 0, last = 0, hello = 0;

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		double t = now_s();
		int n;

		if (t - t0 > secs + 3 || (received && t - last > 1.0))
			break;
		if (connected && !received && t - hello > 0.2) {
			if (send(fd, "hello", 5, 0) < 0 && errno != ECONNREFUSED)
				perror("udpflood: hello");
			hello = t;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		if (!received)
			first = now_s();
		last = now_s();
		received += (uint64_t)n;
		for (int i = 0; i < n; i++)
			bytes += msgs[i].msg_len;
	}
	printf("{\"received\":%llu,\"bytes\":%llu,\"seconds\":%.3f}\n",
	       (unsigned long long)received, (unsigned long long)bytes, received ? last - first : 0.0);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: udpflood tx DST PORT LEN SECS | rx BIND PORT SECS |\n"
			"       rtx BIND PORT LEN SECS | rrx DST PORT SECS\n");
	exit(2);
}

static size_t parse_len(const char *s)
{
	long v = strtol(s, NULL, 10);

	if (v < 8 || v > MAX_LEN) {
		fprintf(stderr, "udpflood: length %s not in 8..%d\n", s, MAX_LEN);
		exit(2);
	}
	return (size_t)v;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss, peer;
	socklen_t sslen, peerlen = sizeof(peer);
	char hello[64];
	int fd;

	if (argc < 5)
		usage();
	if (resolve(argv[2], argv[3], &ss, &sslen) < 0)
		return 1;
	fd = open_socket(ss.ss_family);
	if (fd < 0)
		return 1;
	if (!strcmp(argv[1], "tx") && argc == 6) {
		if (connect(fd, (struct sockaddr *)&ss, sslen) < 0) {
			perror("udpflood: connect");
			return 1;
		}
		return flood(fd, parse_len(argv[4]), atof(argv[5]));
	}
	if (!strcmp(argv[1], "rrx") && argc == 5) {
		if (connect(fd, (struct sockaddr *)&ss, sslen) < 0) {
			perror("udpflood: connect");
			return 1;
		}
		return count(fd, atof(argv[4]), 1);
	}
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0) {
		perror("udpflood: bind");
		return 1;
	}
	if (!strcmp(argv[1], "rx") && argc == 5)
		return count(fd, atof(argv[4]), 0);
	if (!strcmp(argv[1], "rtx") && argc == 6) {
		struct pollfd pfd = { fd, POLLIN, 0 };

		if (poll(&pfd, 1, HELLO_WAIT_S * 1000) <= 0 ||
		    recvfrom(fd, hello, sizeof(hello), 0, (struct sockaddr *)&peer, &peerlen) < 0) {
			printf("{\"sent\":0,\"errors\":0,\"seconds\":0,\"error\":\"no hello\"}\n");
			return 1;
		}
		if (connect(fd, (struct sockaddr *)&peer, peerlen) < 0) {
			perror("udpflood: connect");
			return 1;
		}
		return flood(fd, parse_len(argv[4]), atof(argv[5]));
	}
	usage();
	return 2;
}
