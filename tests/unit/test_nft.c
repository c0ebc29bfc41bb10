/* Unit tests: the nftables batch of src/plumb/nft.c, parsed back with
 * libnftnl; no kernel involved. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "plumb/nft.h"

#define BATCH_SIZE 8192
#define MAX_MSGS 32

/* The batch of one nft_build_batch() call, split into messages. */
struct batch {
	char buf[2 * BATCH_SIZE];
	size_t len;
	const struct nlmsghdr *msg[MAX_MSGS];
	int n;
	int nacks;
	uint32_t seq_after;
};

static struct nft_params params(const char *tun, const char *uplink,
				const char *pool, uint8_t len)
{
	struct nft_params p = { .tun = tun, .uplink = uplink, .pool_len = len };

	assert_int_equal(inet_pton(AF_INET, pool, &p.pool), 1);
	return p;
}

static void build(const struct nft_params *p, struct batch *bt)
{
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(bt->buf, BATCH_SIZE);
	const struct nlmsghdr *nlh;
	uint32_t seq = 100;
	int left;

	assert_non_null(b);
	bt->nacks = nft_build_batch(p, b, &seq);
	assert_true(bt->nacks > 0);
	bt->seq_after = seq;
	bt->len = mnl_nlmsg_batch_size(b);
	mnl_nlmsg_batch_stop(b);
	bt->n = 0;
	left = (int)bt->len;
	for (nlh = (const struct nlmsghdr *)bt->buf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		assert_true(bt->n < MAX_MSGS);
		bt->msg[bt->n++] = nlh;
	}
	assert_int_equal(left, 0);
}

static uint16_t nft_type(const struct nlmsghdr *nlh)
{
	assert_int_equal(NFNL_SUBSYS_ID(nlh->nlmsg_type), NFNL_SUBSYS_NFTABLES);
	return (uint16_t)NFNL_MSG_TYPE(nlh->nlmsg_type);
}

static uint8_t msg_family(const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);

	return g->nfgen_family;
}

/* Index of the k-th (0-based) message of `type`, -1 if none. */
static int find_msg(const struct batch *bt, uint16_t type, int k)
{
	for (int i = 1; i < bt->n - 1; i++)
		if (nft_type(bt->msg[i]) == type && k-- == 0)
			return i;
	return -1;
}

static struct nftnl_rule *rule_at(const struct batch *bt, int k)
{
	int i = find_msg(bt, NFT_MSG_NEWRULE, k);
	struct nftnl_rule *r;

	assert_true(i > 0);
	r = nftnl_rule_alloc();
	assert_non_null(r);
	assert_int_equal(nftnl_rule_nlmsg_parse(bt->msg[i], r), 0);
	assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), NFT_TABLE_NAME);
	return r;
}

static int udata_comment_cb(const struct nftnl_udata *attr, void *data)
{
	const char **out = data;

	/* Table, chain and rule comments all use type 0. */
	if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT)
		*out = nftnl_udata_get(attr);
	return 0;
}

static const char *comment_of(const void *ud, uint32_t len)
{
	const char *c = NULL;

	assert_non_null(ud);
	assert_int_equal(nftnl_udata_parse(ud, len, udata_comment_cb, &c), 0);
	assert_non_null(c);
	return c;
}

static const char *rule_comment(const struct nftnl_rule *r)
{
	uint32_t len = 0;
	const void *ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);

	return comment_of(ud, len);
}

/* Walks a rule's expressions one by one. */
struct walk {
	struct nftnl_expr_iter *it;
	struct nftnl_expr *e;
};

static struct nftnl_expr *next_expr(struct walk *w, const char *name)
{
	w->e = nftnl_expr_iter_next(w->it);
	assert_non_null(w->e);
	assert_string_equal(nftnl_expr_get_str(w->e, NFTNL_EXPR_NAME), name);
	return w->e;
}

static void expect_meta(struct walk *w, uint32_t key)
{
	struct nftnl_expr *e = next_expr(w, "meta");

	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY), key);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_META_DREG), NFT_REG_1);
}

static void expect_cmp(struct walk *w, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = next_expr(w, "cmp");
	uint32_t got_len = 0;
	const void *got;

	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_SREG), NFT_REG_1);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP), op);
	got = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &got_len);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, data, len);
}

/* meta iifname/oifname <op> "name", zero padded to IFNAMSIZ like nft. */
static void expect_ifname(struct walk *w, uint32_t key, uint32_t op, const char *name)
{
	char buf[IFNAMSIZ] = { 0 };

	memcpy(buf, name, strlen(name));
	expect_meta(w, key);
	expect_cmp(w, op, buf, sizeof(buf));
}

