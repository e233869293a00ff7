
/*
 * The ledger step of a routing decision: one route.lua call
 * (src/core/lua/route.lua) with the allocation, keyed by the order and
 * its version (a re-route's by the time too), and its order.route audit
 * entry with the trace.  route.lua re-checks the stock and the
 * allocation the decision read; "stale" sends the caller back to read
 * and decide again.  The same call opens the order's shipments
 * (ship_open.lua, included in route.lua): one script call, not two.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_route_run.h"
#include "invsync_ship.h"


/* the arguments of one route.lua call */
typedef struct {
    char          done[INVSYNC_ACTION_KEY_LEN], audit[INVSYNC_ACTION_KEY_LEN];
    char          prefix[INVSYNC_ACTION_KEY_LEN], cause[1024];
    char          ttl[32], now[32], maxlen[32];
    char         *move, *kinds;
    size_t        kinds_len;
    const char   *argv[40];
    size_t        argvlen[40];
    int           argc;
} invsync_route_args_t;


static char *invsync_route_decision(const invsync_route_input_t *in,
    const invsync_route_result_t *res);
static char *invsync_route_json_str(char *p, const char *s);
static char *invsync_route_kinds(const invsync_conf_t *conf,
    const invsync_route_result_t *res, size_t *len);
static int invsync_route_args(invsync_worker_t *w,
    const invsync_envelope_t *ev, invsync_route_input_t *in,
    const invsync_route_result_t *res, int again, invsync_route_args_t *a);
static int invsync_route_located(const invsync_conf_t *conf);


/*
 * route.lua's ARGV[4], JSON text to free: written into one buffer sized
 * up front (every string escaped at most 6 bytes a byte); a jansson tree
 * packed and dumped for it was a sixth of the worker's CPU per order.  A
 * bundle's line carries the components the decision read ("comp", as
 * the read gave them): route.lua holds those, one HGET less a line.
 */

static char *
invsync_route_decision(const invsync_route_input_t *in,
    const invsync_route_result_t *res)
{
    char                         *d, *p, xid[512], **comp;
    size_t                        i, size;
    const char                   *rule;
    const invsync_route_alloc_t  *a;

    rule = res->rule != NULL && res->rule->name != NULL ? res->rule->name
                                                         : "";
    size = 256 + 6 * (sizeof(xid) + strlen(in->order_key)
                      + strlen(in->seq) + strlen(rule));

    comp = calloc(res->nallocs + 1, sizeof(char *));
    if (comp == NULL) {
        return NULL;
    }

    for (i = 0; i < res->nallocs; i++) {
        a = &res->allocs[i];
        size += 160 + 6 * (strlen(in->lines[a->line].line_id)
                          + strlen(in->lines[a->line].sku)
                          + strlen(a->location));

        /* as route.lua took sku:<s> components: an object is a bundle */
        if (json_is_object(in->slots[a->line].comps)) {
            comp[i] = json_dumps(in->slots[a->line].comps, JSON_COMPACT);
            if (comp[i] == NULL) {
                d = NULL;
                goto done;
            }

            size += 16 + strlen(comp[i]);
        }
    }

    d = malloc(size);
    if (d == NULL) {
        goto done;
    }

    p = d + sprintf(d, "{\"order\":");
    p = invsync_route_json_str(p, in->order_key);
    p += sprintf(p, ",\"version\":%lld,\"seen\":",
                 (long long) in->version_ms);
    p = invsync_route_json_str(p, in->seq);
    p += sprintf(p, ",\"backorder\":%s,\"unroutable\":%s,\"exception\":",
                 res->rc == INVSYNC_ROUTE_BACKORDERED ? "true" : "false",
                 res->rc == INVSYNC_ROUTE_UNROUTABLE ? "true" : "false");
    snprintf(xid, sizeof(xid), "unroutable:%s", in->order_key);
    p = invsync_route_json_str(p, xid);
    p += sprintf(p, ",\"rule\":");
    p = invsync_route_json_str(p, rule);
    p += sprintf(p, ",\"lines\":[");

    for (i = 0; i < res->nallocs; i++) {
        a = &res->allocs[i];
        p += sprintf(p, i ? ",{\"line\":" : "{\"line\":");
        p = invsync_route_json_str(p, in->lines[a->line].line_id);
        p += sprintf(p, ",\"sku\":");
        p = invsync_route_json_str(p, in->lines[a->line].sku);
        p += sprintf(p, ",\"loc\":");
        p = invsync_route_json_str(p, a->location);
        p += sprintf(p, ",\"qty\":%lld", (long long) a->qty);

        /* as alloc:<order> keeps it and ship_open.lua reads it: "mode"
         * for a pickup or counter sale (its shipment's kind), "parcel":
         * false for a line that requires no shipping */
        if (in->order.mode != INVSYNC_ROUTE_SHIP) {
            p += sprintf(p, ",\"mode\":");
            p = invsync_route_json_str(p,
                                       invsync_route_mode_name(in->order.mode));
        }

        if (comp[i] != NULL) {
            p += sprintf(p, ",\"comp\":%s", comp[i]);
        }

        p += sprintf(p, in->lines[a->line].no_parcel ? ",\"parcel\":false}"
                                                     : "}");
    }

    sprintf(p, "]}");

done:

    for (i = 0; i < res->nallocs; i++) {
        free(comp[i]);
    }

    free(comp);

    return d;
}


