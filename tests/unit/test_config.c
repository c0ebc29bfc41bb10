/* Unit tests of src/config*.c: every key, every rule, messages, round trip.
 * Run from tests/unit (fixtures under config/). */
#define _GNU_SOURCE	/* sched_getaffinity() */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define EXAMPLE "../../examples/nat64.conf"
#define FULL	"config/full.conf"
#define MINIMAL	"config/minimal.conf"

/* gateway-v6 for texts that keep the Well-Known Prefix and a non-global
 * gateway-v4 (RFC 6052 §3.1); put last so no line number moves. */
#define GW6	"gateway-v6 = \"2001:db8:ffff::1\"\n"

static char tmp_path[64];
static char err[4096];

/* Writes text to a fresh temp file, loads it, removes the file; tmp_path
 * keeps the name the messages refer to. */
static struct config *load_text(const char *text)
{
	size_t len = strlen(text);
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/nat64-test-config-XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	memset(err, 'x', sizeof(err));
	{
		struct config *c = config_load(tmp_path, err, sizeof(err));

		assert_int_equal(unlink(tmp_path), 0);
		return c;
	}
}

static unsigned count_lines(const char *s)
{
	unsigned n = *s ? 1 : 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Asserts that the last load failed with a message containing `want`. */
static void assert_err_has(const char *want)
{
	if (!strstr(err, want))
		fail_msg("message lacks [%s]; got:\n%s", want, err);
}

static void assert_in6(const struct in6_addr *a, const char *text)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, a, buf, sizeof(buf));
	assert_string_equal(buf, text);
}

static void assert_in4(struct in_addr a, const char *text)
{
	char buf[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	assert_string_equal(buf, text);
}

static unsigned expected_auto_queues(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > 256 ? 256 : (unsigned)n;
}

/* What tun.cpus = "auto" gives: the CPUs this process may run on. */
static size_t expected_auto_cpus(unsigned *first)
{
	cpu_set_t set;
	unsigned cpu;

	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++)
		;
	*first = cpu;
	return (size_t)CPU_COUNT(&set);
}

/* config_print() into a string the caller frees. */
static char *print_str(const struct config *c)
{
	char *out = NULL;
	size_t outlen = 0;
	FILE *fp = open_memstream(&out, &outlen);

	assert_non_null(fp);
	config_print(c, fp);
	fclose(fp);
	return out;
}

/* ---- good files ---- */

static void test_defaults(void **state)
{
	struct config *c = config_load(MINIMAL, err, sizeof(err));
	unsigned first_cpu;
	size_t n_cpus = expected_auto_cpus(&first_cpu);

	(void)state;
	assert_non_null(c);
	assert_string_equal(err, "");
	assert_string_equal(c->path, MINIMAL);
	assert_in6(&c->prefix.addr, "64:ff9b::");
	assert_int_equal(c->prefix.len, 96);
	assert_int_equal(c->napt, NAPT_KERNEL);
	assert_in4(c->gateway_v4, "192.0.2.1");
	assert_in6(&c->gateway_v6, "2001:db8:ffff::1");	/* required here */
	assert_int_equal(c->gateway_v6_set, 1);
	assert_int_equal(c->n_clients, 1);
	assert_in6(&c->clients[0].addr, "::");
	assert_int_equal(c->clients[0].len, 0);
	assert_int_equal(c->n_deny_v4, 0);
	assert_null(c->deny_v4);
	assert_int_equal(c->lowest_ipv6_mtu, 1280);
	assert_int_equal(c->icmp_errors.rate, 100);
	assert_int_equal(c->icmp_errors.burst, 50);
	assert_string_equal(c->tun.name, "nat64");
	assert_int_equal(c->tun.queues_conf, 0);
	assert_int_equal(c->tun.queues, expected_auto_queues());
	assert_int_equal(c->tun.mtu, 1500);
	assert_int_equal(c->tun.txqueuelen, 1000);
	assert_int_equal(c->tun.batch, 32);
	assert_int_equal(c->tun.offload, 1);
	assert_int_equal(c->tun.pin, 1);
	assert_int_equal(c->tun.cpus_auto, 1);
	assert_int_equal(c->tun.n_cpus, n_cpus);
	assert_non_null(c->tun.cpus);
	assert_int_equal(c->tun.cpus[0], first_cpu);
	for (size_t i = 1; i < c->tun.n_cpus; i++)
		assert_true(c->tun.cpus[i] > c->tun.cpus[i - 1]);
	assert_in4(c->kernel.pool, "100.64.0.0");
	assert_int_equal(c->kernel.pool_len, 16);
	assert_string_equal(c->kernel.uplink, "eth0");
	assert_int_equal(c->kernel.idle_timeout, 300);
	config_free(c);
}

static void test_explicit_values(void **state)
{
	struct config *c = config_load(FULL, err, sizeof(err));

	(void)state;
	assert_non_null(c);
	assert_in6(&c->prefix.addr, "2001:db8:64::");
	assert_int_equal(c->prefix.len, 64);
	assert_int_equal(c->napt, NAPT_KERNEL);
	assert_in4(c->gateway_v4, "198.51.100.1");
	assert_in6(&c->gateway_v6, "2001:db8:ffff::64");
	assert_int_equal(c->gateway_v6_set, 1);
	assert_int_equal(c->n_clients, 3);
	assert_in6(&c->clients[0].addr, "2001:db8:100::");
	assert_int_equal(c->clients[0].len, 56);
	assert_in6(&c->clients[1].addr, "2001:db8:200::");
	assert_int_equal(c->clients[1].len, 56);
	assert_in6(&c->clients[2].addr, "2001:db8:300::5");
	assert_int_equal(c->clients[2].len, 128);
	assert_int_equal(c->n_deny_v4, 3);
	assert_in4(c->deny_v4[0].addr, "10.0.0.0");
	assert_int_equal(c->deny_v4[0].len, 8);
	assert_in4(c->deny_v4[1].addr, "192.168.1.0");
	assert_int_equal(c->deny_v4[1].len, 24);
	assert_in4(c->deny_v4[2].addr, "198.51.100.99");
	assert_int_equal(c->deny_v4[2].len, 32);
	assert_int_equal(c->lowest_ipv6_mtu, 1400);
	assert_int_equal(c->icmp_errors.rate, 500);
	assert_int_equal(c->icmp_errors.burst, 20);
	assert_string_equal(c->tun.name, "xlat-t0");
	assert_int_equal(c->tun.queues, 3);
	assert_int_equal(c->tun.queues_conf, 3);
	assert_int_equal(c->tun.mtu, 9000);
	assert_int_equal(c->tun.txqueuelen, 5000);
	assert_int_equal(c->tun.batch, 0);
	assert_int_equal(c->tun.offload, 0);
	assert_int_equal(c->tun.pin, 1);
	assert_int_equal(c->tun.cpus_auto, 0);
	assert_int_equal(c->tun.n_cpus, 3);	/* in the file's order */
	assert_int_equal(c->tun.cpus[0], 2);
	assert_int_equal(c->tun.cpus[1], 0);
	assert_int_equal(c->tun.cpus[2], 5);
	assert_in4(c->kernel.pool, "10.77.0.0");
	assert_int_equal(c->kernel.pool_len, 20);
	assert_string_equal(c->kernel.uplink, "ens3.100");
	assert_int_equal(c->kernel.idle_timeout, 120);
	config_free(c);
}

