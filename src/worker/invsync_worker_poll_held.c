
/*
 * Held stock notices handed back after a poll round (the holding is
 * src/actions/stock/invsync_stock_hold.c).  A complete round records when
 * it began (K pollround:<channel>), then adds each notice of
 * K held:<channel> that came at least INVSYNC_HELD_MARGIN_MS before that
 * to <prefix>:orders, behind the orders the round added: the consumer
 * keeps a stream's order, so the notice is decided with those orders
 * reserved.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_poll.h"


static int invsync_poll_held_take(invsync_worker_t *w, const char *key,
    redisReply *sku, redisReply *value, int64_t begun_ms);
static int invsync_poll_held_add(invsync_worker_t *w, invsync_pollchan_t *pc,
    const char *sku, json_t *doc);


/*
 * After a complete round of pc that began at begun_ms: 0, or -1 when the
 * Redis session was lost.  A notice not handed back (too recent, replaced
 * or taken by another worker meanwhile) waits for the next round.
 */

int
invsync_poll_release(invsync_worker_t *w, invsync_pollchan_t *pc,
    int64_t begun_ms)
{
    int          rc;
    char         key[INVSYNC_KEY_LEN], ms[32];
    size_t       i;
    json_t      *doc;
    redisReply  *r;

    if (!pc->ch->counts_before_orders) {
        return 0;
    }

    invsync_key_pollround(key, sizeof(key), w->conf, pc->conf->id);
    snprintf(ms, sizeof(ms), "%lld", (long long) begun_ms);

    r = invsync_redis_cmdv(w, (const char *[]) { "SET", key, ms, NULL });
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    invsync_key_held(key, sizeof(key), w->conf, pc->conf->id);

    r = invsync_redis_cmdv(w, (const char *[]) { "HGETALL", key, NULL });
    if (r == NULL) {
        return -1;
    }

    rc = 0;

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements
                && rc == 0; i += 2)
    {
        rc = invsync_poll_held_take(w, key, r->element[i], r->element[i + 1],
                                    begun_ms);

        if (rc != 1) {
            continue;
        }

        doc = json_loadb(r->element[i + 1]->str, r->element[i + 1]->len, 0,
                         NULL);
        rc = invsync_poll_held_add(w, pc, r->element[i]->str, doc);
        json_decref(doc);
    }

    freeReplyObject(r);

    return rc < 0 ? -1 : 0;
}


/*
 * One held notice taken out of key if it came long enough before the
 * round and is still the one read (held.lua): 1 taken, 0 not, -1 the
 * session was lost.
 */

static int
invsync_poll_held_take(invsync_worker_t *w, const char *key, redisReply *sku,
    redisReply *value, int64_t begun_ms)
{
    int          taken;
    json_t      *doc;
    int64_t      received;
    redisReply  *r;

    doc = json_loadb(value->str, value->len, 0, NULL);
    received = json_integer_value(json_object_get(doc, "received"));
    json_decref(doc);

    if (doc == NULL || received + INVSYNC_HELD_MARGIN_MS > begun_ms) {
        return 0;
    }

    r = invsync_redis_eval(w, w->held_sha, invsync_script_held,
                           invsync_script_held_len, 1, 3,
                           (const char *[]) { key, sku->str, value->str },
                           (size_t []) { strlen(key), sku->len,
                                         value->len });
    if (r == NULL) {
        return -1;
    }

    taken = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);

    return taken;
}


/*
 * The notice as an entry like the module's, its event "held:<n>:<event>"
 * (n: the how-manieth time it is handed back), its received time the
 * first delivery's.  0, or -1 when the session was lost; a held record
 * that is not one is logged and dropped.
 */

static int
invsync_poll_held_add(invsync_worker_t *w, invsync_pollchan_t *pc,
    const char *sku, json_t *doc)
{
    char         stream[INVSYNC_KEY_LEN], event[INVSYNC_EVENT_LEN];
    char         received[32];
    size_t       i, n, argvlen[19];
    const char  *argv[19], *orig, *topic, *account, *body;
    redisReply  *r;

    orig = json_string_value(json_object_get(doc, "event"));
    topic = json_string_value(json_object_get(doc, "topic"));
    account = json_string_value(json_object_get(doc, "account"));
    body = json_string_value(json_object_get(doc, "body"));

    if (orig == NULL || topic == NULL || account == NULL || body == NULL
        || (size_t) snprintf(event, sizeof(event), "held:%lld:%s",
                             (long long) json_integer_value(
                                 json_object_get(doc, "n")) + 1, orig)
           >= sizeof(event))
    {
        invsync_log(INVSYNC_LOG_WARN, "held stock notice dropped: not one",
                    json_pack("{s:s, s:s}", "channel", pc->conf->id,
                              "sku", sku));
        return 0;
    }

    (void) invsync_key_stream_of(stream, sizeof(stream), w->conf, "orders");
    snprintf(received, sizeof(received), "%lld", (long long)
             json_integer_value(json_object_get(doc, "received")));

    i = 0;
    argv[i++] = "XADD";
    argv[i++] = stream;
    argv[i++] = "*";
    argv[i++] = "v";
    argv[i++] = "1";
    argv[i++] = "channel";
    argv[i++] = pc->conf->id;
    argv[i++] = "scheme";
    argv[i++] = pc->conf->type;
    argv[i++] = "account";
    argv[i++] = account;
    argv[i++] = "topic";
    argv[i++] = topic;
    argv[i++] = "event";
    argv[i++] = event;
    argv[i++] = "received";
    argv[i++] = received;
    argv[i++] = "body";
    argv[i++] = body;

    for (n = 0; n < i; n++) {
        argvlen[n] = strlen(argv[n]);
    }

    /* a body with a NUL byte was never JSON: its length is its string's */
    argvlen[i - 1] = json_string_length(json_object_get(doc, "body"));

    r = invsync_redis_cmd(w, (int) i, argv, argvlen);
    if (r == NULL) {
        return -1;
    }

    invsync_log(r->type == REDIS_REPLY_STRING ? INVSYNC_LOG_INFO
                                              : INVSYNC_LOG_ERROR,
                r->type == REDIS_REPLY_STRING
                ? "held stock notice handed back"
                : "held stock notice not handed back",
                json_pack("{s:s, s:s, s:s}", "channel", pc->conf->id,
                          "sku", sku, "event", event));
    freeReplyObject(r);

    return 0;
}
