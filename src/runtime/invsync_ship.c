
/*
 * The shipment scripts' calls: the arguments each takes and what its
 * answer means (invsync_ship.h).  ship_confirm.lua moves the ledger and
 * the shipment in one step; these only build its arguments and read it.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_ship.h"


#define INVSYNC_SHIP_KEY_LEN  1024


static invsync_ship_rc_e invsync_ship_reply_err(redisReply *r,
    const char *what, char *err, size_t len);
static json_t *invsync_ship_record_json(const invsync_ship_record_t *rec);
static int invsync_ship_open_args(invsync_worker_t *w, const char *channel,
    const char *order, redisReply **r);


static const char  *invsync_ship_kind_names[] = {
    "warehouse", "3pl", "manual"
};


size_t
invsync_ship_id(char *dst, size_t cap, const char *order,
    const char *location)
{
    int  n;

    n = snprintf(dst, cap, "%s@%s", order, location);

    return n < 0 || (size_t) n >= cap ? 0 : (size_t) n;
}


invsync_ship_rc_e
invsync_ship_confirm_call(invsync_worker_t *w, const char *id,
    const invsync_ship_record_t *rec, char *audit, size_t alen, char *err,
    size_t len)
{
    char                   done[INVSYNC_SHIP_KEY_LEN];
    char                   cause[INVSYNC_SHIP_KEY_LEN];
    char                   akey[INVSYNC_SHIP_KEY_LEN];
    char                   prefix[INVSYNC_SHIP_KEY_LEN];
    char                   ttl[32], now[32], maxlen[32], *c;
    json_t                *j;
    redisReply            *r;
    invsync_ship_rc_e      rc;
    invsync_ship_record_t  safe;

    /* every way a shipment is confirmed (a label bought, a 3PL's reply
     * or webhook, invsyncctl ship) passes here: its tracking number and
     * carrier are printable and bounded before they are kept or pushed
     * (docs/fulfilment.md "Bad provider input"); a channel's own
     * fulfilment too, see below */
    if (invsync_ship_text_check("carrier", rec->carrier, 0, 0, err, len)
        != 0
        || invsync_ship_text_check("tracking number", rec->tracking, 0, 1,
                                   err, len) != 0)
    {
        if (rec->shipped_by == NULL || strcmp(rec->shipped_by, "channel"))
        {
            return INVSYNC_SHIP_REFUSED;
        }

        /* the channel shipped it itself: shipped it is (refusing would
         * leave it open for a second parcel), without the words */
        invsync_log(INVSYNC_LOG_WARN, "shipment shipped by its channel: "
                    "its tracking is not kept", json_pack("{s:s, s:s}",
                    "shipment", id, "error", err));
        safe = *rec;
        safe.carrier = "";
        safe.tracking = "";
        safe.tracking_url = "";
        rec = &safe;
    }

    snprintf(cause, sizeof(cause), "ship:%s", id);
    if (invsync_key_done_ledger(done, sizeof(done), w->conf, cause) == 0) {
        snprintf(err, len, "shipment id \"%.64s…\" is too long", id);
        return INVSYNC_SHIP_REFUSED;
    }

    invsync_key_audit(akey, sizeof(akey), w->conf);
    invsync_key_prefix(prefix, sizeof(prefix), w->conf);
    snprintf(ttl, sizeof(ttl), "%ld", w->conf->effect_ttl_s);
    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    snprintf(maxlen, sizeof(maxlen), "%ld", w->conf->audit_max_len);

    j = invsync_ship_record_json(rec);
    c = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);

    if (c == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNC_SHIP_LOST;
    }

    {
        const char  *argv[] = {
            done, akey, ttl, now, prefix, id, c, maxlen,
            "ts", now, "action", "shipment.confirm", "shipment", id,
            "by", rec->by ? rec->by : "", "carrier",
            rec->carrier ? rec->carrier : "", "tracking",
            rec->tracking ? rec->tracking : "", "cause", cause
        };
        size_t       i, argvlen[sizeof(argv) / sizeof(argv[0])];

        for (i = 0; i < sizeof(argv) / sizeof(argv[0]); i++) {
            argvlen[i] = strlen(argv[i]);
        }

        r = invsync_redis_eval(w, w->ship_confirm_sha,
                               invsync_script_ship_confirm,
                               invsync_script_ship_confirm_len, 2,
                               (int) i, argv, argvlen);
    }

    free(c);

    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
        return invsync_ship_reply_err(r, "ship_confirm", err, len);
    }

    if (r->element[0]->type == REDIS_REPLY_INTEGER) {
        rc = r->element[0]->integer == 1 ? INVSYNC_SHIP_DONE
                                         : INVSYNC_SHIP_BEFORE;
    } else {
        rc = INVSYNC_SHIP_CANCELLED;
    }

    snprintf(audit, alen, "%s", r->element[1]->type == REDIS_REPLY_STRING
                                ? r->element[1]->str : "");
    freeReplyObject(r);

    return rc;
}