static void test_example_loads(void **state)
{
	struct config *c = config_load(EXAMPLE, err, sizeof(err));

	(void)state;
	if (!c)
		fail_msg("%s", err);
	assert_in6(&c->prefix.addr, "64:ff9b::");
	assert_int_equal(c->napt, NAPT_KERNEL);
	assert_string_equal(c->kernel.uplink, "eth0");
	assert_int_equal(c->tun.queues_conf, 0);
	assert_int_equal(c->gateway_v6_set, 1);	/* 192.0.2.1 is not global */
	config_free(c);
}

/* Range ends are accepted; unquoted values and decimal-only numbers. */
static void test_edges_accepted(void **state)
{
	struct config *c;

	(void)state;
	c = load_text("gateway-v4 = 192.0.2.1\n"
		      "prefix = 64:ff9b:1:ffff:ff:ffff::/96\n"
		      "tun { name = abcdefghijklmno\n queues = 256\n mtu = 1280 }\n"
		      "kernel { inner-pool = 100.64.0.0/12\n uplink = eth0\n idle-timeout = 86400 }\n");
	if (!c)
		fail_msg("%s", err);
	assert_in6(&c->prefix.addr, "64:ff9b:1:ffff:ff:ffff::");
	assert_string_equal(c->tun.name, "abcdefghijklmno");
	assert_int_equal(c->tun.queues, 256);
	assert_int_equal(c->tun.mtu, 1280);
	assert_int_equal(c->kernel.pool_len, 12);
	assert_int_equal(c->kernel.idle_timeout, 86400);
	config_free(c);

	c = load_text("gateway-v4 = \"192.0.2.1\"\n"
		      "tun { queues = 1\n mtu = 65535 }\n"
		      "kernel { inner-pool = \"100.64.0.0/30\"\n uplink = \"e\"\n idle-timeout = 010 }\n"
		      GW6);
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(c->tun.queues, 1);
	assert_int_equal(c->tun.mtu, 65535);
	assert_int_equal(c->kernel.pool_len, 30);
	assert_int_equal(c->kernel.idle_timeout, 10);
	config_free(c);

	c = load_text("gateway-v4 = 192.0.2.1\ngateway-v6 = 2001:db8::1\n"
		      "deny-v4 = {0.0.0.0/1, 255.255.255.255/32}\nlowest-ipv6-mtu = 1280\n"
		      "icmp-errors { rate = 0\n burst = 1 }\n"
		      "tun { txqueuelen = 1\n offload = Off\n cpus = 1023 }\n"
		      "kernel { inner-pool = 100.64.0.0/16\n uplink = eth0 }\n");
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(c->n_deny_v4, 2);
	assert_int_equal(c->deny_v4[0].len, 1);
	assert_in4(c->deny_v4[1].addr, "255.255.255.255");
	assert_int_equal(c->lowest_ipv6_mtu, 1280);
	assert_int_equal(c->icmp_errors.rate, 0);
	assert_int_equal(c->icmp_errors.burst, 1);
	assert_int_equal(c->tun.txqueuelen, 1);
	assert_int_equal(c->tun.offload, 0);
	assert_int_equal(c->tun.n_cpus, 1);
	assert_int_equal(c->tun.cpus[0], CPU_SETSIZE - 1);
	config_free(c);

	c = load_text("gateway-v4 = 192.0.2.1\ngateway-v6 = 2001:db8::1\n"
		      "lowest-ipv6-mtu = 65535\n"
		      "icmp-errors { rate = 1000000\n burst = 1000000 }\n"
		      "tun { txqueuelen = 1000000\n offload = true\n cpus = none }\n"
		      "kernel { inner-pool = 100.64.0.0/16\n uplink = eth0 }\n");
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(c->lowest_ipv6_mtu, 65535);
	assert_int_equal(c->icmp_errors.rate, 1000000);
	assert_int_equal(c->icmp_errors.burst, 1000000);
	assert_int_equal(c->tun.txqueuelen, 1000000);
	assert_int_equal(c->tun.offload, 1);
	assert_int_equal(c->tun.pin, 0);
	assert_int_equal(c->tun.cpus_auto, 0);
	assert_int_equal(c->tun.n_cpus, 0);
	assert_null(c->tun.cpus);
	config_free(c);
}

/* Every spelling of a libconfuse boolean, any case. */
static void test_offload_spellings(void **state)
{
	static const struct {
		const char *v;
		int on;
	} cases[] = {
		{ "on", 1 }, { "ON", 1 }, { "true", 1 }, { "yes", 1 }, { "Yes", 1 },
		{ "off", 0 }, { "OFF", 0 }, { "false", 0 }, { "no", 0 }, { "No", 0 },
	};
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *c;

		snprintf(text, sizeof(text), "gateway-v4 = 192.0.2.1\n" GW6
			 "tun { offload = %s }\n"
			 "kernel { inner-pool = 100.64.0.0/16\n uplink = eth0 }\n", cases[i].v);
		c = load_text(text);
		if (!c)
			fail_msg("offload = %s: %s", cases[i].v, err);
		assert_int_equal(c->tun.offload, cases[i].on);
		config_free(c);
	}
}

/* Every RFC 6052 length, with prefix||gateway-v4 as gateway-v6 (RFC 6052
 * §2.4 Table 1 for 192.0.2.33 under 2001:db8::/LEN). */
static void test_prefix_lengths(void **state)
{
	static const struct {
		const char *prefix;
		const char *gw6;
	} cases[] = {
		{ "2001:db8::/32", "2001:db8:c000:221::" },
		{ "2001:db8:100::/40", "2001:db8:1c0:2:21::" },
		{ "2001:db8:122::/48", "2001:db8:122:c000:2:2100::" },
		{ "2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::" },
		{ "2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0" },
		{ "2001:db8:122:344::/96", "2001:db8:122:344::c000:221" },
	};
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *c;

		snprintf(text, sizeof(text), "prefix = \"%s\"\ngateway-v4 = 192.0.2.33\n"
			 "kernel { inner-pool = 100.64.0.0/16\n uplink = eth0 }\n",
			 cases[i].prefix);
		c = load_text(text);
		if (!c)
			fail_msg("%s: %s", cases[i].prefix, err);
		assert_in6(&c->gateway_v6, cases[i].gw6);
		assert_int_equal(c->gateway_v6_set, 0);
		config_free(c);
	}
}

static void test_gateway_inside_pool(void **state)
{
	struct config *c;

	(void)state;
	c = load_text("gateway-v4 = \"100.64.0.1\"\n"
		      "kernel { inner-pool = \"100.64.0.0/16\"\n uplink = \"eth0\" }\n" GW6);
	if (!c)
		fail_msg("%s", err);
	assert_in4(c->gateway_v4, "100.64.0.1");
	config_free(c);
}

