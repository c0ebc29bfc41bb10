/* The nftables side of plumbing: the whole `inet nat64` table, built and
 * replaced in one atomic batch (libnftnl + libmnl). */
#ifndef NAT64_PLUMB_NFT_H
#define NAT64_PLUMB_NFT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct mnl_nlmsg_batch;

#define NFT_TABLE_NAME    "nat64"
#define NFT_TABLE_COMMENT "nat64: managed by nat64"

/* What the table depends on; strings are interface names (< IFNAMSIZ). */
struct nft_params {
	const char *tun;        /* the TUN device */
	const char *uplink;     /* masquerade out of this interface */
	struct in_addr pool;    /* kernel.inner-pool, network byte order */
	uint8_t pool_len;       /* 1..32 */
};

/* Appends to `b` one complete transaction (batch begin .. batch end) that
 * replaces table inet nat64 by the one `p` describes: add table, delete
 * table, add table + chains + rules.  Every message but begin/end asks for an
 * ACK.  `*seq` is the first sequence number to use and is advanced past the
 * last one used.  Returns the number of messages that ask for an ACK, or
 * -EINVAL (bad params), -ENOMEM, -ENOSPC (batch buffer too small).  Needs no
 * kernel. */
int nft_build_batch(const struct nft_params *p, struct mnl_nlmsg_batch *b,
		    uint32_t *seq);

/* Decides from nf_tables messages as the kernel dumps them (NEWTABLE,
 * NEWCHAIN, NEWRULE; others are ignored) whether table inet nat64 is exactly
 * what `p` asks for, ignoring handles and counter values.  Returns 1 same,
 * 0 different or absent, -EEXIST if the table exists without nat64's comment
 * (not ours), -errno on other errors.  Needs no kernel. */
int nft_table_matches(const struct nft_params *p, const void *buf, size_t len);

/* Makes the kernel's table inet nat64 what `p` asks for.  Leaves an identical
 * table untouched so its counters keep counting.  Returns 1 if installed or
 * replaced, 0 if it was already there, -EEXIST if a table inet nat64 exists
 * that nat64 does not manage, -errno otherwise. */
int nft_install(const struct nft_params *p);

/* Deletes table inet nat64 if it carries nat64's comment.  Returns 1 deleted,
 * 0 nothing to do (absent), -EEXIST if present but not ours, -errno. */
int nft_remove(void);

#endif
