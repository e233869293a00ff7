
/*
 * What a channel should show of a SKU by the ledger: its stock hash (and
 * its components', for a bundle) under the channel's rules.  Apart from
 * the pass because the pusher and the CLI's stock view ask it too.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_reconcile_pass.h"


/*
 * What the channel should show of a SKU, by the ledger (its K stock:<sku>
 * hash) and the channel's rules; a bundle (K sku:<sku> components, JSON
 * {sku: qty}) shows its scarcest component.  The pusher and the pass both
 * use this.  Replies borrowed; *err set when the ledger cannot be read.
 * When a component's read loses the session, w->redis is NULL after.
 */

int64_t
invsync_reconcile_should(invsync_worker_t *w,
    const invsync_channel_conf_t *cc, const redisReply *stock,
    const redisReply *components, int *err)
{
    char                     key[INVSYNC_KEY_LEN];
    json_t                  *c, *q;
    int64_t                  a;
    const char              *name;
    redisReply              *r;
    invsync_stock_t          st;
    invsync_stock_bundle_t   b;

    if (components != NULL && components->type == REDIS_REPLY_STRING
        && components->len > 0)
    {
        c = json_loads(components->str, 0, NULL);
        memset(&b, 0, sizeof(invsync_stock_bundle_t));

        json_object_foreach(c, name, q) {
            invsync_key_stock(key, sizeof(key), w->conf, name);
            r = invsync_redis_cmdv(w, (const char *[]) { "HGETALL", key,
                                                            NULL });
            if (r == NULL) {
                json_decref(c);
                return 0;
            }

            a = invsync_reconcile_raw(cc, r, err);
            freeReplyObject(r);

            invsync_stock_bundle_add(&b, a, json_integer_value(q));
        }

        json_decref(c);

        return invsync_stock_shown(b.least, &cc->rules);
    }

    if (invsync_stock_reply(stock, &st) != 0) {
        *err = 1;
        return 0;
    }

    return invsync_stock_shown(invsync_stock_available(&st, &cc->rules),
                               &cc->rules);
}


/* a component's availability at the channel's locations, at least 0 */

int64_t
invsync_reconcile_raw(const invsync_channel_conf_t *cc,
    const redisReply *stock, int *err)
{
    int64_t          a;
    invsync_stock_t  st;

    if (invsync_stock_reply(stock, &st) != 0) {
        *err = 1;
        return 0;
    }

    a = invsync_stock_available(&st, &cc->rules);

    /* the bundle applies the rules once, to its own quantity */
    return a < 0 ? 0 : a;
}


/* a stock:<sku> hash (HGETALL) as the ledger's fields; -1 malformed, or
 * more locations than INVSYNC_STOCK_MAX_LOCATIONS (never a part of it) */

int
invsync_stock_reply(const redisReply *r, invsync_stock_t *st)
{
    int           rc;
    size_t        i, n;
    const char  **f;

    if (r->type != REDIS_REPLY_ARRAY) {
        return invsync_stock_parse(st, NULL, NULL, 0);
    }

    n = r->elements / 2;
    f = malloc(2 * (n + 1) * sizeof(char *));

    if (f == NULL) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        f[i] = r->element[2 * i]->str ? r->element[2 * i]->str : "";
        f[n + 1 + i] = r->element[2 * i + 1]->str
                       ? r->element[2 * i + 1]->str : "0";
    }

    rc = invsync_stock_parse(st, f, f + n + 1, n);
    free(f);

    return rc;
}
