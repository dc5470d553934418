/* The file-transfer protocol of ftsend/ftrecv, version 2 (docs/protocol.md,
 * "File transfer"): fixed binary messages in network byte order.
 *
 * Every message has its encoder and its decoder here, and no program packs
 * or unpacks a protocol byte itself: the wire format lives in this module
 * only. Encoders and decoders are pure functions on buffers, so they can be
 * unit-tested and fuzzed without a socket; sl_ft_recv_header() and
 * sl_ft_recv_answer() read one whole message from a socket with them.
 *
 *   sender                          receiver
 *   HELLO                  ---->
 *                          <----    HELLO
 *   FILE header            ---->                       (or END: the session is over)
 *                          <----    CHECK offset               (0 to 2 times)
 *   DIGEST offset sha256   ---->                       (the answer to each CHECK)
 *                          <----    GO offset  |  REFUSED code message  |  IDENTICAL name
 *   content, trailer       ---->                       (after GO only)
 *                          <----    STORED name  |  FAILED code message
 *
 * Decoders trust nothing: every length is checked against the SL_FT_*_MAX
 * below before a byte of what it announces is read. */
#ifndef SOCKLAB_FT_PROTO_H
#define SOCKLAB_FT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "socklab/err.h"

#define SL_FT_MAGIC "SLFT"
#define SL_FT_VERSION 2
#define SL_FT_HELLO_LEN 8       /* magic, version, status, 2 reserved */
#define SL_FT_NAME_MAX 4096     /* bytes in a relative path */
#define SL_FT_COMPONENT_MAX 255 /* bytes in one path component */
#define SL_FT_HEADER_FIXED 23   /* type, name length, mode, size, mtime */
#define SL_FT_HEADER_MAX (SL_FT_HEADER_FIXED + SL_FT_NAME_MAX)
#define SL_FT_TRAILER_LEN 4   /* the CRC-32C of the whole file */
#define SL_FT_MESSAGE_MAX 256 /* bytes of a REFUSED/FAILED message; longer ones are cut */
/* A stored name is the offered name, or with its last component numbered
 * on a clash ("a/b.c" -> "a/b.9999.c"): at most 5 bytes longer. */
#define SL_FT_STORED_MAX (SL_FT_NAME_MAX + 5)
#define SL_FT_GO_LEN 9      /* status, offset */
#define SL_FT_CHECK_LEN 9   /* status, offset */
#define SL_FT_DIGEST_LEN 41 /* type, offset, SHA-256 */
#define SL_FT_CHECKS_MAX 2  /* CHECKs per file: the stored file, then a partial one */
#define SL_FT_DIGEST_SIZE 32
#define SL_FT_ERROR_FIXED 5 /* status, code, message length */
#define SL_FT_ERROR_MAX (SL_FT_ERROR_FIXED + SL_FT_MESSAGE_MAX)
#define SL_FT_STORED_FIXED 3                                     /* status, name length */
#define SL_FT_ANSWER_MAX (SL_FT_STORED_FIXED + SL_FT_STORED_MAX) /* the longest answer */

enum sl_ft_type { SL_FT_FILE = 1, SL_FT_END = 2, SL_FT_DIGEST = 3, SL_FT_SENDER = 4 };
/* SENDER (ftsend --as NAME): the FILE layout with mode, size and mtime 0 and
 * the sender's chosen name, before any FILE; answered like a FILE offer
 * (GO 0: accepted, REFUSED: not). */
#define SL_FT_SENDER_NAME_MAX 64

/* The receiver's two answers: to a header (offer) and to a trailer
 * (result). Their first byte, the status, means GO/REFUSED/CHECK/IDENTICAL
 * in the first and STORED/FAILED in the second. CHECK asks the sender for
 * the SHA-256 of its first OFFSET bytes (a DIGEST message) and is followed
 * by another offer answer; IDENTICAL: a file of that name, size and
 * SHA-256 is already stored, no content is sent. */
enum sl_ft_answer_kind { SL_FT_OFFER = 1, SL_FT_RESULT = 2 };
enum sl_ft_status {
    SL_FT_GO = 0,
    SL_FT_REFUSED = 1,
    SL_FT_STORED = 0,
    SL_FT_FAILED = 1,
    SL_FT_CHECK = 2,
    SL_FT_IDENTICAL = 3,
};