static void expect_nfproto_ipv4(struct walk *w)
{
	uint8_t v = NFPROTO_IPV4;

	expect_meta(w, NFT_META_NFPROTO);
	expect_cmp(w, NFT_CMP_EQ, &v, 1);
}

static void expect_payload(struct walk *w, uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e = next_expr(w, "payload");

	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE), base);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET), off);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN), len);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_DREG), NFT_REG_1);
}

static void expect_mask(struct walk *w, const void *mask, uint32_t len)
{
	struct nftnl_expr *e = next_expr(w, "bitwise");
	static const uint8_t zero[16];
	uint32_t l = 0;
	const void *d;

	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_LEN), len);
	d = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &l);
	assert_int_equal(l, len);
	assert_memory_equal(d, mask, len);
	d = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_XOR, &l);
	assert_int_equal(l, len);
	assert_memory_equal(d, zero, len);
}

static void expect_verdict(struct walk *w, int verdict)
{
	struct nftnl_expr *e = next_expr(w, "immediate");

	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG), NFT_REG_VERDICT);
	assert_int_equal((int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT), verdict);
}

static void walk_start(struct walk *w, const struct nftnl_rule *r)
{
	w->it = nftnl_expr_iter_create(r);
	assert_non_null(w->it);
}

static void walk_end(struct walk *w)
{
	assert_null(nftnl_expr_iter_next(w->it));
	nftnl_expr_iter_destroy(w->it);
}

/* ---- tests ---- */

static void test_batch_frame(void **state)
{
	struct nft_params p = params("nat64", "eth0", "100.127.0.0", 16);
	static const uint16_t order[] = {
		NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE, NFT_MSG_NEWTABLE,
		NFT_MSG_NEWCHAIN, NFT_MSG_NEWCHAIN,
		NFT_MSG_NEWRULE, NFT_MSG_NEWRULE, NFT_MSG_NEWRULE, NFT_MSG_NEWRULE,
	};
	const int n = (int)(sizeof(order) / sizeof(order[0]));
	struct batch *bt = calloc(1, sizeof(*bt));

	(void)state;
	assert_non_null(bt);
	build(&p, bt);
	assert_int_equal(bt->n, n + 2);
	assert_int_equal(bt->nacks, n);
	/* begin and end frame the transaction and ask for no ACK */
	assert_int_equal(bt->msg[0]->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	assert_int_equal(bt->msg[n + 1]->nlmsg_type, NFNL_MSG_BATCH_END);
	assert_false(bt->msg[0]->nlmsg_flags & NLM_F_ACK);
	for (int i = 0; i < n + 2; i++)
		assert_int_equal(bt->msg[i]->nlmsg_seq, 100 + (uint32_t)i);
	assert_int_equal(bt->seq_after, 100 + (uint32_t)n + 2);
	for (int i = 0; i < n; i++) {
		const struct nlmsghdr *m = bt->msg[i + 1];

		assert_int_equal(nft_type(m), order[i]);
		assert_int_equal(msg_family(m), NFPROTO_INET);
		assert_true(m->nlmsg_flags & NLM_F_REQUEST);
		assert_true(m->nlmsg_flags & NLM_F_ACK);
	}
	/* the final add is exclusive: it must create the table afresh */
	assert_true(bt->msg[3]->nlmsg_flags & NLM_F_EXCL);
	free(bt);
}

static void test_table(void **state)
{
	struct nft_params p = params("nat64", "eth0", "100.127.0.0", 16);
	struct batch *bt = calloc(1, sizeof(*bt));
	struct nftnl_table *t;
	const void *ud;
	uint32_t len = 0;

	(void)state;
	assert_non_null(bt);
	build(&p, bt);
	for (int k = 0; k < 2; k++) {
		t = nftnl_table_alloc();
		assert_non_null(t);
		assert_int_equal(nftnl_table_nlmsg_parse(
			bt->msg[find_msg(bt, NFT_MSG_NEWTABLE, k)], t), 0);
		assert_string_equal(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "nat64");
		assert_int_equal(nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY), NFPROTO_INET);
		ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
		assert_string_equal(comment_of(ud, len), "nat64: managed by nat64");
		nftnl_table_free(t);
	}
	t = nftnl_table_alloc();
	assert_int_equal(nftnl_table_nlmsg_parse(
		bt->msg[find_msg(bt, NFT_MSG_DELTABLE, 0)], t), 0);
	assert_string_equal(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "nat64");
	nftnl_table_free(t);
	free(bt);
}

