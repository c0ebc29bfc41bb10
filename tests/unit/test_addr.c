/* Unit tests: RFC 6052 address embedding (src/xlat/addr.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "xlat/addr.h"

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct in_addr a4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct nat64_prefix pfx(const char *s, uint8_t len)
{
	struct nat64_prefix p = { .addr = a6(s), .len = len };

	return p;
}

/* RFC 6052 §2.4, Table 1: 192.0.2.33 embedded in each prefix length. */
static const struct {
	const char *prefix;
	uint8_t len;
	const char *embedded;
} rfc6052_table[] = {
	{ "2001:db8::", 32, "2001:db8:c000:221::" },
	{ "2001:db8:100::", 40, "2001:db8:1c0:2:21::" },
	{ "2001:db8:122::", 48, "2001:db8:122:c000:2:2100::" },
	{ "2001:db8:122:300::", 56, "2001:db8:122:3c0:0:221::" },
	{ "2001:db8:122:344::", 64, "2001:db8:122:344:c0:2:2100:0" },
	{ "2001:db8:122:344::", 96, "2001:db8:122:344::192.0.2.33" },
};

static void test_prefix_len_valid(void **state)
{
	unsigned len;
	int n = 0;

	(void)state;
	for (len = 0; len <= 200; len++)
		n += addr_prefix_len_valid(len);
	assert_int_equal(n, 6);
	assert_true(addr_prefix_len_valid(32) && addr_prefix_len_valid(40) && addr_prefix_len_valid(48));
	assert_true(addr_prefix_len_valid(56) && addr_prefix_len_valid(64) && addr_prefix_len_valid(96));
	assert_false(addr_prefix_len_valid(0) || addr_prefix_len_valid(128) || addr_prefix_len_valid(33));
}

static void test_prefix_valid(void **state)
{
	struct nat64_prefix p;

	(void)state;
	p = pfx("64:ff9b::", 96);
	assert_true(addr_prefix_valid(&p));
	p = pfx("64:ff9b::1", 96); /* host bits set */
	assert_false(addr_prefix_valid(&p));
	p = pfx("64:ff9b:0:0:ff00::", 96); /* u-octet set inside a /96 */
	assert_false(addr_prefix_valid(&p));
	p = pfx("2001:db8::", 33);
	assert_false(addr_prefix_valid(&p));
	p = pfx("2001:db8:1::", 32);
	assert_false(addr_prefix_valid(&p));
}

static void test_embed_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rfc6052_table) / sizeof(rfc6052_table[0]); i++) {
		struct nat64_prefix p = pfx(rfc6052_table[i].prefix, rfc6052_table[i].len);
		struct in6_addr want = a6(rfc6052_table[i].embedded), got;

		memset(&got, 0xaa, sizeof(got));
		addr_embed(&p, a4("192.0.2.33"), &got);
		assert_memory_equal(&got, &want, sizeof(got));
	}
}

static void test_extract_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rfc6052_table) / sizeof(rfc6052_table[0]); i++) {
		struct nat64_prefix p = pfx(rfc6052_table[i].prefix, rfc6052_table[i].len);
		struct in6_addr a = a6(rfc6052_table[i].embedded);
		struct in_addr v4 = { 0 };

		assert_int_equal(addr_extract(&p, &a, &v4), 0);
		assert_int_equal(v4.s_addr, a4("192.0.2.33").s_addr);
	}
}

/* Embedding then extracting gives the address back, for every length. */
static void test_roundtrip(void **state)
{
	static const char *const v4s[] = { "0.0.0.0", "255.255.255.255", "10.1.2.3", "198.51.100.7" };
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(rfc6052_table) / sizeof(rfc6052_table[0]); i++) {
		struct nat64_prefix p = pfx(rfc6052_table[i].prefix, rfc6052_table[i].len);

		for (j = 0; j < sizeof(v4s) / sizeof(v4s[0]); j++) {
			struct in6_addr a;
			struct in_addr back = { 0 };

			addr_embed(&p, a4(v4s[j]), &a);
			assert_true(addr_in6_in_net(&a, &p.addr, p.len));
			assert_int_equal(addr_extract(&p, &a, &back), 0);
			assert_int_equal(back.s_addr, a4(v4s[j]).s_addr);
		}
	}
}