enum sl_ft_code {
    SL_FT_E_MALFORMED = 1, /* the stream cannot be parsed: the connection ends */
    SL_FT_E_NAME = 2,      /* the name is not a safe relative path */
    SL_FT_E_TOO_BIG = 3,   /* over --max-size */
    SL_FT_E_NO_SPACE = 4,  /* not enough free space in DIR */
    SL_FT_E_BUSY = 5,      /* the same file is arriving from another sender */
    SL_FT_E_IO = 6,        /* the receiver could not write it */
    SL_FT_E_CHECKSUM = 7,  /* the content does not match the sender's CRC-32C */
};

struct sl_ft_header {
    uint8_t type;      /* SL_FT_FILE, SL_FT_SENDER, or SL_FT_END (then nothing else is used) */
    uint32_t mode;     /* permission bits; only 0777 are ever applied */
    uint64_t size;     /* bytes of content, < 2^63 */
    int64_t mtime;     /* seconds since the epoch */
    uint16_t name_len; /* bytes of name, 1..SL_FT_NAME_MAX */
    char name[SL_FT_NAME_MAX + 1]; /* UTF-8, '/'-separated, NUL-terminated here */
};

struct sl_ft_answer {
    uint8_t status;    /* enum sl_ft_status */
    uint64_t offset;   /* GO: bytes of the file the receiver already has; CHECK: bytes to digest */
    uint16_t code;     /* REFUSED, FAILED: enum sl_ft_code (others may come) */
    uint16_t text_len; /* bytes of text */
    /* REFUSED, FAILED: the message; STORED, IDENTICAL: the name. Raw bytes from
     * the peer (sanitise before showing), NUL-terminated here. */
    char text[SL_FT_STORED_MAX + 1];
};

/* The hello's status byte. The receiver answers BUSY (and closes) when it
 * serves as many senders as it may: try again later. */
enum { SL_FT_HELLO_OK = 0, SL_FT_HELLO_BUSY = 1 };

/* The 8-byte hello, sent by the sender and echoed by the receiver. */
void sl_ft_encode_hello(uint8_t out[SL_FT_HELLO_LEN], uint8_t status);

/* Checks a hello. Returns 0, or -1 with ERR filled. *STATUS gets its status. */
int sl_ft_decode_hello(const uint8_t in[SL_FT_HELLO_LEN], uint8_t *status, char err[SL_ERRLEN]);

/* Whether IN carries our magic, whatever its version: a peer of another
 * version, to be answered with our own hello so it can say why it stops. */
bool sl_ft_hello_is_ours(const uint8_t in[SL_FT_HELLO_LEN]);

/* Writes H to OUT and returns its length: SL_FT_HEADER_FIXED + name_len
 * for a FILE (at most SL_FT_HEADER_MAX), 1 for SL_FT_END (the byte END). */
size_t sl_ft_encode_header(const struct sl_ft_header *h, uint8_t *out);

/* The decoders of variable-length messages are incremental. Each takes
 * the LEN bytes at IN and returns:
 *   -1         malformed (ERR says why);
 *   T > LEN    incomplete: read until T bytes are there and call again;
 *   T <= LEN   decoded, the message was T bytes long.
 * T never exceeds the message's SL_FT_*_MAX, and LEN 0 asks for 1 byte. */

/* A FILE header, SENDER or END. Malformed: another type, a name length of
 * 0 or over SL_FT_NAME_MAX (SL_FT_SENDER_NAME_MAX for SENDER), a size of
 * 2^63 or more, a SENDER whose mode, size or mtime is not 0. The name is
 * not checked here: see sl_ft_check_name(). */
ssize_t sl_ft_decode_header(const uint8_t *in, size_t len, struct sl_ft_header *h,
                            char err[SL_ERRLEN]);

/* The trailer after the content: the CRC-32C of the whole file. */
void sl_ft_encode_trailer(uint8_t out[SL_FT_TRAILER_LEN], uint32_t crc);
uint32_t sl_ft_decode_trailer(const uint8_t in[SL_FT_TRAILER_LEN]);

/* GO: the receiver wants the content from OFFSET on. Returns SL_FT_GO_LEN. */
size_t sl_ft_encode_go(uint8_t out[SL_FT_GO_LEN], uint64_t offset);

/* CHECK: send me the SHA-256 of your first OFFSET bytes. Returns SL_FT_CHECK_LEN. */
size_t sl_ft_encode_check(uint8_t out[SL_FT_CHECK_LEN], uint64_t offset);

