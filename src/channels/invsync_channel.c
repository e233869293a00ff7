
/*
 * The channel table: one row per folder of src/channels, sorted by type,
 * and the helpers the channels' build operations share.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "invsync_channel.h"
#include "invsync_channels.h"


#define INVSYNC_TYPES_LEN  256


const invsync_channel_t  *invsync_channels[] = {
    &invsync_channel_shipbob,
    &invsync_channel_shopify,
    &invsync_channel_square,
    &invsync_channel_stripe,
    &invsync_channel_tiktok,
    &invsync_channel_woocommerce,
    NULL
};


const invsync_channel_t *
invsync_channel_find(const char *type)
{
    size_t  i;

    if (type == NULL) {
        return NULL;
    }

    for (i = 0; invsync_channels[i] != NULL; i++) {
        if (strcmp(invsync_channels[i]->type, type) == 0) {
            return invsync_channels[i];
        }
    }

    return NULL;
}


const char *
invsync_channel_types(void)
{
    return invsync_channel_types_with((size_t) -1);
}


/*
 * The types whose operation at offset (offsetof(invsync_channel_t, op))
 * is set, or every type for (size_t) -1; a static buffer, for messages.
 */

const char *
invsync_channel_types_with(size_t offset)
{
    void         (*op)(void);
    size_t         i, n;
    static char    buf[INVSYNC_TYPES_LEN];

    buf[0] = '\0';
    n = 0;

    for (i = 0; invsync_channels[i] != NULL; i++) {
        if (offset != (size_t) -1) {
            memcpy(&op, (const char *) invsync_channels[i] + offset,
                   sizeof(op));
            if (op == NULL) {
                continue;
            }
        }

        n += snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0,
                      "%s%s", n ? ", " : "", invsync_channels[i]->type);
    }

    return buf;
}


invsync_channel_rc_e
invsync_answer_retry(const invsync_answer_t *a, const char *fmt, ...)
{
    va_list  ap;

    if (a->why != NULL && a->why_len > 0) {
        va_start(ap, fmt);
        vsnprintf(a->why, a->why_len, fmt, ap);
        va_end(ap);
        invsync_channel_text(a->why);
    }

    return INVSYNC_CH_RETRY;
}


void
invsync_channel_text(char *s)
{
    size_t          len, k;
    unsigned char  *p;

    p = (unsigned char *) s;

    while (*p != '\0') {
        len = *p < 0x80 ? 1 : *p >= 0xc2 && *p <= 0xdf ? 2
              : *p >= 0xe0 && *p <= 0xef ? 3 : *p >= 0xf0 && *p <= 0xf4 ? 4
              : 0;

        for (k = 1; k < len && (p[k] & 0xc0) == 0x80; k++) {
            /* void */
        }

        if (len == 0 || k < len || (len == 1 && (*p < 0x20 || *p == 0x7f))) {
            *p++ = '?';
            continue;
        }

        p += len;
    }
}


void
invsync_request_init(invsync_request_t *rq, const char *method)
{
    rq->method = method;
    rq->url[0] = '\0';
    rq->body = NULL;
    rq->nheaders = 0;
}


void
invsync_request_free(invsync_request_t *rq)
{
    free(rq->body);
    rq->body = NULL;

    /* headers may carry credentials */
    explicit_bzero(rq->headers, sizeof(rq->headers[0]) * rq->nheaders);
    rq->nheaders = 0;
}


/* 0, or -1 when the header list is full or the header too long */

int
invsync_request_header(invsync_request_t *rq, const char *fmt, ...)
{
    int      n;
    va_list  ap;

    if (rq->nheaders == INVSYNC_REQ_HEADERS) {
        return -1;
    }

    va_start(ap, fmt);
    n = vsnprintf(rq->headers[rq->nheaders], INVSYNC_REQ_HEADER_LEN, fmt,
                  ap);
    va_end(ap);

    if (n < 0 || n >= INVSYNC_REQ_HEADER_LEN) {
        explicit_bzero(rq->headers[rq->nheaders], INVSYNC_REQ_HEADER_LEN);
        return -1;
    }

    rq->nheaders++;

    return 0;
}


int
invsync_request_url(invsync_request_t *rq, const char *fmt, ...)
{
    int      n;
    va_list  ap;

    va_start(ap, fmt);
    n = vsnprintf(rq->url, sizeof(rq->url), fmt, ap);
    va_end(ap);

    return n < 0 || (size_t) n >= sizeof(rq->url) ? -1 : 0;
}


int
invsync_request_api(invsync_request_t *rq, const invsync_channel_ctx_t *ctx,
    const char *fmt, ...)
{
    int      n, m;
    size_t   blen;
    va_list  ap;

    blen = invsync_api_base_len(ctx->conf->api_base);

    if (blen >= sizeof(rq->url)) {
        return -1;
    }

    memcpy(rq->url, ctx->conf->api_base, blen);
    n = (int) blen;

    va_start(ap, fmt);
    m = vsnprintf(rq->url + n, sizeof(rq->url) - n, fmt, ap);
    va_end(ap);

    return m < 0 || (size_t) (n + m) >= sizeof(rq->url) ? -1 : 0;
}


size_t
invsync_api_base_len(const char *base)
{
    size_t  n;

    n = base != NULL ? strlen(base) : 0;

    while (n > 0 && base[n - 1] == '/') {
        n--;
    }

    return n;
}


int
invsync_request_json(invsync_request_t *rq, json_t *doc)
{
    free(rq->body);
    rq->body = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);

    return rq->body != NULL ? 0 : -1;
}


