#include "io/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define TUN_DEV "/dev/net/tun"
/* Every queue of the device is opened with the same flags. */
#define TUN_FLAGS (IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE)

int tun_exists(const char *name)
{
	char path[64 + IFNAMSIZ];

	if (if_nametoindex(name) == 0)
		return errno == ENODEV ? 0 : -errno;
	/* Only TUN/TAP devices have tun_flags in sysfs. */
	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
	if (access(path, F_OK) != 0)
		return -ENOTTY;
	return 1;
}

/* The device's flags as sysfs shows them (tun_flags, hex), 0 if unreadable. */
static unsigned tun_flags(const char *name)
{
	char path[64 + IFNAMSIZ];
	unsigned flags = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%x", &flags) != 1)
		flags = 0;
	fclose(f);
	return flags;
}

/* Opens /dev/net/tun and binds it to `name` with `flags`. */
static int tun_open(const char *name, int flags)
{
	struct ifreq ifr;
	int fd, err;

	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	fd = open(TUN_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)flags;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int tun_create(const char *name)
{
	int fd, ret = tun_exists(name);

	if (ret < 0)
		return ret;
	if (ret == 1)	/* attaching a queue would raise the carrier: only look */
		return tun_flags(name) & IFF_MULTI_QUEUE ? 0 : -EINVAL;
	fd = tun_open(name, TUN_FLAGS);
	if (fd < 0)
		return fd;
	ret = ioctl(fd, TUNSETPERSIST, 1) < 0 ? -errno : 1;
	close(fd);
	return ret;
}

int tun_destroy(const char *name)
{
	int fd, ret = tun_exists(name);

	if (ret <= 0)
		return ret == 0 ? -ENODEV : ret;
	fd = tun_open(name, TUN_FLAGS);
	if (fd < 0)
		return fd;
	ret = ioctl(fd, TUNSETPERSIST, 0) < 0 ? -errno : 0;
	close(fd);	/* the last queue closing removes a non-persistent device */
	return ret;
}

/* Newer than Debian 12's headers. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

static int set_offload(int fd, int offload, unsigned *got)
{
	unsigned long base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;

	*got = 0;
	if (!offload)
		return ioctl(fd, TUNSETOFFLOAD, 0UL) < 0 ? -errno : 0;
	if (ioctl(fd, TUNSETOFFLOAD, base | TUN_F_USO4 | TUN_F_USO6) == 0) {
		*got = TUN_OFFLOAD_CSUM | TUN_OFFLOAD_TSO | TUN_OFFLOAD_USO;
		return 0;
	}
	/* Kernels before 6.2 refuse USO: go on without it. */
	if (errno != EINVAL || ioctl(fd, TUNSETOFFLOAD, base) < 0)
		return -errno;
	*got = TUN_OFFLOAD_CSUM | TUN_OFFLOAD_TSO;
	return 0;
}

int tun_attach_queue(const char *name, int offload, unsigned *got)
{
	int fd, ret = tun_exists(name);

	if (ret <= 0)
		return ret == 0 ? -ENODEV : ret;
	fd = tun_open(name, TUN_FLAGS | (offload ? IFF_VNET_HDR : 0));
	if (fd < 0)
		return fd;
	ret = set_offload(fd, offload, got);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}
