/*
 * Bounds-checked cursor over a packet, and big-endian load/store helpers.
 *
 * Readers pull bytes through a cursor that refuses to move past the end, so a
 * parser never reads out of bounds however short or hostile the packet is.
 * The raw load/store helpers are for bytes a parser has already checked
 * (a header it pulled whole, or a buffer it built itself).
 */
#ifndef NAT64_XLAT_PKT_H
#define NAT64_XLAT_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pkt_cursor {
	const uint8_t *data;
	size_t len;
	size_t off;
};

static inline void pkt_cursor_init(struct pkt_cursor *c, const void *data, size_t len)
{
	c->data = data;
	c->len = data ? len : 0;
	c->off = 0;
}

static inline size_t pkt_remaining(const struct pkt_cursor *c)
{
	return c->len - c->off;
}

/* Pointer to the next `n` bytes and advance past them; NULL (cursor unmoved)
 * if fewer than `n` bytes are left. */
static inline const uint8_t *pkt_pull(struct pkt_cursor *c, size_t n)
{
	const uint8_t *p;

	if (n > pkt_remaining(c))
		return NULL;
	p = c->data + c->off;
	c->off += n;
	return p;
}

static inline int pkt_skip(struct pkt_cursor *c, size_t n)
{
	return pkt_pull(c, n) ? 0 : -1;
}

static inline uint16_t pkt_load_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t pkt_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void pkt_store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pkt_store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Checksum fields are kept in memory order (see csum.h): copy, never swap. */
static inline uint16_t pkt_load_csum(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void pkt_store_csum(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline int pkt_get_u8(struct pkt_cursor *c, uint8_t *v)
{
	const uint8_t *p = pkt_pull(c, 1);

	if (!p)
		return -1;
	*v = p[0];
	return 0;
}

static inline int pkt_get_be16(struct pkt_cursor *c, uint16_t *v)
{
	const uint8_t *p = pkt_pull(c, 2);

	if (!p)
		return -1;
	*v = pkt_load_be16(p);
	return 0;
}

static inline int pkt_get_be32(struct pkt_cursor *c, uint32_t *v)
{
	const uint8_t *p = pkt_pull(c, 4);

	if (!p)
		return -1;
	*v = pkt_load_be32(p);
	return 0;
}

static inline int pkt_get_bytes(struct pkt_cursor *c, void *dst, size_t n)
{
	const uint8_t *p = pkt_pull(c, n);

	if (!p)
		return -1;
	memcpy(dst, p, n);
	return 0;
}

#endif
