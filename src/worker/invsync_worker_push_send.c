
/*
 * A channel's next push: a batch of its dirty SKUs, what each should show
 * now by the ledger, and a request (the channel's push_build) for only the
 * ones that differ from what the channel last acknowledged.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_push.h"


/* 1 when a request went out, 0 when nothing differs, -1 Redis lost */

int
invsync_push_start(invsync_worker_t *w, invsync_pushchan_t *pc)
{
    int          round, rc;
    char         key[INVSYNC_KEY_LEN], count[16];
    size_t       i, n, max;
    redisReply  *r;

    pc->nitems = 0;
    max = pc->ch->push_max < INVSYNC_PUSH_MAX_BATCH ? pc->ch->push_max
                                                    : INVSYNC_PUSH_MAX_BATCH;

    /* skip over SKUs already shown right, a few batches at most a turn */
    for (round = 0; round < 4 && pc->nitems == 0; round++) {
        invsync_key_dirty(key, sizeof(key), w->conf, pc->conf->id);
        snprintf(count, sizeof(count), "%zu", max);

        r = invsync_redis_cmd(w, 3, (const char *[]) { "SPOP", key, count },
                              (size_t []) { 4, strlen(key), strlen(count) });
        if (r == NULL) {
            return -1;
        }

        if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
            freeReplyObject(r);
            return 0;
        }

        rc = invsync_push_collect(w, pc, r);
        freeReplyObject(r);

        if (rc != 0) {
            return -1;
        }
    }

    if (pc->nitems == 0) {
        return 0;
    }

    invsync_key_pushseq(key, sizeof(key), w->conf, pc->conf->id);
    r = invsync_redis_cmd(w, 2, (const char *[]) { "INCR", key },
                          (size_t []) { 4, strlen(key) });
    if (r == NULL) {
        return -1;
    }

    /* a new key per request: the same key again would replay, not apply */
    snprintf(pc->idempotency, sizeof(pc->idempotency), "invsync-%s-%lld",
             pc->conf->id, (long long) r->integer);
    freeReplyObject(r);

    invsync_request_init(&pc->call.rq, "POST");
    pc->call.ctx.now_ms = invsync_now_ms();
    n = pc->ch->push_build(&pc->call.ctx, pc->items, pc->nitems,
                           pc->idempotency, &pc->call.rq);

    if (n == 0) {
        /* what cannot be asked for at all waits for reconciliation */
        invsync_log(INVSYNC_LOG_WARN, "channel push request not built",
                    json_pack("{s:s, s:i}", "channel", pc->conf->id,
                              "items", (int) pc->nitems));
        invsync_push_release(w, pc);
        return 0;
    }

    if (n < pc->nitems && invsync_push_giveback(w, pc, n) != 0) {
        return -1;
    }

    pc->nitems = n;

    /* the channel may send its webhook for this change before we see the
     * answer: the value is known as ours from now on */
    for (i = 0; i < n; i++) {
        char  q[32];

        invsync_key_pushed(key, sizeof(key), w->conf,
                           pc->conf->id, pc->items[i].sku);
        snprintf(q, sizeof(q), "%lld", (long long) pc->items[i].qty);
        redisAppendCommand(w->redis, "LPUSH %s %s", key, q);
        redisAppendCommand(w->redis, "LTRIM %s 0 15", key);
        redisAppendCommand(w->redis, "EXPIRE %s 3600", key);
    }

    for (i = 0; i < 3 * n; i++) {
        r = NULL;

        if (redisGetReply(w->redis, (void **) &r) != REDIS_OK) {
            invsync_redis_close(w);
            return -1;
        }

        freeReplyObject(r);
    }

    if (invsync_call_start(w, &pc->call, INVSYNC_PUSH_RESP_MAX,
                           INVSYNC_PUSH_TIMEOUT_MS, invsync_push_complete, pc)
        != 0)
    {
        invsync_log(INVSYNC_LOG_WARN, "channel push request not sent",
                    json_pack("{s:s, s:i}", "channel", pc->conf->id,
                              "items", (int) pc->nitems));
        invsync_push_release(w, pc);
        return 0;
    }

    pc->sent_ms = invsync_now_ms();

    return 1;
}


/*
 * For each popped SKU: its ledger, bundle definition, this channel's
 * identifiers and what the channel last acknowledged, in one pipeline;
 * only the SKUs whose quantity differs become items.
 */

int
invsync_push_collect(invsync_worker_t *w, invsync_pushchan_t *pc,
    redisReply *skus)
{
    int                   bad, rc;
    char                  key[INVSYNC_KEY_LEN], shown[INVSYNC_KEY_LEN];
    char                  force[INVSYNC_KEY_LEN];
    size_t                i, k, n;
    int64_t               qty;
    redisReply          **rep, *st, *comp, *ref, *was, *forced;
    invsync_push_item_t  *it;

    invsync_key_shown(shown, sizeof(shown), w->conf, pc->conf->id);
    invsync_key_force(force, sizeof(force), w->conf, pc->conf->id);

    n = 5 * skus->elements;
    rep = calloc(n ? n : 1, sizeof(redisReply *));
    if (rep == NULL) {
        return -1;
    }

    for (i = 0; i < skus->elements; i++) {
        const char  *sku = skus->element[i]->str;

        invsync_key_stock(key, sizeof(key), w->conf, sku);
        redisAppendCommand(w->redis, "HGETALL %s", key);
        invsync_key_sku(key, sizeof(key), w->conf, sku);
        redisAppendCommand(w->redis, "HGET %s components", key);
        invsync_key_skumap(key, sizeof(key), w->conf, sku);
        redisAppendCommand(w->redis, "HGET %s %s", key, pc->conf->id);
        redisAppendCommand(w->redis, "HGET %s %s", shown, sku);
        redisAppendCommand(w->redis, "SREM %s %s", force, sku);
    }

    /* every reply read before any is used: a bundle's quantity reads its
     * components with commands of its own, which must not take the
     * pipeline's replies for theirs */
    rc = 0;

    for (k = 0; k < n; k++) {
        rep[k] = invsync_redis_reply(w);

        if (rep[k] == NULL) {
            rc = -1;
            goto done;
        }
    }

    for (i = 0; i < skus->elements; i++) {
        st = rep[5 * i];
        comp = rep[5 * i + 1];
        ref = rep[5 * i + 2];
        was = rep[5 * i + 3];
        forced = rep[5 * i + 4];

        bad = 0;
        qty = invsync_reconcile_should(w, pc->conf, st, comp, &bad);

        if (w->redis == NULL) {
            rc = -1;
            goto done;
        }

        /* unmapped meanwhile, or shown right already: nothing to send;
         * unless the channel was seen showing something else since */
        if (!bad && ref->type == REDIS_REPLY_STRING
            && ((forced->type == REDIS_REPLY_INTEGER && forced->integer == 1)
                || !(was->type == REDIS_REPLY_STRING
                     && strtoll(was->str, NULL, 10) == qty))
            && pc->nitems < INVSYNC_PUSH_MAX_BATCH
            && skus->element[i]->len < sizeof(pc->items[0].sku))
        {
            it = &pc->items[pc->nitems];
            it->ref = json_loads(ref->str, 0, NULL);

            if (it->ref != NULL) {
                memcpy(it->sku, skus->element[i]->str,
                       skus->element[i]->len + 1);
                it->qty = qty;
                it->ok = 0;
                it->err[0] = '\0';
                pc->nitems++;
            }
        }
    }

done:

    for (k = 0; k < n; k++) {
        freeReplyObject(rep[k]);
    }

    free(rep);

    return rc;
}
