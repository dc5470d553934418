/* File-transfer protocol: every message's encoder and decoder (round
 * trips, truncated input, oversize lengths, bad kinds), the bytes of the
 * example session in docs/protocol.md, reading whole messages from a
 * socket, the name check against hostile names, and CRC-32C. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "socklab/bytes.h"
#include "socklab/crc32c.h"
#include "socklab/ft_proto.h"
#include "socklab/io.h"
#include "socklab/sha256.h"
#include "tcp_pair.h"

static void test_header_round_trip(void **state)
{
    (void)state;
    static const uint64_t sizes[] = {0, 1, 65537, (1ULL << 32) + 5, (uint64_t)INT64_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        struct sl_ft_header h = {.type = SL_FT_FILE,
                                 .mode = 0644,
                                 .size = sizes[i],
                                 .mtime = -5 + (int64_t)i * 1700000000LL};
        strcpy(h.name, "目录/文件.txt");
        h.name_len = (uint16_t)strlen(h.name);
        uint8_t buf[SL_FT_HEADER_MAX];
        size_t n = sl_ft_encode_header(&h, buf);
        assert_int_equal(n, SL_FT_HEADER_FIXED + h.name_len);

        struct sl_ft_header back;
        char err[SL_ERRLEN];
        for (size_t part = 0; part < n; part++) /* incomplete: asks for more */
            assert_true(sl_ft_decode_header(buf, part, &back, err) > (ssize_t)part);
        assert_int_equal(sl_ft_decode_header(buf, n, &back, err), (ssize_t)n);
        assert_int_equal(back.size, sizes[i]);
        assert_int_equal(back.mtime, h.mtime);
        assert_int_equal(back.mode, 0644);
        assert_string_equal(back.name, h.name);
    }
}

static void test_end_and_hello(void **state)
{
    (void)state;
    struct sl_ft_header h = {.type = SL_FT_END}, back;
    uint8_t buf[SL_FT_HEADER_MAX], hello[SL_FT_HELLO_LEN], status = 9;
    char err[SL_ERRLEN];
    assert_int_equal(sl_ft_encode_header(&h, buf), 1);
    assert_int_equal(sl_ft_decode_header(buf, 1, &back, err), 1);
    assert_int_equal(back.type, SL_FT_END);
    sl_ft_encode_hello(hello, 0);
    assert_int_equal(sl_ft_decode_hello(hello, &status, err), 0);
    assert_int_equal(status, 0);
    hello[0] = 'X';
    assert_int_equal(sl_ft_decode_hello(hello, &status, err), -1);
    assert_non_null(strstr(err, "bad magic"));
    sl_ft_encode_hello(hello, 0);
    hello[4] = 99;
    assert_int_equal(sl_ft_decode_hello(hello, &status, err), -1);
    assert_non_null(strstr(err, "version 99"));
}

static void expect_malformed(const uint8_t *buf, size_t len, const char *why)
{
    struct sl_ft_header h;
    char err[SL_ERRLEN] = "";
    assert_int_equal(sl_ft_decode_header(buf, len, &h, err), -1);
    if (strstr(err, why) == NULL)
        fail_msg("got \"%s\", want \"%s\"", err, why);
}

static void test_malformed_headers(void **state)
{
    (void)state;
    uint8_t buf[SL_FT_HEADER_MAX] = {0};
    struct sl_ft_header h = {.type = SL_FT_FILE, .size = 1, .name_len = 1, .name = "a"};
    size_t n = sl_ft_encode_header(&h, buf);

    buf[0] = 7; /* unknown type */
    expect_malformed(buf, n, "unknown type 7");
    buf[0] = SL_FT_FILE;
    sl_put_u16be(buf + 1, 0); /* empty name */
    expect_malformed(buf, n, "name length 0");
    sl_put_u16be(buf + 1, 65535); /* huge name length: refused before reading it */
    expect_malformed(buf, SL_FT_HEADER_FIXED, "name length 65535");
    sl_put_u16be(buf + 1, SL_FT_NAME_MAX + 1);
    expect_malformed(buf, SL_FT_HEADER_FIXED, "name length 4097");
    sl_put_u16be(buf + 1, 1);
    sl_put_u64be(buf + 7, UINT64_MAX); /* size overflow */
    expect_malformed(buf, n, "does not fit a file");
    sl_put_u64be(buf + 7, (uint64_t)INT64_MAX + 1);
    expect_malformed(buf, n, "does not fit a file");
    /* Short input is never malformed, only incomplete. */
    struct sl_ft_header out;
    char err[SL_ERRLEN];
    assert_int_equal(sl_ft_decode_header(buf, 0, &out, err), 1);
}

