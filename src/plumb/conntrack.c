/*
 * ctnetlink without libnetfilter_conntrack: dump the IPv4 table, pick entries
 * by original source address, delete them by their original tuple (and
 * zone), one ACKed request each.
 */
#include "plumb/conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

/* Dumps fill up to the reader's buffer; a bigger one means fewer reads. */
#define CT_BUF_SIZE 32768
#define CT_RECV_TIMEOUT_S 5
#define CT_REQ_ROOM 1024

struct ct {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	char buf[CT_BUF_SIZE];
};

/* One entry to delete: its CTA_TUPLE_ORIG attribute as received. */
struct ct_victim {
	void *tuple;		/* whole attribute, header included */
	uint16_t tuple_len;
	bool has_zone;
	uint16_t zone;		/* network byte order, as received */
};

struct ct_scan {
	uint32_t base;		/* host byte order */
	uint32_t count;
	uint64_t *bitmap;	/* may be NULL */
	int seen;
	struct ct_victim *victims;	/* NULL unless collecting */
	size_t n_victims, cap;
	bool collect;
	int err;
};

struct ct *ct_open(void)
{
	struct timeval tv = { .tv_sec = CT_RECV_TIMEOUT_S };
	struct ct *ct = calloc(1, sizeof(*ct));
	int err;

	if (!ct)
		return NULL;
	ct->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!ct->nl)
		goto fail;
	if (mnl_socket_bind(ct->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(ct->nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
		       sizeof(tv)) < 0)
		goto fail;
	ct->portid = mnl_socket_get_portid(ct->nl);
	ct->seq = (uint32_t)time(NULL);
	return ct;
fail:
	err = errno;
	if (ct->nl)
		mnl_socket_close(ct->nl);
	free(ct);
	errno = err;
	return NULL;
}

void ct_close(struct ct *ct)
{
	if (!ct)
		return;
	mnl_socket_close(ct->nl);
	free(ct);
}

/* ---- attribute validation ---- */

static int ct_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTA_MAX) < 0)
		return MNL_CB_OK;	/* newer kernel: skip unknown */
	if (type == CTA_TUPLE_ORIG && mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
		return MNL_CB_ERROR;
	if (type == CTA_ZONE && mnl_attr_validate(a, MNL_TYPE_U16) < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static int tuple_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTA_TUPLE_MAX) < 0)
		return MNL_CB_OK;
	if (type == CTA_TUPLE_IP && mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static int ip_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTA_IP_MAX) < 0)
		return MNL_CB_OK;
	if (type == CTA_IP_V4_SRC && mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

/* The original source of a tuple: 0 and *src (network order), or -1. */
static int tuple_v4_src(const struct nlattr *orig, uint32_t *src)
{
	const struct nlattr *tt[CTA_TUPLE_MAX + 1] = { 0 };
	const struct nlattr *ti[CTA_IP_MAX + 1] = { 0 };

	if (mnl_attr_parse_nested(orig, tuple_attr_cb, tt) < 0 || !tt[CTA_TUPLE_IP])
		return -1;
	if (mnl_attr_parse_nested(tt[CTA_TUPLE_IP], ip_attr_cb, ti) < 0 ||
	    !ti[CTA_IP_V4_SRC])
		return -1;
	*src = mnl_attr_get_u32(ti[CTA_IP_V4_SRC]);
	return 0;
}

static int victim_add(struct ct_scan *s, const struct nlattr *orig,
		      const struct nlattr *zone)
{
	struct ct_victim *v;

	if (s->n_victims == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;

		v = realloc(s->victims, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->victims = v;
		s->cap = cap;
	}
	v = &s->victims[s->n_victims];
	v->tuple_len = orig->nla_len;
	v->tuple = malloc(orig->nla_len);
	if (!v->tuple)
		return -ENOMEM;
	memcpy(v->tuple, orig, orig->nla_len);
	v->has_zone = zone != NULL;
	v->zone = zone ? mnl_attr_get_u16(zone) : 0;
	s->n_victims++;
	return 0;
}

static int ct_entry_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTA_MAX + 1] = { 0 };
	struct ct_scan *s = data;
	uint32_t src, off;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), ct_attr_cb, tb) < 0 ||
	    !tb[CTA_TUPLE_ORIG] || tuple_v4_src(tb[CTA_TUPLE_ORIG], &src) < 0)
		return MNL_CB_OK;	/* not an entry we can judge: skip it */
	off = ntohl(src) - s->base;	/* wraps for addresses below base */
	if (off >= s->count)
		return MNL_CB_OK;
	s->seen++;
	if (s->bitmap)
		s->bitmap[off / 64] |= UINT64_C(1) << (off % 64);
	if (s->collect && !s->err)
		s->err = victim_add(s, tb[CTA_TUPLE_ORIG], tb[CTA_ZONE]);
	return MNL_CB_OK;
}

static struct nlmsghdr *ct_msg(struct ct *ct, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;

	/* Requests are small; zeroing their room zeroes attribute padding. */
	memset(ct->buf, 0, CT_REQ_ROOM);
	nlh = mnl_nlmsg_put_header(ct->buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++ct->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	return nlh;
}

/* Sends `nlh` and runs `cb` over the answers until DONE or the ACK. */
static int ct_talk(struct ct *ct, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(ct->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(ct->nl, ct->buf, sizeof(ct->buf));
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		ret = mnl_cb_run(ct->buf, (size_t)n, seq, ct->portid, cb, data);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

static int ct_scan(struct ct *ct, struct ct_scan *s)
{
	int ret;

	if (!ct || s->count == 0)
		return ct ? 0 : -EINVAL;
	ret = ct_talk(ct, ct_msg(ct, IPCTNL_MSG_CT_GET, NLM_F_DUMP),
		      ct_entry_cb, s);
	if (ret == 0 && s->err)
		ret = s->err;
	return ret;
}

int ct_inner_in_use(struct ct *ct, struct in_addr base, uint32_t count,
		    uint64_t *bitmap)
{
	struct ct_scan s = { .base = ntohl(base.s_addr), .count = count,
			     .bitmap = bitmap };
	int ret = ct_scan(ct, &s);

	return ret < 0 ? ret : s.seen;
}

static int ct_delete(struct ct *ct, const struct ct_victim *v)
{
	struct nlmsghdr *nlh = ct_msg(ct, IPCTNL_MSG_CT_DELETE, NLM_F_ACK);

	memcpy(mnl_nlmsg_get_payload_tail(nlh), v->tuple, v->tuple_len);
	nlh->nlmsg_len += (uint32_t)MNL_ALIGN(v->tuple_len);
	if (v->has_zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, v->zone);
	return ct_talk(ct, nlh, NULL, NULL);
}

int ct_flush_inner(struct ct *ct, struct in_addr base, uint32_t count)
{
	struct ct_scan s = { .base = ntohl(base.s_addr), .count = count,
			     .collect = true };
	int ret = ct_scan(ct, &s), deleted = 0;

	/* Deleting while the dump runs would disturb it: collect, then delete. */
	for (size_t i = 0; i < s.n_victims; i++) {
		if (ret == 0) {
			int r = ct_delete(ct, &s.victims[i]);

			if (r == 0)
				deleted++;
			else if (r != -ENOENT)
				ret = r;	/* ENOENT: gone already */
		}
		free(s.victims[i].tuple);
	}
	free(s.victims);
	return ret < 0 ? ret : deleted;
}
