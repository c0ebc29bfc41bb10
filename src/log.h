/* Logging: one logger for the whole program, to stderr or syslog/journal. */
#ifndef NAT64_LOG_H
#define NAT64_LOG_H

#include <stdint.h>
#include <syslog.h>

#define LOG_FMT(a, b) __attribute__((format(printf, a, b)))

/* Levels are syslog priorities: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
void log_init(const char *ident, int use_syslog, int level);
void log_set_level(int level);
int log_level(void);
void log_msg(int prio, const char *fmt, ...) LOG_FMT(2, 3);

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * Rate limiter for messages from the data path: at most `burst` messages per
 * `interval` seconds; the ones held back are counted and reported with the
 * next message that gets through.  Not thread-safe: one per worker or per site
 * guarded by the caller's lock.
 */
struct log_ratelimit {
	uint32_t interval;
	uint32_t burst;
	uint64_t window_start;
	uint32_t printed;
	uint32_t suppressed;
};

#define LOG_RATELIMIT_INIT(iv, b) { .interval = (iv), .burst = (b) }

/* Returns the number of suppressed messages + 1 if a message may be printed
 * now (so the caller can mention what was held back), 0 if not. */
uint32_t log_ratelimit_ok(struct log_ratelimit *rl, uint64_t now);

#endif