static void test_queues_zero_resolved(void **state)
{
	struct config *c = config_load(MINIMAL, err, sizeof(err));
	char *out;

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->tun.queues, expected_auto_queues());
	assert_true(c->tun.queues >= 1);
	out = print_str(c);
	assert_non_null(strstr(out, "# 0 in the file: one per online CPU"));
	free(out);
	config_free(c);

	/* an explicit count gets no comment */
	c = config_load(FULL, err, sizeof(err));
	assert_non_null(c);
	out = print_str(c);
	assert_non_null(strstr(out, "queues     = 3\n"));
	assert_null(strstr(out, "online CPU"));
	free(out);
	config_free(c);
}

/* The last assignment wins; "clients +=" appends to the list. */
static void test_repeat_and_append(void **state)
{
	struct config *c;

	(void)state;
	c = load_text("gateway-v4 = \"192.0.2.9\"\ngateway-v4 = \"192.0.2.1\"\n"
		      "clients = {\"2001:db8::/32\"}\nclients += \"2001:db9::/32\"\n"
		      "deny-v4 = {\"10.0.0.0/8\"}\ndeny-v4 += \"172.16.0.0/12\"\n"
		      "tun { cpus = \"1\"\n cpus = \"3,2\" }\n"
		      "kernel { inner-pool = \"100.64.0.0/16\"\n uplink = \"eth0\" }\n" GW6);
	if (!c)
		fail_msg("%s", err);
	assert_in4(c->gateway_v4, "192.0.2.1");
	assert_int_equal(c->n_clients, 2);
	assert_in6(&c->clients[1].addr, "2001:db9::");
	assert_int_equal(c->n_deny_v4, 2);
	assert_in4(c->deny_v4[1].addr, "172.16.0.0");
	assert_int_equal(c->tun.n_cpus, 2);
	assert_int_equal(c->tun.cpus[0], 3);
	assert_int_equal(c->tun.cpus[1], 2);
	config_free(c);
}

/* ---- gateway-v6 against prefix and gateway-v4 (RFC 6052 §3.1) ---- */

static void test_gateway_v6_default(void **state)
{
	struct config *c;

	(void)state;
	/* tests/e2e/lib.sh's config: a network-specific prefix embeds any
	 * IPv4 address, so no gateway-v6 is needed */
	c = load_text("prefix = \"2001:db8:64::/96\"\ngateway-v4 = \"100.64.0.1\"\n"
		      "tun {\n  name = \"nat64\"\n  queues = 2\n  mtu = 1500\n}\n"
		      "kernel {\n  inner-pool = \"100.64.0.0/24\"\n  uplink = \"veth0\"\n}\n");
	if (!c)
		fail_msg("%s", err);
	assert_in6(&c->gateway_v6, "2001:db8:64::6440:1");
	assert_int_equal(c->gateway_v6_set, 0);
	config_free(c);

	c = load_text("prefix = \"2001:db8:64::/64\"\ngateway-v4 = \"100.64.0.1\"\n"
		      "kernel { inner-pool = \"100.64.0.0/24\"\n uplink = \"eth0\" }\n");
	if (!c)
		fail_msg("%s", err);
	assert_in6(&c->gateway_v6, "2001:db8:64:0:64:4000:100:0");	/* u-octet skipped */
	config_free(c);

	/* the Well-Known Prefix embeds a global gateway-v4 (100.128.0.1 is
	 * just past the shared space 100.64.0.0/10; 192.0.0.9 is the global
	 * exception inside 192.0.0.0/24) */
	c = load_text("gateway-v4 = \"100.128.0.1\"\n"
		      "kernel { inner-pool = \"100.64.0.0/24\"\n uplink = \"eth0\" }\n");
	if (!c)
		fail_msg("%s", err);
	assert_in6(&c->gateway_v6, "64:ff9b::6480:1");
	assert_int_equal(c->gateway_v6_set, 0);
	config_free(c);
	c = load_text("gateway-v4 = \"192.0.0.9\"\n"
		      "kernel { inner-pool = \"100.64.0.0/24\"\n uplink = \"eth0\" }\n");
	if (!c)
		fail_msg("%s", err);
	assert_in6(&c->gateway_v6, "64:ff9b::c000:9");
	config_free(c);
}

/* The Well-Known Prefix and a non-global gateway-v4 leave no default. */
static void test_gateway_v6_required(void **state)
{
	static const char *const non_global[] = {
		"192.0.2.1", "10.1.2.3", "100.64.0.1", "172.16.0.1", "192.168.1.1",
		"169.254.0.1", "198.18.0.1", "203.0.113.5", "192.0.0.1",
	};
	char text[256], want[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(non_global) / sizeof(non_global[0]); i++) {
		snprintf(text, sizeof(text), "gateway-v4 = \"%s\"\n"
			 "kernel { inner-pool = \"100.127.0.0/16\"\n uplink = \"eth0\" }\n",
			 non_global[i]);
		assert_null(load_text(text));
		snprintf(want, sizeof(want), "%s: gateway-v6: missing: required because "
			 "gateway-v4 %s is not a global IPv4 address, and RFC 6052 §3.1 forbids "
			 "embedding it in the Well-Known Prefix 64:ff9b::/96", tmp_path, non_global[i]);
		assert_err_has(want);
		assert_err_has("set gateway-v6 to an IPv6 address outside the prefix");
		assert_int_equal(count_lines(err), 1);
	}
	/* the default prefix counts like a written one */
	assert_null(load_text("prefix = \"64:ff9b::/96\"\ngateway-v4 = \"10.0.0.1\"\n"
			      "kernel { inner-pool = \"100.127.0.0/16\"\n uplink = \"eth0\" }\n"));
	assert_err_has("gateway-v6: missing: ");
	/* no second message about a gateway-v4 or prefix already reported */
	assert_null(load_text("gateway-v4 = \"0.0.0.0\"\n"
			      "kernel { inner-pool = \"100.127.0.0/16\"\n uplink = \"eth0\" }\n"));
	assert_null(strstr(err, "gateway-v6"));
	assert_null(load_text("prefix = \"64:ff9b::/97\"\ngateway-v4 = \"10.0.0.1\"\n"
			      "kernel { inner-pool = \"100.127.0.0/16\"\n uplink = \"eth0\" }\n"));
	assert_null(strstr(err, "gateway-v6"));
	assert_int_equal(count_lines(err), 1);
}

