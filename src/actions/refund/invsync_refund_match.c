
/*
 * Which recorded order a canonical refund belongs to: its own channel's
 * order when it names one (a store's refund), else the order one of its
 * payment references names in K payref: (a payment provider's refund,
 * or a store refund naming an order id the store does not use for it).
 */


#include <stdio.h>
#include <string.h>

#include "invsync_actions.h"
#include "invsync_refund_steps.h"


static int invsync_refund_payref(invsync_worker_t *w, const char *ref,
    invsync_refund_order_t *o, char *err, size_t len);


/*
 * 1 with o filled (o->data a new reference, the recorded canonical
 * order), 0 when no recorded order matches, -1 when Redis failed (err).
 */

int
invsync_refund_match(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, invsync_refund_order_t *o, char *err, size_t len)
{
    int          rc;
    size_t       i;
    json_t      *ref;
    const char  *oid;

    memset(o, 0, sizeof(invsync_refund_order_t));
    oid = invsync_action_str(canon, "order_id");

    if (oid[0] != '\0') {
        snprintf(o->channel, sizeof(o->channel), "%s", ev->channel);
        snprintf(o->id, sizeof(o->id), "%s", oid);
        snprintf(o->by, sizeof(o->by), "order_id");

        rc = invsync_refund_order_data(w, o, err, len);
        if (rc != 0) {
            return rc;
        }
    }

    json_array_foreach(json_object_get(canon, "payment_refs"), i, ref) {
        if (!json_is_string(ref)) {
            continue;
        }

        rc = invsync_refund_payref(w, json_string_value(ref), o, err, len);
        if (rc != 0) {
            return rc;
        }
    }

    memset(o, 0, sizeof(invsync_refund_order_t));

    return 0;
}


/* the order K payref:<ref> names, if it is recorded: as match() */
static int
invsync_refund_payref(invsync_worker_t *w, const char *ref,
    invsync_refund_order_t *o, char *err, size_t len)
{
    char          key[INVSYNC_ACTION_KEY_LEN];
    redisReply   *r;
    const char   *argv[5];

    if (invsync_key_payref(key, sizeof(key), w->conf, ref) == 0) {
        return 0;
    }

    argv[0] = "HMGET";
    argv[1] = key;
    argv[2] = "channel";
    argv[3] = "order";
    argv[4] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return -1;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        snprintf(err, len, "redis: %s", r->type == REDIS_REPLY_ERROR
                                        ? r->str : "bad HMGET reply");
        freeReplyObject(r);
        return -1;
    }

    if (r->element[0]->type != REDIS_REPLY_STRING
        || r->element[1]->type != REDIS_REPLY_STRING)
    {
        freeReplyObject(r);
        return 0;
    }

    snprintf(o->channel, sizeof(o->channel), "%s", r->element[0]->str);
    snprintf(o->id, sizeof(o->id), "%s", r->element[1]->str);
    snprintf(o->by, sizeof(o->by), "%s", ref);
    freeReplyObject(r);

    return invsync_refund_order_data(w, o, err, len);
}


/* K order:<o->channel>:<o->id> data, parsed into o->data: as match() */

int
invsync_refund_order_data(invsync_worker_t *w, invsync_refund_order_t *o,
    char *err, size_t len)
{
    if (invsync_refund_order_append(w, o) != 0) {
        snprintf(err, len, "redis connection lost");
        return -1;
    }

    return invsync_refund_order_reply(invsync_redis_reply(w), o, err, len);
}


/* its HGET appended to the pipeline (a batch of refunds); -1: lost */

int
invsync_refund_order_append(invsync_worker_t *w,
    const invsync_refund_order_t *o)
{
    char         key[INVSYNC_ACTION_KEY_LEN], ref[INVSYNC_ACTION_KEY_LEN];
    const char  *argv[4];

    /* a key too long names no order: the empty key answers nil */
    snprintf(ref, sizeof(ref), "%s:%s", o->channel, o->id);
    if (invsync_key_order(key, sizeof(key), w->conf, ref) == 0) {
        key[0] = '\0';
    }

    argv[0] = "HGET";
    argv[1] = key;
    argv[2] = "data";
    argv[3] = NULL;

    return invsync_redis_appendv(w, argv);
}


/* its reply (taken; NULL: the session was lost): as match() */

int
invsync_refund_order_reply(redisReply *r, invsync_refund_order_t *o,
    char *err, size_t len)
{
    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return -1;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(err, len, "redis: %s", r->str);
        freeReplyObject(r);
        return -1;
    }

    /* the index may name an order whose record has expired: no match */
    o->data = (r->type == REDIS_REPLY_STRING)
              ? json_loadb(r->str, r->len, 0, NULL) : NULL;
    freeReplyObject(r);

    if (!json_is_object(o->data)) {
        json_decref(o->data);
        o->data = NULL;
        return 0;
    }

    return 1;
}
