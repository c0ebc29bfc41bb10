/*
 * Table inet nat64 as libnftnl objects, and comparing it with the kernel's.
 *
 * The rules are encoded the way nft(8) encodes the same text, so that
 * `nft list table inet nat64` prints them back readably (nft/nat64.nft is that
 * listing).  In the inet family a match on an IPv4 header field needs the
 * `meta nfproto ipv4` dependency in front of it, as nft inserts it.
 */
#include "plumb/nft_rules.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "plumb/nft.h"

/* Chain priorities as nft names them: srcnat (NF_IP_PRI_NAT_SRC), filter. */
#define PRIO_SRCNAT 100
#define PRIO_FILTER 0

struct chain_def {
	const char *name;
	const char *type;
	uint32_t hook;
	int32_t prio;
};

static const struct chain_def chain_defs[NFT_N_CHAINS] = {
	[NFT_CHAIN_POSTROUTING] = { "postrouting", "nat", NF_INET_POST_ROUTING, PRIO_SRCNAT },
	[NFT_CHAIN_FORWARD]     = { "forward", "filter", NF_INET_FORWARD, PRIO_FILTER },
};

/* ---- rule building ---- */

/* Adds expressions to a rule; the first failure sticks in `err`. */
struct rule_builder {
	struct nftnl_rule *rule;
	int err;
};

static struct nftnl_expr *rb_expr(struct rule_builder *rb, const char *name)
{
	struct nftnl_expr *e;

	if (rb->err)
		return NULL;
	e = nftnl_expr_alloc(name);
	if (!e)
		rb->err = -ENOMEM;
	return e;
}

static void rb_add(struct rule_builder *rb, struct nftnl_expr *e)
{
	if (e)
		nftnl_rule_add_expr(rb->rule, e);
}

