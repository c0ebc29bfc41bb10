/* Internal to plumb/nft: table inet nat64 as libnftnl objects, and the
 * comparison of that table with what the kernel reports.  No I/O. */
#ifndef NAT64_PLUMB_NFT_RULES_H
#define NAT64_PLUMB_NFT_RULES_H

#include <stdbool.h>

struct nlmsghdr;
struct nft_params;
struct nftnl_chain;
struct nftnl_chain_list;
struct nftnl_rule_list;
struct nftnl_table;

enum { NFT_CHAIN_POSTROUTING, NFT_CHAIN_FORWARD, NFT_N_CHAINS };

/* The wanted table; the rules hang off their chains. */
struct nft_ruleset {
	struct nftnl_table *table;
	struct nftnl_chain *chain[NFT_N_CHAINS];
};

/* 0, -EINVAL (bad params) or -ENOMEM.  On failure `rs` holds nothing. */
int nft_ruleset_build(const struct nft_params *p, struct nft_ruleset *rs);
void nft_ruleset_free(struct nft_ruleset *rs);

/* What the kernel reported about table inet nat64. */
struct nft_seen {
	struct nftnl_table *table;		/* NULL: no such table */
	struct nftnl_chain_list *chains;
	struct nftnl_rule_list *rules;
};

int nft_seen_init(struct nft_seen *s);
void nft_seen_free(struct nft_seen *s);
/* A libmnl callback (data: struct nft_seen *): keeps NEWTABLE, NEWCHAIN and
 * NEWRULE messages of table inet nat64, ignores everything else. */
int nft_seen_feed(const struct nlmsghdr *nlh, void *data);
/* 1 same (ignoring handles and counter values), 0 different or absent,
 * -EEXIST if the table lacks nat64's comment, -ENOMEM. */
int nft_seen_matches(struct nft_seen *s, const struct nft_ruleset *rs);
/* Does the table carry the comment NFT_TABLE_COMMENT? */
bool nft_table_is_ours(const struct nftnl_table *t);

#endif