static void name_ok(const char *name)
{
    char err[SL_ERRLEN];
    if (sl_ft_check_name(name, strlen(name), err) != 0)
        fail_msg("\"%s\" refused: %s", name, err);
}

static void name_bad(const char *name, size_t len, const char *why)
{
    char err[SL_ERRLEN] = "";
    assert_int_equal(sl_ft_check_name(name, len, err), -1);
    if (strstr(err, why) == NULL)
        fail_msg("\"%.*s\": got \"%s\", want \"%s\"", (int)len, name, err, why);
}

#define BAD(lit, why) name_bad(lit, sizeof(lit) - 1, why)

static void test_sender(void **state)
{
    (void)state;
    struct sl_ft_header h = {.type = SL_FT_SENDER, .name_len = 6}, out;
    uint8_t buf[SL_FT_HEADER_MAX];
    char err[SL_ERRLEN];
    memcpy(h.name, "李雷", 6);
    size_t n = sl_ft_encode_header(&h, buf);
    assert_int_equal(n, SL_FT_HEADER_FIXED + 6);
    assert_int_equal(buf[0], 4);
    assert_int_equal(sl_ft_decode_header(buf, n, &out, err), (ssize_t)n);
    assert_int_equal(out.type, SL_FT_SENDER);
    assert_memory_equal(out.name, "李雷", 7);
    /* A SENDER carries a name and nothing else, and a short one. */
    buf[10] = 1; /* size != 0 */
    assert_int_equal(sl_ft_decode_header(buf, n, &out, err), -1);
    assert_non_null(strstr(err, "malformed sender"));
    h.name_len = SL_FT_SENDER_NAME_MAX + 1;
    memset(h.name, 'x', h.name_len);
    n = sl_ft_encode_header(&h, buf);
    assert_int_equal(sl_ft_decode_header(buf, n, &out, err), -1);
}

static void test_hostile_names(void **state)
{
    (void)state;
    name_ok("homework.c");
    name_ok("作业/第一章/练习.c");
    name_ok("a/b/c.d.e");
    name_ok(".hidden");
    name_ok("..dots.. in the middle");
    name_ok("-rf");

    BAD("", "empty name");
    BAD("/etc/passwd", "absolute path");
    BAD("../escape", "'..' path component");
    BAD("a/../../b", "'..' path component");
    BAD("a/..", "'..' path component");
    BAD("./a", "'.' path component");
    BAD("a//b", "empty path component");
    BAD("a/", "empty path component");
    BAD("nul\0inside", "control characters");
    BAD("esc\x1b[2Jname", "control characters");
    BAD("new\nline", "control characters");
    BAD("tab\tname", "control characters");
    BAD("del\x7f", "control characters");
    BAD("c1\xc2\x9bname", "control characters or invalid UTF-8");
    BAD("bad\xff utf8", "invalid UTF-8");
    BAD("overlong\xc0\xaf", "invalid UTF-8");
    /* Names that show as something else (issue: "rtl\u202etxt.exe"). */
    BAD("rtl\xe2\x80\xaetxt.exe", "bidirectional control character U+202E");
    BAD("a\xe2\x81\xa6"
        "b",
        "bidirectional control character U+2066");
    BAD("lrm\xe2\x80\x8e.c", "bidirectional control character U+200E");
    BAD("ali\xe2\x80\x8b"
        "ce.c",
        "zero-width character U+200B");
    BAD("bom\xef\xbb\xbf.txt", "zero-width character U+FEFF");
    BAD("dir/wj\xe2\x81\xa0/x", "zero-width character U+2060");
    name_ok("作业\xe3\x80\x80第一章.c"); /* U+3000 is a space, not hidden: allowed */

    char longc[300];
    memset(longc, 'x', sizeof longc);
    name_bad(longc, 256, "longer than 255");
}