static void rb_meta(struct rule_builder *rb, uint32_t key)
{
	struct nftnl_expr *e = rb_expr(rb, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	rb_add(rb, e);
}

static void rb_cmp(struct rule_builder *rb, uint32_t op, const void *data,
		   uint32_t len)
{
	struct nftnl_expr *e = rb_expr(rb, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	rb_add(rb, e);
}

/* meta iifname/oifname ==/!= name: nft compares the whole IFNAMSIZ buffer,
 * zero padded, so "eth0" does not match "eth01". */
static void rb_ifname(struct rule_builder *rb, uint32_t key, uint32_t op,
		      const char *name)
{
	char buf[IFNAMSIZ] = { 0 };

	strncpy(buf, name, sizeof(buf) - 1);
	rb_meta(rb, key);
	rb_cmp(rb, op, buf, sizeof(buf));
}

static void rb_nfproto_ipv4(struct rule_builder *rb)
{
	uint8_t proto = NFPROTO_IPV4;

	rb_meta(rb, NFT_META_NFPROTO);
	rb_cmp(rb, NFT_CMP_EQ, &proto, sizeof(proto));
}

static void rb_payload(struct rule_builder *rb, uint32_t base, uint32_t offset,
		       uint32_t len)
{
	struct nftnl_expr *e = rb_expr(rb, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	rb_add(rb, e);
}

/* reg1 = (reg1 & mask) ^ 0 */
static void rb_mask(struct rule_builder *rb, const void *mask, uint32_t len)
{
	struct nftnl_expr *e = rb_expr(rb, "bitwise");
	uint8_t zero[16] = { 0 };

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	rb_add(rb, e);
}

/* ip saddr <net>/<len>.  Like nft: a prefix on a byte boundary loads just
 * its bytes; any other prefix loads the address and masks it. */
static void rb_ip_saddr(struct rule_builder *rb, struct in_addr net,
			uint8_t plen)
{
	uint32_t mask = plen ? htonl(~0U << (32 - plen)) : 0;
	uint32_t addr = net.s_addr & mask;
	uint32_t off = (uint32_t)offsetof(struct iphdr, saddr);

	rb_nfproto_ipv4(rb);
	if (plen % 8 == 0) {
		rb_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, off, plen / 8U);
		rb_cmp(rb, NFT_CMP_EQ, &addr, plen / 8U);
	} else {
		rb_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, off, sizeof(addr));
		rb_mask(rb, &mask, sizeof(mask));
		rb_cmp(rb, NFT_CMP_EQ, &addr, sizeof(addr));
	}
}

/* ct state established,related */
static void rb_ct_established(struct rule_builder *rb)
{
	uint32_t bits = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
			NF_CT_STATE_BIT(IP_CT_RELATED);
	uint32_t zero = 0;
	struct nftnl_expr *e = rb_expr(rb, "ct");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	rb_add(rb, e);
	rb_mask(rb, &bits, sizeof(bits));
	rb_cmp(rb, NFT_CMP_NEQ, &zero, sizeof(zero));
}

static void rb_counter(struct rule_builder *rb)
{
	rb_add(rb, rb_expr(rb, "counter"));
}

static void rb_masquerade(struct rule_builder *rb)
{
	rb_add(rb, rb_expr(rb, "masq"));
}

static void rb_verdict(struct rule_builder *rb, int verdict)
{
	struct nftnl_expr *e = rb_expr(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	rb_add(rb, e);
}

/* Starts a rule in `chain`; the comment is stored as nft stores it, so that
 * `nft list` shows it. */
static int rb_start(struct rule_builder *rb, struct nftnl_chain *chain,
		    const char *comment)
{
	struct nftnl_udata_buf *ud;

	rb->err = 0;
	rb->rule = nftnl_rule_alloc();
	if (!rb->rule)
		return -ENOMEM;
	nftnl_rule_set_u32(rb->rule, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(rb->rule, NFTNL_RULE_TABLE, NFT_TABLE_NAME);
	nftnl_rule_set_str(rb->rule, NFTNL_RULE_CHAIN,
			   nftnl_chain_get_str(chain, NFTNL_CHAIN_NAME));
	ud = nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 8);
	if (!ud || !nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, comment)) {
		nftnl_udata_buf_free(ud);
		nftnl_rule_free(rb->rule);
		return -ENOMEM;
	}
	nftnl_rule_set_data(rb->rule, NFTNL_RULE_USERDATA,
			    nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	return 0;
}

/* Hands the finished rule to its chain (which then owns it). */
static int rb_finish(struct rule_builder *rb, struct nftnl_chain *chain)
{
	if (rb->err) {
		nftnl_rule_free(rb->rule);
		return rb->err;
	}
	nftnl_chain_rule_add_tail(rb->rule, chain);
	return 0;
}

static int rules_postrouting(const struct nft_params *p, struct nftnl_chain *c)
{
	struct rule_builder rb;
	int ret;

	/* Only the inner pool is masqueraded, and only out of the uplink. */
	ret = rb_start(&rb, c, "nat64: masquerade inner pool out of uplink");
	if (ret)
		return ret;
	rb_ifname(&rb, NFT_META_OIFNAME, NFT_CMP_EQ, p->uplink);
	rb_ip_saddr(&rb, p->pool, p->pool_len);
	rb_counter(&rb);
	rb_masquerade(&rb);
	return rb_finish(&rb, c);
}

static int rules_forward(const struct nft_params *p, struct nftnl_chain *c)
{
	struct rule_builder rb;
	int ret;

	/* IPv4 towards the TUN are replies to flows the clients opened. */
	ret = rb_start(&rb, c, "nat64: replies to client flows reach the translator");
	if (ret)
		return ret;
	rb_ifname(&rb, NFT_META_OIFNAME, NFT_CMP_EQ, p->tun);
	rb_nfproto_ipv4(&rb);
	rb_ct_established(&rb);
	rb_counter(&rb);
	rb_verdict(&rb, NF_ACCEPT);
	if ((ret = rb_finish(&rb, c)))
		return ret;

	ret = rb_start(&rb, c, "nat64: unsolicited IPv4 never reaches clients");
	if (ret)
		return ret;
	rb_ifname(&rb, NFT_META_OIFNAME, NFT_CMP_EQ, p->tun);
	rb_nfproto_ipv4(&rb);
	rb_counter(&rb);
	rb_verdict(&rb, NF_DROP);
	if ((ret = rb_finish(&rb, c)))
		return ret;

	/* Translated packets must not be routed anywhere but to the uplink
	 * (e.g. into other local networks with inner-pool sources). */
	ret = rb_start(&rb, c, "nat64: inner pool leaves only via the uplink");
	if (ret)
		return ret;
	rb_ifname(&rb, NFT_META_IIFNAME, NFT_CMP_EQ, p->tun);
	rb_nfproto_ipv4(&rb);
	rb_ifname(&rb, NFT_META_OIFNAME, NFT_CMP_NEQ, p->uplink);
	rb_counter(&rb);
	rb_verdict(&rb, NF_DROP);
	return rb_finish(&rb, c);
}

/* ---- table and chains ---- */

void nft_ruleset_free(struct nft_ruleset *rs)
{
	for (int i = 0; i < NFT_N_CHAINS; i++)
		if (rs->chain[i])
			nftnl_chain_free(rs->chain[i]);	/* frees its rules */
	if (rs->table)
		nftnl_table_free(rs->table);
	memset(rs, 0, sizeof(*rs));
}

static struct nftnl_table *table_new(void)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 8);

	if (!t || !ud || !nftnl_udata_put_strz(ud, NFTNL_UDATA_TABLE_COMMENT,
					       NFT_TABLE_COMMENT)) {
		nftnl_udata_buf_free(ud);
		if (t)
			nftnl_table_free(t);
		return NULL;
	}
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE_NAME);
	nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud),
			     nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	return t;
}

