/*
 * nat64.conf(5): libconfuse schema -> immutable struct config.
 *
 * Every value is declared as a libconfuse string and converted here, so all
 * messages about values have one shape: FILE:LINE: KEY: "VALUE": what is
 * wrong.  libconfuse only knows the line while it parses, so a parse callback
 * checks each value as it is read and keeps going: one run reports every bad
 * value, each with its line.  Rules across keys and missing keys are checked
 * after the parse; the values are then converted again, into the result.
 */
#include "config.h"

#include <arpa/inet.h>
#include <confuse.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEF_PREFIX	"64:ff9b::/96"	/* RFC 6052 §2.1 well-known prefix */
#define DEF_NAPT	"kernel"
#define DEF_CLIENTS	"{\"::/0\"}"
#define DEF_TUN_NAME	"nat64"
#define DEF_TUN_QUEUES	"0"
#define DEF_TUN_MTU	"1500"
#define DEF_IDLE	"300"

#define QUEUES_MAX	256	/* Linux MAX_TAP_QUEUES */
#define MTU_MIN		1280	/* IPv6 minimum link MTU, RFC 8200 §5 */
#define MTU_MAX		65535
#define POOL_LEN_MIN	12	/* 2^20 inner addresses: 1M clients */
#define POOL_LEN_MAX	30	/* at least two usable addresses */
#define IDLE_MAX	86400
#define CONFIG_MAX_BYTES (1u << 20)	/* a config file is never this big */

enum key {
	K_PREFIX, K_NAPT, K_GATEWAY, K_CLIENTS,
	K_TUN_NAME, K_TUN_QUEUES, K_TUN_MTU,
	K_POOL, K_UPLINK, K_IDLE,
	K_COUNT
};

typedef int (*key_setter)(struct config *c, const char *v, char *why, size_t n);

struct key_def {
	const char *sec;	/* NULL: top level */
	const char *name;
	const char *full;	/* as messages name it: "kernel.inner-pool" */
	key_setter set;
};

/* What one config_load() knows while libconfuse calls back into us. */
struct load_ctx {
	const char *path;
	char *err;
	size_t errlen;
	size_t used;
	unsigned nerr;
	int line[K_COUNT];	/* line of each key's last value; 0: unknown */
};

/*
 * libconfuse's callbacks carry no user pointer, and its scanner is global
 * anyway (config_load is not reentrant), so the callbacks find the load in
 * progress here.
 */
static struct load_ctx *load_cur;

/* ---- messages ---- */

static void err_add(struct load_ctx *x, const char *line)
{
	size_t room, len;

	x->nerr++;
	if (!x->err || x->errlen == 0)
		return;
	if (x->used > 0 && x->used + 1 < x->errlen)
		x->err[x->used++] = '\n';
	room = x->errlen - x->used;
	len = strlen(line);
	if (len >= room)
		len = room - 1;
	memcpy(x->err + x->used, line, len);
	x->used += len;
	x->err[x->used] = '\0';
}

