/*
 * Manual driver for src/plumb (not built by default; run it only inside a
 * scratch network namespace):
 *
 *   plumb_try up|down|verify [tun [uplink [inner-pool/len [mtu]]]]
 *   plumb_try -c FILE up|down|verify
 *
 * Defaults: nat64 eth0 100.127.0.0/16 1500, prefix 64:ff9b::/96.
 * Build: see the comment at the end of this file.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "plumb/plumb.h"

static int parse_pool(const char *s, struct config *c)
{
	char buf[32], *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	c->kernel.pool_len = (uint8_t)atoi(slash + 1);
	return inet_pton(AF_INET, buf, &c->kernel.pool) == 1 ? 0 : -1;
}

static int run(const char *cmd, const struct config *c)
{
	int ret;

	if (!strcmp(cmd, "up"))
		ret = plumb_up(c);
	else if (!strcmp(cmd, "down"))
		ret = plumb_down(c);
	else if (!strcmp(cmd, "verify"))
		ret = plumb_verify(c);
	else
		return 2;
	printf("%s -> %d (%s)\n", cmd, ret, ret ? strerror(-ret) : "ok");
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct config c, *loaded;
	char err[1024];
	int ret;

	memset(&c, 0, sizeof(c));
	if (argc == 4 && !strcmp(argv[1], "-c")) {
		log_init("plumb_try", 0, LOG_DEBUG);
		loaded = config_load(argv[2], err, sizeof(err));
		if (!loaded) {
			fprintf(stderr, "%s", err);
			return 2;
		}
		ret = run(argv[3], loaded);
		config_free(loaded);
		return ret;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: %s up|down|verify [tun [uplink [pool/len [mtu]]]]\n",
			argv[0]);
		return 2;
	}
	log_init("plumb_try", 0, LOG_DEBUG);
	c.napt = NAPT_KERNEL;
	inet_pton(AF_INET6, "64:ff9b::", &c.prefix.addr);
	c.prefix.len = 96;
	snprintf(c.tun.name, sizeof(c.tun.name), "%s", argc > 2 ? argv[2] : "nat64");
	snprintf(c.kernel.uplink, sizeof(c.kernel.uplink), "%s", argc > 3 ? argv[3] : "eth0");
	if (parse_pool(argc > 4 ? argv[4] : "100.127.0.0/16", &c) < 0) {
		fprintf(stderr, "bad pool\n");
		return 2;
	}
	c.tun.mtu = argc > 5 ? (unsigned)atoi(argv[5]) : 1500;

	return run(argv[1], &c);
}

/*
 * cc -std=gnu11 -Isrc $(pkg-config --cflags libnl-route-3.0) -o build/plumb_try \
 *    tests/unit/plumb_try.c src/plumb/{plumb,link,route,nft,nft_rules,sysctl}.c \
 *    src/io/tun.c src/config.c src/xlat/addr.c src/log.c \
 *    $(pkg-config --libs libmnl libnftnl libnl-route-3.0 libconfuse)
 */
