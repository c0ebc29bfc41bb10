/* virtio-net header handling: each GSO type and checksum state, both ways. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <netinet/in.h>

#include "io/vnet.h"
#include "xlat/csum.h"

/* An IPv4 or IPv6 packet with a TCP or UDP header and `payload` bytes. */
struct pkt {
	uint8_t b[256];
	size_t len, l4;
};

static void build(struct pkt *p, int family, int proto, size_t payload)
{
	memset(p, 0, sizeof(*p));
	p->l4 = family == 4 ? 20 : 40;
	if (family == 4) {
		p->b[0] = 0x45;
		p->b[9] = (uint8_t)proto;
		memcpy(p->b + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	} else {
		p->b[0] = 0x60;
		p->b[6] = (uint8_t)proto;
		p->b[23] = 1;
		p->b[39] = 2;
	}
	p->len = p->l4 + (proto == IPPROTO_TCP ? 20 : 8) + payload;
	if (proto == IPPROTO_TCP)
		p->b[p->l4 + 12] = 5 << 4;
	for (size_t i = p->l4 + 20; i < p->len; i++)
		p->b[i] = (uint8_t)(i * 7);
}

/* The checksum a finished packet must carry: pseudo-header + L4, folded. */
static uint16_t full_csum(const struct pkt *p, int proto, size_t field)
{
	uint8_t copy[256];
	uint32_t sum;
	uint8_t ph[4] = { 0, (uint8_t)proto, 0, 0 };
	size_t l4len = p->len - p->l4;

	memcpy(copy, p->b, p->len);
	memset(copy + field, 0, 2);
	ph[2] = (uint8_t)(l4len >> 8);
	ph[3] = (uint8_t)l4len;
	sum = p->b[0] >> 4 == 4 ? csum_partial(copy + 12, 8, 0) : csum_partial(copy + 8, 32, 0);
	sum = csum_partial(ph, 4, sum);
	return csum_fold(csum_partial(copy + p->l4, l4len, sum));
}

/* What a sender leaves in the field with NEEDS_CSUM: the pseudo-header sum,
 * not complemented. */
static void set_partial(struct pkt *p, int proto, size_t field)
{
	uint8_t ph[4] = { 0, (uint8_t)proto, 0, 0 };
	size_t l4len = p->len - p->l4;
	uint32_t sum;
	uint16_t v;

	ph[2] = (uint8_t)(l4len >> 8);
	ph[3] = (uint8_t)l4len;
	sum = p->b[0] >> 4 == 4 ? csum_partial(p->b + 12, 8, 0) : csum_partial(p->b + 8, 32, 0);
	v = (uint16_t)~csum_fold(csum_partial(ph, 4, sum));
	memcpy(p->b + field, &v, 2);
}

static void test_plain_packet_untouched(void **state)
{
	struct virtio_net_hdr h = { 0 };
	struct pkt p, orig;
	uint16_t gso = 99;

	(void)state;
	build(&p, 6, IPPROTO_TCP, 30);
	orig = p;
	assert_int_equal(vnet_rx(&h, p.b, p.len, &gso), VNET_OK);
	assert_int_equal(gso, 0);
	assert_memory_equal(p.b, orig.b, p.len);
}

static void test_needs_csum_finished_tcp(void **state)
{
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM };
	struct pkt p;
	uint16_t gso, got;

	(void)state;
	build(&p, 4, IPPROTO_TCP, 33);
	h.csum_start = (uint16_t)p.l4;
	h.csum_offset = 16;
	set_partial(&p, IPPROTO_TCP, p.l4 + 16);
	assert_int_equal(vnet_rx(&h, p.b, p.len, &gso), VNET_OK);
	assert_int_equal(gso, 0);
	memcpy(&got, p.b + p.l4 + 16, 2);
	assert_int_equal(got, full_csum(&p, IPPROTO_TCP, p.l4 + 16));
	assert_false(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_true(h.flags & VIRTIO_NET_HDR_F_DATA_VALID);
}

static void test_needs_csum_finished_udp6(void **state)
{
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM };
	struct pkt p;
	uint16_t gso, got;

	(void)state;
	build(&p, 6, IPPROTO_UDP, 17);
	h.csum_start = (uint16_t)p.l4;
	h.csum_offset = 6;
	set_partial(&p, IPPROTO_UDP, p.l4 + 6);
	assert_int_equal(vnet_rx(&h, p.b, p.len, &gso), VNET_OK);
	memcpy(&got, p.b + p.l4 + 6, 2);
	assert_int_equal(got, full_csum(&p, IPPROTO_UDP, p.l4 + 6));
}

