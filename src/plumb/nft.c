/*
 * The nftables table `inet nat64`: replaced in one atomic batch (libmnl),
 * every message of which asks for an ACK, and only when the kernel's table
 * differs from the wanted one, so that the counters keep counting.
 */
#include "plumb/nft.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "log.h"
#include "plumb/nft_rules.h"

/* Receive buffer: large enough for any dump message the kernel sends. */
#define NL_BUF_SIZE 16384
/* Batch buffer; libmnl wants twice the nominal size allocated. */
#define BATCH_SIZE 8192
/* How long to wait for the kernel's answers before giving up. */
#define NL_RECV_TIMEOUT_S 5

/* ---- the batch ---- */

static struct nlmsghdr *batch_hdr(struct mnl_nlmsg_batch *b, uint16_t type,
				  uint16_t flags, uint32_t *seq)
{
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), type,
				     NFPROTO_INET, flags | NLM_F_ACK, (*seq)++);
}

/* Moves to the next message slot; false when the buffer is full. */
static bool batch_next(struct mnl_nlmsg_batch *b, bool *full)
{
	if (!mnl_nlmsg_batch_next(b))
		*full = true;
	return !*full;
}

int nft_build_batch(const struct nft_params *p, struct mnl_nlmsg_batch *b,
		    uint32_t *seq)
{
	struct nft_ruleset rs;
	struct nftnl_rule_iter *it;
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;
	bool full = false;
	int ret, n = 0;

	if ((ret = nft_ruleset_build(p, &rs)))
		return ret;

	nftnl_batch_begin(mnl_nlmsg_batch_current(b), (*seq)++);
	batch_next(b, &full);

	/* add + delete: the delete then never fails on a missing table, and
	 * the whole old table (chains, rules, anything else) goes at once. */
	nlh = batch_hdr(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, seq);
	nftnl_table_nlmsg_build_payload(nlh, rs.table);
	n += batch_next(b, &full);
	nlh = batch_hdr(b, NFT_MSG_DELTABLE, 0, seq);
	nftnl_table_nlmsg_build_payload(nlh, rs.table);
	n += batch_next(b, &full);
	nlh = batch_hdr(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, seq);
	nftnl_table_nlmsg_build_payload(nlh, rs.table);
	n += batch_next(b, &full);

	for (int i = 0; i < NFT_N_CHAINS && !full; i++) {
		nlh = batch_hdr(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL, seq);
		nftnl_chain_nlmsg_build_payload(nlh, rs.chain[i]);
		n += batch_next(b, &full);
	}
	for (int i = 0; i < NFT_N_CHAINS && !full; i++) {
		it = nftnl_rule_iter_create(rs.chain[i]);
		if (!it) {
			ret = -ENOMEM;
			break;
		}
		while (!full && (r = nftnl_rule_iter_next(it))) {
			nlh = batch_hdr(b, NFT_MSG_NEWRULE,
					NLM_F_CREATE | NLM_F_APPEND, seq);
			nftnl_rule_nlmsg_build_payload(nlh, r);
			n += batch_next(b, &full);
		}
		nftnl_rule_iter_destroy(it);
	}
	if (!full && !ret) {
		nftnl_batch_end(mnl_nlmsg_batch_current(b), (*seq)++);
		batch_next(b, &full);
	}
	nft_ruleset_free(&rs);
	if (ret)
		return ret;
	return full ? -ENOSPC : n;
}

int nft_table_matches(const struct nft_params *p, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	struct nft_ruleset rs;
	struct nft_seen s;
	int ret, left = len > INT32_MAX ? INT32_MAX : (int)len;

	if ((ret = nft_ruleset_build(p, &rs)))
		return ret;
	if ((ret = nft_seen_init(&s))) {
		nft_ruleset_free(&rs);
		return ret;
	}
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
		nft_seen_feed(nlh, &s);
	ret = nft_seen_matches(&s, &rs);
	nft_seen_free(&s);
	nft_ruleset_free(&rs);
	return ret;
}

/* ---- talking to the kernel ---- */

static struct mnl_socket *nl_open(void)
{
	struct timeval tv = { .tv_sec = NL_RECV_TIMEOUT_S };
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int err;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
		       sizeof(tv)) < 0) {
		err = errno;
		mnl_socket_close(nl);
		errno = err;
		return NULL;
	}
	return nl;
}

/* Sends one request and feeds every answer to `s` until DONE or ACK. */
static int nl_query(struct mnl_socket *nl, struct nlmsghdr *nlh, struct nft_seen *s)
{
	char buf[NL_BUF_SIZE];
	uint32_t portid = mnl_socket_get_portid(nl), seq = nlh->nlmsg_seq;
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, nft_seen_feed, s);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

