
/*
 * The generic scheme: a configured header holds HMAC-SHA256(secret, body)
 * in hex or base64, optionally prefixed "sha256=" (GitHub style); the
 * event id and topic come from configured headers too.
 */


#include <string.h>

#include "invsync.h"


/* the module fills these from invsync_hmac_header, invsync_id_header and
 * invsync_topic_header */
#define INVSYNC_HMAC_SIGNATURE  0
#define INVSYNC_HMAC_ID         1
#define INVSYNC_HMAC_TOPIC      2

#define INVSYNC_HMAC_PREFIX     "sha256="
#define INVSYNC_HMAC_PREFIX_LEN (sizeof(INVSYNC_HMAC_PREFIX) - 1)


static invsync_rc_e invsync_hmac_verify(const invsync_input_t *in,
    const invsync_secret_t *secrets, size_t n);
static invsync_rc_e invsync_hmac_describe(const invsync_input_t *in,
    invsync_meta_t *m);


const invsync_scheme_t  invsync_scheme_hmac = {
    "hmac",
    NULL,
    0, 0, 0,
    invsync_hmac_verify,
    invsync_hmac_describe,
    NULL,
    NULL
};


static invsync_rc_e
invsync_hmac_verify(const invsync_input_t *in,
    const invsync_secret_t *secrets, size_t n)
{
    size_t                len;
    ssize_t               siglen;
    unsigned char         sig[64];
    const unsigned char  *p;
    const invsync_str_t  *h;

    if (n == 0 || in->hmac == NULL) {
        return INVSYNC_ERR_CONFIG;
    }

    h = &in->headers[INVSYNC_HMAC_SIGNATURE];

    if (!invsync_str_set(h)) {
        return INVSYNC_ERR_NO_SIGNATURE;
    }

    p = h->data;
    len = h->len;

    if (len > INVSYNC_HMAC_PREFIX_LEN
        && memcmp(p, INVSYNC_HMAC_PREFIX, INVSYNC_HMAC_PREFIX_LEN) == 0)
    {
        p += INVSYNC_HMAC_PREFIX_LEN;
        len -= INVSYNC_HMAC_PREFIX_LEN;
    }

    if (in->hmac->encoding == INVSYNC_ENC_HEX) {
        siglen = invsync_hex_decode(sig, sizeof(sig), p, len);

    } else {
        siglen = invsync_base64_decode(sig, sizeof(sig), p, len, 0);
    }

    if (siglen != 32) {
        return INVSYNC_ERR_SIGNATURE;
    }

    return invsync_hmac_match(secrets, n, &in->body, 1, sig);
}


/* the body may be anything; without an id header the body hash is the id */
static invsync_rc_e
invsync_hmac_describe(const invsync_input_t *in, invsync_meta_t *m)
{
    invsync_rc_e          rc;
    const invsync_str_t  *h;

    h = &in->headers[INVSYNC_HMAC_ID];

    if (invsync_str_set(h)) {
        rc = invsync_meta_set(m->event, &m->event_len, INVSYNC_EVENT_LEN,
                              h->data, h->len);

    } else {
        rc = invsync_meta_body_hash(m, in);
    }

    if (rc != INVSYNC_OK) {
        return rc;
    }

    h = &in->headers[INVSYNC_HMAC_TOPIC];

    rc = invsync_meta_set(m->topic, &m->topic_len, INVSYNC_TOPIC_LEN,
                          h->data, invsync_str_set(h) ? h->len : 0);
    if (rc != INVSYNC_OK) {
        return rc;
    }

    return invsync_meta_set(m->account, &m->account_len, INVSYNC_ACCOUNT_LEN,
                            NULL, 0);
}