/* Inside the prefix gateway-v6 can only be prefix||gateway-v4. */
static void test_gateway_v6_in_prefix(void **state)
{
	struct config *c;
	char want[256];

	(void)state;
	c = load_text("prefix = \"2001:db8:64::/96\"\ngateway-v4 = \"100.64.0.1\"\n"
		      "gateway-v6 = \"2001:db8:64::100.64.0.1\"\n"
		      "kernel { inner-pool = \"100.64.0.0/24\"\n uplink = \"eth0\" }\n");
	if (!c)
		fail_msg("%s", err);
	assert_in6(&c->gateway_v6, "2001:db8:64::6440:1");
	assert_int_equal(c->gateway_v6_set, 1);
	config_free(c);

	c = load_text("gateway-v4 = \"100.128.0.1\"\ngateway-v6 = \"64:ff9b::6480:1\"\n"
		      "kernel { inner-pool = \"100.64.0.0/24\"\n uplink = \"eth0\" }\n");
	if (!c)
		fail_msg("%s", err);
	config_free(c);

	/* outside the prefix: anything unicast, even next to it */
	c = load_text("prefix = \"2001:db8:64::/96\"\ngateway-v4 = \"100.64.0.1\"\n"
		      "gateway-v6 = \"2001:db8:64::1:0:0\"\n"
		      "kernel { inner-pool = \"100.64.0.0/24\"\n uplink = \"eth0\" }\n");
	if (!c)
		fail_msg("%s", err);
	config_free(c);

	assert_null(load_text("prefix = \"2001:db8:64::/96\"\ngateway-v4 = \"100.64.0.1\"\n"
			      "\ngateway-v6 = \"2001:db8:64::6440:2\"\n"
			      "kernel { inner-pool = \"100.64.0.0/24\"\n uplink = \"eth0\" }\n"));
	snprintf(want, sizeof(want), "%s:4: gateway-v6: \"2001:db8:64::6440:2\": inside the "
		 "prefix 2001:db8:64::/96 but not prefix||gateway-v4 (2001:db8:64::6440:1)",
		 tmp_path);
	assert_err_has(want);
	assert_int_equal(count_lines(err), 1);

	/* /64: the u-octet must be zero, so this is not an embedding either */
	assert_null(load_text("prefix = \"2001:db8:64::/64\"\ngateway-v4 = \"100.64.0.1\"\n"
			      "gateway-v6 = \"2001:db8:64:0:ff64:4000:100:0\"\n"
			      "kernel { inner-pool = \"100.64.0.0/24\"\n uplink = \"eth0\" }\n"));
	assert_err_has("not prefix||gateway-v4 (2001:db8:64:0:64:4000:100:0)");

	/* the same gateway-v6 is fine with another prefix */
	c = load_text("prefix = \"2001:db8:65::/64\"\ngateway-v4 = \"100.64.0.1\"\n"
		      "gateway-v6 = \"2001:db8:64:0:ff64:4000:100:0\"\n"
		      "kernel { inner-pool = \"100.64.0.0/24\"\n uplink = \"eth0\" }\n");
	if (!c)
		fail_msg("%s", err);
	config_free(c);
}

/* ---- bad values: every key, every kind of problem ---- */

/* Lines of a valid config, one key per line; a case replaces one value. */
static const struct slot {
	const char *key;
	const char *fmt;	/* %s: the value */
	const char *good;
} slots[] = {
	{ "prefix",		"prefix = \"%s\"",		"64:ff9b::/96" },
	{ "napt",		"napt = \"%s\"",		"kernel" },
	{ "gateway-v4",		"gateway-v4 = \"%s\"",		"192.0.2.1" },
	{ "gateway-v6",		"gateway-v6 = \"%s\"",		"2001:db8:ffff::1" },
	{ "clients",		"clients = {\"%s\"}",		"::/0" },
	{ "deny-v4",		"deny-v4 = {\"%s\"}",		"10.0.0.0/8" },
	{ "lowest-ipv6-mtu",	"lowest-ipv6-mtu = \"%s\"",	"1280" },
	{ NULL,			"icmp-errors {%s",		"" },
	{ "icmp-errors.rate",	"  rate = \"%s\"",		"100" },
	{ "icmp-errors.burst",	"  burst = \"%s\"",		"50" },
	{ NULL,			"}%s",				"" },
	{ NULL,			"tun {%s",			"" },
	{ "tun.name",		"  name = \"%s\"",		"nat64" },
	{ "tun.queues",		"  queues = \"%s\"",		"2" },
	{ "tun.mtu",		"  mtu = \"%s\"",		"1500" },
	{ "tun.txqueuelen",	"  txqueuelen = \"%s\"",	"1000" },
	{ "tun.batch",		"  batch = \"%s\"",		"32" },
	{ "tun.offload",	"  offload = \"%s\"",		"on" },
	{ "tun.cpus",		"  cpus = \"%s\"",		"0,1" },
	{ NULL,			"}%s",				"" },
	{ NULL,			"kernel {%s",			"" },
	{ "kernel.inner-pool",	"  inner-pool = \"%s\"",	"100.64.0.0/16" },
	{ "kernel.uplink",	"  uplink = \"%s\"",		"eth0" },
	{ "kernel.idle-timeout", "  idle-timeout = \"%s\"",	"300" },
	{ NULL,			"}%s",				"" },
};

