#include "io/vnet.h"

#include <netinet/in.h>
#include <string.h>

#include "xlat/csum.h"

#define UDP_CSUM_OFFSET 6	/* offsetof(struct udphdr, check) */
#define TCP_CSUM_OFFSET 16	/* offsetof(struct tcphdr, check) */
#define IPV6_HDR_LEN 40
#define IPV6_FRAG_HDR_LEN 8

/* Finishes what a checksum-offloading device would: the sum from csum_start
 * to the end, which already includes the pseudo-header sum at the field. */
static void csum_finish(struct virtio_net_hdr *h, uint8_t *pkt, size_t len)
{
	uint8_t *field = pkt + h->csum_start + h->csum_offset;
	uint16_t c = csum_fold(csum_partial(pkt + h->csum_start, len - h->csum_start, 0));

	/* RFC 768: a computed zero is sent as all ones (zero means "none"). */
	if (c == 0 && h->csum_offset == UDP_CSUM_OFFSET)
		c = 0xffff;
	memcpy(field, &c, sizeof(c));
	h->flags &= (uint8_t)~VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->flags |= VIRTIO_NET_HDR_F_DATA_VALID;
}

int vnet_rx(struct virtio_net_hdr *h, uint8_t *pkt, size_t len, uint16_t *gso_size)
{
	uint8_t type = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	int partial = h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;

	*gso_size = 0;
	if (partial && (size_t)h->csum_start + h->csum_offset + 2 > len)
		return VNET_BAD_CSUM_FIELDS;
	if (type == VIRTIO_NET_HDR_GSO_NONE) {
		if (partial)
			csum_finish(h, pkt, len);
		return VNET_OK;
	}
	if (!partial || h->gso_size == 0)
		return VNET_BAD_GSO;
	switch (type) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (h->csum_offset != TCP_CSUM_OFFSET)
			return VNET_BAD_GSO;
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		if (h->csum_offset != UDP_CSUM_OFFSET)
			return VNET_BAD_GSO;
		break;
	default:		/* UFO (IP fragmentation offload) is not offered */
		return VNET_BAD_GSO;
	}
	*gso_size = h->gso_size;
	return VNET_OK;
}

/* Offset of the transport header of a translated packet (no options, at
 * most a Fragment header: that is all the translator writes). */
static size_t l4_offset(const uint8_t *pkt, size_t len)
{
	if (len >= 20 && pkt[0] >> 4 == 4)
		return (size_t)(pkt[0] & 0x0f) * 4;
	if (len >= IPV6_HDR_LEN && pkt[0] >> 4 == 6)
		return pkt[6] == IPPROTO_FRAGMENT ? IPV6_HDR_LEN + IPV6_FRAG_HDR_LEN : IPV6_HDR_LEN;
	return 0;
}

int vnet_tx(struct virtio_net_hdr *h, const uint8_t *pkt, size_t len)
{
	uint8_t ecn = h->gso_type & VIRTIO_NET_HDR_GSO_ECN;
	uint8_t type = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	size_t off;
	int shift;

	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return type == VIRTIO_NET_HDR_GSO_NONE ? VNET_OK : VNET_BAD_GSO;
	off = l4_offset(pkt, len);
	if (off == 0 || off + h->csum_offset + 2 > len)
		return VNET_BAD_CSUM_FIELDS;
	shift = (int)off - (int)h->csum_start;
	h->csum_start = (uint16_t)off;
	if (h->hdr_len) {
		int hl = (int)h->hdr_len + shift;

		h->hdr_len = (uint16_t)(hl < (int)off ? (int)off : hl > (int)len ? (int)len : hl);
	}
	if (type == VIRTIO_NET_HDR_GSO_TCPV4 || type == VIRTIO_NET_HDR_GSO_TCPV6)
		h->gso_type = (uint8_t)((pkt[0] >> 4 == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 :
					 VIRTIO_NET_HDR_GSO_TCPV6) | ecn);
	return VNET_OK;
}
