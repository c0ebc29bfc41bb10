/*
 * Reference byte-order and checksum helpers for the packet tests: written
 * independently of src/xlat/csum.c, so a test that checks the translator's
 * checksums against these does not check the code against itself.
 */
#ifndef NAT64_TEST_REF_CSUM_H
#define NAT64_TEST_REF_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* One's-complement sum of big-endian 16-bit words, host order, unfolded. */
static inline uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* Folded, not complemented: a partial checksum. */
static inline uint16_t ref_fold_nc(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Folded and complemented: the checksum a header carries (host order). */
static inline uint16_t ref_fold(uint32_t sum)
{
	return (uint16_t)~ref_fold_nc(sum);
}

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* RFC 8200 §8.1 pseudo-header sum. */
static inline uint32_t ref_pseudo6(const uint8_t *src, const uint8_t *dst, size_t len, uint8_t nh)
{
	uint8_t tail[8] = { 0 };

	put32(tail, (uint32_t)len);
	tail[7] = nh;
	return ref_sum(tail, 8, ref_sum(dst, 16, ref_sum(src, 16, 0)));
}

/* RFC 793/768 pseudo-header sum. */
static inline uint32_t ref_pseudo4(const uint8_t *src, const uint8_t *dst, size_t len, uint8_t proto)
{
	uint8_t tail[4] = { 0, proto, 0, 0 };

	put16(tail + 2, len);
	return ref_sum(tail, 4, ref_sum(dst, 4, ref_sum(src, 4, 0)));
}

#endif
