
/*
 * What every action row shares: its effect applied once in Redis with its
 * audit entries (src/core/lua/apply.lua), or an exception for a person
 * when automation must not decide alone, and the readers of canonical
 * members.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_actions.h"


#define INVSYNC_KEY_LEN     INVSYNC_ACTION_KEY_LEN
#define INVSYNC_MAX_INDEX   34
#define INVSYNC_APPLY_KEYS  (4 + INVSYNC_MAX_INDEX)
#define INVSYNC_APPLY_ARGS  5                   /* ttl, now, ... maxlen */
#define INVSYNC_APPLY_FIELDS 12                 /* the audit entry's */
#define INVSYNC_APPLY_ARGC  (INVSYNC_APPLY_KEYS + INVSYNC_APPLY_ARGS         \
                             + 2 * INVSYNC_APPLY_FIELDS)


/* the arguments of one apply.lua call, built once for EVALSHA or EVAL */
typedef struct {
    char          keys[INVSYNC_APPLY_KEYS][INVSYNC_KEY_LEN];
    char          ttl[32], now[32], version[32], maxlen[32];
    char          order[INVSYNC_KEY_LEN], skus[1024];
    char         *data, *inputs;
    /* every key, the arguments and the fields: an order of 34 or more
     * lines overflowed 64 and killed the worker without a word */
    const char   *argv[INVSYNC_APPLY_ARGC];
    size_t        argvlen[INVSYNC_APPLY_ARGC];
    int           argc, nkeys;
} invsync_apply_args_t;


static int invsync_apply_args(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, invsync_effect_t *fx,
    invsync_apply_args_t *a);
static int invsync_apply_named(json_t *lines, size_t at, const char *sku);


/*
 * One apply.lua call: the effect on its state (if newer), the audit entry
 * and its indexes (order, each SKU, the event), the done key.
 */

invsync_act_rc_e
invsync_action_apply(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, invsync_effect_t *fx, char *err, size_t len)
{
    redisReply            *r;
    invsync_apply_args_t   a;

    if (invsync_apply_args(w, ev, canon, fx, &a) != 0) {
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    r = invsync_redis_eval(w, w->apply_sha, invsync_script_apply,
                           invsync_script_apply_len, a.nkeys, a.argc, a.argv,
                           a.argvlen);
    free(a.data);
    free(a.inputs);

    return invsync_action_apply_reply(r, err, len);
}


/* the same call appended to the pipeline: a batch of orders (-1: no memory) */

int
invsync_action_apply_append(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, invsync_effect_t *fx)
{
    int                    rc;
    invsync_apply_args_t   a;

    if (invsync_apply_args(w, ev, canon, fx, &a) != 0) {
        return -1;
    }

    rc = invsync_redis_append_evalsha(w, w->apply_sha, a.nkeys, a.argc,
                                      a.argv, a.argvlen);
    free(a.data);
    free(a.inputs);

    return rc;
}


/*
 * The same call's keys and arguments appended as the first part of a
 * script that does more in the same atomic step (refund_record.lua):
 * EVALSHA sha with KEYS apply.lua's then keys[0..nkeys), ARGV the
 * counts of apply.lua's KEYS and ARGV, apply.lua's ARGV, then
 * args[0..nargs).  -1: out of memory.
 */

int
invsync_action_apply_append_with(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, invsync_effect_t *fx,
    const char *sha, const char **keys, int nkeys, const char **args,
    int nargs)
{
    int                    i, k, rc;
    char                   nk[16], na[16];
    size_t                *lens;
    const char           **argv;
    invsync_apply_args_t   a;

    if (invsync_apply_args(w, ev, canon, fx, &a) != 0) {
        return -1;
    }

    argv = calloc(a.argc + nkeys + nargs + 2, sizeof(char *));
    lens = calloc(a.argc + nkeys + nargs + 2, sizeof(size_t));
    rc = -1;

    if (argv == NULL || lens == NULL) {
        goto failed;
    }

    snprintf(nk, sizeof(nk), "%d", a.nkeys);
    snprintf(na, sizeof(na), "%d", a.argc - a.nkeys);
    k = 0;

    for (i = 0; i < a.nkeys; i++) {
        argv[k++] = a.argv[i];
    }

    for (i = 0; i < nkeys; i++) {
        argv[k++] = keys[i];
    }

    argv[k++] = nk;
    argv[k++] = na;

    for (i = a.nkeys; i < a.argc; i++) {
        argv[k++] = a.argv[i];
    }

    for (i = 0; i < nargs; i++) {
        argv[k++] = args[i];
    }

    for (i = 0; i < k; i++) {
        lens[i] = strlen(argv[i]);
    }

    rc = invsync_redis_append_evalsha(w, sha, a.nkeys + nkeys, k, argv,
                                      lens);

failed:

    free(argv);
    free(lens);
    free(a.data);
    free(a.inputs);

    return rc;
}


/* apply.lua's answer; takes r (NULL: the connection was lost) */

invsync_act_rc_e
invsync_action_apply_reply(redisReply *r, char *err, size_t len)
{
    invsync_act_rc_e  rc;

    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2
        || r->element[0]->type != REDIS_REPLY_INTEGER)
    {
        snprintf(err, len, "redis: %s", r->type == REDIS_REPLY_ERROR
                                        ? r->str : "bad apply reply");
        freeReplyObject(r);
        return INVSYNC_ACT_RETRY;
    }

    if (r->element[0]->integer == 0) {
        rc = INVSYNC_ACT_DUPLICATE;

    } else if (r->elements == 3 && strcmp(r->element[2]->str, "stale") == 0) {
        rc = INVSYNC_ACT_STALE;

    } else if (r->elements == 3
               && strcmp(r->element[2]->str, "unchanged") == 0)
    {
        rc = INVSYNC_ACT_DUPLICATE;

    } else {
        rc = INVSYNC_ACT_APPLIED;
    }

    freeReplyObject(r);

    return rc;
}