/* One problem: "PATH:LINE: KEY: msg"; LINE left out when 0, KEY when NULL. */
__attribute__((format(printf, 4, 5)))
static void report(struct load_ctx *x, int line, const char *key, const char *fmt, ...)
{
	char msg[512], where[24] = "", full[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(where, sizeof(where), ":%d", line);
	snprintf(full, sizeof(full), "%s%s: %s%s%s", x->path, where,
		 key ? key : "", key ? ": " : "", msg);
	err_add(x, full);
}

/* A value fit for a one-line message: control bytes shown as '?', cut. */
static const char *show(const char *v, char *buf, size_t n)
{
	size_t i;

	for (i = 0; v[i] && i + 4 < n; i++)
		buf[i] = isprint((unsigned char)v[i]) ? v[i] : '?';
	if (v[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* libconfuse's own complaints (syntax, unknown keys), with file and line. */
__attribute__((format(printf, 2, 0)))
static void on_cfg_error(cfg_t *sec, const char *fmt, va_list ap)
{
	struct load_ctx *x = load_cur;
	const char *name = cfg_name(sec);
	int top = !name || strcmp(name, "root") == 0;
	char msg[512], key[128], vb[64];

	if (!x)
		return;
	if (strcmp(fmt, "no such option '%s'") == 0) {
		const char *opt = va_arg(ap, const char *);

		snprintf(key, sizeof(key), "%s%s%s", top ? "" : name,
			 top ? "" : ".", show(opt ? opt : "", vb, sizeof(vb)));
		report(x, sec ? sec->line : 0, key, "unknown key");
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	report(x, sec ? sec->line : 0, top ? NULL : name, "%s", msg);
}

/* ---- bits and numbers ---- */

/* Says what is wrong with a value, for the caller's message; returns -1. */
__attribute__((format(printf, 3, 4)))
static int fail(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Mask of the bits of byte i that lie past the first len bits. */
static uint8_t host_mask(size_t i, unsigned len)
{
	if (i < len / 8)
		return 0;
	if (i > len / 8)
		return 0xff;
	return (uint8_t)(0xffu >> (len % 8));
}

static int bits_zero_after(const uint8_t *b, size_t nbytes, unsigned len)
{
	size_t i;

	for (i = 0; i < nbytes; i++)
		if (b[i] & host_mask(i, len))
			return 0;
	return 1;
}

static void clear_bits_after(uint8_t *b, size_t nbytes, unsigned len)
{
	size_t i;

	for (i = 0; i < nbytes; i++)
		b[i] &= (uint8_t)~host_mask(i, len);
}

/* Decimal only ("010" is ten, not octal eight), within min..max. */
static int parse_uint(const char *v, unsigned long min, unsigned long max,
		      unsigned long *out, char *why, size_t n)
{
	const char *p = v;
	unsigned long val = 0;
	int neg = 0, big = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!isdigit((unsigned char)*p))
		return fail(why, n, "not a decimal integer");
	for (; isdigit((unsigned char)*p); p++) {
		if (val > (ULONG_MAX - 9) / 10)
			big = 1;
		else
			val = val * 10 + (unsigned long)(*p - '0');
	}
	if (*p)
		return fail(why, n, "not a decimal integer");
	if (big || (neg && val) || val < min || val > max)
		return fail(why, n, "out of range %lu..%lu", min, max);
	*out = val;
	return 0;
}

/* "ADDR/LEN" of family af into addr (16 or 4 bytes); no host-bit check. */
static int parse_net(int af, const char *v, void *addr, unsigned *len,
		     char *why, size_t n)
{
	const char *fam = af == AF_INET6 ? "IPv6" : "IPv4";
	unsigned maxlen = af == AF_INET6 ? 128 : 32;
	const char *slash = strchr(v, '/');
	char buf[INET6_ADDRSTRLEN];
	unsigned long l;
	size_t alen;

	if (!slash)
		return fail(why, n, "expected an %s prefix as \"ADDRESS/LENGTH\"", fam);
	alen = (size_t)(slash - v);
	if (alen >= sizeof(buf))
		return fail(why, n, "not an %s address before the '/'", fam);
	memcpy(buf, v, alen);
	buf[alen] = '\0';
	if (inet_pton(af, buf, addr) != 1)
		return fail(why, n, "not an %s address before the '/'", fam);
	if (parse_uint(slash + 1, 0, maxlen, &l, why, n) < 0)
		return fail(why, n, "prefix length must be a number 0..%u", maxlen);
	*len = (unsigned)l;
	return 0;
}

/* Fails with a hint naming the intended network when host bits are set. */
static int check_host_bits(int af, const void *addr, unsigned len, char *why, size_t n)
{
	size_t nbytes = af == AF_INET6 ? 16 : 4;
	uint8_t net[16];
	char buf[INET6_ADDRSTRLEN];

	if (bits_zero_after(addr, nbytes, len))
		return 0;
	memcpy(net, addr, nbytes);
	clear_bits_after(net, nbytes, len);
	inet_ntop(af, net, buf, sizeof(buf));
	return fail(why, n, "bits set past the prefix length (did you mean \"%s/%u\"?)", buf, len);
}

/* Why an IPv4 address cannot be the gateway's identity or an inner pool. */
static const char *v4_unusable(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	if (h >> 24 == 0)
		return "0.0.0.0/8 is \"this network\" (RFC 1122), not an address";
	if (h >> 24 == 127)
		return "127.0.0.0/8 is loopback";
	if (h >> 28 == 0xe)
		return "224.0.0.0/4 is multicast";
	if (h == 0xffffffffu)
		return "255.255.255.255 is the limited broadcast address";
	if (h >> 28 == 0xf)
		return "240.0.0.0/4 is reserved";
	return NULL;
}

/* Linux's dev_valid_name() rules, plus printable ASCII only and no '%'
 * (a name template would make the device's name unpredictable). */
static int check_ifname(const char *v, char *why, size_t n)
{
	const char *p;

	if (!*v)
		return fail(why, n, "an interface name must not be empty");
	if (strlen(v) >= IFNAMSIZ)
		return fail(why, n, "longer than %d characters", IFNAMSIZ - 1);
	if (!strcmp(v, ".") || !strcmp(v, ".."))
		return fail(why, n, "\".\" and \"..\" are not interface names");
	for (p = v; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch <= ' ' || ch >= 0x7f)
			return fail(why, n, "whitespace, control or non-ASCII characters are not allowed");
		if (ch == '/' || ch == ':' || ch == '%')
			return fail(why, n, "'%c' is not allowed in an interface name", ch);
	}
	return 0;
}

/* ---- one setter per key: convert, check, store ---- */

static int set_prefix(struct config *c, const char *v, char *why, size_t n)
{
	struct in6_addr a;
	unsigned len;

	if (parse_net(AF_INET6, v, &a, &len, why, n) < 0)
		return -1;
	if (len != 32 && len != 40 && len != 48 && len != 56 && len != 64 && len != 96)
		return fail(why, n, "RFC 6052 allows only /32, /40, /48, /56, /64 or /96");
	if (len != 96)
		return fail(why, n, "only /96 is supported for now; the other RFC 6052 lengths come later");
	if (check_host_bits(AF_INET6, &a, len, why, n) < 0)
		return -1;
	if (a.s6_addr[8])	/* RFC 6052 §2.2 */
		return fail(why, n, "bits 64-71 (the RFC 6052 u-octet) must be zero");
	c->prefix.addr = a;
	c->prefix.len = (uint8_t)len;
	return 0;
}

static int set_napt(struct config *c, const char *v, char *why, size_t n)
{
	if (!strcmp(v, "kernel")) {
		c->napt = NAPT_KERNEL;
		return 0;
	}
	if (!strcmp(v, "daemon"))
		return fail(why, n, "NAPT in the daemon (RFC 6146) is not supported yet; use \"kernel\"");
	return fail(why, n, "unknown mode; allowed: \"kernel\" or \"daemon\" (not supported yet)");
}

static int set_gateway(struct config *c, const char *v, char *why, size_t n)
{
	struct in_addr a;
	const char *bad;

	if (inet_pton(AF_INET, v, &a) != 1)
		return fail(why, n, "not an IPv4 address (expected a dotted quad such as \"192.0.2.1\")");
	if ((bad = v4_unusable(a)) != NULL)
		return fail(why, n, "not usable as the translator's address: %s", bad);
	c->gateway_v4 = a;
	return 0;
}

static int set_client(struct config *c, const char *v, char *why, size_t n)
{
	struct v6_net net, *grown;
	unsigned len;

	if (parse_net(AF_INET6, v, &net.addr, &len, why, n) < 0 ||
	    check_host_bits(AF_INET6, &net.addr, len, why, n) < 0)
		return -1;
	net.len = (uint8_t)len;
	grown = realloc(c->clients, (c->n_clients + 1) * sizeof(*grown));
	if (!grown)
		return fail(why, n, "out of memory");
	grown[c->n_clients++] = net;
	c->clients = grown;
	return 0;
}

static int set_tun_name(struct config *c, const char *v, char *why, size_t n)
{
	if (check_ifname(v, why, n) < 0)
		return -1;
	snprintf(c->tun.name, sizeof(c->tun.name), "%s", v);
	return 0;
}

static int set_tun_queues(struct config *c, const char *v, char *why, size_t n)
{
	unsigned long q;

	if (parse_uint(v, 0, QUEUES_MAX, &q, why, n) < 0)
		return -1;
	c->tun.queues_conf = (unsigned)q;
	return 0;
}

static int set_tun_mtu(struct config *c, const char *v, char *why, size_t n)
{
	unsigned long mtu;

	if (parse_uint(v, MTU_MIN, MTU_MAX, &mtu, why, n) < 0)
		return -1;
	c->tun.mtu = (unsigned)mtu;
	return 0;
}

static int set_pool(struct config *c, const char *v, char *why, size_t n)
{
	struct in_addr a;
	const char *bad;
	unsigned len;

	if (parse_net(AF_INET, v, &a, &len, why, n) < 0)
		return -1;
	if (len < POOL_LEN_MIN || len > POOL_LEN_MAX)
		return fail(why, n, "prefix length must be %d..%d (one inner address per client)",
			    POOL_LEN_MIN, POOL_LEN_MAX);
	if (check_host_bits(AF_INET, &a, len, why, n) < 0)
		return -1;
	if ((bad = v4_unusable(a)) != NULL)
		return fail(why, n, "not usable as an address pool: %s", bad);
	c->kernel.pool = a;
	c->kernel.pool_len = (uint8_t)len;
	return 0;
}

static int set_uplink(struct config *c, const char *v, char *why, size_t n)
{
	if (check_ifname(v, why, n) < 0)
		return -1;
	snprintf(c->kernel.uplink, sizeof(c->kernel.uplink), "%s", v);
	return 0;
}

static int set_idle(struct config *c, const char *v, char *why, size_t n)
{
	unsigned long t;

	if (parse_uint(v, 1, IDLE_MAX, &t, why, n) < 0)
		return -1;
	c->kernel.idle_timeout = (unsigned)t;
	return 0;
}

static const struct key_def keys[K_COUNT] = {
	[K_PREFIX]     = { NULL, "prefix", "prefix", set_prefix },
	[K_NAPT]       = { NULL, "napt", "napt", set_napt },
	[K_GATEWAY]    = { NULL, "gateway-v4", "gateway-v4", set_gateway },
	[K_CLIENTS]    = { NULL, "clients", "clients", set_client },
	[K_TUN_NAME]   = { "tun", "name", "tun.name", set_tun_name },
	[K_TUN_QUEUES] = { "tun", "queues", "tun.queues", set_tun_queues },
	[K_TUN_MTU]    = { "tun", "mtu", "tun.mtu", set_tun_mtu },
	[K_POOL]       = { "kernel", "inner-pool", "kernel.inner-pool", set_pool },
	[K_UPLINK]     = { "kernel", "uplink", "kernel.uplink", set_uplink },
	[K_IDLE]       = { "kernel", "idle-timeout", "kernel.idle-timeout", set_idle },
};

/* ---- schema ---- */

/* Converts into a scratch config only to see whether the value is good. */
static void check_value(struct load_ctx *x, int line, enum key k, const char *v)
{
	struct config scratch = { .path = NULL };
	char why[256], vb[80];

	if (keys[k].set(&scratch, v, why, sizeof(why)) < 0)
		report(x, line, keys[k].full, "\"%s\": %s", show(v, vb, sizeof(vb)), why);
	free(scratch.clients);
}

static int key_find(cfg_t *sec, const cfg_opt_t *opt)
{
	const char *s = cfg_name(sec);
	int k;

	if (s && !strcmp(s, "root"))
		s = NULL;
	for (k = 0; k < K_COUNT; k++)
		if ((s == NULL) == (keys[k].sec == NULL) &&
		    (!s || !strcmp(s, keys[k].sec)) && !strcmp(opt->name, keys[k].name))
			return k;
	return -1;
}

/*
 * Parse callback of every key, called as each value is read, so the line
 * is right: checks the value now (one run reports every bad value, even if
 * a syntax error follows) and notes the line for checks across keys.
 */
static int note_value(cfg_t *sec, cfg_opt_t *opt, const char *value, void *result)
{
	struct load_ctx *x = load_cur;
	int k = key_find(sec, opt);

	*(const char **)result = value;
	if (!x || k < 0)
		return 0;
	x->line[k] = sec->line;
	check_value(x, sec->line, (enum key)k, value);
	return 0;	/* keep parsing: more problems may follow */
}

static cfg_opt_t tun_opts[] = {
	CFG_STR_CB("name", DEF_TUN_NAME, CFGF_NONE, note_value),
	CFG_STR_CB("queues", DEF_TUN_QUEUES, CFGF_NONE, note_value),
	CFG_STR_CB("mtu", DEF_TUN_MTU, CFGF_NONE, note_value),
	CFG_END()
};

static cfg_opt_t kernel_opts[] = {
	CFG_STR_CB("inner-pool", NULL, CFGF_NODEFAULT, note_value),
	CFG_STR_CB("uplink", NULL, CFGF_NODEFAULT, note_value),
	CFG_STR_CB("idle-timeout", DEF_IDLE, CFGF_NONE, note_value),
	CFG_END()
};

static cfg_opt_t root_opts[] = {
	CFG_STR_CB("prefix", DEF_PREFIX, CFGF_NONE, note_value),
	CFG_STR_CB("napt", DEF_NAPT, CFGF_NONE, note_value),
	CFG_STR_CB("gateway-v4", NULL, CFGF_NODEFAULT, note_value),
	CFG_STR_LIST_CB("clients", DEF_CLIENTS, CFGF_NONE, note_value),
	CFG_SEC("tun", tun_opts, CFGF_NONE),
	CFG_SEC("kernel", kernel_opts, CFGF_NONE),
	CFG_END()
};

/* ---- load ---- */

static cfg_t *key_sec(cfg_t *root, enum key k)
{
	return keys[k].sec ? cfg_getsec(root, keys[k].sec) : root;
}

static unsigned key_count(cfg_t *root, enum key k)
{
	return cfg_size(key_sec(root, k), keys[k].name);
}

/* Stores every value of key k; note_value() has reported bad ones already
 * and the defaults are good, so a failure here is reported only as a bug. */
static void convert_key(struct load_ctx *x, cfg_t *root, enum key k, struct config *c)
{
	cfg_t *sec = key_sec(root, k);
	unsigned i, n = cfg_size(sec, keys[k].name);
	char why[256];

	for (i = 0; i < n; i++) {
		const char *v = cfg_getnstr(sec, keys[k].name, i);

		if (v && keys[k].set(c, v, why, sizeof(why)) < 0 && x->nerr == 0)
			report(x, 0, keys[k].full, "internal error: %s", why);
	}
}

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > QUEUES_MAX ? QUEUES_MAX : (unsigned)n;
}

/* Rules that involve more than one key, or a key's absence. */
static void check_whole(struct load_ctx *x, cfg_t *root, struct config *c)
{
	const char *napt = cfg_getstr(root, keys[K_NAPT].name);

	if (key_count(root, K_CLIENTS) == 0)
		report(x, 0, "clients", "the list is empty; {\"::/0\"} allows every IPv6 source");
	if (key_count(root, K_GATEWAY) == 0)
		report(x, 0, "gateway-v4", "missing: set the translator's own IPv4 address");
	if (napt && !strcmp(napt, "kernel")) {	/* else napt's own error says enough */
		if (key_count(root, K_POOL) == 0)
			report(x, 0, "kernel.inner-pool", "missing: required with napt = \"kernel\"; "
			       "set an IPv4 prefix not used on the host's networks");
		if (key_count(root, K_UPLINK) == 0)
			report(x, 0, "kernel.uplink", "missing: required with napt = \"kernel\"; "
			       "set the interface to masquerade out of");
		else if (x->nerr == 0 && !strcmp(c->kernel.uplink, c->tun.name))
			report(x, x->line[K_UPLINK], "kernel.uplink",
			       "\"%s\": must differ from tun.name", c->kernel.uplink);
	}
	c->tun.queues = c->tun.queues_conf ? c->tun.queues_conf : online_cpus();
}

/*
 * libconfuse 3.3 counts three lines for every comment and rejects comments
 * inside lists (its issue #150), so comments are blanked out before it sees
 * the text: same bytes otherwise, same newlines, so the lines stay right.
 * It also accepts a section left open at the end of the file; so braces are
 * counted here too.  Returns 0, or the line of what is never closed and
 * *what names it.
 */
static int blank_comments(char *s, size_t n, const char **what)
{
	enum { CODE, DQUOTE, SQUOTE, LINE, BLOCK } st = CODE;
	int line = 1, block_line = 0, brace_line = 0, depth = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char next = i + 1 < n ? s[i + 1] : '\0';

		if (s[i] == '\n')
			line++;
		switch (st) {
		case CODE:
			if (s[i] == '"' || s[i] == '\'') {
				st = s[i] == '"' ? DQUOTE : SQUOTE;
			} else if (s[i] == '{') {
				if (depth++ == 0)
					brace_line = line;
			} else if (s[i] == '}') {
				depth -= depth > 0;	/* an extra '}': libconfuse says so */
			} else if (s[i] == '#' || (s[i] == '/' && next == '/')) {
				st = LINE;
				s[i] = ' ';
			} else if (s[i] == '/' && next == '*') {
				st = BLOCK;
				block_line = line;
				s[i++] = ' ';
				s[i] = ' ';
			}
			break;
		case DQUOTE:
		case SQUOTE:
			if (s[i] == '\\' && next && next != '\n')
				i++;	/* escaped character; a newline still counts */
			else if (s[i] == (st == DQUOTE ? '"' : '\''))
				st = CODE;
			break;
		case LINE:
			if (s[i] == '\n')
				st = CODE;
			else
				s[i] = ' ';
			break;
		case BLOCK:
			if (s[i] == '*' && next == '/') {
				s[i++] = ' ';
				s[i] = ' ';
				st = CODE;
			} else if (s[i] != '\n') {
				s[i] = ' ';
			}
			break;
		}
	}
	if (st == BLOCK) {
		*what = "comment opened with /* is never closed";
		return block_line;
	}
	if (depth > 0) {
		*what = "'{' is never closed";
		return brace_line;
	}
	return 0;
}

/* The whole file, NUL-terminated, in *len bytes; NULL after a report. */
static char *read_file(struct load_ctx *x, const char *path, size_t *len)
{
	FILE *fp = fopen(path, "re");
	char *buf = NULL, *grown;
	size_t cap = 0, got;

	if (!fp) {
		report(x, 0, NULL, "cannot open: %s", strerror(errno));
		return NULL;
	}
	*len = 0;
	do {
		if (cap - *len < 4096) {
			cap = cap ? 2 * cap : 8192;
			if (cap > CONFIG_MAX_BYTES || !(grown = realloc(buf, cap + 1))) {
				report(x, 0, NULL, "cannot read: %s", cap > CONFIG_MAX_BYTES ?
				       "too large (over 1 MiB)" : strerror(ENOMEM));
				goto fail;
			}
			buf = grown;
		}
		got = fread(buf + *len, 1, cap - *len, fp);
		*len += got;
	} while (got > 0);
	if (ferror(fp)) {	/* e.g. EISDIR */
		report(x, 0, NULL, "cannot read: %s", strerror(errno));
		goto fail;
	}
	fclose(fp);
	buf[*len] = '\0';
	return buf;
fail:
	fclose(fp);
	free(buf);
	return NULL;
}

static cfg_t *parse_text(struct load_ctx *x, char *text, size_t len)
{
	cfg_t *root = cfg_init(root_opts, CFGF_NONE);
	const char *open_what = NULL;
	int open_line = blank_comments(text, len, &open_what), rc = CFG_SUCCESS;
	FILE *fp;

	if (!root) {
		report(x, 0, NULL, "out of memory");
		return NULL;
	}
	if (open_line) {
		report(x, open_line, NULL, "%s", open_what);
		cfg_free(root);
		return NULL;
	}
	cfg_set_error_function(root, on_cfg_error);
	root->filename = strdup(x->path);	/* cfg_free() frees it */
	fp = len ? fmemopen(text, len, "r") : NULL;
	if (!root->filename || (len && !fp))
		rc = CFG_PARSE_ERROR;
	else if (fp)
		rc = cfg_parse_fp(root, fp);
	if (fp)
		fclose(fp);
	if (rc != CFG_SUCCESS) {
		if (x->nerr == 0)
			report(x, 0, NULL, "cannot parse: %s", strerror(errno));
		cfg_free(root);
		return NULL;
	}
	return root;
}

struct config *config_load(const char *path, char *err, size_t errlen)
{
	struct load_ctx x = { .path = path ? path : "(null)", .err = err, .errlen = errlen };
	struct config *c = NULL;
	cfg_t *root = NULL;
	char *text;
	size_t len;
	int k;

	if (err && errlen)
		err[0] = '\0';
	if (!path || !(text = read_file(&x, path, &len)))
		return NULL;
	load_cur = &x;
	root = parse_text(&x, text, len);
	free(text);
	if (!root)
		goto out;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		report(&x, 0, NULL, "out of memory");
		goto out;
	}
	for (k = 0; k < K_COUNT; k++)
		convert_key(&x, root, (enum key)k, c);
	check_whole(&x, root, c);
out:
	if (x.nerr) {
		config_free(c);
		c = NULL;
	}
	if (root)
		cfg_free(root);
	load_cur = NULL;
	return c;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->clients);
	free(c);
}