static struct nftnl_chain *chain_new(const struct chain_def *d)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c)
		return NULL;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE_NAME);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, d->name);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, d->type);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, d->hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, d->prio);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	return c;
}

static int params_valid(const struct nft_params *p)
{
	return p && p->tun && p->uplink && *p->tun && *p->uplink &&
	       strlen(p->tun) < IFNAMSIZ && strlen(p->uplink) < IFNAMSIZ &&
	       p->pool_len >= 1 && p->pool_len <= 32;
}

int nft_ruleset_build(const struct nft_params *p, struct nft_ruleset *rs)
{
	int ret = -ENOMEM;

	memset(rs, 0, sizeof(*rs));
	if (!params_valid(p))
		return -EINVAL;
	rs->table = table_new();
	if (!rs->table)
		goto fail;
	for (int i = 0; i < NFT_N_CHAINS; i++)
		if (!(rs->chain[i] = chain_new(&chain_defs[i])))
			goto fail;
	if ((ret = rules_postrouting(p, rs->chain[NFT_CHAIN_POSTROUTING])) ||
	    (ret = rules_forward(p, rs->chain[NFT_CHAIN_FORWARD])))
		goto fail;
	return 0;
fail:
	nft_ruleset_free(rs);
	return ret;
}

/* ---- comparing with what the kernel has ---- */

int nft_seen_init(struct nft_seen *s)
{
	memset(s, 0, sizeof(*s));
	s->chains = nftnl_chain_list_alloc();
	s->rules = nftnl_rule_list_alloc();
	if (!s->chains || !s->rules) {
		if (s->chains)
			nftnl_chain_list_free(s->chains);
		if (s->rules)
			nftnl_rule_list_free(s->rules);
		return -ENOMEM;
	}
	return 0;
}

void nft_seen_free(struct nft_seen *s)
{
	if (s->table)
		nftnl_table_free(s->table);
	nftnl_chain_list_free(s->chains);
	nftnl_rule_list_free(s->rules);
	memset(s, 0, sizeof(*s));
}

static bool ours(uint32_t family, const char *table)
{
	return family == NFPROTO_INET && table && !strcmp(table, NFT_TABLE_NAME);
}

