/* RFC 6052 IPv4-embedded IPv6 addresses. */
#include "xlat/addr.h"

#include <arpa/inet.h>
#include <string.h>

/* RFC 6052 §2.2: bits 64-71 of the address (byte 8) are the "u" octet. */
#define U_OCTET 8

int addr_prefix_len_valid(unsigned len)
{
	/* RFC 6052 §2.2: the only allowed prefix lengths. */
	switch (len) {
	case 32: case 40: case 48: case 56: case 64: case 96:
		return 1;
	default:
		return 0;
	}
}

int addr_prefix_valid(const struct nat64_prefix *p)
{
	const uint8_t *b = p->addr.s6_addr;
	unsigned i;

	if (!addr_prefix_len_valid(p->len))
		return 0;
	/* Every valid length is a whole number of bytes. */
	for (i = p->len / 8u; i < 16; i++)
		if (b[i])
			return 0;
	/* RFC 6052 §2.2: bits 64-71 MUST be zero, also inside a /96 prefix. */
	return b[U_OCTET] == 0;
}

int addr_in6_in_net(const struct in6_addr *a, const struct in6_addr *net, unsigned len)
{
	unsigned whole = len / 8u, rest = len % 8u;

	if (len > 128)
		return 0;
	if (memcmp(a->s6_addr, net->s6_addr, whole) != 0)
		return 0;
	if (rest) {
		uint8_t mask = (uint8_t)(0xffu << (8u - rest));

		if ((a->s6_addr[whole] ^ net->s6_addr[whole]) & mask)
			return 0;
	}
	return 1;
}

/*
 * RFC 6052 §2.2: the 32 IPv4 bits follow the prefix, skipping the u-octet.
 * Returns the index of the first suffix byte.
 */
static unsigned v4_positions(unsigned len, unsigned pos[4])
{
	unsigned at = len / 8u, i;

	for (i = 0; i < 4; i++) {
		if (at == U_OCTET)
			at++;
		pos[i] = at++;
	}
	return at;
}

void addr_embed(const struct nat64_prefix *p, struct in_addr v4, struct in6_addr *out)
{
	const uint8_t *v = (const uint8_t *)&v4.s_addr;
	unsigned pos[4], i;

	memset(out, 0, sizeof(*out));
	memcpy(out->s6_addr, p->addr.s6_addr, p->len / 8u);
	v4_positions(p->len, pos);
	for (i = 0; i < 4; i++)
		out->s6_addr[pos[i]] = v[i];
}

int addr_extract(const struct nat64_prefix *p, const struct in6_addr *a, struct in_addr *v4)
{
	uint8_t *v = (uint8_t *)&v4->s_addr;
	unsigned pos[4], i, suffix;
	uint8_t out[4];

	if (!addr_prefix_len_valid(p->len) || !addr_in6_in_net(a, &p->addr, p->len))
		return -1;
	/* RFC 6052 §2.2: u-octet and suffix are zero; an address with other bits
	 * there was not built from this prefix and must not be translated. */
	if (p->len < 96 && a->s6_addr[U_OCTET] != 0)
		return -1;
	suffix = v4_positions(p->len, pos);
	for (i = suffix; i < 16; i++)
		if (a->s6_addr[i])
			return -1;
	for (i = 0; i < 4; i++)
		out[i] = a->s6_addr[pos[i]];
	memcpy(v, out, sizeof(out));
	return 0;
}

int addr_v4_in_net(struct in_addr a, struct in_addr net, unsigned len)
{
	uint32_t mask;

	if (len > 32)
		return 0;
	mask = len ? ~0u << (32 - len) : 0;
	return ((ntohl(a.s_addr) ^ ntohl(net.s_addr)) & mask) == 0;
}

int addr_prefix_is_wkp(const struct nat64_prefix *p)
{
	/* RFC 6052 §2.1: 64:ff9b::/96. */
	static const uint8_t wkp[12] = { 0x00, 0x64, 0xff, 0x9b };

	return p->len == 96 && memcmp(p->addr.s6_addr, wkp, sizeof(wkp)) == 0;
}

/* IANA IPv4 Special-Purpose Address Registry (RFC 6890 §2.2.2 and updates):
 * the entries whose "Globally Reachable" is False (or N/A: 192.88.99.0/24,
 * deprecated by RFC 7526). */
static const struct { uint32_t net; uint8_t len; } non_global4[] = {
	{ 0x00000000, 8 },   /* "this network", RFC 791 */
	{ 0x0a000000, 8 },   /* private, RFC 1918 */
	{ 0x64400000, 10 },  /* shared address space, RFC 6598 */
	{ 0x7f000000, 8 },   /* loopback, RFC 1122 */
	{ 0xa9fe0000, 16 },  /* link local, RFC 3927 */
	{ 0xac100000, 12 },  /* private, RFC 1918 */
	{ 0xc0000000, 24 },  /* IETF protocol assignments, RFC 6890 (but see below) */
	{ 0xc0000200, 24 },  /* TEST-NET-1, RFC 5737 */
	{ 0xc0586300, 24 },  /* 6to4 relay anycast, RFC 7526 */
	{ 0xc0a80000, 16 },  /* private, RFC 1918 */
	{ 0xc6120000, 15 },  /* benchmarking, RFC 2544 */
	{ 0xc6336400, 24 },  /* TEST-NET-2, RFC 5737 */
	{ 0xcb007100, 24 },  /* TEST-NET-3, RFC 5737 */
	{ 0xe0000000, 4 },   /* multicast, RFC 5771 */
	{ 0xf0000000, 4 },   /* reserved, RFC 1112; includes 255.255.255.255 (RFC 919) */
};

int addr_v4_is_global(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);
	size_t i;

	/* 192.0.0.9 (PCP anycast, RFC 7723) and 192.0.0.10 (TURN anycast,
	 * RFC 8155) are globally reachable inside 192.0.0.0/24. */
	if (h == 0xc0000009 || h == 0xc000000a)
		return 1;
	for (i = 0; i < sizeof(non_global4) / sizeof(non_global4[0]); i++) {
		uint32_t mask = ~0u << (32 - non_global4[i].len);

		if ((h & mask) == non_global4[i].net)
			return 0;
	}
	return 1;
}