static const struct bad_case {
	const char *key;
	const char *value;
	const char *why;	/* part of the message */
} bad_cases[] = {
	{ "prefix", "64:ff9b::", "ADDRESS/LENGTH" },
	{ "prefix", "64:ff9b::/97", "RFC 6052 allows only" },
	{ "prefix", "64:ff9b::/0", "RFC 6052 allows only" },
	{ "prefix", "64:ff9b::/128", "RFC 6052 allows only" },
	{ "prefix", "2001:db8::/33", "RFC 6052 allows only" },
	{ "prefix", "2001:db8::/31", "RFC 6052 allows only" },
	{ "prefix", "2001:db8:0:1::/56", "bits set past the prefix length (did you mean \"2001:db8::/56\"?)" },
	{ "prefix", "2001:db8:0:0:100::/64", "bits set past the prefix length" },
	{ "prefix", "2001:db8:100::/32", "bits set past the prefix length (did you mean \"2001:db8::/32\"?)" },
	{ "prefix", "64:ff9b::/129", "prefix length" },
	{ "prefix", "64:ff9b::/x", "prefix length" },
	{ "prefix", "64:ff9b::1/96", "bits set past the prefix length (did you mean \"64:ff9b::/96\"?)" },
	{ "prefix", "64:ff9b:0:0:100::/96", "u-octet" },
	{ "prefix", "64:ff9b:0:0:8000::/96", "u-octet" },
	{ "prefix", "zz::/96", "not an IPv6 address" },
	{ "prefix", "192.0.2.0/96", "not an IPv6 address" },
	{ "prefix", "", "ADDRESS/LENGTH" },
	{ "napt", "daemon", "not supported yet" },
	{ "napt", "Kernel", "allowed: \"kernel\" or \"daemon\"" },
	{ "napt", "", "allowed: \"kernel\"" },
	{ "gateway-v4", "1.2.3", "not an IPv4 address" },
	{ "gateway-v4", "256.1.1.1", "not an IPv4 address" },
	{ "gateway-v4", "192.0.2.1/32", "not an IPv4 address" },
	{ "gateway-v4", "2001:db8::1", "not an IPv4 address" },
	{ "gateway-v4", "", "not an IPv4 address" },
	{ "gateway-v4", "0.0.0.0", "0.0.0.0/8" },
	{ "gateway-v4", "0.1.2.3", "0.0.0.0/8" },
	{ "gateway-v4", "224.0.0.1", "multicast" },
	{ "gateway-v4", "239.255.255.255", "multicast" },
	{ "gateway-v4", "255.255.255.255", "broadcast" },
	{ "gateway-v4", "240.0.0.1", "reserved" },
	{ "gateway-v4", "127.0.0.1", "loopback" },
	{ "gateway-v6", "2001:db8::1/128", "not an IPv6 address" },
	{ "gateway-v6", "192.0.2.1", "not an IPv6 address" },
	{ "gateway-v6", "2001:db8::g", "not an IPv6 address" },
	{ "gateway-v6", "", "not an IPv6 address" },
	{ "gateway-v6", "::", "unspecified" },
	{ "gateway-v6", "::1", "loopback" },
	{ "gateway-v6", "ff02::1", "multicast" },
	{ "gateway-v6", "ff0e::64", "multicast" },
	{ "gateway-v6", "fe80::1", "link-local" },
	{ "gateway-v6", "febf::1", "link-local" },
	{ "gateway-v6", "::ffff:192.0.2.1", "IPv4-mapped" },
	/* inside the Well-Known Prefix with a non-global gateway-v4 */
	{ "gateway-v6", "64:ff9b::c000:201", "must not embed the non-global gateway-v4 192.0.2.1 (RFC 6052 §3.1)" },
	{ "gateway-v6", "64:ff9b::1", "inside the Well-Known Prefix 64:ff9b::/96" },
	{ "clients", "2001:db8::1/32", "bits set past the prefix length (did you mean \"2001:db8::/32\"?)" },
	{ "clients", "2001:db8:8000::/32", "bits set past the prefix length (did you mean \"2001:db8::/32\"?)" },
	{ "clients", "2001:db8::1/127", "bits set past the prefix length" },
	{ "clients", "2001:db8::", "ADDRESS/LENGTH" },
	{ "clients", "10.0.0.0/8", "not an IPv6 address" },
	{ "clients", "::/129", "prefix length" },
	{ "clients", "::/-1", "prefix length" },
	{ "deny-v4", "10.0.0.1/8", "bits set past the prefix length (did you mean \"10.0.0.0/8\"?)" },
	{ "deny-v4", "192.168.1.128/24", "bits set past the prefix length (did you mean \"192.168.1.0/24\"?)" },
	{ "deny-v4", "10.0.0.0", "ADDRESS/LENGTH" },
	{ "deny-v4", "10.0.0.0/33", "prefix length" },
	{ "deny-v4", "10.0.0.0/x", "prefix length" },
	{ "deny-v4", "10.0/8", "not an IPv4 address" },
	{ "deny-v4", "2001:db8::/32", "not an IPv4 address" },
	{ "deny-v4", "0.0.0.0/0", "would deny every destination" },
	{ "deny-v4", "", "ADDRESS/LENGTH" },
	{ "lowest-ipv6-mtu", "1279", "out of range 1280..65535" },
	{ "lowest-ipv6-mtu", "65536", "out of range 1280..65535" },
	{ "lowest-ipv6-mtu", "0", "out of range 1280..65535" },
	{ "lowest-ipv6-mtu", "1280b", "not a decimal integer" },
	{ "lowest-ipv6-mtu", "", "not a decimal integer" },
	{ "icmp-errors.rate", "1000001", "out of range 0..1000000" },
	{ "icmp-errors.rate", "-1", "out of range 0..1000000" },
	{ "icmp-errors.rate", "fast", "not a decimal integer" },
	{ "icmp-errors.rate", "", "not a decimal integer" },
	{ "icmp-errors.burst", "0", "out of range 1..1000000" },
	{ "icmp-errors.burst", "1000001", "out of range 1..1000000" },
	{ "icmp-errors.burst", "5.5", "not a decimal integer" },
	{ "tun.name", "", "must not be empty" },
	{ "tun.name", "abcdefghijklmnop", "longer than 15 characters" },
	{ "tun.name", "a/b", "'/' is not allowed" },
	{ "tun.name", "a:b", "':' is not allowed" },
	{ "tun.name", "nat%d", "'%' is not allowed" },
	{ "tun.name", "a b", "whitespace" },
	{ "tun.name", "a\tb", "whitespace" },
	{ "tun.name", ".", "not interface names" },
	{ "tun.name", "..", "not interface names" },
	{ "tun.queues", "257", "out of range 0..256" },
	{ "tun.queues", "-1", "out of range 0..256" },
	{ "tun.queues", "99999999999999999999999", "out of range 0..256" },
	{ "tun.queues", "four", "not a decimal integer" },
	{ "tun.queues", "0x10", "not a decimal integer" },
	{ "tun.queues", "1.5", "not a decimal integer" },
	{ "tun.queues", "", "not a decimal integer" },
	{ "tun.mtu", "1279", "out of range 1280..65535" },
	{ "tun.mtu", "65536", "out of range 1280..65535" },
	{ "tun.mtu", "15oo", "not a decimal integer" },
	{ "tun.batch", "1025", "out of range 0..1024" },
	{ "tun.batch", "-1", "out of range 0..1024" },
	{ "tun.batch", "many", "not a decimal integer" },
	{ "tun.txqueuelen", "0", "out of range 1..1000000" },
	{ "tun.txqueuelen", "1000001", "out of range 1..1000000" },
	{ "tun.txqueuelen", "1k", "not a decimal integer" },
	{ "tun.txqueuelen", "", "not a decimal integer" },
	{ "tun.offload", "maybe", "expected \"on\" or \"off\"" },
	{ "tun.offload", "1", "expected \"on\" or \"off\"" },
	{ "tun.offload", "", "expected \"on\" or \"off\"" },
	{ "tun.offload", "on ", "expected \"on\" or \"off\"" },
	{ "tun.cpus", "", "expected \"auto\", \"none\" or CPU numbers separated by commas" },
	{ "tun.cpus", "Auto", "\"Auto\" is not a CPU number" },
	{ "tun.cpus", "auto,0", "\"auto\" is not a CPU number" },
	{ "tun.cpus", "0,", "an empty entry" },
	{ "tun.cpus", ",0", "an empty entry" },
	{ "tun.cpus", "0,,1", "an empty entry" },
	{ "tun.cpus", "0, ,1", "an empty entry" },
	{ "tun.cpus", "0-3", "\"0-3\" is not a CPU number" },
	{ "tun.cpus", "0;1", "\"0;1\" is not a CPU number" },
	{ "tun.cpus", "-1", "\"-1\" is not a CPU number" },
	{ "tun.cpus", "0x1", "\"0x1\" is not a CPU number" },
	{ "tun.cpus", "1024", "CPU 1024 is out of range 0..1023" },
	{ "tun.cpus", "0,99999999999999999999999", "out of range 0..1023" },
	{ "tun.cpus", "0,1,0", "CPU 0 is listed twice" },
	{ "tun.cpus", "3, 03", "CPU 3 is listed twice" },
	{ "kernel.inner-pool", "100.64.0.0/11", "12..30" },
	{ "kernel.inner-pool", "100.64.0.0/31", "12..30" },
	{ "kernel.inner-pool", "100.64.0.0/33", "prefix length" },
	{ "kernel.inner-pool", "100.64.0.1/16", "bits set past the prefix length (did you mean \"100.64.0.0/16\"?)" },
	{ "kernel.inner-pool", "100.64.128.0/16", "bits set past the prefix length (did you mean \"100.64.0.0/16\"?)" },
	{ "kernel.inner-pool", "100.64.0.1/30", "bits set past the prefix length" },
	{ "kernel.inner-pool", "100.64.0.0", "ADDRESS/LENGTH" },
	{ "kernel.inner-pool", "100.64/16", "not an IPv4 address" },
	{ "kernel.inner-pool", "2001:db8::/16", "not an IPv4 address" },
	{ "kernel.inner-pool", "224.0.0.0/16", "multicast" },
	{ "kernel.inner-pool", "127.0.0.0/16", "loopback" },
	{ "kernel.inner-pool", "0.0.0.0/16", "0.0.0.0/8" },
	{ "kernel.uplink", "", "must not be empty" },
	{ "kernel.uplink", "0123456789abcdef", "longer than 15 characters" },
	{ "kernel.uplink", "eth 0", "whitespace" },
	{ "kernel.uplink", "../x", "'/' is not allowed" },
	{ "kernel.uplink", "nat64", "must differ from tun.name" },
	{ "kernel.idle-timeout", "0", "out of range 1..86400" },
	{ "kernel.idle-timeout", "86401", "out of range 1..86400" },
	{ "kernel.idle-timeout", "5m", "not a decimal integer" },
};