/* s as a JSON string at p (6 bytes a byte at most); the end written */

static char *
invsync_route_json_str(char *p, const char *s)
{
    *p++ = '"';

    for ( /* void */ ; *s; s++) {
        if (*s == '"' || *s == '\\') {
            *p++ = '\\';
            *p++ = *s;

        } else if ((unsigned char) *s < 0x20) {
            p += sprintf(p, "\\u%04x", (unsigned char) *s);

        } else {
            *p++ = *s;
        }
    }

    *p++ = '"';

    return p;
}


/* one route.lua call; INVSYNC_ACT_STALE: decide again */

invsync_act_rc_e
invsync_route_ledger(invsync_worker_t *w, const invsync_envelope_t *ev,
    invsync_route_input_t *in, const invsync_route_result_t *res, int again,
    char *err, size_t len)
{
    redisReply              *r;
    invsync_route_args_t     a;

    if (invsync_route_args(w, ev, in, res, again, &a) != 0) {
        free(a.move);
        free(a.kinds);
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    }

    r = invsync_redis_eval(w, w->route_sha, invsync_script_route,
                           invsync_script_route_len, 2, a.argc, a.argv,
                           a.argvlen);
    free(a.move);
    free(a.kinds);

    return invsync_route_ledger_take(r, in, err, len);
}


/* route.lua appended to the pipeline (invsync_route_batch.c), its answer
 * read with invsync_route_ledger_take(); -1: out of memory, no session */

int
invsync_route_ledger_append(invsync_worker_t *w,
    const invsync_envelope_t *ev, invsync_route_input_t *in,
    const invsync_route_result_t *res, int again)
{
    int                      rc;
    invsync_route_args_t     a;

    rc = invsync_route_args(w, ev, in, res, again, &a) != 0
         ? -1
         : invsync_redis_append_evalsha(w, w->route_sha, 2, a.argc, a.argv,
                                        a.argvlen);
    free(a.move);
    free(a.kinds);

    return rc;
}


/*
 * The arguments of one route.lua call; a->move is the caller's to free.
 * The trace goes as the decision wrote it (text: no tree is built for the
 * audit), the order's version beside it.
 */

