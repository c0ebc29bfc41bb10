/*
 * Internet checksum (RFC 1071) and incremental update (RFC 1624).
 *
 * Byte order: every sum and checksum here is in *memory order*, i.e. the
 * 16-bit words are loaded from and stored to the packet as they lie (memcpy,
 * no ntohs/htons).  The one's-complement sum is byte-order independent
 * (RFC 1071 §2(B)), so a checksum computed this way can be copied straight
 * into the packet, and a checksum read from the packet can be fed straight
 * back in.  Constants that are not bytes of a packet (a protocol number, a
 * length) must be summed from their network-order bytes too.
 */
#ifndef NAT64_XLAT_CSUM_H
#define NAT64_XLAT_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Adds `len` bytes at `buf` to the running 32-bit one's-complement sum `sum`
 * (start with 0).  An odd length pads with a zero byte, so only the last piece
 * of a chained computation may have an odd length. */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);
/* One's-complement addition of two partial sums (end-around carry). */
uint32_t csum_add(uint32_t a, uint32_t b);
/* Folds a partial sum to 16 bits and complements it: the value to store in
 * the checksum field.  Verifying: csum_fold(sum over data incl. its checksum
 * field) == 0 means the checksum is valid. */
uint16_t csum_fold(uint32_t sum);
/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m').  `old_csum` is the checksum as
 * stored in the packet; `removed` the partial sum of the data that left the
 * checksummed range (or the old values of changed words), `added` the partial
 * sum of the data that entered it (or the new values).  Returns the new
 * checksum to store.  A wrong checksum stays wrong by the same amount: the
 * update never repairs it.
 */
uint16_t csum_replace(uint16_t old_csum, uint32_t removed, uint32_t added);
/*
 * The same for a field that holds an *uncomplemented* partial sum instead of a
 * checksum: Linux CHECKSUM_PARTIAL / virtio-net NEEDS_CSUM (e.g. a GSO
 * super-packet), where the field carries the folded pseudo-header sum,
 * ~csum_fold(pseudo), and the device later adds the bytes from csum_start and
 * stores the complement.  Returns old_partial + ~removed + added (one's
 * complement, folded, not complemented) = ~csum_replace(~old_partial, ...).
 * No zero special case: the field is not a finished (UDP) checksum.
 */
uint16_t csum_partial_replace(uint16_t old_partial, uint32_t removed, uint32_t added);

#endif
