/* nat64 — stateful NAT64 gateway: command-line entry point. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "plumb/plumb.h"
#include "supervisor.h"

#define DEFAULT_CONFIG "/etc/nat64/nat64.conf"

enum { EXIT_USAGE = 2 };

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nat64 [-c FILE] [-v] [-s] COMMAND\n"
		"\n"
		"commands:\n"
		"  plumb     create the TUN device, routes, sysctls and the nft table (idempotent)\n"
		"  unplumb   remove exactly what plumb created (idempotent)\n"
		"  run       translate in the foreground until SIGTERM/SIGINT\n"
		"  check     validate the config and print the effective config\n"
		"  version   print the version\n"
		"\n"
		"options:\n"
		"  -c FILE   config file (default " DEFAULT_CONFIG ")\n"
		"  -v        debug log output\n"
		"  -s        log to syslog instead of stderr\n"
		"  -h        this help\n");
}

static struct config *load(const char *path)
{
	char err[2048];
	struct config *c = config_load(path, err, sizeof(err));

	if (!c)
		fprintf(stderr, "nat64: %s\n", err);
	return c;
}

static int cmd_check(const struct config *c)
{
	config_print(c, stdout);
	return EXIT_SUCCESS;
}

static int cmd_plumb(const struct config *c)
{
	return plumb_up(c) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int cmd_unplumb(const struct config *c)
{
	return plumb_down(c) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int cmd_run(const struct config *c)
{
	return supervisor_run(c) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static const struct command {
	const char *name;
	int (*fn)(const struct config *c);
} commands[] = {
	{ "check", cmd_check },
	{ "plumb", cmd_plumb },
	{ "unplumb", cmd_unplumb },
	{ "run", cmd_run },
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "syslog", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_CONFIG;
	int opt, level = LOG_INFO, use_syslog = 0, ret;
	struct config *c;

	while ((opt = getopt_long(argc, argv, "+c:vshV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'v':
			level = LOG_DEBUG;
			break;
		case 's':
			use_syslog = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			puts("nat64 " NAT64_VERSION);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[optind], "version") == 0) {
		puts("nat64 " NAT64_VERSION);
		return EXIT_SUCCESS;
	}
	log_init("nat64", use_syslog, level);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		c = load(path);
		if (!c)
			return EXIT_FAILURE;
		ret = commands[i].fn(c);
		config_free(c);
		return ret;
	}
	fprintf(stderr, "nat64: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return EXIT_USAGE;
}
