
/*
 * The fulfilment engine's turn.  The due shipments of K fulfil:due are
 * read in order; each goes to a free slot of its kind (a warehouse's to a
 * carrier slot, a 3PL's to the 3PL path while it has a free slot, the
 * kind read from the location in the shipment id), and is claimed for it
 * by ship_claim.lua: its score moves to the lease's end only if it is
 * still due, so no second slot, here or in another worker, takes it.
 * Each request renews the lease; a slot that dies with its worker leaves
 * the shipment due again when the lease ends.
 *
 * A warehouse's label: look the shipment up at the provider by its
 * reference (our shipment id) first, so that a label bought before a
 * crash is found and never bought twice (not before the first create was
 * ever sent: label_asked_at); create it when there is none;
 * buy the rate the rule asks for; record (ship_confirm.lua).  A cancelled
 * shipment's bought label is voided (invsync_worker_fulfil_answer.c).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_fulfil.h"
#include "invsync_worker_3pl.h"


/* a window of due members is claimed in one call */
_Static_assert(INVSYNC_FULFIL_WINDOW <= INVSYNC_SHIP_CLAIM_MAX,
               "claim window too large");


static int invsync_fulfil_look(invsync_worker_t *w, int carrier,
    int threepl);
static const invsync_location_t *invsync_fulfil_id_loc(invsync_worker_t *w,
    const char *id);
static int invsync_fulfil_claim(invsync_worker_t *w, const char **ids,
    size_t n, redisReply **out);
static int invsync_fulfil_start(invsync_worker_t *w, const char *id,
    const char *score);
static int invsync_fulfil_load(invsync_worker_t *w, invsync_fulfil_t *f,
    const char *id);
static int invsync_fulfil_begin(invsync_worker_t *w, invsync_fulfil_t *f);
static int invsync_fulfil_creds(invsync_worker_t *w, char *err, size_t len);


int
invsync_fulfil_init(invsync_worker_t *w, char *err, size_t len)
{
    struct invsync_fulfil_s  *e;

    if (w->conf->routing == NULL) {
        return 0;
    }

    e = calloc(1, sizeof(struct invsync_fulfil_s));
    if (e != NULL) {
        e->nslots = w->conf->carrier_slots > 0 ? w->conf->carrier_slots : 1;
        e->slots = calloc(e->nslots, sizeof(invsync_fulfil_t));
    }

    if (e == NULL || e->slots == NULL) {
        free(e);
        snprintf(err, len, "out of memory");
        return -1;
    }

    w->fulfil = e;

    return invsync_fulfil_creds(w, err, len);
}


/*
 * Each location's credentials, read once here (at start and at each
 * reload) rather than for every shipment: a warehouse's carrier key
 * (fulfilment.credentials_file), a 3PL's account token (the channel
 * fulfilment.channel names).  An unreadable file leaves NULL: that
 * location's shipments fail with the reason, as -t would have said.
 */

static int
invsync_fulfil_creds(invsync_worker_t *w, char *err, size_t len)
{
    size_t                         i;
    const char                    *file, *acct;
    const invsync_location_t      *loc;
    const invsync_channel_conf_t  *cc;
    struct invsync_fulfil_s       *e = w->fulfil;

    e->ncred = w->conf->routing->nlocations;
    e->cred = calloc(e->ncred ? e->ncred : 1, sizeof(char *));

    if (e->cred == NULL) {
        snprintf(err, len, "out of memory");
        return -1;
    }

    for (i = 0; i < e->ncred; i++) {
        loc = &w->conf->routing->locations[i];
        file = NULL;

        if (loc->kind == INVSYNC_LOC_WAREHOUSE) {
            file = json_string_value(json_object_get(loc->fulfilment,
                                                     "credentials_file"));

        } else if (loc->kind == INVSYNC_LOC_3PL) {
            acct = json_string_value(json_object_get(loc->fulfilment,
                                                     "channel"));
            cc = acct ? invsync_conf_channel(w->conf, acct) : NULL;
            file = cc ? cc->credentials_file : NULL;
        }

        e->cred[i] = file ? invsync_channel_credentials(file) : NULL;
    }

    return 0;
}


const char *
invsync_fulfil_cred(invsync_worker_t *w, const invsync_location_t *loc)
{
    size_t                    i;
    struct invsync_fulfil_s  *e = w->fulfil;

    if (e == NULL || loc == NULL || e->cred == NULL) {
        return NULL;
    }

    i = (size_t) (loc - w->conf->routing->locations);

    return i < e->ncred ? e->cred[i] : NULL;
}