/* the members given, as ship_confirm.lua's ARGV[5] */

static json_t *
invsync_ship_record_json(const invsync_ship_record_t *rec)
{
    size_t       i;
    json_t      *j;
    const char  *v[] = {
        rec->carrier, rec->service, rec->tracking, rec->tracking_url,
        rec->label_url, rec->cost_minor, rec->currency, rec->provider_ref,
        rec->shipped_by, rec->tracked_ref
    };
    const char  *k[] = {
        "carrier", "service", "tracking", "tracking_url", "label_url",
        "cost_minor", "currency", "provider_ref", "shipped_by", "tracked_ref"
    };

    j = json_object();

    for (i = 0; j != NULL && i < sizeof(v) / sizeof(v[0]); i++) {
        if (v[i] != NULL
            && json_object_set_new(j, k[i], json_string(v[i])) != 0)
        {
            json_decref(j);
            return NULL;
        }
    }

    return j;
}


invsync_ship_rc_e
invsync_ship_open_call(invsync_worker_t *w, const char *channel,
    const char *order, char *err, size_t len)
{
    redisReply  *r;

    r = NULL;

    if (invsync_ship_open_args(w, channel, order, &r) != 0) {
        snprintf(err, len, "out of memory");
        return INVSYNC_SHIP_LOST;
    }

    return invsync_ship_open_take(r, err, len);
}


/* ship_open.lua appended to the pipeline: the orders a batch routed share
 * one round trip; its answer read with invsync_ship_open_take() */

int
invsync_ship_open_append(invsync_worker_t *w, const char *channel,
    const char *order)
{
    return invsync_ship_open_args(w, channel, order, NULL);
}


/* ship_open.lua's answer; takes r (NULL: the session was lost) */

invsync_ship_rc_e
invsync_ship_open_take(redisReply *r, char *err, size_t len)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        return invsync_ship_reply_err(r, "ship_open", err, len);
    }

    freeReplyObject(r);

    return INVSYNC_SHIP_DONE;
}


/* the call, its answer in *r, or appended when r is NULL; -1: no memory
 * (or, appended, no session) */