/* DIGEST (sender -> receiver, after CHECK): OFFSET and the SHA-256 of the
 * sender's first OFFSET bytes. Returns SL_FT_DIGEST_LEN. */
size_t sl_ft_encode_digest(uint8_t out[SL_FT_DIGEST_LEN], uint64_t offset,
                           const uint8_t digest[SL_FT_DIGEST_SIZE]);

/* Decodes a DIGEST. Malformed (-1, ERR filled): another type. Returns 0. */
int sl_ft_decode_digest(const uint8_t in[SL_FT_DIGEST_LEN], uint64_t *offset,
                        uint8_t digest[SL_FT_DIGEST_SIZE], char err[SL_ERRLEN]);

/* REFUSED (offer) or FAILED (result), the same bytes: CODE and MSG (LEN
 * bytes, of which the first SL_FT_MESSAGE_MAX are sent). OUT has room for
 * SL_FT_ERROR_MAX. Returns the length. */
size_t sl_ft_encode_error(uint8_t *out, uint16_t code, const char *msg, size_t len);

/* STORED: the file is verified and stored as NAME (LEN bytes, 1 to
 * SL_FT_STORED_MAX). OUT has room for SL_FT_ANSWER_MAX. Returns the
 * length, or 0 when LEN is out of range (nothing is written). */
size_t sl_ft_encode_stored(uint8_t *out, const char *name, size_t len);

/* IDENTICAL (offer): already stored as NAME with the same size and
 * SHA-256; the same layout as STORED with status 3. */
size_t sl_ft_encode_identical(uint8_t *out, const char *name, size_t len);

/* An answer of KIND. Malformed: a status other than 0 and 1 (and, in an
 * offer, 2 and 3), a message over SL_FT_MESSAGE_MAX, a stored name empty
 * or over SL_FT_STORED_MAX. */
ssize_t sl_ft_decode_answer(const uint8_t *in, size_t len, enum sl_ft_answer_kind kind,
                            struct sl_ft_answer *a, char err[SL_ERRLEN]);

/* Is NAME (LEN bytes) a safe relative path to create under the receiving
 * directory? Refuses: empty, absolute, "." or ".." components, empty
 * components ("a//b", trailing "/"), NUL and control characters, invalid
 * UTF-8, components over 255 bytes, names over SL_FT_NAME_MAX. Returns 0,
 * or -1 with ERR saying why. */
int sl_ft_check_name(const char *name, size_t len, char err[SL_ERRLEN]);

/* Can Windows hold NAME (LEN bytes, a '/'-separated path that passed
 * sl_ft_check_name) as it is? Refuses, in any component: the characters
 * Windows forbids (< > : " \\ | ? * and controls; ':' would name an NTFS
 * stream), a trailing '.' or ' ' (Windows drops them: "a." becomes "a"),
 * and the device names CON, PRN, AUX, NUL, COM1-COM9, LPT1-LPT9 (also
 * COM and LPT with a superscript 1-3), CONIN$ and CONOUT$, in any case
 * and with any extension ("nul.tar.gz" is the NUL device too). Pure, so
 * it is tested on Linux; ftrecv applies it on Windows only, through
 * sl_platform_check_name. Returns 0, or -1 with ERR saying why. */
int sl_ft_check_name_windows(const char *name, size_t len, char err[SL_ERRLEN]);

/* Reading one whole message from socket FD, byte counts checked by the
 * decoder before anything they announce is read (src/lib/ft_io.c).
 * Return 1 when the message is there; 0 when the peer closed the
 * connection before its first byte (between messages: no error); -1 with
 * ERR filled otherwise: errno EBADMSG when it is malformed, else the
 * connection failed or ended inside the message. */
int sl_ft_recv_header(int fd, struct sl_ft_header *h, char err[SL_ERRLEN]);
int sl_ft_recv_answer(int fd, enum sl_ft_answer_kind kind, struct sl_ft_answer *a,
                      char err[SL_ERRLEN]);

/* The sums of the first LEN bytes of FILE, read with pread through BUF
 * (CAP bytes): the CRC-32C into *CRC and the SHA-256 into DIGEST, either
 * may be NULL. Returns 0, or -1 with errno (EIO: the file is shorter). */
int sl_ft_prefix_sums(int file, uint64_t len, uint8_t *buf, size_t cap, uint32_t *crc,
                      uint8_t digest[SL_FT_DIGEST_SIZE]);

#endif
