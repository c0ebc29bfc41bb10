/* Internet checksum (RFC 1071) and incremental update (RFC 1624). */
#include "xlat/csum.h"

#include <string.h>

/* 2^32 = 1 modulo 0xffffffff, which 0xffff divides: folding the carries of a
 * 64-bit accumulator back in keeps the 16-bit one's-complement sum. */
static uint32_t fold64(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;

	/* RFC 1071 §4.1 with 32-bit loads: summing 32-bit words and folding
	 * gives the same 16-bit result (RFC 1071 §2(C), parallel summation). */
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, p, sizeof(w));
		acc += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;

		memcpy(&h, p, sizeof(h));
		acc += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* The odd byte is the first byte of a zero-padded word. */
		uint8_t last[2] = { p[0], 0 };
		uint16_t h;

		memcpy(&h, last, sizeof(h));
		acc += h;
	}
	return fold64(acc);
}

uint32_t csum_add(uint32_t a, uint32_t b)
{
	return fold64((uint64_t)a + b);
}

uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t csum_replace(uint16_t old_csum, uint32_t removed, uint32_t added)
{
	/* ~m is the complement of the folded sum of the removed data, which is
	 * exactly what csum_fold returns. */
	uint32_t s = (uint16_t)~old_csum;

	s = csum_add(s, csum_fold(removed));
	s = csum_add(s, added);
	return csum_fold(s);
}

uint16_t csum_partial_replace(uint16_t old_partial, uint32_t removed, uint32_t added)
{
	/* The partial sum is the complement of the checksum it will become. */
	return (uint16_t)~csum_replace((uint16_t)~old_partial, removed, added);
}