static int
invsync_ship_open_args(invsync_worker_t *w, const char *channel,
    const char *order, redisReply **r)
{
    int          rc;
    char         akey[INVSYNC_SHIP_KEY_LEN], prefix[INVSYNC_SHIP_KEY_LEN];
    char         now[32], maxlen[32], *kinds;
    size_t       i, argvlen[7], kinds_len;
    const char  *argv[7];

    kinds = invsync_ship_kinds(w->conf, &kinds_len);
    if (kinds == NULL) {
        return -1;
    }

    invsync_key_audit(akey, sizeof(akey), w->conf);
    invsync_key_prefix(prefix, sizeof(prefix), w->conf);
    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    snprintf(maxlen, sizeof(maxlen), "%ld", w->conf->audit_max_len);

    argv[0] = akey;
    argv[1] = now;
    argv[2] = prefix;
    argv[3] = order;
    argv[4] = channel;
    argv[5] = kinds;
    argv[6] = maxlen;

    for (i = 0; i < 7; i++) {
        argvlen[i] = argv[i] == kinds ? kinds_len : strlen(argv[i]);
    }

    rc = 0;

    if (r != NULL) {
        *r = invsync_redis_eval(w, w->ship_open_sha, invsync_script_ship_open,
                                invsync_script_ship_open_len, 1, 7, argv,
                                argvlen);
    } else {
        rc = invsync_redis_append_evalsha(w, w->ship_open_sha, 1, 7, argv,
                                          argvlen);
    }

    free(kinds);

    return rc;
}


/*
 * The kind of each configured location for ship_open.lua, to free: "\0\0"
 * then "<id>\0<kind>\0\0" each (no id holds a NUL: jansson refuses
 * one), which the script searches for the few locations it opens
 * instead of decoding all.  As a JSON object of 50 locations it was a
 * fifth of the worker's CPU per routed order and a table built in Lua
 * for each (docs/performance.md, "Routing").
 */

char *
invsync_ship_kinds(const invsync_conf_t *conf, size_t *len)
{
    char                      *s, *p;
    size_t                     i, n, size;
    const char                *kind;
    const invsync_location_t  *l;

    n = conf->routing != NULL ? conf->routing->nlocations : 0;

    for (size = 3, i = 0; i < n; i++) {
        size += strlen(conf->routing->locations[i].id) + 16;
    }

    s = malloc(size);
    if (s == NULL) {
        return NULL;
    }

    p = s;
    *p++ = '\0';
    *p++ = '\0';

    for (i = 0; i < n; i++) {
        l = &conf->routing->locations[i];
        kind = invsync_ship_kind_names[l->kind];
        p = memcpy(p, l->id, strlen(l->id)) + strlen(l->id);
        *p++ = '\0';
        p = memcpy(p, kind, strlen(kind)) + strlen(kind);
        *p++ = '\0';
        *p++ = '\0';
    }

    *len = (size_t) (p - s);

    return s;
}


/*
 * The same for n locations only (ids borrowed from the configuration or
 * not; repeats written once), "\1" first: route.lua's ARGV[8], the
 * locations its decision uses (ship_open.lua leaves one not among them to
 * the caller's call with all).  50 locations were 1 KB on every call.
 */

char *
invsync_ship_kinds_of(const invsync_conf_t *conf, const char *const *ids,
    size_t n, size_t *len)
{
    char                      *s, *p;
    size_t                     i, j, k, nloc, size;
    const char                *kind;
    const invsync_location_t  *l;

    nloc = conf->routing != NULL ? conf->routing->nlocations : 0;

    for (size = 4, i = 0; i < n; i++) {
        size += strlen(ids[i]) + 16;
    }

    s = malloc(size);
    if (s == NULL) {
        return NULL;
    }

    p = s;
    *p++ = '\1';
    *p++ = '\0';
    *p++ = '\0';

    for (i = 0; i < n; i++) {
        for (j = 0; j < i && strcmp(ids[j], ids[i]) != 0; j++) {
            /* void */
        }

        for (l = NULL, k = 0; j == i && k < nloc; k++) {
            if (conf->routing->locations[k].id == ids[i]
                || strcmp(conf->routing->locations[k].id, ids[i]) == 0)
            {
                l = &conf->routing->locations[k];
                break;
            }
        }

        if (l == NULL) {
            continue;   /* written, or not configured: not found either */
        }

        kind = invsync_ship_kind_names[l->kind];
        p = memcpy(p, l->id, strlen(l->id)) + strlen(l->id);
        *p++ = '\0';
        p = memcpy(p, kind, strlen(kind)) + strlen(kind);
        *p++ = '\0';
        *p++ = '\0';
    }

    *len = (size_t) (p - s);

    return s;
}


