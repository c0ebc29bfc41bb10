#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static int log_to_syslog;
static int log_max = LOG_INFO;
static const char *log_ident = "nat64";

void log_init(const char *ident, int use_syslog, int level)
{
	log_ident = ident;
	log_to_syslog = use_syslog;
	log_max = level;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int level)
{
	log_max = level;
}

int log_level(void)
{
	return log_max;
}

static const char *prio_name(int prio)
{
	switch (prio) {
	case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE: case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void log_msg(int prio, const char *fmt, ...)
{
	int saved = errno;	/* callers may log, then return -errno */
	va_list ap;

	if (prio > log_max) {
		errno = saved;
		return;
	}
	va_start(ap, fmt);
	if (log_to_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		flockfile(stderr);
		fprintf(stderr, "%s: %s: ", log_ident, prio_name(prio));
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	}
	va_end(ap);
	errno = saved;
}

uint32_t log_ratelimit_ok(struct log_ratelimit *rl, uint64_t now)
{
	uint32_t held;

	if (now >= rl->window_start + rl->interval) {
		rl->window_start = now;
		rl->printed = 0;
	}
	if (rl->printed >= rl->burst) {
		rl->suppressed++;
		return 0;
	}
	rl->printed++;
	held = rl->suppressed;
	rl->suppressed = 0;
	return held + 1;
}
