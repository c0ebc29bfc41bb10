/*
 * nat64.conf(5): libconfuse schema -> immutable struct config.
 *
 * Every value is declared as a libconfuse string and converted here, so all
 * messages about values have one shape: FILE:LINE: KEY: "VALUE": what is
 * wrong.  libconfuse only knows the line while it parses, so a parse callback
 * checks each value as it is read and keeps going: one run reports every bad
 * value, each with its line.  Rules across keys and missing keys are checked
 * after the parse; the values are then converted again, into the result.
 * The values themselves are config_check.c's business, printing is
 * config_print.c's.
 */
#include "config_int.h"

#include <confuse.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DEF_PREFIX	"64:ff9b::/96"	/* RFC 6052 §2.1 well-known prefix */
#define DEF_NAPT	"kernel"
#define DEF_CLIENTS	"{\"::/0\"}"
#define DEF_LOWEST_MTU	"1280"		/* RFC 7915 §4.1: the IPv6 minimum */
#define DEF_ICMP_RATE	"100"
#define DEF_ICMP_BURST	"50"
#define DEF_TUN_NAME	"nat64"
#define DEF_TUN_QUEUES	"0"
#define DEF_TUN_MTU	"1500"
#define DEF_TUN_TXQLEN	"1000"
#define DEF_TUN_BATCH	"32"
#define DEF_TUN_OFFLOAD	"on"
#define DEF_TUN_CPUS	"auto"
#define DEF_IDLE	"300"

#define CONFIG_MAX_BYTES (1u << 20)	/* a config file is never this big */

/* What one config_load() knows while libconfuse calls back into us. */
struct load_ctx {
	const char *path;
	char *err;
	size_t errlen;
	size_t used;
	unsigned nerr;
	int line[K_COUNT];	/* line of each key's last value; 0: unknown */
	int bad[K_COUNT];	/* 1: a value of the key was reported bad */
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
			 top ? "" : ".", config_show(opt ? opt : "", vb, sizeof(vb)));
		report(x, sec ? sec->line : 0, key, "unknown key");
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	report(x, sec ? sec->line : 0, top ? NULL : name, "%s", msg);
}

/* ---- schema ---- */

/* Converts into a scratch config only to see whether the value is good. */
static void check_value(struct load_ctx *x, int line, enum key k, const char *v)
{
	struct config scratch = { .path = NULL };
	char why[256], vb[80];

	if (config_keys[k].set(&scratch, v, why, sizeof(why)) < 0) {
		report(x, line, config_keys[k].full, "\"%s\": %s", config_show(v, vb, sizeof(vb)), why);
		x->bad[k] = 1;
	}
	config_free_arrays(&scratch);
}

static int key_find(cfg_t *sec, const cfg_opt_t *opt)
{
	const char *s = cfg_name(sec);
	int k;

	if (s && !strcmp(s, "root"))
		s = NULL;
	for (k = 0; k < K_COUNT; k++)
		if ((s == NULL) == (config_keys[k].sec == NULL) &&
		    (!s || !strcmp(s, config_keys[k].sec)) && !strcmp(opt->name, config_keys[k].name))
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

static cfg_opt_t icmp_errors_opts[] = {
	CFG_STR_CB("rate", DEF_ICMP_RATE, CFGF_NONE, note_value),
	CFG_STR_CB("burst", DEF_ICMP_BURST, CFGF_NONE, note_value),
	CFG_END()
};

static cfg_opt_t tun_opts[] = {
	CFG_STR_CB("name", DEF_TUN_NAME, CFGF_NONE, note_value),
	CFG_STR_CB("queues", DEF_TUN_QUEUES, CFGF_NONE, note_value),
	CFG_STR_CB("mtu", DEF_TUN_MTU, CFGF_NONE, note_value),
	CFG_STR_CB("txqueuelen", DEF_TUN_TXQLEN, CFGF_NONE, note_value),
	CFG_STR_CB("batch", DEF_TUN_BATCH, CFGF_NONE, note_value),
	CFG_STR_CB("offload", DEF_TUN_OFFLOAD, CFGF_NONE, note_value),
	CFG_STR_CB("cpus", DEF_TUN_CPUS, CFGF_NONE, note_value),
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
	CFG_STR_CB("gateway-v6", NULL, CFGF_NODEFAULT, note_value),
	CFG_STR_LIST_CB("clients", DEF_CLIENTS, CFGF_NONE, note_value),
	CFG_STR_LIST_CB("deny-v4", NULL, CFGF_NONE, note_value),
	CFG_STR_CB("lowest-ipv6-mtu", DEF_LOWEST_MTU, CFGF_NONE, note_value),
	CFG_SEC("icmp-errors", icmp_errors_opts, CFGF_NONE),
	CFG_SEC("tun", tun_opts, CFGF_NONE),
	CFG_SEC("kernel", kernel_opts, CFGF_NONE),
	CFG_END()
};

/* ---- load ---- */

static cfg_t *key_sec(cfg_t *root, enum key k)
{
	return config_keys[k].sec ? cfg_getsec(root, config_keys[k].sec) : root;
}

static unsigned key_count(cfg_t *root, enum key k)
{
	return cfg_size(key_sec(root, k), config_keys[k].name);
}

/* Stores every value of key k; note_value() has reported bad ones already
 * and the defaults are good, so a failure here is reported only as a bug. */
static void convert_key(struct load_ctx *x, cfg_t *root, enum key k, struct config *c)
{
	cfg_t *sec = key_sec(root, k);
	unsigned i, n = cfg_size(sec, config_keys[k].name);
	char why[256];

	for (i = 0; i < n; i++) {
		const char *v = cfg_getnstr(sec, config_keys[k].name, i);

		if (v && config_keys[k].set(c, v, why, sizeof(why)) < 0 && x->nerr == 0)
			report(x, 0, config_keys[k].full, "internal error: %s", why);
	}
}

/* gateway-v6 against prefix and gateway-v4, when all three are good. */
static void check_gateway_v6(struct load_ctx *x, cfg_t *root, struct config *c)
{
	const char *v = cfg_getstr(root, config_keys[K_GATEWAY6].name);
	char why[512], vb[80];

	if (x->bad[K_PREFIX] || x->bad[K_GATEWAY] || x->bad[K_GATEWAY6] ||
	    key_count(root, K_GATEWAY) == 0)
		return;
	if (config_check_gateway_v6(c, why, sizeof(why)) == 0)
		return;
	if (c->gateway_v6_set && v)
		report(x, x->line[K_GATEWAY6], config_keys[K_GATEWAY6].full, "\"%s\": %s",
		       config_show(v, vb, sizeof(vb)), why);
	else
		report(x, 0, config_keys[K_GATEWAY6].full, "missing: %s", why);
}

/* Rules that involve more than one key, or a key's absence. */
static void check_whole(struct load_ctx *x, cfg_t *root, struct config *c)
{
	const char *napt = cfg_getstr(root, config_keys[K_NAPT].name);
	char why[256];

	if (key_count(root, K_CLIENTS) == 0)
		report(x, 0, "clients", "the list is empty; {\"::/0\"} allows every IPv6 source");
	if (key_count(root, K_GATEWAY) == 0)
		report(x, 0, "gateway-v4", "missing: set the translator's own IPv4 address");
	check_gateway_v6(x, root, c);
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
	if (x->nerr == 0 && config_resolve_host(c, why, sizeof(why)) < 0)
		report(x, 0, NULL, "%s", why);
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
	config_free_arrays(c);
	free(c);
}
