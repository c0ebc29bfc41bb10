/*
 * nat64.conf(5) out again: the effective config, defaults filled in, in the
 * syntax config_load() reads; and the lookups others make in a config.
 */
#include "config_int.h"

#include <arpa/inet.h>

static void print_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\' || *s == '$')	/* '$' starts ${ENV} */
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void print_net(FILE *out, int af, const void *addr, unsigned len)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(af, addr, buf, sizeof(buf));
	fprintf(out, "\"%s/%u\"", buf, len);
}

/* "KEY = ADDRESS" with the key padded to the top level's width. */
static void print_addr(FILE *out, const char *key, int af, const void *addr)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(af, addr, buf, sizeof(buf));
	fprintf(out, "%-15s = \"%s\"", key, buf);
}

static void print_cpu_list(FILE *out, const unsigned *cpus, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(out, "%s%u", i ? "," : "", cpus[i]);
}

static void print_top(const struct config *c, FILE *out)
{
	size_t i;

	fputs("prefix          = ", out);
	print_net(out, AF_INET6, &c->prefix.addr, c->prefix.len);
	fprintf(out, "\nnapt            = \"%s\"\n", c->napt == NAPT_KERNEL ? "kernel" : "daemon");
	print_addr(out, "gateway-v4", AF_INET, &c->gateway_v4);
	fputc('\n', out);
	print_addr(out, "gateway-v6", AF_INET6, &c->gateway_v6);
	fputs(c->gateway_v6_set ? "\n" : "\t# not in the file: prefix||gateway-v4\n", out);
	fputs("clients         = {", out);
	for (i = 0; i < c->n_clients; i++) {
		fputs(i ? ",\n                   " : "", out);
		print_net(out, AF_INET6, &c->clients[i].addr, c->clients[i].len);
	}
	fputs("}\ndeny-v4         = {", out);
	for (i = 0; i < c->n_deny_v4; i++) {
		fputs(i ? ",\n                   " : "", out);
		print_net(out, AF_INET, &c->deny_v4[i].addr, c->deny_v4[i].len);
	}
	fprintf(out, "}\nlowest-ipv6-mtu = %u\n", c->lowest_ipv6_mtu);
	fprintf(out, "\nicmp-errors {\n  rate  = %u%s\n  burst = %u\n}\n",
		c->icmp_errors.rate, c->icmp_errors.rate ? "" : "\t# none originated",
		c->icmp_errors.burst);
}

static void print_tun(const struct config *c, FILE *out)
{
	fputs("\ntun {\n  name       = ", out);
	print_quoted(out, c->tun.name);
	fprintf(out, "\n  queues     = %u", c->tun.queues);
	if (c->tun.queues_conf == 0)
		fputs("\t# 0 in the file: one per online CPU", out);
	fprintf(out, "\n  mtu        = %u\n  txqueuelen = %u\n  batch      = %u\n"
		"  offload    = \"%s\"\n",
		c->tun.mtu, c->tun.txqueuelen, c->tun.batch, c->tun.offload ? "on" : "off");
	fputs("  cpus       = \"", out);
	if (c->tun.cpus_auto || !c->tun.pin)
		fputs(c->tun.cpus_auto ? "auto\"\t# here: " : "none\"", out);
	print_cpu_list(out, c->tun.cpus, c->tun.n_cpus);
	fputs(c->tun.cpus_auto || !c->tun.pin ? "\n}\n" : "\"\n}\n", out);
}

void config_print(const struct config *c, FILE *out)
{
	char pb[256];

	fprintf(out, "# effective configuration%s%s\n", c->path ? " of " : "",
		c->path ? config_show(c->path, pb, sizeof(pb)) : "");
	print_top(c, out);
	print_tun(c, out);
	if (c->napt != NAPT_KERNEL)
		return;
	fputs("\nkernel {\n  inner-pool   = ", out);
	print_net(out, AF_INET, &c->kernel.pool, c->kernel.pool_len);
	fputs("\n  uplink       = ", out);
	print_quoted(out, c->kernel.uplink);
	fprintf(out, "\n  idle-timeout = %u\n}\n", c->kernel.idle_timeout);
}

/* ---- lookup ---- */

int config_client_allowed(const struct config *c, const struct in6_addr *src)
{
	size_t i;

	for (i = 0; i < c->n_clients; i++)
		if (addr_in6_in_net(src, &c->clients[i].addr, c->clients[i].len))
			return 1;
	return 0;
}
