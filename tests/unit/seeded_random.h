/* A fixed pseudo-random sequence for unit tests: a failure reproduces with
 * the same seed. (Not a test itself: the unit-test glob takes test_*.c.) */
#ifndef TESTS_SEEDED_RANDOM_H
#define TESTS_SEEDED_RANDOM_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t next_random(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

static inline void fill_random(unsigned char *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)next_random(&seed);
}

#endif
