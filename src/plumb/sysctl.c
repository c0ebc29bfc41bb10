#include "plumb/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROC_SYS "/proc/sys/"

static int sysctl_open(const char *path, int flags)
{
	char full[256];
	int fd;

	if ((size_t)snprintf(full, sizeof(full), PROC_SYS "%s", path) >= sizeof(full))
		return -ENAMETOOLONG;
	fd = open(full, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int sysctl_get(const char *path, int *value)
{
	char buf[32], *end;
	ssize_t n;
	long v;
	int fd = sysctl_open(path, O_RDONLY);

	if (fd < 0)
		return fd;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || v < INT_MIN ||
	    v > INT_MAX)
		return -EINVAL;
	*value = (int)v;
	return 0;
}

int sysctl_set(const char *path, int value)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d\n", value);
	int fd = sysctl_open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = write(fd, buf, (size_t)len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return n == len ? 0 : -EIO;
}

int sysctl_enable(const char *path)
{
	int v, ret = sysctl_get(path, &v);

	if (ret < 0)
		return ret;
	if (v == 1)
		return 0;
	ret = sysctl_set(path, 1);
	return ret < 0 ? ret : 1;
}