void
invsync_fulfil_free(invsync_worker_t *w)
{
    int                       i;
    invsync_fulfil_t         *f;
    struct invsync_fulfil_s  *e = w->fulfil;

    if (e == NULL) {
        return;
    }

    /* a slot cut short: its shipment is due again when its lease ends */
    for (i = 0; i < e->nslots; i++) {
        f = &e->slots[i];
        invsync_call_release(w, &f->call);
        json_decref(f->ship);
    }

    invsync_3pl_drop(w);

    for (i = 0; e->cred != NULL && (size_t) i < e->ncred; i++) {
        invsync_channel_credentials_free(e->cred[i]);
    }

    free(e->cred);
    free(e->slots);
    free(e);
    w->fulfil = NULL;
}


/* a request of the engine's in flight: the loop comes back soon */

int
invsync_fulfil_busy(invsync_worker_t *w)
{
    int  i;

    if (w->fulfil == NULL) {
        return 0;
    }

    for (i = 0; i < w->fulfil->nslots; i++) {
        if (w->fulfil->slots[i].call.inflight) {
            return 1;
        }
    }

    return invsync_3pl_busy(w) > 0;
}


/* the worker's turn: 0, or -1 when the Redis session was lost */

int
invsync_fulfil_step(invsync_worker_t *w)
{
    int                       i, carrier, threepl, rc;
    int64_t                   now;
    struct invsync_fulfil_s  *e = w->fulfil;

    now = invsync_now_ms();

    if (e == NULL || now < e->next_ms) {
        return 0;
    }

    carrier = 0;

    for (i = 0; i < e->nslots; i++) {
        carrier += !e->slots[i].call.inflight;
    }

    threepl = w->conf->threepl_slots - invsync_3pl_busy(w);
    threepl = threepl > 0 ? threepl : 0;

    if (carrier == 0 && threepl == 0) {
        return 0;
    }

    rc = invsync_fulfil_look(w, carrier, threepl);

    /* found work: look again at once, there may be more; else a while */
    e->next_ms = rc > 0 ? now : now + INVSYNC_FULFIL_CHECK_MS;

    return rc < 0 ? -1 : 0;
}


/*
 * The due shipments that free slots can take, claimed and started: the
 * number started, -1 lost.  A shipment of a location no longer known
 * goes to a carrier slot, whose step takes it off the due set.  A full
 * window that left slots free is followed by the next, up to
 * INVSYNC_FULFIL_PAGES: the due set is one for both kinds, and a head of
 * 3PL shipments waiting for a 3PL slot (a slow 3PL) would otherwise leave
 * the carrier slots idle, the warehouses' labels bought only at the 3PL's
 * pace (found by the fault run; t/ship_window.t).
 */

static int
invsync_fulfil_look(invsync_worker_t *w, int carrier, int threepl)
{
    int                        is3pl, started, rc, p, np;
    char                       key[INVSYNC_SHIP_ID_LEN], now[32], lim[16],
                               off[16];
    size_t                     i, n;
    redisReply                *r, *c, *pages[INVSYNC_FULFIL_PAGES];
    const char                *ids[INVSYNC_FULFIL_WINDOW];
    const invsync_location_t  *loc;

    invsync_key_fulfil_due(key, sizeof(key), w->conf);
    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    snprintf(lim, sizeof(lim), "%d", INVSYNC_FULFIL_WINDOW);

    n = 0;
    np = 0;

    for (p = 0; p < INVSYNC_FULFIL_PAGES && (carrier > 0 || threepl > 0)
                && n < INVSYNC_FULFIL_WINDOW; p++)
    {
        snprintf(off, sizeof(off), "%d", p * INVSYNC_FULFIL_WINDOW);
        r = invsync_redis_cmdv(w, (const char *[]) { "ZRANGEBYSCORE", key,
                               "-inf", now, "LIMIT", off, lim, NULL });
        if (r == NULL) {
            while (np > 0) {
                freeReplyObject(pages[--np]);
            }

            return -1;
        }

        pages[np++] = r;

        for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements
                    && (carrier > 0 || threepl > 0)
                    && n < INVSYNC_FULFIL_WINDOW; i++)
        {
            loc = invsync_fulfil_id_loc(w, r->element[i]->str);
            is3pl = loc != NULL && loc->kind == INVSYNC_LOC_3PL;

            if (is3pl ? threepl-- > 0 : carrier-- > 0) {
                ids[n++] = r->element[i]->str;
            }
        }

        if (r->type != REDIS_REPLY_ARRAY
            || r->elements < INVSYNC_FULFIL_WINDOW)
        {
            break;                  /* the due set's end */
        }
    }

    c = NULL;
    rc = n > 0 ? invsync_fulfil_claim(w, ids, n, &c) : 0;

    while (np > 0) {
        freeReplyObject(pages[--np]);
    }

    if (rc < 0) {
        return -1;
    }

    started = 0;

    for (i = 0; c != NULL && i + 1 < c->elements; i += 2) {
        rc = invsync_fulfil_start(w, c->element[i]->str,
                                  c->element[i + 1]->str);
        if (rc < 0) {
            freeReplyObject(c);
            return -1;
        }

        started++;
    }

    freeReplyObject(c);

    return started;
}


