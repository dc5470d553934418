/* CRC-32C (Castagnoli), the checksum of the file-transfer protocol. */
#ifndef SOCKLAB_CRC32C_H
#define SOCKLAB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends CRC (start with 0) over LEN bytes of BUF. Uses the SSE4.2 crc32
 * instruction when the CPU has it (about 10 GB/s), else a portable
 * slicing-by-8 table (about 1.5 GB/s). */
uint32_t sl_crc32c(uint32_t crc, const void *buf, size_t len);

/* The portable version alone, for tests and machines without SSE4.2. */
uint32_t sl_crc32c_portable(uint32_t crc, const void *buf, size_t len);

#endif
