/* RFC 6052 IPv4-embedded IPv6 addresses. */
#include "xlat/addr.h"

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
