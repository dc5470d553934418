/* Big-endian (network byte order) integers in byte buffers, for every
 * binary protocol of the library (file transfer, UDP probe). Byte by byte,
 * so they work at any alignment and on any host byte order - no htonl()
 * on a cast pointer, which is undefined on an unaligned address. */
#ifndef SOCKLAB_BYTES_H
#define SOCKLAB_BYTES_H

#include <stdint.h>

static inline void sl_put_u16be(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void sl_put_u32be(uint8_t *p, uint32_t v)
{
    sl_put_u16be(p, (uint16_t)(v >> 16));
    sl_put_u16be(p + 2, (uint16_t)v);
}

static inline void sl_put_u64be(uint8_t *p, uint64_t v)
{
    sl_put_u32be(p, (uint32_t)(v >> 32));
    sl_put_u32be(p + 4, (uint32_t)v);
}

static inline uint16_t sl_get_u16be(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t sl_get_u32be(const uint8_t *p)
{
    return ((uint32_t)sl_get_u16be(p) << 16) | sl_get_u16be(p + 2);
}

static inline uint64_t sl_get_u64be(const uint8_t *p)
{
    return ((uint64_t)sl_get_u32be(p) << 32) | sl_get_u32be(p + 4);
}

#endif
