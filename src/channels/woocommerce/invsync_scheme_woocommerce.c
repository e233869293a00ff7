
/*
 * WooCommerce: X-WC-Webhook-Signature = base64(HMAC-SHA256(
 * wp_specialchars_decode(secret, ENT_QUOTES), body)); the unsigned ping
 * sent when a webhook is saved is answered as a handshake.
 */


#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "invsync_schemes.h"


#define INVSYNC_WC_SIGNATURE    0
#define INVSYNC_WC_TOPIC        1
#define INVSYNC_WC_SOURCE       2
#define INVSYNC_WC_RESOURCE     3

#define INVSYNC_WC_PING         "webhook_id="
#define INVSYNC_WC_PING_LEN     (sizeof(INVSYNC_WC_PING) - 1)
#define INVSYNC_WC_REPLY                                                      \
    "{\"status\":\"ok\",\"handshake\":\"woocommerce\"}"


static invsync_rc_e invsync_wc_verify(const invsync_input_t *in,
    const invsync_secret_t *secrets, size_t n);
static invsync_rc_e invsync_wc_describe(const invsync_input_t *in,
    invsync_meta_t *m);
static invsync_rc_e invsync_wc_handshake(const invsync_input_t *in,
    invsync_reply_t *r);
static invsync_rc_e invsync_wc_event(const invsync_input_t *in,
    json_t *root, const invsync_meta_t *topic, invsync_meta_t *m);
static size_t invsync_html_entity(const unsigned char *p, size_t len,
    unsigned char *c);
static size_t invsync_html_number(const unsigned char *p, size_t len,
    int hex, const char *const *codes, const char *chars, unsigned char *c);


static const char  *invsync_wc_headers[] = {
    "x-wc-webhook-signature",
    "x-wc-webhook-topic",
    "x-wc-webhook-source",
    "x-wc-webhook-resource",
    "x-wc-webhook-id",
    "x-wc-webhook-delivery-id",
    NULL
};


/* customer.*, coupon.* and action.* go to the default stream */
static const invsync_route_t  invsync_wc_routes[] = {
    { "order.*",    "orders" },
    { "product.*",  "stock" },
    { NULL, NULL }
};


const invsync_scheme_t  invsync_scheme_woocommerce = {
    "woocommerce",
    invsync_wc_headers,
    0, 0, 0,
    invsync_wc_verify,
    invsync_wc_describe,
    invsync_wc_handshake,
    invsync_wc_routes
};


/* numeric forms, with any number of leading zeros, as WordPress has them */
static const char *const  invsync_html_dec[] = { "60", "62", "38", "34",
                                                 "39", NULL };
static const char         invsync_html_dec_chars[] = "<>&\"'";
static const char *const  invsync_html_hex[] = { "26", "22", "27", NULL };
static const char         invsync_html_hex_chars[] = "&\"'";


/*
 * wp_specialchars_decode($secret, ENT_QUOTES): &lt; &gt; &amp; &quot;
 * and the numeric forms of < > & " ' are decoded in one left-to-right
 * pass (so "&amp;lt;" gives "&lt;"); anything else is kept.  dst may be
 * src.
 */
size_t
invsync_html_decode(unsigned char *dst, const unsigned char *src, size_t len)
{
    size_t         i, o, n;
    unsigned char  c;

    o = 0;

    for (i = 0; i < len; /* void */ ) {
        if (src[i] == '&') {
            n = invsync_html_entity(src + i, len - i, &c);

            if (n != 0) {
                dst[o++] = c;
                i += n;
                continue;
            }
        }

        dst[o++] = src[i++];
    }

    return o;
}


