
/*
 * Where a line's or a level's canonical SKU is kept: skuref:<channel>:<ref>,
 * written by the SKU mappings (invsyncctl sku), read one by one or
 * appended to a pipeline (a batch of orders or of refunds); and the SKU's
 * tags, which the restock rules read.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_actions.h"


#define INVSYNC_KEY_LEN  INVSYNC_ACTION_KEY_LEN


/*
 * The canonical SKU of a line or a level (obj): by its refs, in their
 * order, the first one mapped wins.  1 found, 0 not, -1 the session was
 * lost.
 */

int
invsync_stock_map(invsync_worker_t *w, const char *channel, json_t *obj,
    char *sku, size_t cap)
{
    int     rc;
    char    refs[INVSYNC_STOCK_REFS][INVSYNC_REF_LEN];
    size_t  i, n;

    n = invsync_stock_refs(obj, refs);

    for (i = 0; i < n; i++) {
        rc = invsync_stock_ref(w, channel, refs[i], sku, cap);
        if (rc != 0) {
            return rc;
        }
    }

    return 0;
}


/*
 * The references a normalizer gave obj ("refs": ["sku:ABC",
 * "variation:12"], docs/events.md), in match order; one too long for a
 * key is skipped.  Returns how many.
 */

size_t
invsync_stock_refs(json_t *obj, char refs[INVSYNC_STOCK_REFS][INVSYNC_REF_LEN])
{
    size_t       i, n;
    json_t      *ref;
    const char  *text;

    n = 0;

    json_array_foreach(json_object_get(obj, "refs"), i, ref) {
        text = json_string_value(ref);

        if (n == INVSYNC_STOCK_REFS) {
            break;
        }

        if (text != NULL && text[0] != '\0'
            && strlen(text) < INVSYNC_REF_LEN)
        {
            memcpy(refs[n++], text, strlen(text) + 1);
        }
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

    invsync_key_skuref(key, sizeof(key), w->conf, channel, ref);

    return redisAppendCommand(w->redis, "GET %s", key) == REDIS_OK ? 0 : -1;
}


/* the GETs of n refs (invsync_stock_refs), in their order; -1: lost */

int
invsync_stock_refs_append(invsync_worker_t *w, const char *channel,
    char refs[INVSYNC_STOCK_REFS][INVSYNC_REF_LEN], size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (invsync_stock_ref_append(w, channel, refs[i]) != 0) {
            return -1;
        }
    }

    return 0;
}


/*
 * Their n replies, each read and freed: the first mapped ref's SKU in
 * sku, as invsync_stock_map() finds it.  1 found, 0 none is mapped, -1
 * the session was lost (the rest left unread).
 */

int
invsync_stock_refs_read(invsync_worker_t *w, size_t n, char *sku,
    size_t cap)
{
    int          found;
    size_t       i;
    redisReply  *r;

    found = 0;

    for (i = 0; i < n; i++) {
        r = invsync_redis_reply(w);
        if (r == NULL) {
            return -1;
        }

        if (found) {
            freeReplyObject(r);
            continue;
        }

        found = invsync_stock_ref_reply(r, sku, cap);
    }

    return found;
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
    argvlen[1] = invsync_key_skuref(key, sizeof(key), w->conf,
                                    channel, ref);

    r = invsync_redis_cmd(w, 2, argv, argvlen);
    if (r == NULL) {
        return -1;
    }

    return invsync_stock_ref_reply(r, sku, cap);
}


/* K sku:<sku> "tags", comma-separated, as an array (new): 0, or -1 on
 * Redis */
int
invsync_sku_tags(invsync_worker_t *w, const char *sku, json_t **tags)
{
    if (invsync_sku_tags_append(w, sku) != 0) {
        return -1;
    }

    return invsync_sku_tags_reply(invsync_redis_reply(w), tags);
}


/* the same appended to the pipeline (a batch of refunds); -1: lost */

int
invsync_sku_tags_append(invsync_worker_t *w, const char *sku)
{
    char         key[INVSYNC_ACTION_KEY_LEN];
    const char  *argv[4];

    invsync_key_sku(key, sizeof(key), w->conf, sku);
    argv[0] = "HGET";
    argv[1] = key;
    argv[2] = "tags";
    argv[3] = NULL;

    return invsync_redis_appendv(w, argv);
}


/* its reply, taken (NULL: the session was lost, -1) */

int
invsync_sku_tags_reply(redisReply *r, json_t **tags)
{
    char  *s, *tok, *save;

    if (r == NULL) {
        return -1;
    }

    *tags = json_array();
    s = r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
    freeReplyObject(r);

    for (tok = s ? strtok_r(s, ",", &save) : NULL; tok != NULL;
         tok = strtok_r(NULL, ",", &save))
    {
        json_array_append_new(*tags, json_string(tok));
    }

    free(s);

    return 0;
}