/* the location a shipment id names (after its last '@'), or NULL */

static const invsync_location_t *
invsync_fulfil_id_loc(invsync_worker_t *w, const char *id)
{
    const char  *at = strrchr(id, '@');

    return at != NULL ? invsync_routing_location(w->conf->routing, at + 1)
                      : NULL;
}


/* ship_claim.lua: *out the claimed ids and their scores, or NULL */

static int
invsync_fulfil_claim(invsync_worker_t *w, const char **ids, size_t n,
    redisReply **out)
{
    char         key[INVSYNC_SHIP_ID_LEN];
    redisReply  *r;

    invsync_key_fulfil_due(key, sizeof(key), w->conf);
    r = invsync_ship_claim(w, key, invsync_now_ms(), INVSYNC_FULFIL_LEASE_MS,
                           ids, n);
    if (r == NULL) {
        return -1;
    }

    if (r->type != REDIS_REPLY_ARRAY) {
        invsync_log(INVSYNC_LOG_ERROR, "fulfilment: claim failed",
                    json_pack("{s:s}", "err", r->type == REDIS_REPLY_ERROR
                                              ? r->str : "not an array"));
        freeReplyObject(r);
        return 0;
    }

    *out = r;

    return 0;
}


/* a claimed shipment into its path: 0, -1 lost */

static int
invsync_fulfil_start(invsync_worker_t *w, const char *id, const char *score)
{
    int                        i;
    char                       key[INVSYNC_SHIP_ID_LEN];
    invsync_fulfil_t          *f;
    const invsync_location_t  *loc;

    loc = invsync_fulfil_id_loc(w, id);

    /* the 3PL path's own step and request; it leases it anew */
    if (loc != NULL && loc->kind == INVSYNC_LOC_3PL) {
        return invsync_3pl_due(w, id) < 0 ? -1 : 0;
    }

    for (i = 0; i < w->fulfil->nslots; i++) {
        f = &w->fulfil->slots[i];

        if (!f->call.inflight) {
            if (invsync_fulfil_load(w, f, id) != 0) {
                return -1;
            }

            return invsync_fulfil_begin(w, f);
        }
    }

    /* no free slot after all (cannot happen: the look counted them):
     * back where it was */
    invsync_key_fulfil_due(key, sizeof(key), w->conf);

    return invsync_fulfil_cmd(w, "ZADD", key, score, id, NULL, NULL);
}


/* f->id and f->ship, the shipment's fields: 0, -1 lost */

static int
invsync_fulfil_load(invsync_worker_t *w, invsync_fulfil_t *f, const char *id)
{
    char         key[INVSYNC_SHIP_ID_LEN];
    size_t       i;
    redisReply  *r;

    snprintf(f->id, sizeof(f->id), "%s", id);
    f->by_channel = 0;
    invsync_key_shipment(key, sizeof(key), w->conf, f->id);

    r = invsync_redis_cmdv(w, (const char *[]) { "HGETALL", key, NULL });
    if (r == NULL) {
        return -1;
    }

    json_decref(f->ship);
    f->ship = json_object();

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        json_object_set_new(f->ship, r->element[i]->str,
                            json_stringn(r->element[i + 1]->str,
                                         r->element[i + 1]->len));
    }

    freeReplyObject(r);

    return 0;
}


/*
 * What the shipment needs now.  A shipment the channel shipped itself
 * (shipped_by channel, docs/fulfilment.md "Shipped by the channel") with
 * a label bought for it meanwhile has that label voided; any other
 * shipped one leaves the due set.
 */