/* the length of the entity at p (which starts with '&'), or 0 */
static size_t
invsync_html_entity(const unsigned char *p, size_t len, unsigned char *c)
{
    size_t  i;

    static const struct {
        const char     *name;
        size_t          len;
        unsigned char   c;
    } named[] = {
        { "&lt;", 4, '<' },
        { "&gt;", 4, '>' },
        { "&amp;", 5, '&' },
        { "&quot;", 6, '"' },
        { NULL, 0, 0 }
    };

    for (i = 0; named[i].name != NULL; i++) {
        if (len >= named[i].len
            && memcmp(p, named[i].name, named[i].len) == 0)
        {
            *c = named[i].c;
            return named[i].len;
        }
    }

    if (len < 4 || p[1] != '#') {
        return 0;
    }

    if (p[2] == 'x' || p[2] == 'X') {
        return invsync_html_number(p, len, 1, invsync_html_hex,
                                   invsync_html_hex_chars, c);
    }

    return invsync_html_number(p, len, 0, invsync_html_dec,
                               invsync_html_dec_chars, c);
}


static size_t
invsync_html_number(const unsigned char *p, size_t len, int hex,
    const char *const *codes, const char *chars, unsigned char *c)
{
    size_t  i, k;

    i = hex ? 3 : 2;

    while (i < len && p[i] == '0') {
        i++;
    }

    for (k = 0; codes[k] != NULL; k++) {
        if (len - i >= 3 && memcmp(p + i, codes[k], 2) == 0
            && p[i + 2] == ';')
        {
            *c = (unsigned char) chars[k];
            return i + 3;
        }
    }

    return 0;
}


/*
 * When a webhook is saved, WooCommerce posts the form body
 * "webhook_id=<n>" without signature headers and the save fails unless
 * the answer is 200.  Returns INVSYNC_OK for every other request.
 */
static invsync_rc_e
invsync_wc_handshake(const invsync_input_t *in, invsync_reply_t *r)
{
    size_t               i;
    const invsync_str_t  *b;

    if (invsync_str_set(&in->headers[INVSYNC_WC_SIGNATURE])) {
        return INVSYNC_OK;
    }

    b = &in->body;

    if (b->data == NULL || b->len <= INVSYNC_WC_PING_LEN
        || memcmp(b->data, INVSYNC_WC_PING, INVSYNC_WC_PING_LEN) != 0)
    {
        return INVSYNC_OK;
    }

    for (i = INVSYNC_WC_PING_LEN; i < b->len; i++) {
        if (b->data[i] < '0' || b->data[i] > '9') {
            return INVSYNC_OK;
        }
    }

    r->len = sizeof(INVSYNC_WC_REPLY) - 1;
    memcpy(r->body, INVSYNC_WC_REPLY, r->len);

    return INVSYNC_HANDSHAKE;
}


static invsync_rc_e
invsync_wc_verify(const invsync_input_t *in, const invsync_secret_t *secrets,
    size_t n)
{
    size_t               i, len;
    ssize_t              siglen;
    invsync_rc_e         rc;
    unsigned char        sig[64], mac[32];
    unsigned char        key[INVSYNC_MAX_SECRET];
    const invsync_str_t  *h;

    if (n == 0) {
        return INVSYNC_ERR_CONFIG;
    }

    h = &in->headers[INVSYNC_WC_SIGNATURE];

    if (!invsync_str_set(h)) {
        return INVSYNC_ERR_NO_SIGNATURE;
    }

    siglen = invsync_base64_decode(sig, sizeof(sig), h->data, h->len, 0);
    if (siglen != 32) {
        return INVSYNC_ERR_SIGNATURE;
    }

    rc = INVSYNC_ERR_SIGNATURE;

    for (i = 0; i < n; i++) {
        if (secrets[i].len > INVSYNC_MAX_SECRET) {
            rc = INVSYNC_ERR_CONFIG;
            goto failed;
        }

        len = invsync_html_decode(key, secrets[i].data, secrets[i].len);

        if (invsync_hmac_sha256(key, len, &in->body, 1, mac) != 0) {
            rc = INVSYNC_ERR_NOMEM;
            goto failed;
        }

        if (invsync_ct_equal(sig, mac, 32)) {
            rc = INVSYNC_OK;
            goto failed;
        }
    }

failed:

    OPENSSL_cleanse(key, sizeof(key));

    return rc;
}