static void test_udp_zero_becomes_ffff(void **state)
{
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM };
	struct pkt p;
	uint16_t gso, got, c, fix;

	(void)state;
	build(&p, 4, IPPROTO_UDP, 20);
	h.csum_start = (uint16_t)p.l4;
	h.csum_offset = 6;
	/* Pick two payload bytes so the finished checksum computes to zero. */
	memset(p.b + p.len - 2, 0, 2);
	c = full_csum(&p, IPPROTO_UDP, p.l4 + 6);
	fix = c;	/* adding the complement of the sum gives 0xffff: checksum 0 */
	memcpy(p.b + p.len - 2, &fix, 2);
	assert_int_equal(full_csum(&p, IPPROTO_UDP, p.l4 + 6), 0);
	set_partial(&p, IPPROTO_UDP, p.l4 + 6);
	assert_int_equal(vnet_rx(&h, p.b, p.len, &gso), VNET_OK);
	memcpy(&got, p.b + p.l4 + 6, 2);
	assert_int_equal(got, 0xffff);
}

static void test_csum_fields_outside_packet(void **state)
{
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM };
	struct pkt p;
	uint16_t gso;

	(void)state;
	build(&p, 4, IPPROTO_TCP, 0);
	h.csum_start = (uint16_t)(p.len - 10);
	h.csum_offset = 16;
	assert_int_equal(vnet_rx(&h, p.b, p.len, &gso), VNET_BAD_CSUM_FIELDS);
	h.csum_start = 0xffff;
	h.csum_offset = 0xffff;
	assert_int_equal(vnet_rx(&h, p.b, p.len, &gso), VNET_BAD_CSUM_FIELDS);
}

static void test_gso_keeps_partial(void **state)
{
	static const uint8_t types[] = { VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_TCPV6,
					 VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN,
					 VIRTIO_NET_HDR_GSO_UDP_L4 };

	(void)state;
	for (size_t i = 0; i < sizeof(types); i++) {
		int udp = types[i] == VIRTIO_NET_HDR_GSO_UDP_L4;
		struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					    .gso_type = types[i], .gso_size = 1448,
					    .csum_offset = (uint16_t)(udp ? 6 : 16) };
		struct pkt p, orig;
		uint16_t gso;

		build(&p, (types[i] & 0x7f) == VIRTIO_NET_HDR_GSO_TCPV4 ? 4 : 6,
		      udp ? IPPROTO_UDP : IPPROTO_TCP, 100);
		h.csum_start = (uint16_t)p.l4;
		set_partial(&p, udp ? IPPROTO_UDP : IPPROTO_TCP, p.l4 + h.csum_offset);
		orig = p;
		assert_int_equal(vnet_rx(&h, p.b, p.len, &gso), VNET_OK);
		assert_int_equal(gso, 1448);
		assert_memory_equal(p.b, orig.b, p.len);	/* still partial */
		assert_true(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
	}
}