static void test_long_names(void **state)
{
    (void)state;
    char err[SL_ERRLEN];
    char longc[300];
    memset(longc, 'x', sizeof longc);
    assert_int_equal(sl_ft_check_name(longc, 255, err), 0);
    char *huge = malloc(SL_FT_NAME_MAX + 2);
    for (size_t i = 0; i < SL_FT_NAME_MAX + 1; i++)
        huge[i] = i % 100 == 99 ? '/' : 'y';
    assert_int_equal(sl_ft_check_name(huge, SL_FT_NAME_MAX, err), 0);
    assert_int_equal(sl_ft_check_name(huge, SL_FT_NAME_MAX + 1, err), -1);
    assert_non_null(strstr(err, "longer than 4096"));
    free(huge);
}

static void test_crc32c(void **state)
{
    (void)state;
    /* The standard check value, and the iSCSI test vectors (RFC 3720). */
    assert_int_equal(sl_crc32c(0, "123456789", 9), 0xE3069283);
    assert_int_equal(sl_crc32c_portable(0, "123456789", 9), 0xE3069283);
    uint8_t zeros[32] = {0}, ones[32];
    memset(ones, 0xff, sizeof ones);
    assert_int_equal(sl_crc32c(0, zeros, 32), 0x8A9136AA);
    assert_int_equal(sl_crc32c(0, ones, 32), 0x62A8AB43);
    assert_int_equal(sl_crc32c_portable(0, ones, 32), 0x62A8AB43);
    /* Both paths agree on every length and alignment, and in pieces. */
    uint8_t buf[1000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 131 + 7);
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len + off <= sizeof buf; len += 37) {
            uint32_t a = sl_crc32c(0, buf + off, len);
            assert_int_equal(a, sl_crc32c_portable(0, buf + off, len));
            uint32_t b =
                sl_crc32c(sl_crc32c(0, buf + off, len / 3), buf + off + len / 3, len - len / 3);
            assert_int_equal(a, b);
        }
}

static void test_bytes_big_endian(void **state)
{
    (void)state;
    uint8_t buf[1 + 8]; /* written at an odd address: no alignment assumed */
    const uint8_t want[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF};
    sl_put_u64be(buf + 1, 0x0123456789ABCDEFULL);
    assert_memory_equal(buf + 1, want, 8);
    assert_int_equal(sl_get_u64be(buf + 1), 0x0123456789ABCDEFULL);
    assert_int_equal(sl_get_u32be(buf + 1), 0x01234567u);
    assert_int_equal(sl_get_u16be(buf + 7), 0xCDEF);
    sl_put_u32be(buf, 0xFFFEFDFCu);
    assert_int_equal(buf[0], 0xFF);
    assert_int_equal(buf[3], 0xFC);
    sl_put_u16be(buf, 0x8001);
    assert_int_equal(sl_get_u16be(buf), 0x8001);
}

/* Every prefix of an encoded message is incomplete, never malformed: the
 * decoder asks for more than it has, and no more than the whole. */
static void expect_incomplete_prefixes(const uint8_t *msg, size_t n, enum sl_ft_answer_kind kind)
{
    struct sl_ft_answer a;
    char err[SL_ERRLEN];
    for (size_t part = 0; part < n; part++) {
        ssize_t need = sl_ft_decode_answer(msg, part, kind, &a, err);
        if (need <= (ssize_t)part || need > (ssize_t)n)
            fail_msg("prefix of %zu of %zu bytes: decoder said %zd", part, n, need);
    }
}