/*
 * WooCommerce sends no stable event id and its delivery id is shared by
 * deliveries within one second, so the id comes from the body:
 * "<resource>:<id>:<date_modified_gmt>:<16 hex of the body's SHA-256>",
 * else "sha256:<hex of the body>".
 */
static invsync_rc_e
invsync_wc_describe(const invsync_input_t *in, invsync_meta_t *m)
{
    json_t               *root;
    invsync_rc_e          rc;
    const invsync_str_t  *h;

    /* an object, as the worker's normalizer needs */
    rc = invsync_json_load(in, 1, &root);
    if (rc != INVSYNC_OK) {
        return rc;
    }

    h = &in->headers[INVSYNC_WC_TOPIC];

    if (!invsync_str_set(h)) {
        rc = INVSYNC_ERR_NO_TOPIC;
        goto failed;
    }

    rc = invsync_meta_set(m->topic, &m->topic_len, INVSYNC_TOPIC_LEN,
                          h->data, h->len);
    if (rc != INVSYNC_OK) {
        goto failed;
    }

    h = &in->headers[INVSYNC_WC_SOURCE];

    rc = invsync_meta_set(m->account, &m->account_len, INVSYNC_ACCOUNT_LEN,
                          h->data, invsync_str_set(h) ? h->len : 0);
    if (rc != INVSYNC_OK) {
        goto failed;
    }

    rc = invsync_wc_event(in, root, m, m);

failed:

    json_decref(root);

    return rc;
}


static invsync_rc_e
invsync_wc_event(const invsync_input_t *in, json_t *root,
    const invsync_meta_t *topic, invsync_meta_t *m)
{
    int                   len;
    char                  id[64];
    size_t                rlen;
    json_t               *v, *date;
    unsigned char        *p, digest[32];
    const char           *res, *dot;
    const invsync_str_t  *h;

    v = json_is_object(root) ? json_object_get(root, "id") : NULL;

    date = json_is_object(root) ? json_object_get(root, "date_modified_gmt")
                                : NULL;
    if (!json_is_string(date) || json_string_length(date) == 0) {
        date = json_is_object(root) ? json_object_get(root, "date_modified")
                                    : NULL;
    }

    h = &in->headers[INVSYNC_WC_RESOURCE];

    if (invsync_str_set(h)) {
        res = (const char *) h->data;
        rlen = h->len;

    } else {
        res = (const char *) topic->topic;
        dot = memchr(res, '.', topic->topic_len);
        rlen = (dot != NULL) ? (size_t) (dot - res) : 0;
    }

    if (json_is_integer(v)) {
        len = snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT,
                       json_integer_value(v));

    } else if (json_is_string(v) && json_string_length(v) > 0
               && json_string_length(v) < sizeof(id))
    {
        len = snprintf(id, sizeof(id), "%s", json_string_value(v));

    } else {
        len = -1;
    }

    if (len <= 0 || rlen == 0
        || !json_is_string(date) || json_string_length(date) == 0)
    {
        return invsync_meta_body_hash(m, in);
    }

    /* date_modified has a one-second grain: two changes of one resource
     * within a second would share it, so the body's digest joins it */
    if (rlen + 1 + (size_t) len + 1 + json_string_length(date) + 1 + 16
        > INVSYNC_EVENT_LEN - 1)
    {
        return INVSYNC_ERR_FORMAT;
    }

    invsync_sha256(in->body.data, in->body.len, digest);

    p = m->event;
    memcpy(p, res, rlen);
    p += rlen;
    *p++ = ':';
    memcpy(p, id, (size_t) len);
    p += len;
    *p++ = ':';
    memcpy(p, json_string_value(date), json_string_length(date));
    p += json_string_length(date);
    *p++ = ':';
    p += invsync_hex_encode(p, digest, 8);

    return invsync_meta_set(m->event, &m->event_len, INVSYNC_EVENT_LEN,
                            m->event, (size_t) (p - m->event));
}
