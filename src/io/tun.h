/* The TUN device: persistent multi-queue creation and per-queue attachment. */
#ifndef NAT64_TUN_H
#define NAT64_TUN_H

/* Linux allows at most this many queues on one TUN device (MAX_TAP_QUEUES). */
#define TUN_MAX_QUEUES 256

/* 1 if a TUN device called `name` exists, 0 if no such link, -errno on error
 * (-ENOTTY when a link of that name exists but is not a TUN device). */
int tun_exists(const char *name);

/* Creates the persistent multi-queue TUN device `name` (IFF_TUN, IFF_NO_PI,
 * IFF_MULTI_QUEUE).  Returns 1 if created, 0 if it already
 * existed as such a device, -errno otherwise. */
int tun_create(const char *name);

/* Clears the persistent flag so the kernel deletes the device once no queue
 * is attached.  Returns 0, or -errno (-ENODEV when there is none). */
int tun_destroy(const char *name);

/* Attaches one queue of the existing device `name`; never creates a device.
 * Returns the queue's file descriptor or -errno (-ENODEV when missing). */
int tun_attach_queue(const char *name);

#endif
