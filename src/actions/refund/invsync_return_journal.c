
/*
 * A receipt's journal entries (docs/journal.md): each restocked line's
 * units back into inventory at cost, or written off when they went to
 * the damaged bucket, built by the journal's own line builder
 * (invsync_journal_lines(), as a refund that moved no money: channel
 * "rma", refund id "<rma>:<receipt>", the line id "<n>:<sku>", its
 * place in the receipt, so that the entry's cause is the ledger
 * movement's, restock:rma:<rma>:<receipt>:<n>:<sku>) and written by
 * journal.lua, once per cause.  Without "journal"
 * in worker.json nothing is written.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "refund/invsync_journal_lines.h"
#include "refund/invsync_return_int.h"


static int invsync_return_costs(invsync_worker_t *w, json_t *lines,
    json_t *costs);
static int invsync_return_journal_write(invsync_worker_t *w,
    const char *source, json_t *entries, char *err, size_t len);


int
invsync_return_journal(invsync_worker_t *w, const char *source,
    const char *rid, json_t *lines, char *err, size_t len)
{
    int        rc;
    char       day[16], ref[512];
    time_t     now;
    size_t     i;
    struct tm  tm;
    json_t    *refund, *rl, *l, *costs, *out;

    if (w->conf->journal_accounts == NULL) {
        return 0;
    }

    rl = json_array();
    json_array_foreach(lines, i, l) {
        json_array_append_new(rl, json_pack("{s:O, s:O, s:O, s:O*, s:O*, "
            "s:O}", "sku", json_object_get(l, "sku"), "quantity",
            json_object_get(l, "qty"), "restock",
            json_object_get(l, "restock"), "bucket",
            json_object_get(l, "bucket"), "condition",
            json_object_get(l, "condition"), "channel_line_id",
            json_object_get(l, "line")));
    }

    /* rid here is "<rma>:<receipt>", the refund id of the builder */
    snprintf(ref, sizeof(ref), "%s", rid);
    refund = json_pack("{s:s, s:s, s:I, s:o}", "channel", "rma",
                       "refund_id", ref, "amount_minor", (json_int_t) 0,
                       "lines", rl);
    costs = json_object();

    if (refund == NULL || costs == NULL
        || invsync_return_costs(w, rl, costs) != 0)
    {
        json_decref(refund);
        json_decref(costs);
        snprintf(err, len, "redis connection lost");
        return -1;
    }

    now = time(NULL);
    gmtime_r(&now, &tm);
    strftime(day, sizeof(day), "%Y-%m-%d", &tm);

    out = invsync_journal_lines(refund, costs, w->conf->journal_accounts,
                                day, err, len);
    json_decref(refund);
    json_decref(costs);

    if (out == NULL) {
        return -1;
    }

    rc = invsync_return_journal_write(w, source,
                                      json_object_get(out, "entries"), err,
                                      len);
    json_decref(out);

    return rc;
}


/* K sku:<sku> cost_minor, cost_currency of each restocked line */
static int
invsync_return_costs(invsync_worker_t *w, json_t *lines, json_t *costs)
{
    char         key[INVSYNC_ACTION_KEY_LEN];
    size_t       i;
    json_t      *l;
    const char  *argv[5], *sku;
    redisReply  *r;

    json_array_foreach(lines, i, l) {
        sku = invsync_action_str(l, "sku");

        if (!json_is_true(json_object_get(l, "restock"))
            || json_object_get(costs, sku) != NULL)
        {
            continue;
        }

        invsync_key_sku(key, sizeof(key), w->conf, sku);
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
                "cost_minor", (json_int_t) strtoll(r->element[0]->str, NULL,
                                                   10),
                "cost_currency", r->element[1]->str));
        }

        freeReplyObject(r);
    }

    return 0;
}


/* journal.lua: KEYS the stream; ARGV prefix, source, (cause, date,
 * lines) per entry */
static int
invsync_return_journal_write(invsync_worker_t *w, const char *source,
    json_t *entries, char *err, size_t len)
{
    char          k[INVSYNC_ACTION_KEY_LEN], stream[INVSYNC_ACTION_KEY_LEN];
    char         *dumps[INVSYNC_RMA_MAX_LINES];
    size_t        i, n, argc, lens[3 + 3 * INVSYNC_RMA_MAX_LINES];
    json_t       *e;
    const char   *argv[3 + 3 * INVSYNC_RMA_MAX_LINES];
    redisReply   *r;
    int           rc;

    n = json_array_size(entries);
    if (n == 0) {
        return 0;
    }

    if (n > INVSYNC_RMA_MAX_LINES) {
        snprintf(err, len, "journal: %zu entries for one receipt", n);
        return -1;
    }

    invsync_key_prefix(k, sizeof(k), w->conf);
    invsync_key_journal(stream, sizeof(stream), w->conf);
    argv[0] = stream;
    argv[1] = k;
    argv[2] = source;

    json_array_foreach(entries, i, e) {
        dumps[i] = json_dumps(json_object_get(e, "lines"), JSON_COMPACT);
        argv[3 + 3 * i] = json_string_value(json_object_get(e, "cause"));
        argv[4 + 3 * i] = json_string_value(json_object_get(e, "date"));
        argv[5 + 3 * i] = dumps[i] != NULL ? dumps[i] : "[]";
    }

    argc = 3 + 3 * n;
    for (i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }

    r = invsync_redis_eval(w, w->journal_sha, invsync_script_journal,
                           invsync_script_journal_len, 1, (int) argc, argv,
                           lens);

    rc = 0;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        snprintf(err, len, "journal: %s", r != NULL && r->type
                 == REDIS_REPLY_ERROR ? r->str : "redis connection lost");
        rc = -1;
    }

    if (r != NULL) {
        freeReplyObject(r);
    }

    for (i = 0; i < n; i++) {
        free(dumps[i]);
    }

    return rc;
}