int nft_seen_feed(const struct nlmsghdr *nlh, void *data)
{
	struct nft_seen *s = data;
	uint16_t type = (uint16_t)(nlh->nlmsg_type & 0xff);
	const struct nfgenmsg *g;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*g)))
		return MNL_CB_OK;
	g = mnl_nlmsg_get_payload(nlh);
	if (g->nfgen_family != NFPROTO_INET)
		return MNL_CB_OK;

	if (type == NFT_MSG_NEWTABLE) {
		struct nftnl_table *t = nftnl_table_alloc();

		if (!t || nftnl_table_nlmsg_parse(nlh, t) < 0 ||
		    !ours(NFPROTO_INET, nftnl_table_get_str(t, NFTNL_TABLE_NAME))) {
			if (t)
				nftnl_table_free(t);
			return MNL_CB_OK;
		}
		if (s->table)
			nftnl_table_free(s->table);
		s->table = t;
	} else if (type == NFT_MSG_NEWCHAIN) {
		struct nftnl_chain *c = nftnl_chain_alloc();

		if (!c || nftnl_chain_nlmsg_parse(nlh, c) < 0 ||
		    !ours(NFPROTO_INET, nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE))) {
			if (c)
				nftnl_chain_free(c);
			return MNL_CB_OK;
		}
		nftnl_chain_list_add_tail(c, s->chains);
	} else if (type == NFT_MSG_NEWRULE) {
		struct nftnl_rule *r = nftnl_rule_alloc();

		if (!r || nftnl_rule_nlmsg_parse(nlh, r) < 0 ||
		    !ours(NFPROTO_INET, nftnl_rule_get_str(r, NFTNL_RULE_TABLE))) {
			if (r)
				nftnl_rule_free(r);
			return MNL_CB_OK;
		}
		nftnl_rule_list_add_tail(r, s->rules);
	}
	return MNL_CB_OK;
}

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	const char **comment = data;
	uint8_t len = nftnl_udata_len(attr);
	const char *v = nftnl_udata_get(attr);

	if (nftnl_udata_type(attr) == NFTNL_UDATA_TABLE_COMMENT && len > 0 &&
	    v[len - 1] == '\0')
		*comment = v;
	return 0;
}

bool nft_table_is_ours(const struct nftnl_table *t)
{
	const char *comment = NULL;
	const void *ud;
	uint32_t len = 0;

	if (!nftnl_table_is_set(t, NFTNL_TABLE_USERDATA))
		return false;
	ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
	if (nftnl_udata_parse(ud, len, comment_cb, &comment) < 0)
		return false;
	return comment && !strcmp(comment, NFT_TABLE_COMMENT);
}

static bool u32_eq(const struct nftnl_chain *a, const struct nftnl_chain *b,
		   uint16_t attr)
{
	return nftnl_chain_is_set(a, attr) && nftnl_chain_is_set(b, attr) &&
	       nftnl_chain_get_u32(a, attr) == nftnl_chain_get_u32(b, attr);
}

static bool chain_eq(const struct nftnl_chain *want, const struct nftnl_chain *got)
{
	const char *t1 = nftnl_chain_get_str(want, NFTNL_CHAIN_TYPE);
	const char *t2 = nftnl_chain_get_str(got, NFTNL_CHAIN_TYPE);

	return t1 && t2 && !strcmp(t1, t2) &&
	       u32_eq(want, got, NFTNL_CHAIN_HOOKNUM) &&
	       u32_eq(want, got, NFTNL_CHAIN_PRIO) &&
	       u32_eq(want, got, NFTNL_CHAIN_POLICY) &&
	       !nftnl_chain_is_set(got, NFTNL_CHAIN_DEV) &&
	       (!nftnl_chain_is_set(got, NFTNL_CHAIN_FLAGS) ||
		(nftnl_chain_get_u32(got, NFTNL_CHAIN_FLAGS) & ~(uint32_t)NFT_CHAIN_BASE) == 0);
}

/* Expressions compare by their printed form, except that a counter's values
 * are whatever the traffic made them. */
