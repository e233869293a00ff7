/*
 * journal.post: a recorded refund's journal entries (docs/journal.md).
 * The last row of a refund, after refund.record and stock.restock, and
 * called for each refund an order event carries: the SKUs of its
 * restocked lines (as the restock mapped them) and their costs read from
 * K sku:<sku>, the entries built by invsync_journal_lines() (a pure
 * function), written by journal.lua once per cause.  Without "journal"
 * in worker.json it does nothing.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "invsync_actions.h"
#include "refund/invsync_journal_lines.h"


static int invsync_journal_costs(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, json_t *costs);
static invsync_act_rc_e invsync_journal_write(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *entries, char *err, size_t len);


invsync_act_rc_e
invsync_journal_post(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    char              day[16];
    time_t            now;
    struct tm         tm;
    json_t           *costs, *out;
    invsync_act_rc_e  rc;

    if (w->conf->journal_accounts == NULL) {
        return INVSYNC_ACT_APPLIED;
    }

    json_object_set_new(canon, "channel", json_string(ev->channel));

    costs = json_object();
    if (costs == NULL || invsync_journal_costs(w, ev, canon, costs) != 0) {
        json_decref(costs);
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    now = time(NULL);
    gmtime_r(&now, &tm);
    strftime(day, sizeof(day), "%Y-%m-%d", &tm);

    out = invsync_journal_lines(canon, costs, w->conf->journal_accounts, day,
                                err, len);
    json_decref(costs);

    if (out == NULL) {
        return INVSYNC_ACT_POISON;
    }

    if (json_array_size(json_object_get(out, "uncosted")) > 0) {
        /* their units came back; their value is for a person to book */
        invsync_log(INVSYNC_LOG_WARN, "journal: restocked SKUs without a "
                    "cost (invsyncctl sku set --cost-minor)",
                    json_pack("{s:s, s:s, s:O}", "channel", ev->channel,
                              "event", ev->event, "skus",
                              json_object_get(out, "uncosted")));
    }

    rc = invsync_journal_write(w, ev, json_object_get(out, "entries"), err,
                               len);
    json_decref(out);

    return rc;
}


/* each restocked line's SKU (mapped as the restock maps it) and cost */
static int
invsync_journal_costs(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, json_t *costs)
{
    int          found;
    char         sku[256], key[INVSYNC_ACTION_KEY_LEN];
    size_t       i;
    json_t      *line;
    redisReply  *r;
    const char  *argv[5];

    json_array_foreach(json_object_get(canon, "lines"), i, line) {
        if (!invsync_journal_restocked(line)) {
            continue;
        }

        found = invsync_stock_map(w, ev->channel, line, sku, sizeof(sku));
        if (found < 0) {
            return -1;
        }

        if (found == 0) {
            continue;
        }

        json_object_set_new(line, "sku", json_string(sku));

        if (json_object_get(costs, sku) != NULL
            || invsync_key_sku(key, sizeof(key), w->conf, sku) == 0)
        {
            continue;
        }

        argv[0] = "HMGET";
        argv[1] = key;
        argv[2] = "cost_minor";
        argv[3] = "cost_currency";
        argv[4] = NULL;

        r = invsync_redis_cmdv(w, argv);
        if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            if (r != NULL) {
                freeReplyObject(r);
            }
            return -1;
        }

        if (r->element[0]->type == REDIS_REPLY_STRING
            && r->element[1]->type == REDIS_REPLY_STRING)
        {
            json_object_set_new(costs, sku, json_pack("{s:I, s:s}",
                                "cost_minor",
                                (json_int_t) strtoll(r->element[0]->str,
                                                     NULL, 10),
                                "cost_currency", r->element[1]->str));
        }

        freeReplyObject(r);
    }

    return 0;
}


/* journal.lua with every entry: those already written stay as they are */
static invsync_act_rc_e
invsync_journal_write(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *entries, char *err, size_t len)
{
    char          k[INVSYNC_ACTION_KEY_LEN], stream[INVSYNC_ACTION_KEY_LEN];
    char          source[INVSYNC_ACTION_KEY_LEN];
    char        **dumps;
    size_t        i, n, argc;
    json_t       *e;
    redisReply   *r;
    const char  **argv;
    size_t       *lens;
    invsync_act_rc_e  rc;

    n = json_array_size(entries);
    if (n == 0) {
        return INVSYNC_ACT_APPLIED;
    }

    invsync_key_prefix(k, sizeof(k), w->conf);
    invsync_key_journal(stream, sizeof(stream), w->conf);
    snprintf(source, sizeof(source), "%s:%s", ev->channel, ev->event);

    argc = 3 + 3 * n;
    argv = calloc(argc, sizeof(char *));
    lens = calloc(argc, sizeof(size_t));
    dumps = calloc(n, sizeof(char *));

    if (argv == NULL || lens == NULL || dumps == NULL) {
        rc = INVSYNC_ACT_RETRY;
        snprintf(err, len, "out of memory");
        goto done;
    }

    argv[0] = stream;
    argv[1] = k;
    argv[2] = source;

    json_array_foreach(entries, i, e) {
        dumps[i] = json_dumps(json_object_get(e, "lines"), JSON_COMPACT);
        argv[3 + 3 * i] = json_string_value(json_object_get(e, "cause"));
        argv[4 + 3 * i] = json_string_value(json_object_get(e, "date"));
        argv[5 + 3 * i] = dumps[i] != NULL ? dumps[i] : "[]";
    }

    for (i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }

    r = invsync_redis_eval(w, w->journal_sha, invsync_script_journal,
                           invsync_script_journal_len, 1, (int) argc, argv,
                           lens);

    rc = INVSYNC_ACT_APPLIED;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        snprintf(err, len, "journal: %s", r != NULL && r->type
                 == REDIS_REPLY_ERROR ? r->str : "redis connection lost");
        rc = INVSYNC_ACT_RETRY;
    }

    if (r != NULL) {
        freeReplyObject(r);
    }

done:

    for (i = 0; dumps != NULL && i < n; i++) {
        free(dumps[i]);
    }

    free(dumps);
    free(argv);
    free(lens);

    return rc;
}