static void test_go(void **state)
{
    (void)state;
    static const uint64_t offsets[] = {0, 3, 1ULL << 32, (uint64_t)INT64_MAX};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        uint8_t out[SL_FT_GO_LEN];
        struct sl_ft_answer a;
        char err[SL_ERRLEN];
        assert_int_equal(sl_ft_encode_go(out, offsets[i]), SL_FT_GO_LEN);
        expect_incomplete_prefixes(out, SL_FT_GO_LEN, SL_FT_OFFER);
        assert_int_equal(sl_ft_decode_answer(out, SL_FT_GO_LEN, SL_FT_OFFER, &a, err),
                         SL_FT_GO_LEN);
        assert_int_equal(a.status, SL_FT_GO);
        assert_int_equal(a.offset, offsets[i]);
    }
    /* docs/protocol.md, the resume example: GO from offset 3 */
    uint8_t out[SL_FT_GO_LEN];
    const uint8_t doc[] = {0x00, 0, 0, 0, 0, 0, 0, 0, 0x03};
    sl_ft_encode_go(out, 3);
    assert_memory_equal(out, doc, sizeof doc);
}

static void test_error_answers(void **state)
{
    (void)state;
    uint8_t out[SL_FT_ERROR_MAX + 1];
    struct sl_ft_answer a;
    char err[SL_ERRLEN];
    /* REFUSED and FAILED are the same bytes, after a header or a trailer. */
    enum sl_ft_answer_kind kinds[] = {SL_FT_OFFER, SL_FT_RESULT};
    for (size_t k = 0; k < 2; k++) {
        size_t n = sl_ft_encode_error(out, SL_FT_E_BUSY, "busy, 忙", strlen("busy, 忙"));
        assert_int_equal(n, SL_FT_ERROR_FIXED + strlen("busy, 忙"));
        expect_incomplete_prefixes(out, n, kinds[k]);
        assert_int_equal(sl_ft_decode_answer(out, n, kinds[k], &a, err), (ssize_t)n);
        assert_int_equal(a.status, SL_FT_REFUSED);
        assert_int_equal(a.code, SL_FT_E_BUSY);
        assert_int_equal(a.text_len, strlen("busy, 忙"));
        assert_string_equal(a.text, "busy, 忙");
    }
    /* An empty message is allowed. */
    size_t n = sl_ft_encode_error(out, 42, "", strlen(""));
    assert_int_equal(n, SL_FT_ERROR_FIXED);
    assert_int_equal(sl_ft_decode_answer(out, n, SL_FT_RESULT, &a, err), SL_FT_ERROR_FIXED);
    assert_int_equal(a.code, 42);
    assert_int_equal(a.text_len, 0);

    /* A long message is cut to SL_FT_MESSAGE_MAX bytes, never more. */
    char longmsg[1000];
    memset(longmsg, 'm', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = '\0';
    out[SL_FT_ERROR_MAX] = 0xAA;
    n = sl_ft_encode_error(out, SL_FT_E_IO, longmsg, strlen(longmsg));
    assert_int_equal(n, SL_FT_ERROR_MAX);
    assert_int_equal(out[SL_FT_ERROR_MAX], 0xAA);
    assert_int_equal(sl_get_u16be(out + 3), SL_FT_MESSAGE_MAX);
    assert_int_equal(sl_ft_decode_answer(out, n, SL_FT_OFFER, &a, err), (ssize_t)n);
    assert_int_equal(a.text_len, SL_FT_MESSAGE_MAX);

    /* A longer length than that is refused from the 5 fixed bytes alone. */
    sl_put_u16be(out + 3, SL_FT_MESSAGE_MAX + 1);
    assert_int_equal(sl_ft_decode_answer(out, SL_FT_ERROR_FIXED, SL_FT_OFFER, &a, err), -1);
    assert_non_null(strstr(err, "text length 257"));
    sl_put_u16be(out + 3, 65535);
    assert_int_equal(sl_ft_decode_answer(out, SL_FT_ERROR_FIXED, SL_FT_RESULT, &a, err), -1);

    /* docs/protocol.md, example row 11: REFUSED, code 2, '..' path component */
    const uint8_t doc[] = {0x01, 0x00, 0x02, 0x00, 0x13, '\'', '.', '.', '\'', ' ', 'p', 'a',
                           't',  'h',  ' ',  'c',  'o',  'm',  'p', 'o', 'n',  'e', 'n', 't'};
    n = sl_ft_encode_error(out, SL_FT_E_NAME, "'..' path component", strlen("'..' path component"));
    assert_int_equal(n, sizeof doc);
    assert_memory_equal(out, doc, sizeof doc);
}

static void test_stored(void **state)
{
    (void)state;
    static uint8_t out[SL_FT_ANSWER_MAX + 1];
    static struct sl_ft_answer a;
    char err[SL_ERRLEN];
    /* docs/protocol.md, example rows 7 and 9 */
    const uint8_t doc7[] = {0x00, 0x00, 0x09, 'h', 'e', 'l', 'l', 'o', '.', 't', 'x', 't'};
    const uint8_t doc9[] = {0x00, 0x00, 0x0B, 'h', 'e', 'l', 'l',
                            'o',  '.',  '1',  '.', 't', 'x', 't'};
    size_t n = sl_ft_encode_stored(out, "hello.txt", 9);
    assert_int_equal(n, sizeof doc7);
    assert_memory_equal(out, doc7, sizeof doc7);
    n = sl_ft_encode_stored(out, "hello.1.txt", 11);
    assert_memory_equal(out, doc9, sizeof doc9);
    expect_incomplete_prefixes(out, n, SL_FT_RESULT);
    assert_int_equal(sl_ft_decode_answer(out, n, SL_FT_RESULT, &a, err), (ssize_t)n);
    assert_int_equal(a.status, SL_FT_STORED);
    assert_int_equal(a.text_len, 11);
    assert_string_equal(a.text, "hello.1.txt");

    /* The longest stored name there can be, and one byte more. */
    static char name[SL_FT_STORED_MAX + 2];
    memset(name, 'n', sizeof name);
    n = sl_ft_encode_stored(out, name, SL_FT_STORED_MAX);
    assert_int_equal(n, SL_FT_ANSWER_MAX);
    assert_int_equal(sl_ft_decode_answer(out, n, SL_FT_RESULT, &a, err), (ssize_t)n);
    assert_int_equal(a.text_len, SL_FT_STORED_MAX);
    assert_int_equal(a.text[SL_FT_STORED_MAX], '\0');
    out[0] = 0x55;
    assert_int_equal(sl_ft_encode_stored(out, name, SL_FT_STORED_MAX + 1), 0);
    assert_int_equal(sl_ft_encode_stored(out, name, 0), 0);
    assert_int_equal(out[0], 0x55); /* nothing written */

    /* Oversize and empty lengths are malformed, from the fixed bytes. */
    out[0] = SL_FT_STORED;
    sl_put_u16be(out + 1, SL_FT_STORED_MAX + 1);
    assert_int_equal(sl_ft_decode_answer(out, SL_FT_STORED_FIXED, SL_FT_RESULT, &a, err), -1);
    assert_non_null(strstr(err, "text length 4102"));
    sl_put_u16be(out + 1, 0);
    assert_int_equal(sl_ft_decode_answer(out, SL_FT_STORED_FIXED, SL_FT_RESULT, &a, err), -1);
    assert_non_null(strstr(err, "text length 0"));
}

static void test_bad_answer_status(void **state)
{
    (void)state;
    struct sl_ft_answer a;
    char err[SL_ERRLEN];
    uint8_t in[SL_FT_GO_LEN] = {0};
    for (unsigned status = 2; status <= 255; status++) {
        in[0] = (uint8_t)status;
        err[0] = '\0';
        if (status > SL_FT_IDENTICAL) /* CHECK and IDENTICAL answer an offer only */
            assert_int_equal(sl_ft_decode_answer(in, 1, SL_FT_OFFER, &a, err), -1);
        assert_int_equal(sl_ft_decode_answer(in, sizeof in, SL_FT_RESULT, &a, err), -1);
        assert_non_null(strstr(err, "unknown status"));
    }
    /* Status 0 means GO after a header and STORED after a trailer. */
    in[0] = 0;
    assert_int_equal(sl_ft_decode_answer(in, 1, SL_FT_OFFER, &a, err), SL_FT_GO_LEN);
    assert_int_equal(sl_ft_decode_answer(in, 1, SL_FT_RESULT, &a, err), SL_FT_STORED_FIXED);
}

/* Version 2's resume and "already stored" messages: CHECK and IDENTICAL
 * answers, the sender's DIGEST, and a hello of another version that is
 * still ours (answered, so the peer can say why it stops). */
static void test_check_identical_digest(void **state)
{
    (void)state;
    struct sl_ft_answer a;
    char err[SL_ERRLEN];
    uint8_t out[SL_FT_ANSWER_MAX], digest[SL_FT_DIGEST_SIZE], back[SL_FT_DIGEST_SIZE];
    const uint8_t check[] = {0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x00};
    assert_int_equal(sl_ft_encode_check(out, 256), SL_FT_CHECK_LEN);
    assert_memory_equal(out, check, sizeof check);
    assert_int_equal(sl_ft_decode_answer(out, SL_FT_CHECK_LEN, SL_FT_OFFER, &a, err),
                     SL_FT_CHECK_LEN);
    assert_int_equal(a.status, SL_FT_CHECK);
    assert_int_equal(a.offset, 256);

    size_t n = sl_ft_encode_identical(out, "a/b.txt", 7);
    assert_int_equal(n, SL_FT_STORED_FIXED + 7);
    assert_int_equal(out[0], 3);
    assert_int_equal(sl_ft_decode_answer(out, n, SL_FT_OFFER, &a, err), (ssize_t)n);
    assert_int_equal(a.status, SL_FT_IDENTICAL);
    assert_string_equal(a.text, "a/b.txt");
    assert_int_equal(sl_ft_decode_answer(out, n, SL_FT_RESULT, &a, err), -1);
    assert_int_equal(sl_ft_encode_identical(out, "", 0), 0);

    for (int i = 0; i < SL_FT_DIGEST_SIZE; i++)
        digest[i] = (uint8_t)(i * 7);
    uint64_t offset = 0;
    assert_int_equal(sl_ft_encode_digest(out, 0x0102030405060708ULL, digest), SL_FT_DIGEST_LEN);
    assert_int_equal(out[0], 3);
    assert_int_equal(out[1], 1);
    assert_int_equal(out[8], 8);
    assert_int_equal(sl_ft_decode_digest(out, &offset, back, err), 0);
    assert_int_equal(offset, 0x0102030405060708ULL);
    assert_memory_equal(back, digest, SL_FT_DIGEST_SIZE);
    out[0] = SL_FT_END;
    assert_int_equal(sl_ft_decode_digest(out, &offset, back, err), -1);
    assert_non_null(strstr(err, "malformed digest"));

    uint8_t hello[SL_FT_HELLO_LEN], status;
    sl_ft_encode_hello(hello, 0);
    hello[4] = 1; /* a version 1 peer */
    assert_int_equal(sl_ft_decode_hello(hello, &status, err), -1);
    assert_string_equal(err, "protocol version 1, this program speaks 2");
    assert_true(sl_ft_hello_is_ours(hello));
    hello[0] = 'X';
    assert_false(sl_ft_hello_is_ours(hello));
}

/* sl_ft_prefix_sums: the CRC-32C and SHA-256 of a file's first bytes, in
 * one pass through a small buffer; a file shorter than asked is EIO. */
static void test_prefix_sums(void **state)
{
    (void)state;
    char path[] = "/tmp/test_ft_proto.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    uint8_t data[1000], buf[7], digest[SL_FT_DIGEST_SIZE], want[SL_FT_DIGEST_SIZE];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 31);
    assert_int_equal(write(fd, data, sizeof data), sizeof data);
    uint32_t crc = 1;
    assert_int_equal(sl_ft_prefix_sums(fd, 999, buf, sizeof buf, &crc, digest), 0);
    assert_int_equal(crc, sl_crc32c(0, data, 999));
    sl_sha256(data, 999, want);
    assert_memory_equal(digest, want, SL_FT_DIGEST_SIZE);
    assert_int_equal(sl_ft_prefix_sums(fd, 0, buf, sizeof buf, &crc, digest), 0);
    assert_int_equal(crc, 0);
    assert_int_equal(sl_ft_prefix_sums(fd, 1001, buf, sizeof buf, NULL, digest), -1);
    assert_int_equal(errno, EIO);
    close(fd);
}

static void test_trailer_and_doc_header(void **state)
{
    (void)state;
    uint8_t out[SL_FT_HEADER_MAX];
    /* docs/protocol.md, example rows 3 and 6: the FILE header of hello.txt
     * and the CRC-32C of "hello\n". */
    const uint8_t doc3[] = {0x01, 0x00, 0x09, 0x00, 0x00, 0x01, 0xA4, 0,   0,    0,    0,
                            0,    0,    0,    0x06, 0,    0,    0,    0,   0x65, 0x53, 0xF1,
                            0x00, 'h',  'e',  'l',  'l',  'o',  '.',  't', 'x',  't'};
    struct sl_ft_header h = {.type = SL_FT_FILE,
                             .mode = 0644,
                             .size = 6,
                             .mtime = 1700000000,
                             .name_len = 9,
                             .name = "hello.txt"};
    assert_int_equal(sl_ft_encode_header(&h, out), sizeof doc3);
    assert_memory_equal(out, doc3, sizeof doc3);
    const uint8_t doc6[] = {0x35, 0x3D, 0xD8, 0xBE};
    sl_ft_encode_trailer(out, sl_crc32c(0, "hello\n", 6));
    assert_memory_equal(out, doc6, sizeof doc6);
    assert_int_equal(sl_ft_decode_trailer(doc6), 0x353DD8BE);
    /* the hello, row 1 */
    const uint8_t doc1[] = {0x53, 0x4C, 0x46, 0x54, 0x02, 0x00, 0x00, 0x00};
    sl_ft_encode_hello(out, 0);
    assert_memory_equal(out, doc1, sizeof doc1);
}

/* Whole messages from a socket: two answers back to back are read one at
 * a time (nothing of the next is consumed), a close between messages is
 * not an error, a close inside one is, and a malformed length is refused
 * before what it announces is read. */
static void test_recv_answers(void **state)
{
    (void)state;
    int sv[2] = {-1, -1};
    static struct sl_ft_answer a;
    char err[SL_ERRLEN];
    uint8_t msg[SL_FT_ERROR_MAX * 2];
    assert_int_equal(tcp_pair(sv, err), 0);

    size_t n = sl_ft_encode_go(msg, 77);
    n += sl_ft_encode_error(msg + n, SL_FT_E_IO, "disk on fire", strlen("disk on fire"));
    assert_int_equal(sl_send_all(sv[0], msg, n), 0);
    assert_int_equal(sl_ft_recv_answer(sv[1], SL_FT_OFFER, &a, err), 1);
    assert_int_equal(a.offset, 77);
    assert_int_equal(sl_ft_recv_answer(sv[1], SL_FT_RESULT, &a, err), 1);
    assert_int_equal(a.code, SL_FT_E_IO);
    assert_string_equal(a.text, "disk on fire");

    /* Oversize length: refused with EBADMSG, the announced bytes unread. */
    msg[0] = SL_FT_FAILED;
    sl_put_u16be(msg + 1, SL_FT_E_IO);
    sl_put_u16be(msg + 3, 9999);
    memcpy(msg + 5, "rest", 4);
    assert_int_equal(sl_send_all(sv[0], msg, 9), 0);
    errno = 0;
    assert_int_equal(sl_ft_recv_answer(sv[1], SL_FT_RESULT, &a, err), -1);
    assert_int_equal(errno, EBADMSG);
    assert_non_null(strstr(err, "text length 9999"));
    char rest[4];
    assert_int_equal(recv(sv[1], rest, sizeof rest, MSG_DONTWAIT), 4);

    /* Cut inside an answer: an error, but not a malformed one. */
    n = sl_ft_encode_stored(msg, "name", 4);
    assert_int_equal(sl_send_all(sv[0], msg, n - 1), 0);
    shutdown(sv[0], SHUT_WR);
    errno = 0;
    assert_int_equal(sl_ft_recv_answer(sv[1], SL_FT_RESULT, &a, err), -1);
    assert_int_not_equal(errno, EBADMSG);
    assert_non_null(strstr(err, "ended inside an answer"));
    /* Closed between messages: 0. */
    assert_int_equal(sl_ft_recv_answer(sv[1], SL_FT_OFFER, &a, err), 0);
    sl_socket_close(sv[0]);
    sl_socket_close(sv[1]);
}

static void test_recv_headers(void **state)
{
    (void)state;
    int sv[2] = {-1, -1};
    static struct sl_ft_header h, back;
    static uint8_t buf[2 * SL_FT_HEADER_MAX];
    char err[SL_ERRLEN];
    assert_int_equal(tcp_pair(sv, err), 0);

    h = (struct sl_ft_header){.type = SL_FT_FILE, .size = 5, .name_len = 3, .name = "a/b"};
    size_t n = sl_ft_encode_header(&h, buf);
    buf[n] = SL_FT_END;
    assert_int_equal(sl_send_all(sv[0], buf, n + 1), 0);
    assert_int_equal(sl_ft_recv_header(sv[1], &back, err), 1);
    assert_int_equal(back.type, SL_FT_FILE);
    assert_string_equal(back.name, "a/b");
    assert_int_equal(sl_ft_recv_header(sv[1], &back, err), 1);
    assert_int_equal(back.type, SL_FT_END);

    /* A huge name length is refused before the name is read. */
    n = sl_ft_encode_header(&h, buf);
    sl_put_u16be(buf + 1, 65535);
    assert_int_equal(sl_send_all(sv[0], buf, n), 0);
    errno = 0;
    assert_int_equal(sl_ft_recv_header(sv[1], &back, err), -1);
    assert_int_equal(errno, EBADMSG);
    assert_non_null(strstr(err, "name length 65535"));
    assert_int_equal(recv(sv[1], (void *)buf, sizeof buf, MSG_DONTWAIT), 3); /* the name, unread */

    n = sl_ft_encode_header(&h, buf);
    assert_int_equal(sl_send_all(sv[0], buf, n - 1), 0); /* a FILE cut short */
    sl_socket_close(sv[0]);
    errno = 0;
    assert_int_equal(sl_ft_recv_header(sv[1], &back, err), -1);
    assert_int_not_equal(errno, EBADMSG);
    assert_string_equal(err, "connection ended inside a header");
    sl_socket_close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_round_trip),
        cmocka_unit_test(test_end_and_hello),
        cmocka_unit_test(test_malformed_headers),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_sender),
        cmocka_unit_test(test_long_names),
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_bytes_big_endian),
        cmocka_unit_test(test_go),
        cmocka_unit_test(test_error_answers),
        cmocka_unit_test(test_stored),
        cmocka_unit_test(test_bad_answer_status),
        cmocka_unit_test(test_trailer_and_doc_header),
        cmocka_unit_test(test_recv_answers),
        cmocka_unit_test(test_recv_headers),
        cmocka_unit_test(test_check_identical_digest),
        cmocka_unit_test(test_prefix_sums),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