/* Builds the slot config with `value` at `key`; returns that key's line. */
static int build_conf(char *buf, size_t n, const char *key, const char *value)
{
	size_t i, used = 0;
	int line = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		int is_key = slots[i].key && !strcmp(slots[i].key, key);
		int w;

		if (is_key)
			line = (int)i + 1;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		w = snprintf(buf + used, n - used, slots[i].fmt,
			     is_key ? value : slots[i].good);
#pragma GCC diagnostic pop
		assert_true(w >= 0 && (size_t)w + 1 < n - used);
		used += (size_t)w;
		buf[used++] = '\n';
		buf[used] = '\0';
	}
	return line;
}

static void test_slot_config_is_valid(void **state)
{
	char text[1024];
	struct config *c;

	(void)state;
	assert_int_equal(build_conf(text, sizeof(text), "tun.mtu", "1500"), 15);
	c = load_text(text);
	if (!c)
		fail_msg("%s", err);
	config_free(c);
}

static void test_bad_values(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];
		char text[1024], want[256], shown[64];
		int line = build_conf(text, sizeof(text), b->key, b->value);
		struct config *c;

		assert_true(line > 0);
		c = load_text(text);
		if (c)
			fail_msg("%s = \"%s\" was accepted", b->key, b->value);
		/* FILE:LINE: KEY: "VALUE": why -- and nothing else */
		snprintf(shown, sizeof(shown), "%s", b->value);
		for (char *p = shown; *p; p++)
			*p = (char)(*p < ' ' ? '?' : *p);
		snprintf(want, sizeof(want), "%s:%d: %s: \"%s\": ", tmp_path, line,
			 b->key, shown);
		if (!strstr(err, want))
			fail_msg("case %zu: message lacks [%s]; got:\n%s", i, want, err);
		assert_err_has(b->why);
		if (count_lines(err) != 1)
			fail_msg("case %zu: expected one line; got:\n%s", i, err);
	}
}

/* A value shown in a message has its control characters replaced. */
static void test_value_sanitized(void **state)
{
	(void)state;
	assert_null(load_text("gateway-v4 = \"1\\n2\"\n"
			      "kernel { inner-pool = \"100.64.0.0/16\"\n uplink = \"eth0\" }\n"));
	assert_err_has(": gateway-v4: \"1?2\": ");
	assert_null(strchr(err, '\n'));
}

/* All bad values of one file come back at once, each with its own line. */
static void test_all_errors_reported(void **state)
{
	(void)state;
	assert_null(load_text("prefix = \"64:ff9b::/65\"\n"
			      "gateway-v4 = \"0.0.0.0\"\n"
			      "clients = {\n  \"::/0\",\n  \"2001:db8::1/64\"\n}\n"
			      "tun {\n  mtu = 1\n}\n"
			      "kernel { inner-pool = \"100.64.0.0/16\"\n uplink = \"eth0\" }\n"));
	assert_int_equal(count_lines(err), 4);
	{
		char want[128];

		snprintf(want, sizeof(want), "%s:1: prefix: ", tmp_path);
		assert_err_has(want);
		snprintf(want, sizeof(want), "%s:2: gateway-v4: ", tmp_path);
		assert_err_has(want);
		snprintf(want, sizeof(want), "%s:5: clients: \"2001:db8::1/64\"", tmp_path);
		assert_err_has(want);
		snprintf(want, sizeof(want), "%s:8: tun.mtu: \"1\"", tmp_path);
		assert_err_has(want);
	}
}

/* Comments anywhere, lines counted right after them (libconfuse 3.3 alone
 * gets both wrong). */
static void test_comments(void **state)
{
	struct config *c;
	char want[128];

	(void)state;
	c = load_text("# top\n// also\n/* block\n   comment */\n"
		      "gateway-v4 = \"192.0.2.1\" # trailing\n"
		      "clients = {\n  \"2001:db8::/32\", # office\n"
		      "  // lab\n  \"2001:db9::/32\" /* more */\n}\n"
		      "kernel { inner-pool = \"100.64.0.0/16\"\n"
		      "  uplink = 'e#0' # quoted '#' is not a comment\n}\n" GW6);
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(c->n_clients, 2);
	assert_in6(&c->clients[1].addr, "2001:db9::");
	assert_string_equal(c->kernel.uplink, "e#0");
	config_free(c);

	assert_null(load_text("# one\n# two\n/* three\n four */\n// five\nbogus = 1\n"));
	snprintf(want, sizeof(want), "%s:6: bogus: unknown key", tmp_path);
	assert_err_has(want);

	assert_null(load_text("tun {\n  # c\n  mtu = 1 # c\n}\n"));
	snprintf(want, sizeof(want), "%s:3: tun.mtu: \"1\"", tmp_path);
	assert_err_has(want);

	assert_null(load_text("gateway-v4 = \"/*\"\n/* open\nbogus = 1\n"));
	snprintf(want, sizeof(want), "%s:2: comment opened with /* is never closed", tmp_path);
	assert_err_has(want);
}

/* ---- missing keys ---- */

