
/*
 * Small helpers over jansson that fill invsync_meta_t for describe():
 * body parsing, member extraction, validated copies and the body hash.
 */


#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "invsync.h"


#define INVSYNC_HASH_PREFIX      "sha256:"
#define INVSYNC_HASH_PREFIX_LEN  (sizeof(INVSYNC_HASH_PREFIX) - 1)


static invsync_rc_e invsync_json_parse(const invsync_input_t *in,
    json_t **root);
static int invsync_utf8_valid(const unsigned char *p, size_t len);


static invsync_rc_e
invsync_json_parse(const invsync_input_t *in, json_t **root)
{
    json_t        *j;
    json_error_t   err;

    *root = NULL;

    if (in->body.data == NULL || in->body.len == 0) {
        return INVSYNC_ERR_JSON;
    }

    /*
     * Without JSON_DECODE_ANY only an object or an array parses.  The
     * flags are the worker's (invsync_canon_load()): a body it would
     * refuse is refused here, with the reason, rather than stored.
     */
    j = json_loadb((const char *) in->body.data, in->body.len,
                   JSON_REJECT_DUPLICATES, &err);

    if (j == NULL) {
#if JANSSON_VERSION_HEX >= 0x020b00
        switch (json_error_code(&err)) {

        case json_error_out_of_memory:
            return INVSYNC_ERR_NOMEM;

        case json_error_null_character:
        case json_error_null_byte_in_key:
            return INVSYNC_ERR_JSON_NUL;

        case json_error_duplicate_key:
            return INVSYNC_ERR_JSON_DUPLICATE;

        case json_error_numeric_overflow:
            return INVSYNC_ERR_JSON_RANGE;

        default:
            return INVSYNC_ERR_JSON;
        }
#else
        return INVSYNC_ERR_JSON;
#endif
    }

    *root = j;

    return INVSYNC_OK;
}


invsync_rc_e
invsync_json_load(const invsync_input_t *in, int want_object, json_t **root)
{
    invsync_rc_e  rc;

    rc = invsync_json_parse(in, root);
    if (rc != INVSYNC_OK) {
        return rc;
    }

    if (want_object && !json_is_object(*root)) {
        json_decref(*root);
        *root = NULL;
        return INVSYNC_ERR_JSON_OBJECT;
    }

    return INVSYNC_OK;
}


invsync_rc_e
invsync_json_meta(json_t *root, const char *key, unsigned char *dst,
    size_t *dst_len, size_t cap, invsync_rc_e missing)
{
    int      n;
    char     num[32];
    json_t  *v;

    v = json_is_object(root) ? json_object_get(root, key) : NULL;

    if (json_is_string(v) && json_string_length(v) > 0) {
        return invsync_meta_set(dst, dst_len, cap,
                                (const unsigned char *) json_string_value(v),
                                json_string_length(v));
    }

    if (json_is_integer(v)) {
        n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));

        return invsync_meta_set(dst, dst_len, cap, (unsigned char *) num,
                                (size_t) n);
    }

    *dst_len = 0;
    dst[0] = '\0';

    return missing;
}


/*
 * Copies an event id, topic or account into its fixed buffer and
 * NUL-terminates it.  They end up in Redis keys and in log lines, so a
 * value that does not fit is refused rather than cut, and so are spaces,
 * control bytes and DEL.  Bytes from 0x80 must be UTF-8: the worker puts
 * these values in JSON (the canonical event, the audit), which a value
 * that is not UTF-8 would make a dead letter.
 */
invsync_rc_e
invsync_meta_set(unsigned char *dst, size_t *dst_len, size_t cap,
    const unsigned char *src, size_t len)
{
    size_t         i;
    unsigned char  high;

    *dst_len = 0;

    if (cap == 0) {
        return INVSYNC_ERR_FORMAT;
    }

    if (len > cap - 1) {
        goto failed;
    }

    high = 0;

    for (i = 0; i < len; i++) {
        if (src[i] < 0x21 || src[i] == 0x7f) {
            goto failed;
        }

        high |= src[i];
    }

    if ((high & 0x80) && !invsync_utf8_valid(src, len)) {
        dst[0] = '\0';
        return INVSYNC_ERR_UTF8;
    }

    if (len != 0) {
        memmove(dst, src, len);     /* src may be dst itself */
    }

    dst[len] = '\0';
    *dst_len = len;

    return INVSYNC_OK;

failed:

    dst[0] = '\0';

    return INVSYNC_ERR_FORMAT;
}


/*
 * Well-formed UTF-8 as RFC 3629 and jansson have it: no overlong form, no
 * surrogate (U+D800..DFFF), nothing beyond U+10FFFF.  ASCII passes.
 */
static int
invsync_utf8_valid(const unsigned char *p, size_t len)
{
    size_t    i, n, k;
    uint32_t  c, min;

    for (i = 0; i < len; i += n) {
        c = p[i];

        if (c < 0x80) {
            n = 1;
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            n = 2; c &= 0x1f; min = 0x80;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3; c &= 0x0f; min = 0x800;

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4; c &= 0x07; min = 0x10000;

        } else {
            return 0;
        }

        if (len - i < n) {
            return 0;
        }

        for (k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return 0;
            }

            c = (c << 6) | (p[i + k] & 0x3f);
        }

        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
            return 0;
        }
    }

    return 1;
}


/* the event id of a channel that sends none: "sha256:<hex of body>" */
invsync_rc_e
invsync_meta_body_hash(invsync_meta_t *m, const invsync_input_t *in)
{
    unsigned char  md[32];

    if (invsync_sha256_checked(in->body.data, in->body.len, md) != 0) {
        return INVSYNC_ERR_NOMEM;
    }

    memcpy(m->event, INVSYNC_HASH_PREFIX, INVSYNC_HASH_PREFIX_LEN);
    invsync_hex_encode(m->event + INVSYNC_HASH_PREFIX_LEN, md, 32);

    m->event_len = INVSYNC_HASH_PREFIX_LEN + INVSYNC_SHA256_HEX_LEN;
    m->event[m->event_len] = '\0';

    return INVSYNC_OK;
}


invsync_rc_e
invsync_json_describe(const invsync_input_t *in, invsync_meta_t *m,
    const char *event, const char *topic, const char *account)
{
    json_t        *root;
    invsync_rc_e   rc;

    rc = invsync_json_load(in, 1, &root);
    if (rc != INVSYNC_OK) {
        return rc;
    }

    rc = invsync_json_meta(root, event, m->event, &m->event_len,
                           INVSYNC_EVENT_LEN, INVSYNC_ERR_NO_EVENT_ID);

    if (rc == INVSYNC_OK) {
        rc = invsync_json_meta(root, topic, m->topic, &m->topic_len,
                               INVSYNC_TOPIC_LEN, INVSYNC_ERR_NO_TOPIC);
    }

    if (rc == INVSYNC_OK && account != NULL) {
        rc = invsync_json_meta(root, account, m->account, &m->account_len,
                               INVSYNC_ACCOUNT_LEN, INVSYNC_OK);
    }

    json_decref(root);

    return rc;
}