static void test_chains(void **state)
{
	static const struct {
		const char *name, *type;
		uint32_t hook;
		int32_t prio;
	} want[] = {
		{ "postrouting", "nat", NF_INET_POST_ROUTING, 100 },	/* srcnat */
		{ "forward", "filter", NF_INET_FORWARD, 0 },		/* filter */
	};
	struct nft_params p = params("nat64", "eth0", "100.127.0.0", 16);
	struct batch *bt = calloc(1, sizeof(*bt));

	(void)state;
	assert_non_null(bt);
	build(&p, bt);
	assert_int_equal(find_msg(bt, NFT_MSG_NEWCHAIN, 2), -1);
	for (int k = 0; k < 2; k++) {
		struct nftnl_chain *c = nftnl_chain_alloc();

		assert_int_equal(nftnl_chain_nlmsg_parse(
			bt->msg[find_msg(bt, NFT_MSG_NEWCHAIN, k)], c), 0);
		assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), "nat64");
		assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), want[k].name);
		assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), want[k].type);
		assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM), want[k].hook);
		assert_int_equal(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO), want[k].prio);
		assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY), NF_ACCEPT);
		nftnl_chain_free(c);
	}
	free(bt);
}

/* Checks all four rules for the given names; the saddr match is checked
 * by the caller-supplied function. */
static void check_rules(const struct batch *bt, const char *tun, const char *uplink,
			void (*saddr)(struct walk *w))
{
	struct nftnl_rule *r;
	struct walk w;

	r = rule_at(bt, 0);
	assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), "postrouting");
	assert_string_equal(rule_comment(r), "nat64: masquerade inner pool out of uplink");
	walk_start(&w, r);
	expect_ifname(&w, NFT_META_OIFNAME, NFT_CMP_EQ, uplink);
	saddr(&w);
	next_expr(&w, "counter");
	next_expr(&w, "masq");
	walk_end(&w);
	nftnl_rule_free(r);

	r = rule_at(bt, 1);
	assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), "forward");
	assert_non_null(strstr(rule_comment(r), "nat64: "));
	walk_start(&w, r);
	expect_ifname(&w, NFT_META_OIFNAME, NFT_CMP_EQ, tun);
	expect_nfproto_ipv4(&w);
	{
		uint32_t bits = 0x6, zero = 0;	/* established | related */

		assert_int_equal(nftnl_expr_get_u32(next_expr(&w, "ct"),
						    NFTNL_EXPR_CT_KEY), NFT_CT_STATE);
		expect_mask(&w, &bits, 4);
		expect_cmp(&w, NFT_CMP_NEQ, &zero, 4);
	}
	next_expr(&w, "counter");
	expect_verdict(&w, NF_ACCEPT);
	walk_end(&w);
	nftnl_rule_free(r);

	r = rule_at(bt, 2);
	assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), "forward");
	assert_string_equal(rule_comment(r), "nat64: unsolicited IPv4 never reaches clients");
	walk_start(&w, r);
	expect_ifname(&w, NFT_META_OIFNAME, NFT_CMP_EQ, tun);
	expect_nfproto_ipv4(&w);
	next_expr(&w, "counter");
	expect_verdict(&w, NF_DROP);
	walk_end(&w);
	nftnl_rule_free(r);

	r = rule_at(bt, 3);
	assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), "forward");
	assert_string_equal(rule_comment(r), "nat64: inner pool leaves only via the uplink");
	walk_start(&w, r);
	expect_ifname(&w, NFT_META_IIFNAME, NFT_CMP_EQ, tun);
	expect_nfproto_ipv4(&w);
	expect_ifname(&w, NFT_META_OIFNAME, NFT_CMP_NEQ, uplink);
	next_expr(&w, "counter");
	expect_verdict(&w, NF_DROP);
	walk_end(&w);
	nftnl_rule_free(r);

	assert_int_equal(find_msg(bt, NFT_MSG_NEWRULE, 4), -1);
}

/* ip saddr 100.127.0.0/16: a byte-aligned prefix loads just two bytes. */
static void saddr_100_127_16(struct walk *w)
{
	static const uint8_t net[] = { 100, 127 };

	expect_nfproto_ipv4(w);
	expect_payload(w, NFT_PAYLOAD_NETWORK_HEADER, 12, 2);
	expect_cmp(w, NFT_CMP_EQ, net, 2);
}