/* ---- print ---- */

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

void config_print(const struct config *c, FILE *out)
{
	char buf[INET6_ADDRSTRLEN], pb[256];
	size_t i;

	fprintf(out, "# effective configuration%s%s\n", c->path ? " of " : "",
		c->path ? show(c->path, pb, sizeof(pb)) : "");
	fputs("prefix     = ", out);
	print_net(out, AF_INET6, &c->prefix.addr, c->prefix.len);
	fprintf(out, "\nnapt       = \"%s\"\n", c->napt == NAPT_KERNEL ? "kernel" : "daemon");
	inet_ntop(AF_INET, &c->gateway_v4, buf, sizeof(buf));
	fprintf(out, "gateway-v4 = \"%s\"\n", buf);
	fputs("clients    = {", out);
	for (i = 0; i < c->n_clients; i++) {
		fputs(i ? ",\n              " : "", out);
		print_net(out, AF_INET6, &c->clients[i].addr, c->clients[i].len);
	}
	fputs("}\n\ntun {\n  name   = ", out);
	print_quoted(out, c->tun.name);
	fprintf(out, "\n  queues = %u", c->tun.queues);
	if (c->tun.queues_conf == 0)
		fputs("\t# 0 in the file: one per online CPU", out);
	fprintf(out, "\n  mtu    = %u\n}\n", c->tun.mtu);
	if (c->napt != NAPT_KERNEL)
		return;
	fputs("\nkernel {\n  inner-pool   = ", out);
	print_net(out, AF_INET, &c->kernel.pool, c->kernel.pool_len);
	fputs("\n  uplink       = ", out);
	print_quoted(out, c->kernel.uplink);
	fprintf(out, "\n  idle-timeout = %u\n}\n", c->kernel.idle_timeout);
}

/* ---- lookup ---- */

static int in6_in_net(const struct in6_addr *a, const struct v6_net *net)
{
	unsigned full = net->len / 8u, rest = net->len % 8u;
	uint8_t m;

	if (memcmp(a->s6_addr, net->addr.s6_addr, full))
		return 0;
	if (rest == 0)
		return 1;
	m = (uint8_t)(0xffu << (8 - rest));
	return ((a->s6_addr[full] ^ net->addr.s6_addr[full]) & m) == 0;
}

int config_client_allowed(const struct config *c, const struct in6_addr *src)
{
	size_t i;

	for (i = 0; i < c->n_clients; i++)
		if (in6_in_net(src, &c->clients[i]))
			return 1;
	return 0;
}
