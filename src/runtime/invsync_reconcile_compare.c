
/*
 * A page read back, compared: what the pusher thinks the channel shows
 * (its snapshot, taken before the read) and what the ledger says it should
 * show, against what the channel answered.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "invsync_reconcile_pass.h"


/* what the pusher thinks the channel shows, before asking the channel */

int
invsync_reconcile_snapshot(invsync_worker_t *w, invsync_reconcile_t *rc)
{
    char         shown[INVSYNC_KEY_LEN];
    size_t       i, n;
    redisReply  *r;

    invsync_key_shown(shown, sizeof(shown), w->conf, rc->conf->id);
    n = 0;

    for (i = 0; i < rc->nbatch; i++) {
        if (invsync_redis_appendv(w, (const char *[]) { "HGET", shown,
                                         rc->batch[i].sku, NULL })
            != 0)
        {
            break;
        }

        n++;
    }

    for (i = 0; i < n; i++) {
        r = invsync_redis_reply(w);
        if (r == NULL) {
            return -1;
        }

        snprintf(rc->batch[i].was, sizeof(rc->batch[i].was), "%s",
                 r->type == REDIS_REPLY_STRING ? r->str : "");
        rc->batch[i].read = INVSYNC_READ_UNREAD;
        rc->batch[i].why = NULL;
        freeReplyObject(r);
    }

    return n == rc->nbatch ? 0 : -1;
}


/*
 * Each read SKU against the ledger, which is read after the channel
 * answered: an order reserved meanwhile is in it.  A SKU whose push is
 * pending (dirty) or was acknowledged while we asked (shown moved) is
 * skipped: the channel may not show that push yet, and the pusher sends
 * the ledger's value anyway; the next pass checks it.  So is one whose
 * count notice is held for the next poll (invsync_stock_hold.c): the
 * channel counted a sale the ledger does not know yet.
 */

int
invsync_reconcile_compare(invsync_worker_t *w, invsync_reconcile_t *rc)
{
    int                        bad;
    char                       key[INVSYNC_KEY_LEN], shown[INVSYNC_KEY_LEN];
    char                       dirty[INVSYNC_KEY_LEN], held[INVSYNC_KEY_LEN];
    size_t                     i, n, k;
    int64_t                    should;
    char                       id[INVSYNC_KEY_LEN];
    redisReply                *rep[6 * INVSYNC_RECONCILE_PAGE];
    invsync_read_item_t  *it;

    invsync_key_shown(shown, sizeof(shown), w->conf, rc->conf->id);
    invsync_key_dirty(dirty, sizeof(dirty), w->conf, rc->conf->id);
    invsync_key_held(held, sizeof(held), w->conf, rc->conf->id);
    n = 0;

    for (i = 0; i < rc->nbatch; i++) {
        const char  *sku = rc->batch[i].sku;

        invsync_key_stock(key, sizeof(key), w->conf, sku);

        if (invsync_redis_appendv(w, (const char *[]) { "HGETALL", key,
                                         NULL })
            != 0)
        {
            break;
        }

        n++;
        invsync_key_sku(key, sizeof(key), w->conf, sku);

        if (invsync_redis_appendv(w, (const char *[]) { "HGET", key,
                                         "components", NULL })
            != 0)
        {
            break;
        }

        n++;

        if (invsync_redis_appendv(w, (const char *[]) { "HGET", shown,
                                         sku, NULL })
            != 0)
        {
            break;
        }

        n++;

        if (invsync_redis_appendv(w, (const char *[]) { "SISMEMBER",
                                         dirty, sku, NULL })
            != 0)
        {
            break;
        }

        n++;

        /* an item_missing exception of this mapping, still waiting */
        invsync_reconcile_missing_id(rc, &rc->batch[i], id, sizeof(id));
        invsync_key_exception(key, sizeof(key), w->conf, id);

        if (invsync_redis_appendv(w, (const char *[]) { "HGET", key,
                                         "state", NULL })
            != 0)
        {
            break;
        }

        n++;

        /* a count notice of the channel's own, held for the next poll */
        if (invsync_redis_appendv(w, (const char *[]) { "HEXISTS", held,
                                         sku, NULL })
            != 0)
        {
            break;
        }

        n++;
    }

    for (k = 0; k < n; k++) {
        rep[k] = invsync_redis_reply(w);

        if (rep[k] == NULL) {
            while (k--) {
                freeReplyObject(rep[k]);
            }

            return -1;
        }
    }

    if (n < 6 * rc->nbatch) {
        for (k = 0; k < n; k++) {
            freeReplyObject(rep[k]);
        }

        return -1;
    }

    for (i = 0; i < rc->nbatch; i++) {
        it = &rc->batch[i];
        k = 6 * i;

        if (it->read == INVSYNC_READ_UNREAD) {
            rc->counts.unreadable++;
            continue;
        }

        if (it->read == INVSYNC_READ_MISSING) {
            rc->counts.missing++;

            if (invsync_reconcile_missing(w, rc, it) != 0) {
                break;
            }

            continue;
        }

        /* known to the channel again (the mapping was put right, the
         * item restored): its exception goes away with its cause */
        if (rep[k + 4]->type == REDIS_REPLY_STRING
            && (strcmp(rep[k + 4]->str, "open") == 0
                || strcmp(rep[k + 4]->str, "retried") == 0))
        {
            invsync_reconcile_missing_id(rc, it, id, sizeof(id));

            if (invsync_exception_resolve(w, id, rc->conf->id, rc->event,
                                          "the channel knows the item "
                                          "again")
                != 0)
            {
                break;
            }
        }

        if ((rep[k + 3]->type == REDIS_REPLY_INTEGER
             && rep[k + 3]->integer == 1)
            || (rep[k + 5]->type == REDIS_REPLY_INTEGER
                && rep[k + 5]->integer == 1)
            || strcmp(rep[k + 2]->type == REDIS_REPLY_STRING
                      ? rep[k + 2]->str : "", it->was) != 0)
        {
            rc->counts.skipped++;
            continue;
        }

        bad = 0;
        should = invsync_reconcile_should(w, rc->conf, rep[k], rep[k + 1],
                                          &bad);

        if (w->redis == NULL) {
            break;
        }

        if (bad) {
            rc->counts.unreadable++;
            continue;
        }

        rc->counts.checked++;

        if (it->read == INVSYNC_READ_SHOWS && it->shows == should) {
            continue;
        }

        rc->counts.drifted++;

        if (invsync_reconcile_drift(w, rc, it, should, it->was) != 0) {
            break;
        }
    }

    for (k = 0; k < n; k++) {
        freeReplyObject(rep[k]);
    }

    return w->redis != NULL ? 0 : -1;
}