static void test_missing_required(void **state)
{
	char want[128];

	(void)state;
	assert_null(load_text("kernel { inner-pool = \"100.64.0.0/16\"\n uplink = \"eth0\" }\n"));
	snprintf(want, sizeof(want), "%s: gateway-v4: missing", tmp_path);
	assert_err_has(want);
	assert_int_equal(count_lines(err), 1);

	assert_null(load_text("gateway-v4 = \"192.0.2.1\"\nkernel { uplink = \"eth0\" }\n" GW6));
	snprintf(want, sizeof(want), "%s: kernel.inner-pool: missing", tmp_path);
	assert_err_has(want);
	assert_int_equal(count_lines(err), 1);

	assert_null(load_text("gateway-v4 = \"192.0.2.1\"\nkernel { inner-pool = \"100.64.0.0/16\" }\n" GW6));
	snprintf(want, sizeof(want), "%s: kernel.uplink: missing", tmp_path);
	assert_err_has(want);
	assert_int_equal(count_lines(err), 1);

	assert_null(load_text("gateway-v4 = \"192.0.2.1\"\n" GW6));
	assert_err_has("kernel.inner-pool: missing");
	assert_err_has("kernel.uplink: missing");
	assert_int_equal(count_lines(err), 2);

	assert_null(load_text(""));
	assert_int_equal(count_lines(err), 3);
}

static void test_clients_empty(void **state)
{
	char want[128];

	(void)state;
	assert_null(load_text("gateway-v4 = \"192.0.2.1\"\nclients = {}\n"
			      "kernel { inner-pool = \"100.64.0.0/16\"\n uplink = \"eth0\" }\n" GW6));
	assert_int_equal(count_lines(err), 1);
	snprintf(want, sizeof(want), "%s: clients: the list is empty", tmp_path);
	assert_err_has(want);
}

static void test_napt_daemon_rejected(void **state)
{
	char want[128];

	(void)state;
	assert_null(load_text("napt = daemon\ngateway-v4 = \"192.0.2.1\"\n"
			      "kernel { inner-pool = \"100.64.0.0/16\"\n uplink = \"eth0\" }\n" GW6));
	snprintf(want, sizeof(want), "%s:1: napt: \"daemon\": ", tmp_path);
	assert_err_has(want);
	assert_err_has("not supported yet");
	assert_int_equal(count_lines(err), 1);
}

/* ---- what libconfuse reports ---- */

static void test_unknown_keys(void **state)
{
	char want[128];

	(void)state;
	assert_null(load_text("gateway-v4 = \"192.0.2.1\"\n\nbogus = 1\n"));
	snprintf(want, sizeof(want), "%s:3: bogus: unknown key", tmp_path);
	assert_err_has(want);

	assert_null(load_text("tun {\n  name = \"x\"\n  queue = 2\n}\n"));
	snprintf(want, sizeof(want), "%s:3: tun.queue: unknown key", tmp_path);
	assert_err_has(want);

	assert_null(load_text("tunnel {\n}\n"));
	snprintf(want, sizeof(want), "%s:1: tunnel: unknown key", tmp_path);
	assert_err_has(want);
}

static void test_syntax_errors(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *why;
	} cases[] = {
		{ "gateway-v4 \"192.0.2.1\"\n", 1, "missing equal sign after option 'gateway-v4'" },
		{ "\n\ntun = 3\n", 3, "missing opening brace for section 'tun'" },
		{ "clients = {\"::/0\",\n", 1, "'{' is never closed" },
		{ "gateway-v4 =\n", 2, "premature end of file" },
		{ "prefix = {\"64:ff9b::/96\"}\n", 1, "unexpected token" },
		{ "gateway-v4 = \"192.0.2.1\"\n}\n", 2, "unexpected closing brace" },
		{ "tun {\n  mtu = 1500 =\n}\n", 2, "tun: " },
		{ "napt += \"kernel\"\n", 1, "attempt to append to non-list option 'napt'" },
		{ "gateway-v4 = \"{\"\nkernel {\n  uplink = \"eth0\"\n", 2, "'{' is never closed" },
		{ "tun {\n}\nkernel { uplink = \"}\" \n", 3, "'{' is never closed" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[128];

		assert_null(load_text(cases[i].text));
		snprintf(want, sizeof(want), "%s:%d: ", tmp_path, cases[i].line);
		if (strncmp(err, want, strlen(want)))
			fail_msg("case %zu: want [%s...]; got:\n%s", i, want, err);
		assert_err_has(cases[i].why);
	}
}

/* libconfuse must not write to stderr itself. */
static void test_library_quiet(void **state)
{
	char path[] = "/tmp/nat64-test-stderr-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	struct stat st;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	assert_true(dup2(fd, 2) == 2);
	assert_null(load_text("bogus = 1\ntun = 3\n"));
	assert_null(load_text("tun {\n  mtu = 1500 =\n}\n"));
	assert_null(load_text("prefix = \"x\n"));
	fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	unlink(path);
	assert_int_equal(st.st_size, 0);
}

static void test_missing_file(void **state)
{
	const char *path = "/nonexistent/nat64.conf";
	char want[256];

	(void)state;
	assert_null(config_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: ", path);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);
	assert_err_has(strerror(ENOENT));

	assert_null(config_load("config", err, sizeof(err)));
	assert_err_has("config: ");
	assert_err_has(strerror(EISDIR));
}

/* err may be NULL or small: still NULL, no overflow, NUL-terminated. */
static void test_err_buffer(void **state)
{
	char small[8];

	(void)state;
	assert_null(config_load("/nonexistent/nat64.conf", NULL, 0));
	memset(small, 'x', sizeof(small));
	assert_null(config_load("/nonexistent/nat64.conf", small, sizeof(small)));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	config_free(NULL);
}

/* ---- round trip ---- */

static void assert_config_equal(const struct config *a, const struct config *b)
{
	size_t i;

	assert_memory_equal(&a->prefix.addr, &b->prefix.addr, sizeof(a->prefix.addr));
	assert_int_equal(a->prefix.len, b->prefix.len);
	assert_int_equal(a->napt, b->napt);
	assert_int_equal(a->gateway_v4.s_addr, b->gateway_v4.s_addr);
	/* gateway_v6_set is left out: the printer writes the effective value */
	assert_memory_equal(&a->gateway_v6, &b->gateway_v6, sizeof(a->gateway_v6));
	assert_int_equal(a->n_clients, b->n_clients);
	for (i = 0; i < a->n_clients; i++) {
		assert_memory_equal(&a->clients[i].addr, &b->clients[i].addr,
				    sizeof(a->clients[i].addr));
		assert_int_equal(a->clients[i].len, b->clients[i].len);
	}
	assert_int_equal(a->n_deny_v4, b->n_deny_v4);
	for (i = 0; i < a->n_deny_v4; i++) {
		assert_int_equal(a->deny_v4[i].addr.s_addr, b->deny_v4[i].addr.s_addr);
		assert_int_equal(a->deny_v4[i].len, b->deny_v4[i].len);
	}
	assert_int_equal(a->lowest_ipv6_mtu, b->lowest_ipv6_mtu);
	assert_int_equal(a->icmp_errors.rate, b->icmp_errors.rate);
	assert_int_equal(a->icmp_errors.burst, b->icmp_errors.burst);
	assert_string_equal(a->tun.name, b->tun.name);
	assert_int_equal(a->tun.queues, b->tun.queues);
	assert_int_equal(a->tun.mtu, b->tun.mtu);
	assert_int_equal(a->tun.txqueuelen, b->tun.txqueuelen);
	assert_int_equal(a->tun.batch, b->tun.batch);
	assert_int_equal(a->tun.offload, b->tun.offload);
	assert_int_equal(a->tun.pin, b->tun.pin);
	assert_int_equal(a->tun.cpus_auto, b->tun.cpus_auto);
	assert_int_equal(a->tun.n_cpus, b->tun.n_cpus);
	for (i = 0; i < a->tun.n_cpus; i++)
		assert_int_equal(a->tun.cpus[i], b->tun.cpus[i]);
	assert_int_equal(a->kernel.pool.s_addr, b->kernel.pool.s_addr);
	assert_int_equal(a->kernel.pool_len, b->kernel.pool_len);
	assert_string_equal(a->kernel.uplink, b->kernel.uplink);
	assert_int_equal(a->kernel.idle_timeout, b->kernel.idle_timeout);
}

static void round_trip(const struct config *a)
{
	char *out = print_str(a);
	struct config *b;

	b = load_text(out);
	if (!b)
		fail_msg("printed config does not load:\n%s\n--\n%s", out, err);
	assert_config_equal(a, b);
	free(out);
	config_free(b);
}

static void test_round_trip(void **state)
{
	const char *files[] = { EXAMPLE, FULL, MINIMAL };
	struct config *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		c = config_load(files[i], err, sizeof(err));
		assert_non_null(c);
		round_trip(c);
		config_free(c);
	}
	/* names that need escaping in a quoted string */
	c = load_text("gateway-v4 = \"192.0.2.1\"\ntun { name = 'a\"b$c\\\\' }\n"
		      "kernel { inner-pool = \"100.64.0.0/16\"\n uplink = '${X}' }\n" GW6);
	if (!c)
		fail_msg("%s", err);
	assert_string_equal(c->tun.name, "a\"b$c\\");
	assert_string_equal(c->kernel.uplink, "${X}");
	round_trip(c);
	config_free(c);

	/* gateway-v6 by default, cpus "none", rate 0, one deny entry */
	c = load_text("prefix = 2001:db8:6400::/40\ngateway-v4 = 100.64.0.1\n"
		      "deny-v4 = {192.168.0.0/16}\nicmp-errors { rate = 0 }\n"
		      "tun { cpus = none\n offload = no }\n"
		      "kernel { inner-pool = 100.64.0.0/24\n uplink = eth0 }\n");
	if (!c)
		fail_msg("%s", err);
	round_trip(c);
	config_free(c);
}

