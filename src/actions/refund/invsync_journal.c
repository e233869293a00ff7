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
#include "refund/invsync_refund_steps.h"


static int invsync_journal_costs(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *canon, json_t *costs);
static invsync_act_rc_e invsync_journal_write(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *entries, char *err, size_t len);


invsync_act_rc_e
invsync_journal_post(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, char *err, size_t len)
{
    json_t           *costs, *out;
    invsync_act_rc_e  rc;

    if (w->conf->journal_accounts == NULL) {
        return INVSYNC_ACT_APPLIED;
    }

    costs = json_object();
    if (costs == NULL || invsync_journal_costs(w, ev, canon, costs) != 0) {
        json_decref(costs);
        snprintf(err, len, "redis connection lost");
        return INVSYNC_ACT_RETRY;
    }

    out = invsync_journal_out(ev, canon, costs, w->conf->journal_accounts,
                              err, len);
    json_decref(costs);

    if (out == NULL) {
        return INVSYNC_ACT_POISON;
    }

    rc = invsync_journal_write(w, ev, json_object_get(out, "entries"), err,
                               len);
    json_decref(out);

    return rc;
}


/*
 * The entries of canon (its restocked lines' SKUs mapped, their costs in
 * costs): invsync_journal_lines()'s answer (new), the SKUs without a cost
 * logged; NULL with err when the refund cannot be booked.
 */

json_t *
invsync_journal_out(const invsync_envelope_t *ev, json_t *canon,
    json_t *costs, json_t *accounts, char *err, size_t len)
{
    char              day[16];
    time_t            now;
    struct tm         tm;
    json_t           *out;

    json_object_set_new(canon, "channel", json_string(ev->channel));

    now = time(NULL);
    gmtime_r(&now, &tm);
    strftime(day, sizeof(day), "%Y-%m-%d", &tm);

    out = invsync_journal_lines(canon, costs, accounts, day, err, len);

    if (out == NULL) {
        return NULL;
    }

    if (json_array_size(json_object_get(out, "uncosted")) > 0) {
        /* their units came back; their value is for a person to book */
        invsync_log(INVSYNC_LOG_WARN, "journal: restocked SKUs without a "
                    "cost (invsyncctl sku set --cost-minor)",
                    json_pack("{s:s, s:s, s:O}", "channel", ev->channel,
                              "event", ev->event, "skus",
                              json_object_get(out, "uncosted")));
    }

    return out;
}


/* each restocked line's SKU (mapped as the restock maps it) and cost */
static int
invsync_journal_costs(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *canon, json_t *costs)
{
    int          found;
    char         sku[256];
    size_t       i;
    json_t      *line;

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

        if (json_object_get(costs, sku) != NULL) {
            continue;
        }

        if (invsync_journal_cost_append(w, sku) != 0
            || invsync_journal_cost_reply(invsync_redis_reply(w), costs, sku)
               != 0)
        {
            return -1;
        }
    }

    return 0;
}


/* K sku:<sku>'s cost, HMGET appended to the pipeline; -1: lost */

int
invsync_journal_cost_append(invsync_worker_t *w, const char *sku)
{
    char         key[INVSYNC_ACTION_KEY_LEN];
    const char  *argv[5];

    /* a SKU too long for a key has no cost: the empty key answers nil */
    if (invsync_key_sku(key, sizeof(key), w->conf, sku) == 0) {
        key[0] = '\0';
    }

    argv[0] = "HMGET";
    argv[1] = key;
    argv[2] = "cost_minor";
    argv[3] = "cost_currency";
    argv[4] = NULL;

    return invsync_redis_appendv(w, argv);
}


/* its reply (taken): costs[sku] when the SKU has one; -1 on Redis */

int
invsync_journal_cost_reply(redisReply *r, json_t *costs, const char *sku)
{
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

    return 0;
}


/* journal.lua with every entry: those already written stay as they are */
static invsync_act_rc_e
invsync_journal_write(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *entries, char *err, size_t len)
{
    redisReply          *r;
    invsync_journal_w_t  j;

    switch (invsync_journal_args(w, ev, entries, &j)) {
    case -1:
        snprintf(err, len, "out of memory");
        return INVSYNC_ACT_RETRY;
    case 0:
        return INVSYNC_ACT_APPLIED;
    default:
        break;
    }

    r = invsync_redis_eval(w, w->journal_sha, invsync_script_journal,
                           invsync_script_journal_len, 1, (int) j.argc,
                           j.argv, j.lens);
    invsync_journal_args_free(&j);

    return invsync_journal_write_reply(r, err, len);
}


/*
 * journal.lua's arguments in j for entries (borrowed: j keeps pointers
 * into them until invsync_journal_args_free()): 1, 0 when there is
 * nothing to write, -1 out of memory.
 */

int
invsync_journal_args(invsync_worker_t *w, const invsync_envelope_t *ev,
    json_t *entries, invsync_journal_w_t *j)
{
    size_t   i, n;
    json_t  *e;

    memset(j, 0, sizeof(invsync_journal_w_t));

    n = json_array_size(entries);
    if (n == 0) {
        return 0;
    }

    invsync_key_prefix(j->k, sizeof(j->k), w->conf);
    invsync_key_journal(j->stream, sizeof(j->stream), w->conf);
    snprintf(j->source, sizeof(j->source), "%s:%s", ev->channel, ev->event);

    j->n = n;
    j->argc = 3 + 3 * n;
    j->argv = calloc(j->argc, sizeof(char *));
    j->lens = calloc(j->argc, sizeof(size_t));
    j->dumps = calloc(n, sizeof(char *));

    if (j->argv == NULL || j->lens == NULL || j->dumps == NULL) {
        invsync_journal_args_free(j);
        return -1;
    }

    j->argv[0] = j->stream;
    j->argv[1] = j->k;
    j->argv[2] = j->source;

    json_array_foreach(entries, i, e) {
        j->dumps[i] = json_dumps(json_object_get(e, "lines"), JSON_COMPACT);
        j->argv[3 + 3 * i] = json_string_value(json_object_get(e, "cause"));
        j->argv[4 + 3 * i] = json_string_value(json_object_get(e, "date"));
        j->argv[5 + 3 * i] = j->dumps[i] != NULL ? j->dumps[i] : "[]";
    }

    for (i = 0; i < j->argc; i++) {
        j->lens[i] = strlen(j->argv[i]);
    }

    return 1;
}


void
invsync_journal_args_free(invsync_journal_w_t *j)
{
    size_t  i;

    for (i = 0; j->dumps != NULL && i < j->n; i++) {
        free(j->dumps[i]);
    }

    free(j->dumps);
    free(j->argv);
    free(j->lens);
    memset(j, 0, sizeof(invsync_journal_w_t));
}


/* journal.lua's answer, taken (NULL: the session was lost) */

invsync_act_rc_e
invsync_journal_write_reply(redisReply *r, char *err, size_t len)
{
    invsync_act_rc_e  rc;

    rc = INVSYNC_ACT_APPLIED;

    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        snprintf(err, len, "journal: %s", r != NULL && r->type
                 == REDIS_REPLY_ERROR ? r->str : "redis connection lost");
        rc = INVSYNC_ACT_RETRY;
    }

    if (r != NULL) {
        freeReplyObject(r);
    }

    return rc;
}