static int
invsync_fulfil_begin(invsync_worker_t *w, invsync_fulfil_t *f)
{
    char         dkey[INVSYNC_SHIP_ID_LEN];
    const char  *state, *kind, *ref;
    int          void_it;

    state = invsync_fulfil_field(f, "state");
    kind = invsync_fulfil_field(f, "kind");
    ref = invsync_fulfil_field(f, "provider_ref");
    invsync_key_fulfil_due(dkey, sizeof(dkey), w->conf);

    f->loc = invsync_routing_location(w->conf->routing,
                                      invsync_fulfil_field(f, "location"));
    f->by_channel = strcmp(invsync_fulfil_field(f, "shipped_by"), "channel")
                    == 0;
    void_it = (strcmp(state, "cancelled") == 0 && ref[0] != '\0')
              || (f->by_channel && ref[0] != '\0'
                  && strcmp(invsync_fulfil_field(f, "label_void"), "due")
                     == 0);

    if (state[0] == '\0' || strcmp(kind, "warehouse") != 0 || f->loc == NULL
        || (!void_it && strcmp(state, "open") != 0
            && strcmp(state, "requested") != 0))
    {
        return invsync_fulfil_cmd(w, "ZREM", dkey, f->id, NULL, NULL, NULL);
    }

    f->pv = invsync_provider_find(json_string_value(
                json_object_get(f->loc->fulfilment, "provider")));
    f->cc.id = f->loc->id;
    f->cc.type = (char *) "label";
    f->cc.api_base = (char *) json_string_value(
                         json_object_get(f->loc->fulfilment, "api_base"));
    f->cred = invsync_fulfil_cred(w, f->loc);

    if (f->pv == NULL || f->cc.api_base == NULL || f->cred == NULL) {
        return invsync_fulfil_failed(w, f, "the location's fulfilment has "
                                     "no usable api_base, provider or "
                                     "credentials_file");
    }

    if (void_it) {
        return invsync_fulfil_send(w, f, INVSYNC_FULFIL_VOID, ref);
    }

    /* no create was ever sent for it (label_asked_at is written before
     * the first): the provider cannot know its reference, the look-up
     * would cost a round trip to find nothing */
    if (strcmp(state, "open") == 0
        && invsync_fulfil_field(f, "label_asked_at")[0] == '\0')
    {
        return invsync_fulfil_send(w, f, INVSYNC_FULFIL_CREATE, NULL);
    }

    return invsync_fulfil_send(w, f, INVSYNC_FULFIL_LOOKUP, f->id);
}


/* one request of the provider's (arg: reference, id or rate id), the
 * claim renewed for it */

int
invsync_fulfil_send(invsync_worker_t *w, invsync_fulfil_t *f,
    invsync_fulfil_step_e step, const char *arg)
{
    int                  rc;
    char                 err[INVSYNC_ERR_LEN], key[INVSYNC_SHIP_ID_LEN];
    char                 skey[INVSYNC_SHIP_ID_LEN], until[32], asked[32];
    invsync_label_req_t  req;

    invsync_call_release(w, &f->call);
    invsync_call_init(&f->call, f->pv->call, &f->cc, f->cred);
    f->call.ctx.now_ms = invsync_now_ms();
    f->step = step;

    invsync_key_fulfil_due(key, sizeof(key), w->conf);
    snprintf(until, sizeof(until), "%lld",
             (long long) (f->call.ctx.now_ms + INVSYNC_FULFIL_LEASE_MS));

    if (invsync_fulfil_cmd(w, "ZADD", key, "XX", until, f->id, NULL) != 0) {
        return -1;
    }

    /* from the first create on, every attempt starts with the look-up:
     * a create or a buy may have reached the provider unanswered */
    if (step == INVSYNC_FULFIL_CREATE
        && invsync_fulfil_field(f, "label_asked_at")[0] == '\0')
    {
        invsync_key_shipment(skey, sizeof(skey), w->conf, f->id);
        snprintf(asked, sizeof(asked), "%lld",
                 (long long) f->call.ctx.now_ms);

        if (invsync_fulfil_cmd(w, "HSETNX", skey, "label_asked_at", asked,
                               NULL, NULL) != 0)
        {
            return -1;
        }

        json_object_set_new(f->ship, "label_asked_at", json_string(asked));
    }

    switch (step) {
    case INVSYNC_FULFIL_LOOKUP:
        rc = f->pv->lookup_build(&f->call.ctx, arg, &f->call.rq);
        break;
    case INVSYNC_FULFIL_CREATE:
        if (invsync_fulfil_label_req(w, f, &req, err, sizeof(err)) != 0) {
            return -1;
        }
        rc = f->pv->create_build(&f->call.ctx, &req, &f->call.rq);
        json_decref(req.to);
        break;
    case INVSYNC_FULFIL_BUY:
        rc = f->pv->buy_build(&f->call.ctx,
                              invsync_fulfil_field(f, "provider_ref"), arg,
                              &f->call.rq);
        break;
    default:
        rc = f->pv->void_build(&f->call.ctx, arg, &f->call.rq);
        break;
    }

    if (rc != 0
        || invsync_call_start(w, &f->call, INVSYNC_FULFIL_ANSWER,
                              INVSYNC_CALL_TIMEOUT_MS, invsync_fulfil_done,
                              f) != 0)
    {
        return invsync_fulfil_failed(w, f, "the provider's request could "
                                     "not be built (credentials, URL)");
    }

    return 0;
}


/* one command of up to four arguments after the key; -1 lost */

int
invsync_fulfil_cmd(invsync_worker_t *w, const char *cmd, const char *key,
    const char *a, const char *b, const char *c, const char *d)
{
    const char  *argv[7] = { cmd, key, a, b, c, d, NULL };
    redisReply  *r;

    r = invsync_redis_cmdv(w, argv);

    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}