static bool expr_eq(const struct nftnl_expr *a, const struct nftnl_expr *b)
{
	char sa[512], sb[512];
	const char *na = nftnl_expr_get_str(a, NFTNL_EXPR_NAME);
	const char *nb = nftnl_expr_get_str(b, NFTNL_EXPR_NAME);

	if (!na || !nb || strcmp(na, nb))
		return false;
	if (!strcmp(na, "counter"))
		return true;
	if (nftnl_expr_snprintf(sa, sizeof(sa), a, NFTNL_OUTPUT_DEFAULT, 0) < 0 ||
	    nftnl_expr_snprintf(sb, sizeof(sb), b, NFTNL_OUTPUT_DEFAULT, 0) < 0)
		return false;
	return !strcmp(sa, sb);
}

static bool rule_eq(const struct nftnl_rule *want, const struct nftnl_rule *got)
{
	struct nftnl_expr_iter *ia = nftnl_expr_iter_create(want);
	struct nftnl_expr_iter *ib = nftnl_expr_iter_create(got);
	const void *ua, *ub;
	uint32_t la = 0, lb = 0;
	struct nftnl_expr *ea, *eb;
	bool eq = ia && ib;

	while (eq) {
		ea = nftnl_expr_iter_next(ia);
		eb = nftnl_expr_iter_next(ib);
		if (!ea || !eb) {
			eq = !ea && !eb;
			break;
		}
		eq = expr_eq(ea, eb);
	}
	if (ia)
		nftnl_expr_iter_destroy(ia);
	if (ib)
		nftnl_expr_iter_destroy(ib);
	if (!eq || !nftnl_rule_is_set(got, NFTNL_RULE_USERDATA))
		return false;
	ua = nftnl_rule_get_data(want, NFTNL_RULE_USERDATA, &la);
	ub = nftnl_rule_get_data(got, NFTNL_RULE_USERDATA, &lb);
	return la == lb && !memcmp(ua, ub, la);
}

/* Do the seen rules of chain `name` equal the wanted ones, in order? */
static bool chain_rules_eq(const struct nftnl_chain *want, const struct nft_seen *s)
{
	const char *name = nftnl_chain_get_str(want, NFTNL_CHAIN_NAME);
	struct nftnl_rule_iter *iw = nftnl_rule_iter_create(want);
	struct nftnl_rule_list_iter *ig = nftnl_rule_list_iter_create(s->rules);
	struct nftnl_rule *w, *g;
	bool eq = iw && ig;

	w = eq ? nftnl_rule_iter_next(iw) : NULL;
	for (g = ig ? nftnl_rule_list_iter_next(ig) : NULL; eq && g;
	     g = nftnl_rule_list_iter_next(ig)) {
		if (strcmp(nftnl_rule_get_str(g, NFTNL_RULE_CHAIN), name))
			continue;
		eq = w && rule_eq(w, g);
		w = nftnl_rule_iter_next(iw);
	}
	eq = eq && !w;
	if (iw)
		nftnl_rule_iter_destroy(iw);
	if (ig)
		nftnl_rule_list_iter_destroy(ig);
	return eq;
}

static int count_chain(struct nftnl_chain *c, void *data)
{
	(void)c;
	++*(int *)data;
	return 0;
}

int nft_seen_matches(struct nft_seen *s, const struct nft_ruleset *rs)
{
	struct nftnl_chain *c;
	int n = 0;

	if (!s->table)
		return 0;
	if (!nft_table_is_ours(s->table))
		return -EEXIST;
	if (nftnl_table_is_set(s->table, NFTNL_TABLE_FLAGS) &&
	    nftnl_table_get_u32(s->table, NFTNL_TABLE_FLAGS) != 0)
		return 0;	/* e.g. dormant */
	nftnl_chain_list_foreach(s->chains, count_chain, &n);
	if (n != NFT_N_CHAINS)
		return 0;
	for (int i = 0; i < NFT_N_CHAINS; i++) {
		c = nftnl_chain_list_lookup_byname(s->chains, chain_defs[i].name);
		if (!c || !chain_eq(rs->chain[i], c) ||
		    !chain_rules_eq(rs->chain[i], s))
			return 0;
	}
	/* Exactly our two chains exist, so no rule can hide elsewhere. */
	return 1;
}

