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

/* Offloads a queue can take (TUNSETOFFLOAD); USO needs Linux 6.2. */
#define TUN_OFFLOAD_CSUM 0x1	/* partial checksums */
#define TUN_OFFLOAD_TSO  0x2	/* TCP segmentation, IPv4 and IPv6 */
#define TUN_OFFLOAD_USO  0x4	/* UDP segmentation, IPv4 and IPv6 */

/*
 * Attaches one queue of the existing device `name`; never creates a device.
 * With `offload`, packets carry a virtio-net header (IFF_VNET_HDR) and the
 * kernel may hand over partial checksums and TCP/UDP super-packets; *got
 * says which offloads the kernel took.  Without, offloads are switched off
 * explicitly: they outlive the reader that set them.  Returns the queue's
 * file descriptor or -errno (-ENODEV when the device is missing).
 */
int tun_attach_queue(const char *name, int offload, unsigned *got);

#endif