/*
 * The arguments of one apply.lua call: the effect on its state (if
 * newer), the audit entry and its indexes (order, each SKU, the event),
 * the done key.  a->data and a->inputs are the caller's to free.
 */

static int
invsync_apply_args(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, invsync_effect_t *fx, invsync_apply_args_t *a)
{
    int           argc, nkeys;
    char          part[INVSYNC_KEY_LEN];
    size_t        i, n, slen;
    json_t       *lines, *line;
    const char   *sku;

    a->data = canon ? json_dumps(canon, JSON_COMPACT) : strdup("");
    a->inputs = fx->inputs ? json_dumps(fx->inputs, JSON_COMPACT)
                           : strdup("{}");

    if (a->data == NULL || a->inputs == NULL) {
        free(a->data);
        free(a->inputs);
        return -1;
    }

    nkeys = 0;

    if (fx->part != NULL) {
        snprintf(part, sizeof(part), "%s#%s", ev->event, fx->part);
        invsync_key_done(a->keys[nkeys++], INVSYNC_KEY_LEN, w->conf,
                         fx->action, ev->channel, part);
    } else {
        invsync_key_done(a->keys[nkeys++], INVSYNC_KEY_LEN, w->conf,
                         fx->action, ev->channel, ev->event);
    }

    invsync_key_audit(a->keys[nkeys++], INVSYNC_KEY_LEN, w->conf);

    if (fx->state != NULL) {
        invsync_key_state(a->keys[nkeys++], INVSYNC_KEY_LEN, w->conf,
                          fx->state);
    } else {
        invsync_key_nostate(a->keys[nkeys++], INVSYNC_KEY_LEN, w->conf);
    }

    invsync_key_audit_event(a->keys[nkeys++], INVSYNC_KEY_LEN, w->conf,
                            ev->channel, ev->event);

    a->order[0] = '\0';

    if (fx->order != NULL && fx->order[0] != '\0') {
        snprintf(a->order, sizeof(a->order), "%s:%s",
                 fx->order_channel ? fx->order_channel : ev->channel,
                 fx->order);
        invsync_key_audit_order(a->keys[nkeys++], INVSYNC_KEY_LEN, w->conf,
                                a->order);
    }

    /* every SKU the event names, for "what happened to this SKU" */
    a->skus[0] = '\0';
    slen = 0;
    lines = canon ? json_object_get(canon, "lines") : NULL;

    json_array_foreach(lines, i, line) {
        sku = invsync_action_str(line, "sku");

        if (sku[0] == '\0' || nkeys == INVSYNC_APPLY_KEYS
            || invsync_apply_named(lines, i, sku))
        {
            continue;
        }

        n = strlen(sku);

        if (slen + n + 2 < sizeof(a->skus)) {
            if (slen) {
                a->skus[slen++] = ',';
            }

            memcpy(a->skus + slen, sku, n + 1);
            slen += n;
        }

        invsync_key_audit_sku(a->keys[nkeys++], INVSYNC_KEY_LEN, w->conf, sku);
    }

    snprintf(a->ttl, sizeof(a->ttl), "%ld", w->conf->effect_ttl_s);
    snprintf(a->now, sizeof(a->now), "%lld", (long long) invsync_now_ms());
    snprintf(a->maxlen, sizeof(a->maxlen), "%ld", w->conf->audit_max_len);

    if (fx->version >= 0) {
        snprintf(a->version, sizeof(a->version), "%lld",
                 (long long) fx->version);
    } else {
        a->version[0] = '\0';
    }

    argc = 0;

    for (i = 0; i < (size_t) nkeys; i++) {
        a->argv[argc++] = a->keys[i];
    }

    a->argv[argc++] = a->ttl;
    a->argv[argc++] = a->now;
    a->argv[argc++] = a->version;
    a->argv[argc++] = a->data;
    a->argv[argc++] = a->maxlen;

#define invsync_field(k, v)  a->argv[argc++] = (k); a->argv[argc++] = (v)

    invsync_field("ts", a->now);
    invsync_field("action", fx->action);
    invsync_field("channel", ev->channel);
    invsync_field("event", ev->event);
    invsync_field("topic", ev->topic);
    invsync_field("stream", ev->stream);
    invsync_field("entry", ev->entry);
    invsync_field("order", a->order);
    invsync_field("skus", a->skus);
    invsync_field("inputs", a->inputs);
    invsync_field("consumer", w->conf->consumer);
    invsync_field("redelivery", ev->redelivery);

#undef invsync_field

    /* the fields above, counted in INVSYNC_APPLY_FIELDS */
    if (argc > INVSYNC_APPLY_ARGC) {
        abort();
    }

    for (i = 0; i < (size_t) argc; i++) {
        a->argvlen[i] = strlen(a->argv[i]);
    }

    a->argc = argc;
    a->nkeys = nkeys;

    return 0;
}