static void test_gso_refused(void **state)
{
	struct pkt p;
	uint16_t gso;
	struct virtio_net_hdr no_csum = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1000 };
	struct virtio_net_hdr ufo = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 20,
				      .csum_offset = 6, .gso_type = VIRTIO_NET_HDR_GSO_UDP,
				      .gso_size = 1000 };
	struct virtio_net_hdr wrong_off = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 20,
					    .csum_offset = 6, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
					    .gso_size = 1000 };
	struct virtio_net_hdr zero_size = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 20,
					    .csum_offset = 16, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4 };

	(void)state;
	build(&p, 4, IPPROTO_TCP, 100);
	assert_int_equal(vnet_rx(&no_csum, p.b, p.len, &gso), VNET_BAD_GSO);
	assert_int_equal(vnet_rx(&ufo, p.b, p.len, &gso), VNET_BAD_GSO);
	assert_int_equal(vnet_rx(&wrong_off, p.b, p.len, &gso), VNET_BAD_GSO);
	assert_int_equal(vnet_rx(&zero_size, p.b, p.len, &gso), VNET_BAD_GSO);
}

static void test_tx_tcp6_to_tcp4(void **state)
{
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .gso_type = VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN,
				    .gso_size = 1428, .hdr_len = 60, .csum_start = 40,
				    .csum_offset = 16 };
	struct pkt p;

	(void)state;
	build(&p, 4, IPPROTO_TCP, 100);	/* what the translator made of it */
	assert_int_equal(vnet_tx(&h, p.b, p.len), VNET_OK);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN);
	assert_int_equal(h.gso_size, 1428);
	assert_int_equal(h.csum_start, 20);
	assert_int_equal(h.csum_offset, 16);
	assert_int_equal(h.hdr_len, 40);
}

static void test_tx_tcp4_to_tcp6(void **state)
{
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1448,
				    .hdr_len = 40, .csum_start = 20, .csum_offset = 16 };
	struct pkt p;

	(void)state;
	build(&p, 6, IPPROTO_TCP, 100);
	assert_int_equal(vnet_tx(&h, p.b, p.len), VNET_OK);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	assert_int_equal(h.gso_size, 1448);
	assert_int_equal(h.csum_start, 40);
	assert_int_equal(h.hdr_len, 60);
}

static void test_tx_udp_l4_type_kept(void **state)
{
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .gso_type = VIRTIO_NET_HDR_GSO_UDP_L4, .gso_size = 1200,
				    .hdr_len = 28, .csum_start = 20, .csum_offset = 6 };
	struct pkt p;

	(void)state;
	build(&p, 6, IPPROTO_UDP, 100);
	assert_int_equal(vnet_tx(&h, p.b, p.len), VNET_OK);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_UDP_L4);
	assert_int_equal(h.csum_start, 40);
	assert_int_equal(h.hdr_len, 48);
}

static void test_tx_plain_and_clamp(void **state)
{
	struct virtio_net_hdr plain = { 0 };
	struct virtio_net_hdr big = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				      .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 100,
				      .hdr_len = 250, .csum_start = 20, .csum_offset = 16 };
	struct virtio_net_hdr stale = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 100 };
	struct pkt p;

	(void)state;
	build(&p, 6, IPPROTO_TCP, 10);
	assert_int_equal(vnet_tx(&plain, p.b, p.len), VNET_OK);
	assert_int_equal(plain.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(vnet_tx(&big, p.b, p.len), VNET_OK);
	assert_int_equal(big.hdr_len, p.len);	/* never past the packet */
	assert_int_equal(vnet_tx(&stale, p.b, p.len), VNET_BAD_GSO);
	p.b[0] = 0x10;	/* neither family */
	big.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	assert_int_equal(vnet_tx(&big, p.b, p.len), VNET_BAD_CSUM_FIELDS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_packet_untouched),
		cmocka_unit_test(test_needs_csum_finished_tcp),
		cmocka_unit_test(test_needs_csum_finished_udp6),
		cmocka_unit_test(test_udp_zero_becomes_ffff),
		cmocka_unit_test(test_csum_fields_outside_packet),
		cmocka_unit_test(test_gso_keeps_partial),
		cmocka_unit_test(test_gso_refused),
		cmocka_unit_test(test_tx_tcp6_to_tcp4),
		cmocka_unit_test(test_tx_tcp4_to_tcp6),
		cmocka_unit_test(test_tx_udp_l4_type_kept),
		cmocka_unit_test(test_tx_plain_and_clamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
