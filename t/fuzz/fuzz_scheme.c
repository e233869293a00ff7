
/*
 * libFuzzer target: every signature scheme of invsync_schemes[] through
 * its handshake, verify and describe, each run whatever the one before
 * answered.  The input (t/fuzz/README.md):
 *
 *     <scheme byte><flags byte>
 *     name: value\n ...          headers, and the pseudo-headers :secret,
 *                                :url, :app-key, :now, :tolerance,
 *                                :content-type
 *     \n
 *     body
 *
 * Besides the sanitizers, it checks what the module relies on: a
 * described id, topic and account fit their buffers and hold no byte
 * below 0x21 nor DEL; a handshake answer fits its buffer.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_schemes.h"


#define T_MAX_SECRETS  4


typedef struct {
    invsync_input_t   in;
    invsync_secret_t  secrets[T_MAX_SECRETS];
    size_t            nsecrets;
} t_request_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static size_t t_schemes(void);
static const char **t_names(const invsync_scheme_t *s);
static const uint8_t *t_parse(const invsync_scheme_t *s, const uint8_t *p,
    const uint8_t *last, t_request_t *rq);
static void t_field(t_request_t *rq, const char **names, const uint8_t *name,
    size_t name_len, const uint8_t *value, size_t len);
static int64_t t_int(const uint8_t *p, size_t len);
static void t_check_meta(invsync_rc_e rc, const invsync_meta_t *m);
static void t_check_part(const unsigned char *p, size_t len, size_t cap);


/* the headers the module collects for "hmac", as its vectors name them */
static const char  *t_hmac_headers[] = {
    "x-signature", "x-event-id", "x-topic", NULL
};

static const invsync_hmac_conf_t  t_hex = { INVSYNC_ENC_HEX };
static const invsync_hmac_conf_t  t_base64 = { INVSYNC_ENC_BASE64 };


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t           *copy;
    const uint8_t     *body;
    t_request_t        rq;
    invsync_rc_e       rc;
    invsync_meta_t     m;
    invsync_reply_t    reply;
    const invsync_scheme_t  *s;

    if (size < 2) {
        return 0;
    }

    s = invsync_schemes[data[0] % t_schemes()];

    /* an exact copy: a read past the end of any part is ASan's to see */
    copy = malloc(size);
    if (copy == NULL) {
        return 0;
    }

    memcpy(copy, data, size);

    memset(&rq, 0, sizeof(t_request_t));
    rq.in.tolerance = 300;
    rq.in.hmac = (data[1] & 1) ? &t_base64 : &t_hex;

    body = t_parse(s, copy + 2, copy + size, &rq);
    rq.in.body.data = body;
    rq.in.body.len = (size_t) (copy + size - body);

    if (s->handshake != NULL) {
        memset(&reply, 0xa5, sizeof(invsync_reply_t));
        rc = s->handshake(&rq.in, &reply);

        if (rc == INVSYNC_HANDSHAKE && reply.len > INVSYNC_REPLY_LEN) {
            abort();
        }
    }

    (void) s->verify(&rq.in, rq.secrets, rq.nsecrets);

    memset(&m, 0xa5, sizeof(invsync_meta_t));
    rc = s->describe(&rq.in, &m);
    t_check_meta(rc, &m);

    free(copy);

    return 0;
}


static size_t
t_schemes(void)
{
    static size_t  n;

    if (n == 0) {
        while (invsync_schemes[n] != NULL) {
            n++;
        }
    }

    return n;
}


static const char **
t_names(const invsync_scheme_t *s)
{
    return s->headers != NULL ? s->headers : t_hmac_headers;
}


/* "name: value" lines up to an empty one; returns where the body starts */
static const uint8_t *
t_parse(const invsync_scheme_t *s, const uint8_t *p, const uint8_t *last,
    t_request_t *rq)
{
    const uint8_t  *nl, *colon, *value;

    while (p < last) {
        nl = memchr(p, '\n', (size_t) (last - p));
        if (nl == NULL) {
            nl = last;
        }

        if (nl == p) {
            return nl + 1;
        }

        /* the first ':' after the name's first byte: ":url: x" works */
        colon = memchr(p + 1, ':', (size_t) (nl - p - 1));

        if (colon != NULL) {
            value = colon + 1;

            if (value < nl && *value == ' ') {
                value++;
            }

            t_field(rq, t_names(s), p, (size_t) (colon - p), value,
                    (size_t) (nl - value));
        }

        p = nl + 1;
    }

    return last;
}


static void
t_field(t_request_t *rq, const char **names, const uint8_t *name,
    size_t name_len, const uint8_t *value, size_t len)
{
    size_t          i;
    invsync_str_t  *str;

#define t_is(lit)  (name_len == sizeof(lit) - 1                              \
                    && memcmp(name, lit, sizeof(lit) - 1) == 0)

    str = NULL;

    if (t_is(":secret")) {
        if (rq->nsecrets < T_MAX_SECRETS) {
            rq->secrets[rq->nsecrets].data = value;
            rq->secrets[rq->nsecrets].len = len;
            rq->nsecrets++;
        }

        return;
    }

    if (t_is(":now")) {
        rq->in.now = t_int(value, len);
        return;
    }

    if (t_is(":tolerance")) {
        rq->in.tolerance = t_int(value, len);
        return;
    }

    if (t_is(":url")) {
        str = &rq->in.url;

    } else if (t_is(":app-key")) {
        str = &rq->in.app_key;

    } else if (t_is(":content-type")) {
        str = &rq->in.content_type;

    } else {
        for (i = 0; names[i] != NULL && i < INVSYNC_MAX_HEADERS; i++) {
            if (strlen(names[i]) == name_len
                && memcmp(names[i], name, name_len) == 0)
            {
                str = &rq->in.headers[i];
                break;
            }
        }
    }

#undef t_is

    if (str != NULL) {
        str->data = value;
        str->len = len;
    }
}


/* decimal, optionally negative, its first 18 digits: never overflows */
static int64_t
t_int(const uint8_t *p, size_t len)
{
    size_t   i, neg;
    int64_t  v;

    neg = (len > 0 && p[0] == '-');
    v = 0;

    for (i = neg; i < len && i < neg + 18 && p[i] >= '0' && p[i] <= '9';
         i++)
    {
        v = v * 10 + (p[i] - '0');
    }

    return neg ? -v : v;
}


static void
t_check_meta(invsync_rc_e rc, const invsync_meta_t *m)
{
    if (rc != INVSYNC_OK) {
        return;
    }

    t_check_part(m->event, m->event_len, INVSYNC_EVENT_LEN);
    t_check_part(m->topic, m->topic_len, INVSYNC_TOPIC_LEN);
    t_check_part(m->account, m->account_len, INVSYNC_ACCOUNT_LEN);
}


/* what docs/keys.md promises of the envelope's channel, topic and event */
static void
t_check_part(const unsigned char *p, size_t len, size_t cap)
{
    size_t  i;

    if (len >= cap) {
        abort();
    }

    for (i = 0; i < len; i++) {
        if (p[i] < 0x21 || p[i] == 0x7f) {
            abort();
        }
    }
}
