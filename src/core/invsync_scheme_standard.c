
/*
 * Standard Webhooks (and Svix): webhook-signature holds space-separated
 * "v1,<base64>" entries, each an HMAC-SHA256 keyed with the base64-decoded
 * secret (after an optional "whsec_") over id "." timestamp "." body.
 */


#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "invsync.h"


#define INVSYNC_STANDARD_ID         0   /* svix-* at 3, 4, 5 */
#define INVSYNC_STANDARD_TIMESTAMP  1
#define INVSYNC_STANDARD_SIGNATURE  2
#define INVSYNC_STANDARD_SVIX       3

#define INVSYNC_STANDARD_PREFIX     "whsec_"
#define INVSYNC_STANDARD_PREFIX_LEN (sizeof(INVSYNC_STANDARD_PREFIX) - 1)


static size_t invsync_standard_set(const invsync_input_t *in);
static int invsync_standard_match(const invsync_str_t *h,
    const unsigned char mac[32]);
static invsync_rc_e invsync_standard_verify(const invsync_input_t *in,
    const invsync_secret_t *secrets, size_t n);
static invsync_rc_e invsync_standard_describe(const invsync_input_t *in,
    invsync_meta_t *m);


static const char  *invsync_standard_headers[] = {
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "svix-id",
    "svix-timestamp",
    "svix-signature",
    NULL
};


const invsync_scheme_t  invsync_scheme_standard = {
    "standard",
    invsync_standard_headers,
    1, 0, 0,
    invsync_standard_verify,
    invsync_standard_describe,
    NULL,
    NULL
};


/* the webhook-* set if it carries a signature, else the svix-* set */
static size_t
invsync_standard_set(const invsync_input_t *in)
{
    if (invsync_str_set(&in->headers[INVSYNC_STANDARD_SIGNATURE])) {
        return 0;
    }

    return INVSYNC_STANDARD_SVIX;
}


/* 1 if any "v1,<base64>" entry of the list is mac */
static int
invsync_standard_match(const invsync_str_t *h, const unsigned char mac[32])
{
    const unsigned char  *p, *last, *item, *end;
    unsigned char         sig[64];

    p = h->data;
    last = h->data + h->len;

    while (p < last) {
        item = p;
        end = memchr(item, ' ', (size_t) (last - item));
        if (end == NULL) {
            end = last;
        }

        if (end - item > 3 && memcmp(item, "v1,", 3) == 0
            && invsync_base64_decode(sig, sizeof(sig), item + 3,
                                     (size_t) (end - item - 3), 0)
               == 32
            && invsync_ct_equal(sig, mac, 32))
        {
            return 1;
        }

        if (end == last) {
            break;
        }

        p = end + 1;
    }

    return 0;
}


static invsync_rc_e
invsync_standard_verify(const invsync_input_t *in,
    const invsync_secret_t *secrets, size_t n)
{
    size_t                i, s, len;
    ssize_t               klen;
    int64_t               t;
    invsync_rc_e          rc;
    invsync_str_t         parts[5];
    unsigned char         key[INVSYNC_MAX_SECRET], mac[32];
    const unsigned char  *p;
    const invsync_str_t  *sig;

    if (n == 0) {
        return INVSYNC_ERR_CONFIG;
    }

    s = invsync_standard_set(in);
    sig = &in->headers[s + INVSYNC_STANDARD_SIGNATURE];

    if (!invsync_str_set(sig)) {
        return INVSYNC_ERR_NO_SIGNATURE;
    }

    if (!invsync_str_set(&in->headers[s + INVSYNC_STANDARD_ID])) {
        return INVSYNC_ERR_NO_EVENT_ID;
    }

    parts[0] = in->headers[s + INVSYNC_STANDARD_ID];
    parts[2] = in->headers[s + INVSYNC_STANDARD_TIMESTAMP];

    /* the timestamp is signed verbatim: only its canonical form is safe */
    if (parts[2].data == NULL
        || invsync_time_parse(parts[2].data, parts[2].len, 1, &t) != 0)
    {
        return INVSYNC_ERR_TIMESTAMP;
    }

    parts[1].data = (const unsigned char *) ".";
    parts[1].len = 1;
    parts[3] = parts[1];
    parts[4] = in->body;

    rc = INVSYNC_ERR_SIGNATURE;

    for (i = 0; i < n; i++) {
        p = secrets[i].data;
        len = secrets[i].len;

        if (len >= INVSYNC_STANDARD_PREFIX_LEN
            && memcmp(p, INVSYNC_STANDARD_PREFIX, INVSYNC_STANDARD_PREFIX_LEN)
               == 0)
        {
            p += INVSYNC_STANDARD_PREFIX_LEN;
            len -= INVSYNC_STANDARD_PREFIX_LEN;
        }

        /* a secret that is not base64 matches nothing */
        klen = invsync_base64_decode(key, sizeof(key), p, len, 1);
        if (klen <= 0) {
            continue;
        }

        if (invsync_hmac_sha256(key, (size_t) klen, parts, 5, mac) != 0) {
            rc = INVSYNC_ERR_NOMEM;
            goto failed;
        }

        if (invsync_standard_match(sig, mac)) {
            rc = invsync_time_check(in, t);
            goto failed;
        }
    }

failed:

    OPENSSL_cleanse(key, sizeof(key));

    return rc;
}


static invsync_rc_e
invsync_standard_describe(const invsync_input_t *in, invsync_meta_t *m)
{
    json_t               *root;
    invsync_rc_e          rc;
    const invsync_str_t  *id;

    rc = invsync_json_load(in, 0, &root);
    if (rc != INVSYNC_OK) {
        return rc;
    }

    id = &in->headers[invsync_standard_set(in) + INVSYNC_STANDARD_ID];

    if (!invsync_str_set(id)) {
        rc = INVSYNC_ERR_NO_EVENT_ID;
        goto failed;
    }

    rc = invsync_meta_set(m->event, &m->event_len, INVSYNC_EVENT_LEN,
                          id->data, id->len);
    if (rc != INVSYNC_OK) {
        goto failed;
    }

    /* the spec recommends "type" but does not require it */
    rc = invsync_json_meta(root, "type", m->topic, &m->topic_len,
                           INVSYNC_TOPIC_LEN, INVSYNC_OK);
    if (rc != INVSYNC_OK) {
        goto failed;
    }

    rc = invsync_meta_set(m->account, &m->account_len, INVSYNC_ACCOUNT_LEN,
                          NULL, 0);

failed:

    json_decref(root);

    return rc;
}
