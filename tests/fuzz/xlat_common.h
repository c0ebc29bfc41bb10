/*
 * What the two translation harnesses (fuzz_6to4.c, fuzz_4to6.c) share: the
 * packet buffer placed so that ASan sees overreads, a deterministic fake
 * address map, the configurations every input is run under, and an
 * independent reference checksum for the invariants.
 */
#ifndef NAT64_FUZZ_XLAT_COMMON_H
#define NAT64_FUZZ_XLAT_COMMON_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "xlat/xlat.h"

/* Aborts (libFuzzer then saves the input) when `cond` is false. */
#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) \
			fuzz_fail(#cond, __FILE__, __LINE__); \
	} while (0)

__attribute__((noreturn)) void fuzz_fail(const char *what, const char *file, int line);

/*
 * A packet buffer as a worker has it: `headroom` writable bytes, then the
 * packet, then nothing.  The packet ends exactly where the malloc'd block
 * ends, so a read or write one byte past it is an ASan report.
 */
struct fuzz_pkt {
	uint8_t *block;		/* malloc(headroom + len) */
	size_t size;
	struct xlat_buf buf;	/* what xlat sees and updates */
};

void fuzz_pkt_load(struct fuzz_pkt *p, const uint8_t *data, size_t len, size_t headroom, uint16_t gso_size);
void fuzz_pkt_free(struct fuzz_pkt *p);

/* A reply buffer of exactly XLAT_REPLY_MAX bytes, also malloc'd. */
struct fuzz_reply {
	uint8_t *block;
	size_t size;
	struct xlat_buf buf;
};

void fuzz_reply_init(struct fuzz_reply *r);
void fuzz_reply_free(struct fuzz_reply *r);

/*
 * Configurations each input runs under: one per RFC 6052 prefix length (the
 * /96 one is 64:ff9b::/96, which the seed corpus uses), with MTUs,
 * lowest-ipv6-mtu values, headrooms, a deny list and GSO sizes varied
 * between them.
 */
struct fuzz_run {
	struct xlat_cfg cfg;
	size_t headroom;
	uint16_t gso_size;	/* the packet is a GSO super-packet (xlat_buf.gso_size) */
};

size_t fuzz_runs(const struct fuzz_run **runs);

/*
 * The fake map.  Deterministic: the inner IPv4 of a client is a hash of its
 * address inside 100.64.0.0/10, the client of an inner IPv4 is
 * 2001:db8:c1::/64 with a hash and the IPv4 address in the interface ID.
 * The last byte of the address picks the error paths:
 *   client v6 ...:xxfd -> -XLAT_DROP_POOL_EXHAUSTED (xlat answers with ICMPv6)
 *   client v6 ...:xxfc -> -XLAT_DROP_NOT_CLIENT
 *   client v6 ...:xxfb -> 7 (not a -XLAT_DROP_* value: a map bug)
 *   inner v4  x.x.x.255 -> -XLAT_DROP_NO_BINDING
 *   inner v4  x.x.x.254 -> -XLAT_DROP__MAX (out of range: a map bug)
 */
extern const struct xlat_map fuzz_map;
int fuzz_map_src6(void *arg, const struct in6_addr *src, struct in_addr *out);
int fuzz_map_dst4(void *arg, struct in_addr dst, struct in6_addr *out);

/* Reference checksum (RFC 1071), written here independently of csum.c:
 * the folded, complemented sum of `len` bytes after adding `sum`. */
uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum);
uint16_t ref_fold(uint32_t sum);
uint32_t ref_pseudo4(const uint8_t *saddr, const uint8_t *daddr, uint8_t proto, size_t len);
uint32_t ref_pseudo6(const uint8_t *saddr, const uint8_t *daddr, uint8_t nexthdr, size_t len);

uint16_t get_be16(const uint8_t *p);

/*
 * Whether the transport checksum of the unfragmented IPv4 / IPv6 packet
 * `ip` (its header read from `ip`, no bounds beyond `len` read) verifies.
 * Returns 1 valid, 0 invalid, -1 "cannot say" (fragment, extension header,
 * protocol without checksum, UDP without checksum in IPv4, too short).
 */
int l4_csum_ok4(const uint8_t *ip, size_t len);
int l4_csum_ok6(const uint8_t *ip, size_t len);

/*
 * Checksum fix-up, so that mutations get past the checksum checks: sets the
 * IPv4 header checksum and the TCP/UDP/ICMP checksum right after the fixed
 * header (UDP checksums of zero stay zero) of the packet in `p`.  Returns 0
 * if `p` is not that kind of packet at all.
 */
int fuzz_fixup4(uint8_t *p, size_t len);
int fuzz_fixup6(uint8_t *p, size_t len);

/* Checks an ICMPv6 (6->4 direction) or ICMPv4 (4->6) error in `reply`
 * from the translator to the sender of `orig`, given with `reason`. */
void check_reply6(const struct xlat_cfg *cfg, enum xlat_drop reason, const struct fuzz_reply *r,
		  const uint8_t *orig, size_t orig_len);
void check_reply4(const struct xlat_cfg *cfg, enum xlat_drop reason, const struct fuzz_reply *r,
		  const uint8_t *orig, size_t orig_len);

/* Checks common to both directions (XLAT_FORWARD_MULTI counts as a forward
 * of pkt); `in_len` is the input's length. */
void check_verdict(enum xlat_verdict v, enum xlat_drop reason, const struct fuzz_pkt *p,
		   const struct xlat_buf *before, const uint8_t *in, size_t in_len);

#endif
