/* Lifecycle of `nat64 run`: plumbing check -> workers -> signals/timers -> stop. */
#ifndef NAT64_SUPERVISOR_H
#define NAT64_SUPERVISOR_H

struct config;

/* Runs the gateway in the foreground until SIGTERM or SIGINT.
 * Returns 0 on a clean stop, -errno when it could not start. */
int supervisor_run(const struct config *cfg);

#endif
