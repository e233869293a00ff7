
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


static invsync_rc_e
invsync_json_parse(const invsync_input_t *in, json_t **root)
{
    json_t        *j;
    json_error_t   err;

    *root = NULL;

    if (in->body.data == NULL || in->body.len == 0) {
        return INVSYNC_ERR_JSON;
    }

    /* without JSON_DECODE_ANY only an object or an array parses */
    j = json_loadb((const char *) in->body.data, in->body.len, 0, &err);

    if (j == NULL) {
#if JANSSON_VERSION_HEX >= 0x020e00
        if (json_error_code(&err) == json_error_out_of_memory) {
            return INVSYNC_ERR_NOMEM;
        }
#endif
        return INVSYNC_ERR_JSON;
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
        return INVSYNC_ERR_JSON;
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
 * control bytes and DEL; bytes from 0x80 (UTF-8) are kept.
 */
invsync_rc_e
invsync_meta_set(unsigned char *dst, size_t *dst_len, size_t cap,
    const unsigned char *src, size_t len)
{
    size_t  i;

    *dst_len = 0;

    if (cap == 0) {
        return INVSYNC_ERR_FORMAT;
    }

    if (len > cap - 1) {
        goto failed;
    }

    for (i = 0; i < len; i++) {
        if (src[i] < 0x21 || src[i] == 0x7f) {
            goto failed;
        }
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
