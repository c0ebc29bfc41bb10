/* Unit tests: one's-complement checksums (src/xlat/csum.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "xlat/csum.h"

/* Reference: RFC 1071 done the slow, obvious way on big-endian words;
 * returns the checksum in host order. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t csum_host(const void *p, size_t len)
{
	return ntohs(csum_fold(csum_partial(p, len, 0)));
}

/* 0 and 0xffff are the two zeros of one's-complement arithmetic. */
static int csum_equiv(uint16_t a, uint16_t b)
{
	return a == b || (a == 0 && b == 0xffff) || (a == 0xffff && b == 0);
}

static uint32_t rng = 12345;

static uint8_t rnd8(void)
{
	rng = rng * 1103515245u + 12345u;
	return (uint8_t)(rng >> 16);
}

static void test_known_values(void **state)
{
	/* RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
	static const uint8_t ex[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	/* A real IPv4 header (checksum field b861). */
	static const uint8_t ip[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
				      0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint8_t ipc[sizeof(ip)];

	(void)state;
	assert_int_equal(csum_host(ex, sizeof(ex)), (uint16_t)~0xddf2);
	assert_int_equal(csum_host(ip, sizeof(ip)), 0xb861);
	/* Storing the result as is gives a header that verifies to zero. */
	memcpy(ipc, ip, sizeof(ip));
	{
		uint16_t c = csum_fold(csum_partial(ip, sizeof(ip), 0));

		memcpy(ipc + 10, &c, 2);
	}
	assert_int_equal(ipc[10], 0xb8);
	assert_int_equal(ipc[11], 0x61);
	assert_int_equal(csum_fold(csum_partial(ipc, sizeof(ipc), 0)), 0);
	/* Empty and all-zero data. */
	assert_int_equal(csum_fold(csum_partial(NULL, 0, 0)), 0xffff);
	assert_int_equal(csum_fold(0), 0xffff);
	assert_int_equal(csum_fold(0xffff), 0);
	assert_int_equal(csum_fold(0x1fffe), 0);
}

static void test_odd_length(void **state)
{
	static const uint8_t d[] = { 0x12, 0x34, 0x56 };

	(void)state;
	/* The odd byte is padded with zero on the right: 0x1234 + 0x5600. */
	assert_int_equal(csum_host(d, sizeof(d)), (uint16_t)~(0x1234 + 0x5600));
}

static void test_random_vs_reference(void **state)
{
	uint8_t buf[1601] = { 0 };
	size_t len, i;

	(void)state;
	for (len = 0; len < sizeof(buf); len += 7) {
		for (i = 0; i < len; i++)
			buf[i] = rnd8();
		assert_int_equal(csum_host(buf, len), ref_csum(buf, len));
		/* Unaligned start. */
		if (len > 1)
			assert_int_equal(csum_host(buf + 1, len - 1), ref_csum(buf + 1, len - 1));
	}
}

static void test_chaining(void **state)
{
	uint8_t buf[512];
	size_t i, cut;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = rnd8();
	/* Even-sized pieces chain to the same result as one pass. */
	for (cut = 0; cut <= sizeof(buf); cut += 2) {
		uint32_t s = csum_partial(buf, cut, 0);

		s = csum_partial(buf + cut, sizeof(buf) - cut, s);
		assert_int_equal(csum_fold(s), csum_fold(csum_partial(buf, sizeof(buf), 0)));
		assert_int_equal(csum_fold(csum_add(csum_partial(buf, cut, 0),
						    csum_partial(buf + cut, sizeof(buf) - cut, 0))),
				 csum_fold(csum_partial(buf, sizeof(buf), 0)));
	}
	/* Large sums do not lose carries (64 KiB of 0xff). */
	{
		static uint8_t big[65536];

		memset(big, 0xff, sizeof(big));
		assert_int_equal(csum_host(big, sizeof(big)), ref_csum(big, sizeof(big)));
		assert_int_equal(csum_fold(csum_partial(big, sizeof(big), 0xffffffffu)),
				 csum_fold(csum_add(csum_partial(big, sizeof(big), 0), 0xffffffffu)));
	}
}

/* Change random words of random data: the incremental update equals a full
 * recomputation. */
static void test_replace_vs_full(void **state)
{
	uint8_t buf[256], old[16];
	int round;

	(void)state;
	for (round = 0; round < 5000; round++) {
		size_t len = 16 + (size_t)(rnd8() % 120) * 2, off = (size_t)(rnd8() % ((len - 16) / 2 + 1)) * 2;
		size_t n = 2 + (size_t)(rnd8() % 7) * 2, i;
		uint16_t c0, c1, full;

		for (i = 0; i < len; i++)
			buf[i] = round % 7 == 0 ? 0 : rnd8();
		c0 = csum_fold(csum_partial(buf, len, 0));
		memcpy(old, buf + off, n);
		for (i = 0; i < n; i++)
			buf[off + i] = round % 11 == 0 ? 0xff : rnd8();
		c1 = csum_replace(c0, csum_partial(old, n, 0), csum_partial(buf + off, n, 0));
		full = csum_fold(csum_partial(buf, len, 0));
		assert_true(csum_equiv(c1, full));
	}
}

/* Data leaving and entering the checksummed range (the pseudo-header case). */
static void test_replace_range(void **state)
{
	uint8_t hdr_a[36], hdr_b[12], data[100];
	int round;

	(void)state;
	for (round = 0; round < 1000; round++) {
		uint32_t sa, sb, sd;
		uint16_t c0, c1, full;
		size_t i;

		for (i = 0; i < sizeof(hdr_a); i++)
			hdr_a[i] = rnd8();
		for (i = 0; i < sizeof(hdr_b); i++)
			hdr_b[i] = rnd8();
		for (i = 0; i < sizeof(data); i++)
			data[i] = rnd8();
		sa = csum_partial(hdr_a, sizeof(hdr_a), 0);
		sb = csum_partial(hdr_b, sizeof(hdr_b), 0);
		sd = csum_partial(data, sizeof(data), 0);
		c0 = csum_fold(csum_add(sa, sd));
		c1 = csum_replace(c0, sa, sb);
		full = csum_fold(csum_add(sb, sd));
		assert_true(csum_equiv(c1, full));
		/* A checksum that was wrong stays wrong by the same amount. */
		c1 = csum_replace((uint16_t)(c0 ^ 0x0100), sa, sb);
		assert_false(csum_equiv(c1, full));
		assert_int_not_equal(csum_fold(csum_add(csum_add(sb, sd), (uint16_t)c1)), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_odd_length),
		cmocka_unit_test(test_random_vs_reference),
		cmocka_unit_test(test_chaining),
		cmocka_unit_test(test_replace_vs_full),
		cmocka_unit_test(test_replace_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
