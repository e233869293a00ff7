
/*
 * Where a line's or a level's canonical SKU is kept: skuref:<channel>:<ref>,
 * written by the SKU mappings (invsyncctl sku), read one by one or
 * appended to a pipeline (a batch of orders).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_actions.h"


#define INVSYNC_KEY_LEN  INVSYNC_ACTION_KEY_LEN


/* the canonical SKU of a channel's line: by its SKU text, then its ids */

int
invsync_stock_map(invsync_worker_t *w, const char *channel, const char *type,
    json_t *line, char *sku, size_t cap)
{
    int     rc;
    char    refs[2][INVSYNC_REF_LEN];
    size_t  i, n;

    n = invsync_stock_refs(type, line, refs);

    for (i = 0; i < n; i++) {
        rc = invsync_stock_ref(w, channel, refs[i], sku, cap);
        if (rc != 0) {
            return rc;
        }
    }

    return 0;
}


/*
 * Where a line's canonical SKU may be found, first match wins: its SKU
 * text, then its variation (WooCommerce) or product id.  Returns how many.
 */

size_t
invsync_stock_refs(const char *type, json_t *line,
    char refs[2][INVSYNC_REF_LEN])
{
    char         buf[64];
    size_t       n;
    const char  *text;

    n = 0;
    text = json_string_value(json_object_get(line, "sku"));

    if (text != NULL && text[0] != '\0'
        && strlen(text) + 4 < INVSYNC_REF_LEN)
    {
        snprintf(refs[n++], INVSYNC_REF_LEN, "sku:%s", text);
    }

    if (strcmp(type, "woocommerce") == 0
        && invsync_stock_str(line, "variation_id", buf, sizeof(buf))[0]
        && strcmp(buf, "0") != 0)
    {
        snprintf(refs[n++], INVSYNC_REF_LEN, "variation:%s", buf);

    } else if (invsync_stock_str(line, "product_id", buf, sizeof(buf))[0]) {
        snprintf(refs[n++], INVSYNC_REF_LEN, "product:%s", buf);
    }

    return n;
}


/* a ref's GET appended to the pipeline (a batch of orders) */

int
invsync_stock_ref_append(invsync_worker_t *w, const char *channel,
    const char *ref)
{
    char  key[INVSYNC_KEY_LEN];

    if (w->redis == NULL) {
        return -1;
    }

    invsync_key(key, sizeof(key), w->conf, "skuref:%s:%s", channel, ref);

    return redisAppendCommand(w->redis, "GET %s", key) == REDIS_OK ? 0 : -1;
}


/* its reply: 1 found (sku set), 0 not; takes r */

int
invsync_stock_ref_reply(redisReply *r, char *sku, size_t cap)
{
    if (r == NULL || r->type != REDIS_REPLY_STRING || r->len == 0
        || r->len >= cap)
    {
        freeReplyObject(r);
        return 0;
    }

    memcpy(sku, r->str, r->len + 1);
    freeReplyObject(r);

    return 1;
}


/* 1 found, 0 no such mapping, -1 the Redis session was lost */

int
invsync_stock_ref(invsync_worker_t *w, const char *channel, const char *ref,
    char *sku, size_t cap)
{
    char         key[INVSYNC_KEY_LEN];
    const char  *argv[2];
    size_t       argvlen[2];
    redisReply  *r;

    argv[0] = "GET";
    argvlen[0] = 3;
    argv[1] = key;
    argvlen[1] = invsync_key(key, sizeof(key), w->conf, "skuref:%s:%s",
                             channel, ref);

    r = invsync_redis_cmd(w, 2, argv, argvlen);
    if (r == NULL) {
        return -1;
    }

    return invsync_stock_ref_reply(r, sku, cap);
}