static void test_u_octet_rejected(void **state)
{
	size_t i;

	(void)state;
	/* Below /96 the u-octet is not part of the prefix and must be zero. */
	for (i = 0; i < 5; i++) {
		struct nat64_prefix p = pfx(rfc6052_table[i].prefix, rfc6052_table[i].len);
		struct in6_addr a = a6(rfc6052_table[i].embedded);
		struct in_addr v4;

		a.s6_addr[8] = 0x01;
		assert_int_equal(addr_extract(&p, &a, &v4), -1);
	}
}

static void test_suffix_rejected(void **state)
{
	size_t i;

	(void)state;
	/* /96 has no suffix; every other length has one ending at byte 15. */
	for (i = 0; i < 5; i++) {
		struct nat64_prefix p = pfx(rfc6052_table[i].prefix, rfc6052_table[i].len);
		struct in6_addr a = a6(rfc6052_table[i].embedded);
		struct in_addr v4;

		a.s6_addr[15] = 0x01;
		assert_int_equal(addr_extract(&p, &a, &v4), -1);
	}
	{
		struct nat64_prefix p = pfx("2001:db8::", 32);
		struct in6_addr a = a6("2001:db8:c000:221:0:1::");
		struct in_addr v4;

		assert_int_equal(addr_extract(&p, &a, &v4), -1);
	}
}

static void test_outside_rejected(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rfc6052_table) / sizeof(rfc6052_table[0]); i++) {
		struct nat64_prefix p = pfx(rfc6052_table[i].prefix, rfc6052_table[i].len);
		struct in6_addr a = a6(rfc6052_table[i].embedded);
		struct in_addr v4;

		/* Flip the last bit of the prefix. */
		a.s6_addr[p.len / 8 - 1] ^= 1;
		assert_int_equal(addr_extract(&p, &a, &v4), -1);
	}
	{
		struct nat64_prefix p = pfx("64:ff9b::", 96);
		struct in6_addr a = a6("2001:db8::192.0.2.1");
		struct in_addr v4;

		assert_int_equal(addr_extract(&p, &a, &v4), -1);
		p.len = 95; /* invalid lengths never extract */
		a = a6("64:ff9b::192.0.2.1");
		assert_int_equal(addr_extract(&p, &a, &v4), -1);
	}
}

static void test_in6_in_net(void **state)
{
	struct in6_addr net = a6("2001:db8:ff00::"), a = a6("2001:db8:ff80::1");

	(void)state;
	assert_true(addr_in6_in_net(&a, &net, 0));
	assert_true(addr_in6_in_net(&a, &net, 32));
	assert_true(addr_in6_in_net(&a, &net, 40));
	/* Bit 40 is the first that differs (ff00 vs ff80). */
	assert_false(addr_in6_in_net(&a, &net, 41));
	net = a6("2001:db8:ff80::");
	assert_true(addr_in6_in_net(&a, &net, 41));
	assert_true(addr_in6_in_net(&a, &net, 127));
	assert_false(addr_in6_in_net(&a, &net, 128));
	assert_true(addr_in6_in_net(&a, &a, 128));
	assert_false(addr_in6_in_net(&a, &a, 129));
	net = a6("::");
	a = a6("8000::");
	assert_false(addr_in6_in_net(&a, &net, 1));
	assert_true(addr_in6_in_net(&a, &net, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_len_valid),
		cmocka_unit_test(test_prefix_valid),
		cmocka_unit_test(test_embed_table),
		cmocka_unit_test(test_extract_table),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_u_octet_rejected),
		cmocka_unit_test(test_suffix_rejected),
		cmocka_unit_test(test_outside_rejected),
		cmocka_unit_test(test_in6_in_net),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
