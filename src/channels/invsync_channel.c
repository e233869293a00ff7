
/*
 * The channel table: one row per folder of src/channels, sorted by type,
 * and the helpers the channels' build operations share.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_channel.h"
#include "invsync_channels.h"


#define INVSYNC_TYPES_LEN  256


const invsync_channel_t  *invsync_channels[] = {
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