/* Reads table inet nat64 with its chains and rules into `s`. */
static int nl_read_table(struct mnl_socket *nl, struct nft_seen *s)
{
	char buf[NL_BUF_SIZE] = { 0 };	/* no stray bytes in padding */
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh;
	struct nftnl_rule *r;
	int ret;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET,
				    NLM_F_ACK, seq++);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, NFT_TABLE_NAME);
	ret = nl_query(nl, nlh, s);
	if (ret == -ENOENT)
		return 0;	/* no table: s->table stays NULL */
	if (ret)
		return ret;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_INET,
				    NLM_F_DUMP, seq++);
	if ((ret = nl_query(nl, nlh, s)))
		return ret;

	r = nftnl_rule_alloc();
	if (!r)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE_NAME);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET,
				    NLM_F_DUMP, seq++);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	return nl_query(nl, nlh, s);
}

/* Sends the batch and collects the `nacks` answers; returns the first error. */
static int nl_send_batch(struct mnl_socket *nl, struct mnl_nlmsg_batch *b,
			 int nacks)
{
	char buf[NL_BUF_SIZE];
	const struct nlmsgerr *e;
	struct nlmsghdr *nlh;
	int got = 0, err = 0, left;
	ssize_t n;

	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b),
			      mnl_nlmsg_batch_size(b)) < 0)
		return -errno;
	while (got < nacks) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return err ? err : errno == EAGAIN ? -ETIMEDOUT : -errno;
		left = (int)n;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			got++;
			if (e->error && !err)
				err = e->error;
		}
	}
	return err;
}

static int nft_read(struct mnl_socket *nl, struct nft_seen *s)
{
	int ret;

	/* A dump interrupted by a concurrent ruleset change says EINTR. */
	for (int tries = 0; tries < 3; tries++) {
		if ((ret = nft_seen_init(s)))
			return ret;
		ret = nl_read_table(nl, s);
		if (ret != -EINTR)
			break;
		nft_seen_free(s);
	}
	if (ret)
		nft_seen_free(s);
	return ret;
}

int nft_install(const struct nft_params *p)
{
	struct mnl_nlmsg_batch *b = NULL;
	struct mnl_socket *nl;
	struct nft_ruleset rs;
	struct nft_seen s;
	char *buf = NULL;
	uint32_t seq = (uint32_t)time(NULL);
	int ret, nacks;

	if ((ret = nft_ruleset_build(p, &rs)))
		return ret;
	nl = nl_open();
	if (!nl) {
		ret = -errno;
		goto out;
	}
	if ((ret = nft_read(nl, &s)))
		goto out;
	ret = nft_seen_matches(&s, &rs);
	nft_seen_free(&s);
	if (ret == 1) {
		ret = 0;	/* already right: leave it, counters keep counting */
		goto out;
	}
	if (ret == -EEXIST)
		log_err("nft: table inet %s exists but is not managed by nat64 "
			"(no comment \"%s\"); refusing to replace it",
			NFT_TABLE_NAME, NFT_TABLE_COMMENT);
	if (ret)
		goto out;

	/* The batch sits in a buffer twice its nominal size, as libmnl asks. */
	buf = calloc(2, BATCH_SIZE);
	b = buf ? mnl_nlmsg_batch_start(buf, BATCH_SIZE) : NULL;
	if (!b) {
		ret = -ENOMEM;
		goto out;
	}
	nacks = nft_build_batch(p, b, &seq);
	if (nacks < 0) {
		ret = nacks;
		goto out;
	}
	ret = nl_send_batch(nl, b, nacks);
	if (ret)
		log_err("nft: installing table inet %s: %s", NFT_TABLE_NAME,
			strerror(-ret));
	else
		ret = 1;
out:
	if (b)
		mnl_nlmsg_batch_stop(b);
	free(buf);
	if (nl)
		mnl_socket_close(nl);
	nft_ruleset_free(&rs);
	return ret;
}

int nft_remove(void)
{
	char buf[2 * BATCH_SIZE] = { 0 };
	struct mnl_nlmsg_batch *b;
	struct mnl_socket *nl;
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	struct nft_seen s;
	uint32_t seq = (uint32_t)time(NULL);
	int ret;

	nl = nl_open();
	if (!nl)
		return -errno;
	if ((ret = nft_read(nl, &s)))
		goto out;
	if (!s.table) {
		nft_seen_free(&s);
		goto out;	/* nothing there: ret == 0 */
	}
	ret = nft_table_is_ours(s.table) ? 0 : -EEXIST;
	nft_seen_free(&s);
	if (ret)
		goto out;	/* not ours: the caller says so */
	t = nftnl_table_alloc();
	if (!t) {
		ret = -ENOMEM;
		goto out;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE_NAME);
	b = mnl_nlmsg_batch_start(buf, BATCH_SIZE);
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	nlh = batch_hdr(b, NFT_MSG_DELTABLE, 0, &seq);
	nftnl_table_nlmsg_build_payload(nlh, t);
	mnl_nlmsg_batch_next(b);
	nftnl_batch_end(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	nftnl_table_free(t);
	ret = nl_send_batch(nl, b, 1);
	mnl_nlmsg_batch_stop(b);
	if (ret == -ENOENT)
		ret = 0;	/* gone meanwhile */
	else if (ret == 0)
		ret = 1;
out:
	mnl_socket_close(nl);
	return ret;
}
