/*
 * virtio-net headers on TUN queues opened with IFF_VNET_HDR: what the kernel
 * says about checksum and segmentation offload of each packet, and how that
 * has to change when the packet changes family.
 */
#ifndef NAT64_VNET_H
#define NAT64_VNET_H

#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdint.h>

/* Newer than Debian 12's headers; the running kernel may have them. */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

#define VNET_HDR_LEN sizeof(struct virtio_net_hdr)

enum vnet_err {
	VNET_OK = 0,
	VNET_BAD_CSUM_FIELDS = -1,	/* csum_start/offset outside the packet */
	VNET_BAD_GSO = -2,		/* GSO type we do not handle, or GSO without NEEDS_CSUM */
};

/*
 * Checks the header of a packet just read.  A packet that is not segmented
 * but still needs its transport checksum gets it computed here, so the
 * translator and everything after it see a finished packet.  Segmented
 * (GSO) packets keep the partial checksum: their L4 checksum field holds the
 * uncomplemented pseudo-header sum, and *gso_size (else 0) says so.
 */
int vnet_rx(struct virtio_net_hdr *h, uint8_t *pkt, size_t len, uint16_t *gso_size);

/*
 * Rewrites the header for the translated packet `pkt` (now of the other
 * family): GSO type TCPv4 <-> TCPv6 (gso_size stays), csum_start at the new
 * transport header, hdr_len moved by the same amount.  Returns 0 or
 * VNET_BAD_GSO when the packet no longer fits the header (then drop it).
 */
int vnet_tx(struct virtio_net_hdr *h, const uint8_t *pkt, size_t len);

#endif