static int
invsync_route_args(invsync_worker_t *w, const invsync_envelope_t *ev,
    invsync_route_input_t *in, const invsync_route_result_t *res, int again,
    invsync_route_args_t *a)
{
    int      argc;
    size_t   i;

    snprintf(a->now, sizeof(a->now), "%lld", (long long) invsync_now_ms());
    snprintf(a->cause, sizeof(a->cause), "route:%s:%s%s%s", in->order_key,
             in->version, again ? ":" : "", again ? a->now : "");
    invsync_key_done_ledger(a->done, sizeof(a->done), w->conf,
                            a->cause);
    invsync_key_audit(a->audit, sizeof(a->audit), w->conf);
    invsync_key_prefix(a->prefix, sizeof(a->prefix), w->conf);
    snprintf(a->ttl, sizeof(a->ttl), "%ld", w->conf->effect_ttl_s);
    snprintf(a->maxlen, sizeof(a->maxlen), "%ld", w->conf->audit_max_len);

    a->move = invsync_route_decision(in, res);
    a->kinds = invsync_route_kinds(w->conf, res, &a->kinds_len);

    if (a->move == NULL || a->kinds == NULL || res->trace_json == NULL) {
        return -1;
    }

    argc = 0;
    a->argv[argc++] = a->done;
    a->argv[argc++] = a->audit;
    a->argv[argc++] = a->ttl;
    a->argv[argc++] = a->now;
    a->argv[argc++] = a->prefix;
    a->argv[argc++] = a->move;
    a->argv[argc++] = a->maxlen;
    a->argv[argc++] = invsync_route_located(w->conf) ? "1" : "0";
    a->argv[argc++] = ev->channel;
    a->argv[argc++] = a->kinds;

#define invsync_field(k, v)  a->argv[argc++] = (k); a->argv[argc++] = (v)

    invsync_field("ts", a->now);
    invsync_field("action", "order.route");
    invsync_field("channel", ev->channel);
    invsync_field("event", ev->event);
    invsync_field("topic", ev->topic);
    invsync_field("stream", ev->stream);
    invsync_field("entry", ev->entry);
    invsync_field("order", in->order_key);
    invsync_field("inputs", res->trace_json);
    invsync_field("version", in->version);
    invsync_field("cause", a->cause);
    invsync_field("consumer", w->conf->consumer);

#undef invsync_field

    for (i = 0; i < (size_t) argc; i++) {
        a->argvlen[i] = a->argv[i] == res->trace_json ? res->trace_len
                        : a->argv[i] == a->kinds ? a->kinds_len
                        : strlen(a->argv[i]);
    }

    a->argc = argc;

    return 0;
}


/* route.lua's ARGV[8]: the kinds of the locations the decision uses (its
 * ship_open.lua looks up no other: one its allocation does not use is
 * cancelled by id, an allocation found made elsewhere that uses another
 * is left to invsync_shipment_open()) */

static char *
invsync_route_kinds(const invsync_conf_t *conf,
    const invsync_route_result_t *res, size_t *len)
{
    char         *k;
    size_t        i;
    const char  **ids;

    ids = malloc((res->nallocs + 1) * sizeof(const char *));
    if (ids == NULL) {
        return NULL;
    }

    for (i = 0; i < res->nallocs; i++) {
        ids[i] = res->allocs[i].location;
    }

    k = invsync_ship_kinds_of(conf, ids, res->nallocs, len);
    free(ids);

    return k;
}


/* 1 when a channel counts only some locations: its quantity changes when
 * reserved moves between them (route.lua marks it dirty) */

static int
invsync_route_located(const invsync_conf_t *conf)
{
    size_t  i;

    for (i = 0; i < conf->nchannels; i++) {
        if (conf->channels[i].rules.nlocations > 0) {
            return 1;
        }
    }

    return 0;
}


/* route.lua's answer; takes r (NULL: the connection was lost).
 * in->shipped: the shipments were opened too; when that part failed, the
 * row is poisoned as invsync_shipment_open() would */

invsync_act_rc_e
invsync_route_ledger_take(redisReply *r, invsync_route_input_t *in,
    char *err, size_t len)
{
    invsync_act_rc_e  rc;

    in->shipped = 0;

    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
        snprintf(err, len, "route: %s", r->type == REDIS_REPLY_ERROR
                                        ? r->str : "bad reply");
        freeReplyObject(r);
        return INVSYNC_ACT_RETRY;
    }

    if (r->element[0]->type == REDIS_REPLY_INTEGER) {
        rc = r->element[0]->integer == 0 ? INVSYNC_ACT_DUPLICATE
                                         : INVSYNC_ACT_APPLIED;

    } else if (strcmp(r->element[0]->str, "stale") == 0) {
        rc = INVSYNC_ACT_STALE;

    } else {
        rc = INVSYNC_ACT_DUPLICATE;     /* "older": a newer one is routed */
    }

    if (rc != INVSYNC_ACT_STALE && r->elements == 3
        && r->element[2]->type == REDIS_REPLY_STRING)
    {
        snprintf(err, len, "ship_open: %s", r->element[2]->str);
        rc = INVSYNC_ACT_POISON;

    } else if (rc != INVSYNC_ACT_STALE && r->elements == 5) {
        in->shipped = 1;
    }

    freeReplyObject(r);

    return rc;
}