/*
 * Opens (or, after a failed retry, reopens) an exception: one per kind and
 * cause; id_suffix, when given, replaces the event id in the exception's
 * id, for a cause finer than the event (an order line).
 */

invsync_act_rc_e
invsync_action_exception(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, const char *kind, const char *id_suffix,
    const char *order, const char *summary, char *err, size_t len)
{
    char                 id[INVSYNC_KEY_LEN], ref[INVSYNC_KEY_LEN];
    redisReply          *r;
    invsync_exception_t  x;

    snprintf(id, sizeof(id), "%s:%s:%s", kind, ev->channel,
             id_suffix ? id_suffix : ev->event);

    /* the order as the audit names it everywhere: <channel>:<order id> */
    ref[0] = '\0';

    if (order != NULL && order[0] != '\0') {
        snprintf(ref, sizeof(ref), "%s:%s", ev->channel, order);
    }

    x.id = id;
    x.kind = kind;
    x.summary = summary;
    x.channel = ev->channel;
    x.event = ev->event;
    x.topic = ev->topic;
    x.stream = ev->stream;
    x.entry = ev->entry;
    x.order = ref;
    x.sku = "";
    x.consumer = w->conf->consumer;
    x.data = canon;

    r = invsync_exception_open(w, &x);

    if (r == NULL) {
        snprintf(err, len, w->redis ? "out of memory"
                                    : "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    if (r->type != REDIS_REPLY_ARRAY) {
        snprintf(err, len, "redis: %s", r->type == REDIS_REPLY_ERROR
                                        ? r->str : "bad exception reply");
        freeReplyObject(r);
        return INVSYNC_ACT_RETRY;
    }

    freeReplyObject(r);

    snprintf(err, len, "exception %s", id);

    return INVSYNC_ACT_EXCEPTION;
}


/*
 * A re-delivery an operator asked for (invsyncctl exceptions retry sets
 * retry_of to the exception's id) went through: its exception is resolved.
 * Returns -1 only when the Redis session was lost.
 */

int
invsync_action_resolve(invsync_worker_t *w, const invsync_envelope_t *ev)
{
    if (ev->redelivery[0] == '\0' || strchr(ev->redelivery, ':') == NULL) {
        return 0;   /* stream and dead-letter ids hold no ':' */
    }

    return invsync_exception_resolve(w, ev->redelivery, ev->channel,
                                     ev->event, "its cause was handled when "
                                     "re-delivered");
}


/* a member as text: "" when absent or not a string nor an integer */

const char *
invsync_action_str(json_t *obj, const char *key)
{
    json_t  *v;

    v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : "";
}


int64_t
invsync_action_int(json_t *obj, const char *key, int64_t dflt)
{
    json_t  *v;

    v = json_object_get(obj, key);

    return json_is_integer(v) ? (int64_t) json_integer_value(v) : dflt;
}


/* whether a line before lines[at] names the same SKU: one index entry a
 * SKU, however many lines carry it (an order of 60 lines of one SKU) */

static int
invsync_apply_named(json_t *lines, size_t at, const char *sku)
{
    size_t  i;

    for (i = 0; i < at; i++) {
        if (strcmp(invsync_action_str(json_array_get(lines, i), "sku"), sku)
            == 0)
        {
            return 1;
        }
    }

    return 0;
}
