/* fuzz-sources: src/lib/ft_proto.c src/lib/utf8.c src/lib/errfmt.c src/lib/platform/posix_calls.c */
/* libFuzzer harness: the receiver's answers (GO, REFUSED, CHECK,
 * IDENTICAL, STORED, FAILED), the sender's DIGEST and the trailer, decoded from any bytes as either
 * kind of answer. The decoder must never crash or overrun, must ask for more only within the
 * protocol's limits, and what it accepts must encode back to the same
 * bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/ft_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Encodes A (decoded as KIND) again into OUT; returns its length. */
static size_t encode_again(const struct sl_ft_answer *a, enum sl_ft_answer_kind kind, uint8_t *out)
{
    if (a->status == SL_FT_REFUSED)
        return sl_ft_encode_error(out, a->code, a->text, a->text_len);
    if (a->status == SL_FT_CHECK)
        return sl_ft_encode_check(out, a->offset);
    if (a->status == SL_FT_IDENTICAL)
        return sl_ft_encode_identical(out, a->text, a->text_len);
    if (kind == SL_FT_OFFER)
        return sl_ft_encode_go(out, a->offset);
    return sl_ft_encode_stored(out, a->text, a->text_len);
}

static void check_answer(const uint8_t *data, size_t size, enum sl_ft_answer_kind kind)
{
    static struct sl_ft_answer a;
    static uint8_t again[SL_FT_ANSWER_MAX];
    char err[SL_ERRLEN];
    ssize_t n = sl_ft_decode_answer(data, size, kind, &a, err);
    if (n < 0)
        return;
    if (n == 0 || n > SL_FT_ANSWER_MAX)
        abort(); /* a reader would loop, or read past its buffer */
    if ((size_t)n > size)
        return; /* incomplete */
    if (a.status > (kind == SL_FT_OFFER ? SL_FT_IDENTICAL : 1) || a.text_len > SL_FT_STORED_MAX ||
        a.text[a.text_len] != '\0')
        abort();
    if (a.status == SL_FT_REFUSED && a.text_len > SL_FT_MESSAGE_MAX)
        abort();
    size_t m = encode_again(&a, kind, again);
    if (m != (size_t)n || memcmp(again, data, m) != 0)
        abort(); /* encode(decode(x)) == x */
    /* Every shorter prefix is incomplete, never malformed nor complete. */
    ssize_t need = sl_ft_decode_answer(data, (size_t)n - 1, kind, &a, err);
    if (need <= n - 1 || need > n)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_answer(data, size, SL_FT_OFFER);
    check_answer(data, size, SL_FT_RESULT);
    if (size >= SL_FT_DIGEST_LEN) {
        uint8_t digest[SL_FT_DIGEST_SIZE], again[SL_FT_DIGEST_LEN];
        uint64_t offset;
        char err[SL_ERRLEN];
        if (sl_ft_decode_digest(data, &offset, digest, err) == 0 &&
            (sl_ft_encode_digest(again, offset, digest) != SL_FT_DIGEST_LEN ||
             memcmp(again, data, SL_FT_DIGEST_LEN) != 0))
            abort();
    }
    if (size >= SL_FT_TRAILER_LEN) {
        uint8_t again[SL_FT_TRAILER_LEN];
        sl_ft_encode_trailer(again, sl_ft_decode_trailer(data));
        if (memcmp(again, data, SL_FT_TRAILER_LEN) != 0)
            abort();
    }
    return 0;
}
