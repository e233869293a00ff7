
/*
 * A stock notice held until the orders it counts can be read.  A channel
 * whose row says counts_before_orders takes a sale out of its count and
 * says so at once, while the order's lines come only with its next poll
 * round.  Decided at once, such a notice is wrong either way: overwritten
 * (external_changes ignore), the channel shows the sold units as available
 * again until the poll; taken as a correction (correct), the sale is
 * counted twice, once as the correction and once as the order's
 * reservation.  So it waits in K held:<channel> (the newest per SKU), and
 * the first complete poll round that began INVSYNC_HELD_MARGIN_MS after it
 * came hands it back to the consumer behind the orders that round read
 * (src/worker/invsync_worker_poll_held.c): by then the ledger has reserved
 * the sale and the count is "consistent".
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_actions.h"


#define INVSYNC_KEY_LEN  INVSYNC_ACTION_KEY_LEN


static int invsync_stock_held_store(invsync_worker_t *w,
    const invsync_envelope_t *ev, const char *sku, int n);
static void invsync_stock_held_soon(invsync_worker_t *w,
    const invsync_channel_conf_t *ch, int64_t at_ms);
static int invsync_stock_held_waiting(invsync_worker_t *w,
    const invsync_envelope_t *ev, const char *sku, int64_t shown,
    int64_t expected);


/*
 * The event a notice was first delivered as, and how often it was handed
 * back (*n): the poller hands one back as "held:<n>:<event>".
 */

const char *
invsync_stock_held_event(const char *event, int *n)
{
    long   k;
    char  *end;

    *n = 0;

    if (strncmp(event, "held:", 5) != 0) {
        return event;
    }

    k = strtol(event + 5, &end, 10);

    if (end == event + 5 || *end != ':' || k < 1 || k > 1000) {
        return event;
    }

    *n = (int) k;

    return end + 1;
}


/*
 * Whether the notice of sku waits: 1 held, 0 to be decided now, -1 the
 * session was lost.  It waits while no complete poll round of its channel
 * began INVSYNC_HELD_MARGIN_MS after it came (K pollround:<channel>).
 * Back from one, under external_changes correct, it waits again (at most
 * INVSYNC_HELD_MAX times) while the channel has not acknowledged the
 * ledger's value of the SKU (shown != expected, or a push is pending): a
 * correction is measured from what the channel was last sent, and the
 * order just reserved is not in that yet.
 */

int
invsync_stock_hold(invsync_worker_t *w, const invsync_envelope_t *ev,
    const invsync_channel_conf_t *ch, const char *sku, int64_t shown,
    int64_t expected, int bundle)
{
    int                       n, rc;
    char                      key[INVSYNC_KEY_LEN];
    int64_t                   round_ms;
    redisReply               *r;
    const invsync_channel_t  *row;

    row = invsync_channel_find(ch->type);

    /* a channel that is not polled never brings the order: decide now */
    if (row == NULL || !row->counts_before_orders || ch->poll_s == 0) {
        return 0;
    }

    (void) invsync_stock_held_event(ev->event, &n);

    invsync_key_pollround(key, sizeof(key), w->conf, ch->id);

    r = invsync_redis_cmdv(w, (const char *[]) { "GET", key, NULL });
    if (r == NULL) {
        return -1;
    }

    round_ms = r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : -1;
    freeReplyObject(r);

    if (round_ms < ev->received + INVSYNC_HELD_MARGIN_MS) {
        rc = invsync_stock_held_store(w, ev, sku, n);
        invsync_stock_held_soon(w, ch, ev->received + INVSYNC_HELD_MARGIN_MS);
        return rc;
    }

    if (!ch->rules.correct || bundle || n >= INVSYNC_HELD_MAX) {
        return 0;
    }

    rc = invsync_stock_held_waiting(w, ev, sku, shown, expected);

    if (rc != 1) {
        return rc;
    }

    rc = invsync_stock_held_store(w, ev, sku, n);
    invsync_stock_held_soon(w, ch, invsync_now_ms() + INVSYNC_HELD_MARGIN_MS);

    return rc;
}


/*
 * This worker's poller is asked for a round of ch at at_ms, before its
 * turn (invsync_worker_poll.c): the notice waits a round trip, not poll_s.
 */

static void
invsync_stock_held_soon(invsync_worker_t *w, const invsync_channel_conf_t *ch,
    int64_t at_ms)
{
    size_t  i;

    i = (size_t) (ch - w->conf->channels);

    if (i < INVSYNC_MAX_CHANNELS
        && (w->poll_soon_ms[i] == 0 || w->poll_soon_ms[i] > at_ms))
    {
        w->poll_soon_ms[i] = at_ms;
    }
}


/* 1 when the channel has not acknowledged the ledger's value of sku yet */

static int
invsync_stock_held_waiting(invsync_worker_t *w, const invsync_envelope_t *ev,
    const char *sku, int64_t shown, int64_t expected)
{
    int          dirty;
    char         key[INVSYNC_KEY_LEN];
    redisReply  *r;

    if (shown != expected) {
        return 1;
    }

    invsync_key_dirty(key, sizeof(key), w->conf, ev->channel);

    r = invsync_redis_cmdv(w, (const char *[]) { "SISMEMBER", key, sku,
                                               NULL });
    if (r == NULL) {
        return -1;
    }

    dirty = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);

    return dirty;
}


/*
 * The notice into K held:<channel> under its SKU, replacing an older one
 * (a count is absolute: the newest says all).  1, 0 when it cannot be
 * kept (a body that is not UTF-8: decided now), -1 the session was lost.
 */

static int
invsync_stock_held_store(invsync_worker_t *w, const invsync_envelope_t *ev,
    const char *sku, int n)
{
    int          held, k;
    char         key[INVSYNC_KEY_LEN], *text;
    json_t      *doc, *body;
    redisReply  *r;

    body = json_stringn(ev->body, ev->body_len);
    if (body == NULL) {
        return 0;
    }

    doc = json_pack("{s:i, s:s, s:s, s:s, s:I, s:o}", "n", n,
                    "event", invsync_stock_held_event(ev->event, &k),
                    "topic", ev->topic ? ev->topic : "",
                    "account", ev->account ? ev->account : "",
                    "received", (json_int_t) ev->received, "body", body);
    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);

    if (text == NULL) {
        return 0;
    }

    invsync_key_held(key, sizeof(key), w->conf, ev->channel);

    r = invsync_redis_cmdv(w, (const char *[]) { "HSET", key, sku, text,
                                               NULL });
    free(text);

    if (r == NULL) {
        return -1;
    }

    held = r->type == REDIS_REPLY_INTEGER;
    freeReplyObject(r);

    return held;
}