invsync_ship_rc_e
invsync_ship_cancel_call(invsync_worker_t *w, const char *order,
    json_t **shipped, char *err, size_t len)
{
    char         akey[INVSYNC_SHIP_KEY_LEN], prefix[INVSYNC_SHIP_KEY_LEN];
    char         now[32], maxlen[32];
    size_t       i, argvlen[5];
    const char  *argv[5];
    redisReply  *r, *e;

    invsync_key_audit(akey, sizeof(akey), w->conf);
    invsync_key_prefix(prefix, sizeof(prefix), w->conf);
    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    snprintf(maxlen, sizeof(maxlen), "%ld", w->conf->audit_max_len);

    argv[0] = akey;
    argv[1] = now;
    argv[2] = prefix;
    argv[3] = order;
    argv[4] = maxlen;

    for (i = 0; i < 5; i++) {
        argvlen[i] = strlen(argv[i]);
    }

    r = invsync_redis_eval(w, w->ship_cancel_sha, invsync_script_ship_cancel,
                           invsync_script_ship_cancel_len, 1, 5, argv,
                           argvlen);

    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        return invsync_ship_reply_err(r, "ship_cancel", err, len);
    }

    *shipped = json_array();
    e = r->element[1];

    for (i = 0; *shipped != NULL && e->type == REDIS_REPLY_ARRAY
                && i < e->elements; i++)
    {
        json_array_append_new(*shipped, json_string(e->element[i]->str));
    }

    freeReplyObject(r);

    return INVSYNC_SHIP_DONE;
}


/* a reply that is not the script's answer; takes r */

static invsync_ship_rc_e
invsync_ship_reply_err(redisReply *r, const char *what, char *err,
    size_t len)
{
    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_SHIP_LOST;
    }

    snprintf(err, len, "%s: %s", what,
             r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
    freeReplyObject(r);

    return INVSYNC_SHIP_REFUSED;
}


/*
 * ship_claim.lua on the due set due_key: of ids (at most
 * INVSYNC_SHIP_CLAIM_MAX), those still due at now held until now +
 * lease_ms.  The reply (new; an array of claimed ids and their scores),
 * or NULL when the session was lost.
 */

redisReply *
invsync_ship_claim(invsync_worker_t *w, const char *due_key, int64_t now,
    int64_t lease_ms, const char **ids, size_t n)
{
    char         now_s[32], until[32];
    size_t       i, lens[3 + INVSYNC_SHIP_CLAIM_MAX];
    const char  *argv[3 + INVSYNC_SHIP_CLAIM_MAX];

    n = n < INVSYNC_SHIP_CLAIM_MAX ? n : INVSYNC_SHIP_CLAIM_MAX;
    snprintf(now_s, sizeof(now_s), "%lld", (long long) now);
    snprintf(until, sizeof(until), "%lld", (long long) (now + lease_ms));
    argv[0] = due_key;
    argv[1] = now_s;
    argv[2] = until;

    for (i = 0; i < n; i++) {
        argv[3 + i] = ids[i];
    }

    for (i = 0; i < 3 + n; i++) {
        lens[i] = strlen(argv[i]);
    }

    return invsync_redis_eval(w, w->ship_claim_sha, invsync_script_ship_claim,
                              invsync_script_ship_claim_len, 1,
                              (int) (3 + n), argv, lens);
}


/*
 * A shipment's lines (its "lines", parsed) without those that require no
 * shipping ("parcel": false, a digital good): what goes in the parcel, to
 * the 3PL and into the channel's tracking.  In place; returns lines.
 */

json_t *
invsync_ship_parcel_lines(json_t *lines)
{
    size_t  i;

    for (i = json_array_size(lines); i > 0; i--) {
        if (json_is_false(json_object_get(json_array_get(lines, i - 1),
                                          "parcel")))
        {
            json_array_remove(lines, i - 1);
        }
    }

    return lines;
}
