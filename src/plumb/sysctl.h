/* Forwarding switches under /proc/sys (of the caller's network namespace). */
#ifndef NAT64_PLUMB_SYSCTL_H
#define NAT64_PLUMB_SYSCTL_H

#define SYSCTL_IPV4_FORWARD "net/ipv4/ip_forward"
#define SYSCTL_IPV6_FORWARD "net/ipv6/conf/all/forwarding"

/* Reads the integer sysctl at `path` (relative to /proc/sys) into *value.
 * Returns 0 or -errno. */
int sysctl_get(const char *path, int *value);

/* Writes `value`.  Returns 0 or -errno. */
int sysctl_set(const char *path, int value);

/* Sets the sysctl to 1 unless it already is.  Returns 1 if it was changed
 * (from 0), 0 if it was 1 already, -errno. */
int sysctl_enable(const char *path);

#endif