/* What the printer writes for the new keys, beyond loading back. */
static void test_print_forms(void **state)
{
	struct config *c;
	char *out;

	(void)state;
	c = config_load(MINIMAL, err, sizeof(err));
	assert_non_null(c);
	out = print_str(c);
	assert_non_null(strstr(out, "\ngateway-v6      = \"2001:db8:ffff::1\"\n"));
	assert_non_null(strstr(out, "\ndeny-v4         = {}\n"));
	assert_non_null(strstr(out, "\nlowest-ipv6-mtu = 1280\n"));
	assert_non_null(strstr(out, "\nicmp-errors {\n  rate  = 100\n  burst = 50\n}\n"));
	assert_non_null(strstr(out, "\n  txqueuelen = 1000\n"));
	assert_non_null(strstr(out, "\n  offload    = \"on\"\n"));
	assert_non_null(strstr(out, "\n  cpus       = \"auto\"\t# here: "));
	free(out);
	config_free(c);

	c = config_load(FULL, err, sizeof(err));
	assert_non_null(c);
	out = print_str(c);
	assert_non_null(strstr(out, "\ndeny-v4         = {\"10.0.0.0/8\",\n"
				    "                   \"192.168.1.0/24\",\n"
				    "                   \"198.51.100.99/32\"}\n"));
	assert_non_null(strstr(out, "\n  offload    = \"off\"\n"));
	assert_non_null(strstr(out, "\n  cpus       = \"2,0,5\"\n}\n"));
	free(out);
	config_free(c);

	c = load_text("prefix = 2001:db8:64::/96\ngateway-v4 = 100.64.0.1\n"
		      "icmp-errors { rate = 0 }\ntun { cpus = none }\n"
		      "kernel { inner-pool = 100.64.0.0/24\n uplink = eth0 }\n");
	assert_non_null(c);
	out = print_str(c);
	assert_non_null(strstr(out, "\ngateway-v6      = \"2001:db8:64::6440:1\"\t"
				    "# not in the file: prefix||gateway-v4\n"));
	assert_non_null(strstr(out, "  rate  = 0\t# none originated\n"));
	assert_non_null(strstr(out, "\n  cpus       = \"none\"\n}\n"));
	free(out);
	config_free(c);
}

/* ---- config_client_allowed ---- */

static int allowed(const struct config *c, const char *addr)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, addr, &a), 1);
	return config_client_allowed(c, &a);
}

static void test_client_allowed(void **state)
{
	struct config *c;

	(void)state;
	c = config_load(FULL, err, sizeof(err));	/* two /56 and a /128 */
	assert_non_null(c);
	assert_true(allowed(c, "2001:db8:100::1"));
	assert_true(allowed(c, "2001:db8:100:ff:ffff:ffff:ffff:ffff"));
	assert_false(allowed(c, "2001:db8:100:100::1"));
	assert_true(allowed(c, "2001:db8:200:1::1"));
	assert_false(allowed(c, "2001:db8:1ff:ffff::1"));
	assert_true(allowed(c, "2001:db8:300::5"));
	assert_false(allowed(c, "2001:db8:300::4"));
	assert_false(allowed(c, "2001:db8:300::6"));
	assert_false(allowed(c, "::"));
	assert_false(allowed(c, "fe80::1"));
	config_free(c);

	c = load_text("gateway-v4 = \"192.0.2.1\"\nclients = {\"2001:db8:8000::/33\"}\n"
		      "kernel { inner-pool = \"100.64.0.0/16\"\n uplink = \"eth0\" }\n" GW6);
	assert_non_null(c);
	assert_true(allowed(c, "2001:db8:8000::1"));
	assert_true(allowed(c, "2001:db8:ffff:ffff::1"));
	assert_false(allowed(c, "2001:db8:7fff:ffff::1"));
	assert_false(allowed(c, "2001:db9::"));
	config_free(c);

	c = config_load(MINIMAL, err, sizeof(err));	/* ::/0 */
	assert_non_null(c);
	assert_true(allowed(c, "::"));
	assert_true(allowed(c, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_explicit_values),
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_edges_accepted),
		cmocka_unit_test(test_offload_spellings),
		cmocka_unit_test(test_prefix_lengths),
		cmocka_unit_test(test_gateway_v6_default),
		cmocka_unit_test(test_gateway_v6_required),
		cmocka_unit_test(test_gateway_v6_in_prefix),
		cmocka_unit_test(test_gateway_inside_pool),
		cmocka_unit_test(test_queues_zero_resolved),
		cmocka_unit_test(test_repeat_and_append),
		cmocka_unit_test(test_slot_config_is_valid),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_value_sanitized),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_clients_empty),
		cmocka_unit_test(test_napt_daemon_rejected),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_library_quiet),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_print_forms),
		cmocka_unit_test(test_client_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
