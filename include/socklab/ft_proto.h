/* The file-transfer protocol of ftsend/ftrecv (docs/protocol.md, "File
 * transfer"): fixed binary headers in network byte order. Encoding and
 * parsing are pure functions on buffers, so they can be unit-tested and
 * fuzzed without a socket. */
#ifndef SOCKLAB_FT_PROTO_H
#define SOCKLAB_FT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "socklab/err.h"

#define FT_MAGIC "SLFT"
#define FT_VERSION 1
#define FT_HELLO_LEN 8
#define FT_NAME_MAX 4096      /* bytes in a relative path */
#define FT_COMPONENT_MAX 255  /* bytes in one path component */
#define FT_HEADER_FIXED 23    /* type, name length, mode, size, mtime */
#define FT_HEADER_MAX (FT_HEADER_FIXED + FT_NAME_MAX)

enum ft_type { FT_FILE = 1, FT_END = 2 };

/* Receiver answers: before the data (offer) and after it (result). */
enum ft_status { FT_GO = 0, FT_REFUSED = 1, FT_STORED = 0, FT_FAILED = 1 };

enum ft_code {
    FT_E_MALFORMED = 1, /* the stream cannot be parsed: the connection ends */
    FT_E_NAME = 2,      /* the name is not a safe relative path */
    FT_E_TOO_BIG = 3,   /* over --max-size */
    FT_E_NO_SPACE = 4,  /* not enough free space in DIR */
    FT_E_BUSY = 5,      /* the same file is arriving from another sender */
    FT_E_IO = 6,        /* the receiver could not write it */
    FT_E_CHECKSUM = 7,  /* the content does not match the sender's CRC-32C */
};

struct ft_file_header {
    uint8_t type;      /* FT_FILE or FT_END (then nothing else is used) */
    uint32_t mode;     /* permission bits; only 0777 are ever applied */
    uint64_t size;     /* bytes of content, < 2^63 */
    int64_t mtime;     /* seconds since the epoch */
    uint16_t name_len; /* bytes of name, 1..FT_NAME_MAX */
    char name[FT_NAME_MAX + 1]; /* UTF-8, '/'-separated, NUL-terminated here */
};

/* The 8-byte hello, sent by the sender and echoed by the receiver. */
void ft_encode_hello(uint8_t out[FT_HELLO_LEN], uint8_t status);

/* Checks a hello. Returns 0, or -1 with ERR filled. *STATUS gets its status. */
int ft_parse_hello(const uint8_t in[FT_HELLO_LEN], uint8_t *status, char err[SL_ERRLEN]);

/* Writes H to OUT (room for FT_HEADER_MAX); returns its length. */
size_t ft_encode_file_header(const struct ft_file_header *h, uint8_t *out);

/* Parses a file header from the LEN bytes at IN. Returns:
 *   -1         malformed (ERR says why): bad type, zero or huge name length,
 *              size >= 2^63;
 *   T > LEN    incomplete: read until T bytes are there and call again;
 *   T <= LEN   parsed, H filled, the header was T bytes long.
 * The name is not checked here: see ft_check_name(). */
ssize_t ft_parse_file_header(const uint8_t *in, size_t len, struct ft_file_header *h,
                             char err[SL_ERRLEN]);

/* Is NAME (LEN bytes) a safe relative path to create under the receiving
 * directory? Refuses: empty, absolute, "." or ".." components, empty
 * components ("a//b", trailing "/"), NUL and control characters, invalid
 * UTF-8, components over 255 bytes, names over FT_NAME_MAX. Returns 0, or
 * -1 with ERR saying why. */
int ft_check_name(const char *name, size_t len, char err[SL_ERRLEN]);

/* Big-endian helpers shared by both tools. */
void ft_put_u16(uint8_t *p, uint16_t v);
void ft_put_u32(uint8_t *p, uint32_t v);
void ft_put_u64(uint8_t *p, uint64_t v);
uint16_t ft_get_u16(const uint8_t *p);
uint32_t ft_get_u32(const uint8_t *p);
uint64_t ft_get_u64(const uint8_t *p);

#endif