int
invsync_id_digits(json_t *v, char *buf, size_t cap)
{
    size_t       n;
    const char  *s, *slash;

    buf[0] = '\0';

    if (json_is_integer(v)) {
        if (json_integer_value(v) <= 0) {
            return 0;
        }

        snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return 1;
    }

    s = json_string_value(v);
    if (s == NULL) {
        return 0;
    }

    if (strncmp(s, "gid://", 6) == 0) {
        slash = strrchr(s, '/');
        s = slash + 1;
    }

    n = strspn(s, "0123456789");

    if (n == 0 || s[n] != '\0' || n >= cap || n > 20
        || strspn(s, "0") == n)
    {
        return 0;
    }

    memcpy(buf, s, n + 1);

    return 1;
}


size_t
invsync_items_group(void *items, size_t n, size_t size, size_t max,
    int (*same)(const void *first, const void *other))
{
    char    *base = items, *tmp;
    size_t   i, front;

    if (n == 0 || max == 0) {
        return 0;
    }

    tmp = malloc(size);
    if (tmp == NULL) {
        return 1;
    }

    front = 1;

    for (i = 1; i < n && front < max; i++) {
        if (!same(base, base + i * size)) {
            continue;
        }

        /* item i moves to the front's end; the ones between move back */
        memcpy(tmp, base + i * size, size);
        memmove(base + (front + 1) * size, base + front * size,
                (i - front) * size);
        memcpy(base + front * size, tmp, size);
        front++;
    }

    free(tmp);

    return front;
}


int
invsync_request_basic(invsync_request_t *rq, const char *credentials)
{
    int            rc;
    size_t         len;
    unsigned char  b64[INVSYNC_REQ_HEADER_LEN];

    len = strlen(credentials);

    if (invsync_base64_encoded_len(len) >= sizeof(b64)) {
        return -1;
    }

    b64[invsync_base64_encode(b64, (const unsigned char *) credentials,
                              len)] = '\0';
    rc = invsync_request_header(rq, "Authorization: Basic %s", b64);
    explicit_bzero(b64, sizeof(b64));

    return rc;
}


size_t
invsync_channel_refs(const invsync_channel_t *ch, json_t *ids,
    const char *sku, char refs[2][INVSYNC_REF_LEN])
{
    size_t                       n;
    json_t                      *v;
    const char                  *text;
    const invsync_channel_id_t  *id;

    n = 0;

    for (id = ch->ids; id != NULL && id->key != NULL; id++) {
        v = json_object_get(ids, id->key);

        if (id->ref != NULL && json_is_string(v)) {
            snprintf(refs[n++], INVSYNC_REF_LEN, "%s:%s", id->ref,
                     json_string_value(v));
            break;
        }
    }

    v = json_object_get(ids, "channel_sku");
    text = json_is_string(v) ? json_string_value(v) : sku;

    if (text != NULL && text[0] != '\0') {
        snprintf(refs[n++], INVSYNC_REF_LEN, "sku:%s", text);
    }

    return n;
}


/* 0 with the value (gid prefix removed) in out, or -1 */

int
invsync_channel_id_value(const invsync_channel_id_t *id, const char *value,
    char *out, size_t cap)
{
    size_t       n;
    const char  *p;

    if (id->gid != NULL && strncmp(value, id->gid, strlen(id->gid)) == 0) {
        value += strlen(id->gid);
    }

    n = strlen(value);

    if (n == 0 || n >= cap
        || n > (id->shape == INVSYNC_ID_NUMBER ? 20 : 64))
    {
        return -1;
    }

    for (p = value; *p != '\0'; p++) {
        if (id->shape == INVSYNC_ID_NUMBER
            ? *p < '0' || *p > '9'
            : !((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z')
                || (*p >= 'a' && *p <= 'z') || *p == '_' || *p == '-'))
        {
            return -1;
        }
    }

    /* an id of zeros names nothing */
    if (id->shape == INVSYNC_ID_NUMBER && strspn(value, "0") == n) {
        return -1;
    }

    memcpy(out, value, n + 1);

    return 0;
}


/*
 * The mapping's location (the id row flagged location) and the level's,
 * each as the row keeps it (a gid prefix dropped: a webhook may send
 * "gid://shopify/Location/9" where the mapping holds "9"); a value that
 * does not fit the row's shape is compared as it is.
 */

int
invsync_channel_level_here(const invsync_channel_t *ch, json_t *ids,
    const char *location_id)
{
    char                         num[32], mine[72], theirs[72];
    json_t                      *v;
    const char                  *text, *a, *b;
    const invsync_channel_id_t  *id;

    id = ch != NULL ? ch->ids : NULL;

    while (id != NULL && id->key != NULL && !id->location) {
        id++;
    }

    if (id == NULL || id->key == NULL || location_id == NULL
        || location_id[0] == '\0')
    {
        return 1;
    }

    v = json_object_get(ids, id->key);

    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        text = num;

    } else if (json_is_string(v) && json_string_length(v) > 0) {
        text = json_string_value(v);

    } else {
        return 1;
    }

    a = invsync_channel_id_value(id, text, mine, sizeof(mine)) == 0
        ? mine : text;
    b = invsync_channel_id_value(id, location_id, theirs, sizeof(theirs)) == 0
        ? theirs : location_id;

    return strcmp(a, b) == 0;
}


void
invsync_iso_time(int64_t ms, int frac, char *dst, size_t cap)
{
    char       buf[32];
    time_t     sec;
    struct tm  tm;

    if (ms < 0) {
        ms = 0;
    }

    sec = (time_t) (ms / 1000);
    gmtime_r(&sec, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);

    if (frac) {
        snprintf(dst, cap, "%s.%03dZ", buf, (int) (ms % 1000));

    } else {
        snprintf(dst, cap, "%sZ", buf);
    }
}
