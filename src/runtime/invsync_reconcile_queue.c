
/*
 * The pass's queue: the mapped SKUs of the channel, scanned from K skus
 * a little at a time, and the next page's read request built from them by
 * the channel's row (read_item, read_build).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_reconcile_pass.h"


/*
 * More mapped SKUs into the queue, enough for a full page of one endpoint
 * (a channel may group items by where they are read, e.g. a product's
 * variations).  0, 1 when the SKU set
 * cannot be read (rc->error), -1 when the Redis session was lost.
 */

int
invsync_reconcile_fill(invsync_worker_t *w, invsync_reconcile_t *rc)
{
    char         skus[INVSYNC_KEY_LEN], key[INVSYNC_KEY_LEN];
    size_t       i, n;
    redisReply  *r, *list, *ref;

    invsync_key_skus(skus, sizeof(skus), w->conf);

    while (!rc->scanned && rc->nqueue < 2 * INVSYNC_RECONCILE_PAGE) {
        r = invsync_redis_cmdv(w, (const char *[]) { "SSCAN", skus,
                                      rc->cursor, "COUNT",
                                      INVSYNC_RECONCILE_SCAN, NULL });
        if (r == NULL) {
            return -1;
        }

        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2
            || r->element[0]->type != REDIS_REPLY_STRING
            || r->element[1]->type != REDIS_REPLY_ARRAY)
        {
            snprintf(rc->error, sizeof(rc->error), "the SKU set: %.100s",
                     r->type == REDIS_REPLY_ERROR ? r->str
                                                  : "unexpected reply");
            freeReplyObject(r);
            return 1;
        }

        snprintf(rc->cursor, sizeof(rc->cursor), "%s", r->element[0]->str);
        rc->scanned = strcmp(rc->cursor, "0") == 0;
        list = r->element[1];
        n = 0;

        for (i = 0; i < list->elements; i++) {
            invsync_key_skumap(key, sizeof(key), w->conf,
                               list->element[i]->str);

            if (invsync_redis_appendv(w, (const char *[]) { "HGET", key,
                                             rc->conf->id, NULL })
                != 0)
            {
                break;
            }

            n++;
        }

        for (i = 0; i < n; i++) {
            ref = invsync_redis_reply(w);
            if (ref == NULL) {
                freeReplyObject(r);
                return -1;
            }

            invsync_reconcile_item(rc, list->element[i]->str,
                                   list->element[i]->len, ref);
            freeReplyObject(ref);
        }

        i = list->elements;
        freeReplyObject(r);

        if (n < i) {
            snprintf(rc->error, sizeof(rc->error), "out of memory");
            return 1;
        }
    }

    return 0;
}


/*
 * One SKU of the scan: queued when it is mapped on this channel with
 * identifiers that can be asked for (the channel's read_item), else
 * unreadable (a SKU not mapped here is not this channel's).
 */

void
invsync_reconcile_item(invsync_reconcile_t *rc, const char *sku, size_t len,
    const redisReply *ref)
{
    invsync_read_item_t  *it, *q;

    if (ref->type != REDIS_REPLY_STRING) {
        return;
    }

    if (rc->nqueue == rc->cap) {
        q = realloc(rc->queue, (rc->cap ? 2 * rc->cap : 256)
                               * sizeof(invsync_read_item_t));
        if (q == NULL) {
            rc->counts.unreadable++;
            return;
        }

        rc->queue = q;
        rc->cap = rc->cap ? 2 * rc->cap : 256;
    }

    it = &rc->queue[rc->nqueue];
    memset(it, 0, sizeof(invsync_read_item_t));
    it->ref = json_loadb(ref->str, ref->len, 0, NULL);

    if (it->ref == NULL || len >= sizeof(it->sku)
        || rc->ch->read_item(it) != 0)
    {
        rc->counts.unreadable++;
        invsync_log(INVSYNC_LOG_DEBUG, "reconcile: unusable mapping",
                    json_pack("{s:s, s:s%}", "channel", rc->conf->id,
                              "sku", sku, len < sizeof(it->sku) ? len : 0));
        json_decref(it->ref);
        it->ref = NULL;
        return;
    }

    memcpy(it->sku, sku, len);
    it->sku[len] = '\0';
    rc->nqueue++;
}


/*
 * The page's request in rc->call.rq: a new page, the first items of the
 * queue the channel takes into one request (read_build groups them: e.g.
 * the variations of one product); or the page in hand, asked again.  The
 * others stay queued in their order.  0, or -1 when none can be built.
 */

int
invsync_reconcile_request(invsync_reconcile_t *rc)
{
    size_t  n, max;

    invsync_request_init(&rc->call.rq, "GET");
    rc->call.ctx.now_ms = invsync_now_ms();

    if (rc->nbatch > 0) {
        n = rc->ch->read_build(&rc->call.ctx, rc->batch, rc->nbatch,
                               &rc->call.rq);

        return n == rc->nbatch ? 0 : -1;
    }

    max = rc->ch->read_max < INVSYNC_RECONCILE_PAGE ? rc->ch->read_max
                                                    : INVSYNC_RECONCILE_PAGE;

    n = rc->ch->read_build(&rc->call.ctx, rc->queue, rc->nqueue,
                           &rc->call.rq);

    if (n == 0 || n > max) {
        return -1;
    }

    memcpy(rc->batch, rc->queue, n * sizeof(invsync_read_item_t));
    memmove(rc->queue, rc->queue + n,
            (rc->nqueue - n) * sizeof(invsync_read_item_t));
    rc->nqueue -= n;
    rc->nbatch = n;

    return 0;
}
