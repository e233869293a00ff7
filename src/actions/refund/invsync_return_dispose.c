
/*
 * return.dispose: a channel's disposition of returned units (a canonical
 * "return_disposition": per line of the channel's reverse fulfilment, a
 * quantity and the condition its type means).  One that names its return
 * is the receipt of the RMA "<channel>:<return id>", as invsyncctl return
 * receive gives one: each line the order line it names, checked against
 * what shipped, decided by the restock rules, moved by the ledger, once
 * per disposition event.  One that names no return (a dispose webhook)
 * waits for the disposition reader (src/worker/invsync_worker_dispose.c)
 * on a channel that can read it, which adds it again with its return;
 * elsewhere it is return_unknown, for a person.  docs/returns.md, "The
 * channel's return".
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refund/invsync_return_int.h"


static invsync_act_rc_e invsync_return_dispose_wait(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);
static invsync_act_rc_e invsync_return_dispose_receive(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len);
static int invsync_return_dispose_refused(redisReply *r, char *err,
    size_t len);


invsync_act_rc_e
invsync_return_dispose(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    const invsync_channel_conf_t  *cc;

    err[0] = '\0';

    if (invsync_action_str(canon, "return_id")[0] != '\0') {
        return invsync_return_dispose_receive(w, ev, canon, err, len);
    }

    cc = invsync_conf_channel(w->conf, ev->channel);

    if (cc != NULL && cc->api_base != NULL
        && invsync_channel_can(invsync_channel_find(cc->type),
                               disposition_build))
    {
        return invsync_return_dispose_wait(w, ev, canon, err, len);
    }

    return invsync_return_channel_exc(w, ev, canon, "a disposition that "
        "names no return (only the channel's reverse fulfilment lines), on "
        "a channel invsync cannot ask: receive its units on their RMA by "
        "hand (invsyncctl return receive)", err, len);
}


/*
 * The webhook's body waits in K disposeread:wait under "<channel>:
 * <event>", due now in K disposeread:due (both NX: the same event again
 * keeps its place, and one read already is not read again while its
 * body is there).
 */
static invsync_act_rc_e
invsync_return_dispose_wait(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    char         key[INVSYNC_ACTION_KEY_LEN], member[INVSYNC_ACTION_KEY_LEN];
    char         now[32], *text;
    json_t      *body, *doc;
    redisReply  *r;

    body = json_loadb(ev->body, ev->body_len, 0, NULL);
    doc = json_pack("{s:O, s:o*, s:i}", "disposition_id",
                    json_object_get(canon, "disposition_id"), "body", body,
                    "fails", 0);
    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);

    if (text == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    snprintf(member, sizeof(member), "%s:%s", ev->channel, ev->event);
    invsync_key_disposeread_wait(key, sizeof(key), w->conf);
    r = invsync_redis_cmdv(w, (const char *[]) { "HSETNX", key, member,
                           text, NULL });
    free(text);

    if (invsync_return_dispose_refused(r, err, len)) {
        return INVSYNC_ACT_RETRY;
    }

    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    invsync_key_disposeread_due(key, sizeof(key), w->conf);
    r = invsync_redis_cmdv(w, (const char *[]) { "ZADD", key, "NX", now,
                           member, NULL });

    if (invsync_return_dispose_refused(r, err, len)) {
        return INVSYNC_ACT_RETRY;
    }

    return INVSYNC_ACT_APPLIED;
}


/*
 * r freed; 1, with err, when it is no reply or Redis's error: the entry
 * is then not acked (an error reply taken for a write would drop the
 * disposition unseen), and its retry writes both again (NX: once)
 */
static int
invsync_return_dispose_refused(redisReply *r, char *err, size_t len)
{
    int  bad;

    bad = r == NULL || r->type == REDIS_REPLY_ERROR;

    if (bad) {
        snprintf(err, len, "redis: %s", r != NULL ? r->str
                                                 : "connection lost");
    }

    freeReplyObject(r);

    return bad;
}


/*
 * The receipt "<channel>:<disposition id>:<event>" of RMA "<channel>:
 * <return id>": the lines in a condition the rules know (units that
 * still need processing are not received yet: the channel disposes of
 * them again when they are decided).
 */
static invsync_act_rc_e
invsync_return_dispose_receive(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, char *err, size_t len)
{
    char                  rma[INVSYNC_RMA_ID_LEN + 64];
    char                  rid[INVSYNC_RMA_ID_LEN + 640], why[400];
    size_t                i;
    json_t               *lines, *take, *l;
    invsync_return_rc_e   rc;
    invsync_return_src_t  src;

    snprintf(rma, sizeof(rma), "%s:%s", ev->channel,
             invsync_action_str(canon, "return_id"));
    snprintf(rid, sizeof(rid), "%s:%s:%s", ev->channel,
             invsync_action_str(canon, "disposition_id"), ev->event);

    take = json_array();

    json_array_foreach(json_object_get(canon, "lines"), i, l) {
        if (strcmp(invsync_action_str(l, "condition"), "unprocessed") != 0) {
            json_array_append(take, l);
        }
    }

    if (json_array_size(take) == 0) {
        json_decref(take);
        snprintf(err, len, "every line still processing_required: "
                 "nothing received on RMA %s yet", rma);
        return INVSYNC_ACT_IGNORED;
    }

    l = json_pack("{s:O, s:o}", "order_id", json_object_get(canon,
                  "order_id"), "lines", take);
    rc = invsync_return_channel_lines(w, ev->channel, l, "order_line_id",
                                      &lines, err, len);
    json_decref(l);

    if (rc == INVSYNC_RETURN_DONE) {
        memset(&src, 0, sizeof(src));
        src.channel = ev->channel;
        src.event = ev->event;
        src.topic = ev->topic;
        src.stream = ev->stream;
        src.entry = ev->entry;
        /* a channel may close a return once its units are disposed of:
         * that close may be applied before this receipt, which counts */
        src.after_close = 1;

        rc = !invsync_return_id_valid(rma) || !invsync_return_id_valid(rid)
             ? INVSYNC_RETURN_REFUSED
             : invsync_return_receive(w, &src, rma, rid, lines, NULL, err,
                                      len);
        json_decref(lines);

        if (rc == INVSYNC_RETURN_REFUSED && err[0] == '\0') {
            snprintf(err, len, "%s or %s is not a valid id", rma, rid);
        }
    }

    switch (rc) {
    case INVSYNC_RETURN_DONE:
        return INVSYNC_ACT_APPLIED;

    case INVSYNC_RETURN_BEFORE:
        return INVSYNC_ACT_DUPLICATE;

    case INVSYNC_RETURN_LOST:
        return INVSYNC_ACT_RETRY;

    default:
        break;
    }

    snprintf(why, sizeof(why), "its receipt on RMA %.140s cannot be "
             "applied: %s", rma, err);

    return invsync_return_channel_exc(w, ev, canon, why, err, len);
}