/* ip saddr 10.20.0.0/15: loads the address and masks it. */
static void saddr_10_20_15(struct walk *w)
{
	static const uint8_t mask[] = { 255, 254, 0, 0 }, net[] = { 10, 20, 0, 0 };

	expect_nfproto_ipv4(w);
	expect_payload(w, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
	expect_mask(w, mask, 4);
	expect_cmp(w, NFT_CMP_EQ, net, 4);
}

static void test_rules_default(void **state)
{
	struct nft_params p = params("nat64", "eth0", "100.127.0.0", 16);
	struct batch *bt = calloc(1, sizeof(*bt));

	(void)state;
	assert_non_null(bt);
	build(&p, bt);
	check_rules(bt, "nat64", "eth0", saddr_100_127_16);
	free(bt);
}

static void test_rules_other_names(void **state)
{
	/* host bits in the pool are ignored */
	struct nft_params p = params("xlat-tun15chars", "wan1", "10.21.3.4", 15);
	struct batch *bt = calloc(1, sizeof(*bt));

	(void)state;
	assert_non_null(bt);
	build(&p, bt);
	check_rules(bt, "xlat-tun15chars", "wan1", saddr_10_20_15);
	free(bt);
}

static void test_bad_params(void **state)
{
	char buf[2 * BATCH_SIZE];
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, BATCH_SIZE);
	struct nft_params p = params("nat64", "eth0", "100.127.0.0", 16);
	uint32_t seq = 1;

	(void)state;
	p.pool_len = 0;
	assert_int_equal(nft_build_batch(&p, b, &seq), -EINVAL);
	p.pool_len = 33;
	assert_int_equal(nft_build_batch(&p, b, &seq), -EINVAL);
	p.pool_len = 16;
	p.uplink = "";
	assert_int_equal(nft_build_batch(&p, b, &seq), -EINVAL);
	p.uplink = "sixteen-chars-xx";
	assert_int_equal(nft_build_batch(&p, b, &seq), -EINVAL);
	mnl_nlmsg_batch_stop(b);

	b = mnl_nlmsg_batch_start(buf, 256);	/* far too small */
	p.uplink = "eth0";
	assert_int_equal(nft_build_batch(&p, b, &seq), -ENOSPC);
	mnl_nlmsg_batch_stop(b);
}

/* The comparison that keeps an identical table (and its counters). */
static void test_matches(void **state)
{
	struct nft_params p = params("nat64", "eth0", "100.127.0.0", 16);
	struct nft_params q;
	struct batch *bt = calloc(1, sizeof(*bt));

	(void)state;
	assert_non_null(bt);
	build(&p, bt);
	assert_int_equal(nft_table_matches(&p, bt->buf, bt->len), 1);
	q = params("nat64", "eth1", "100.127.0.0", 16);
	assert_int_equal(nft_table_matches(&q, bt->buf, bt->len), 0);
	q = params("nat65", "eth0", "100.127.0.0", 16);
	assert_int_equal(nft_table_matches(&q, bt->buf, bt->len), 0);
	q = params("nat64", "eth0", "100.127.0.0", 17);
	assert_int_equal(nft_table_matches(&q, bt->buf, bt->len), 0);
	/* no table at all */
	assert_int_equal(nft_table_matches(&p, bt->buf, 0), 0);
	free(bt);
}

static void test_matches_missing_rule(void **state)
{
	struct nft_params p = params("nat64", "eth0", "100.127.0.0", 16);
	struct batch *bt = calloc(1, sizeof(*bt));
	int last;

	(void)state;
	assert_non_null(bt);
	build(&p, bt);
	last = find_msg(bt, NFT_MSG_NEWRULE, 3);
	/* everything up to (not including) the last rule */
	assert_int_equal(nft_table_matches(&p, bt->buf,
		(size_t)((const char *)bt->msg[last] - bt->buf)), 0);
	free(bt);
}

static void test_matches_foreign_table(void **state)
{
	struct nft_params p = params("nat64", "eth0", "100.127.0.0", 16);
	char buf[1024];
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	(void)state;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, "nat64");
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWTABLE, NFPROTO_INET, 0, 1);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	assert_int_equal(nft_table_matches(&p, buf, nlh->nlmsg_len), -EEXIST);
	/* a table of that name in another family is not ours to judge */
	t = nftnl_table_alloc();
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, "nat64");
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWTABLE, NFPROTO_IPV4, 0, 1);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	assert_int_equal(nft_table_matches(&p, buf, nlh->nlmsg_len), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_frame),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_rules_default),
		cmocka_unit_test(test_rules_other_names),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_matches_missing_rule),
		cmocka_unit_test(test_matches_foreign_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
