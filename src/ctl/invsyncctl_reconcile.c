
/*
 * invsyncctl reconcile: one read-back pass now per channel with an API,
 * the workers' own (invsync_worker_reconcile.c), its requests made here,
 * one at a time, waiting when the channel asks to; what it found printed.
 * --force keeps the blind way: every mapped SKU marked for a forced push.
 * --last shows each channel's last pass, whoever made it.  This file makes
 * the passes (and --force); what is printed of them, and --last, is in
 * invsyncctl_reconcile_report.c.
 */


#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "invsyncctl_reconcile.h"


/* a channel that asks to wait longer than this ends the pass here */
#define INVSYNCCTL_RECONCILE_WAIT_MS  120000


static int invsyncctl_reconcile_read(invsyncctl_t *ctl, const char *channel,
    const char *by, const char *why);
static int invsyncctl_reconcile_pass(invsyncctl_t *ctl,
    const invsync_channel_conf_t *ch, const char *owner, json_t **result);
static json_t *invsyncctl_reconcile_result(const invsync_channel_conf_t *ch,
    const invsync_reconcile_t *rc, const char *error);
static int invsyncctl_reconcile_force(invsyncctl_t *ctl, const char *channel,
    const char *by, const char *why);
static void invsyncctl_reconcile_sleep(int64_t ms);
static int invsyncctl_reconcile_answer(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code);


const char  invsyncctl_reconcile_usage[] =
    "usage: invsyncctl reconcile [--channel CH] [--by WHO] [--why TEXT]\n"
    "       invsyncctl reconcile --force [--channel CH] [--by WHO] "
    "[--why TEXT]\n"
    "       invsyncctl reconcile --last [--channel CH]\n"
    "\n"
    "Reads what every channel with an API (or CH) really shows of each\n"
    "mapped SKU and compares it with what the ledger says it should show:\n"
    "one pass now, as the workers make every limits.reconcile_s.  Each\n"
    "drift is audited (stock.drift) and queued for the workers' pusher,\n"
    "which sends the ledger's quantity; an item the channel does not know\n"
    "opens an item_missing exception.  Prints per channel what was checked\n"
    "and each drift.\n"
    "\n"
    "  --channel CH  only this channel\n"
    "  --force       read nothing: mark every mapped SKU for a forced push\n"
    "                (the running workers send the ledger's quantity)\n"
    "  --last        the last pass of each channel, by a worker or by us\n"
    "  --json        {\"channels\": [...], \"audit\"}\n"
    "\n"
    "Exit: 0, 1 usage or a channel could not be read through, 3 Redis.\n";


int
invsyncctl_reconcile(invsyncctl_t *ctl, int argc, char **argv)
{
    int                            rc, npos, force, last;
    const char                    *channel, *by, *why, *pos[1];
    const invsync_channel_conf_t  *ch;
    invsyncctl_opt_t               opts[] = {
        { "--channel", &channel, NULL },
        { "--by", &by, NULL },
        { "--why", &why, NULL },
        { "--force", NULL, &force },
        { "--last", NULL, &last },
        { NULL, NULL, NULL }
    };

    channel = NULL;
    by = NULL;
    why = NULL;
    force = 0;
    last = 0;

    rc = invsyncctl_args(ctl, "reconcile", invsyncctl_reconcile_usage, argc,
                         argv, opts, pos, 0, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (force && last) {
        return invsyncctl_usage_error("reconcile", "give --force or --last, "
                                      "not both");
    }

    /* the configuration is read by invsyncctl_open() */
    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (channel != NULL) {
        ch = invsync_conf_channel(ctl->conf, channel);

        if (ch == NULL) {
            return invsyncctl_usage_error("reconcile", "no channel \"%s\" in "
                                          "%s", channel, ctl->conf->file);
        }

        if (force ? ch->api_base == NULL : !invsync_reconcile_supported(ch)) {
            return invsyncctl_usage_error("reconcile", "channel \"%s\" has "
                                          "no API to %s (api_base%s)",
                                          channel, force ? "push to" : "read",
                                          force ? ""
                                                : ", of a type that reads "
                                                  "stock back");
        }
    }

    if (force) {
        return invsyncctl_reconcile_force(ctl, channel, by, why);
    }

    if (last) {
        return invsyncctl_reconcile_last(ctl, channel);
    }

    return invsyncctl_reconcile_read(ctl, channel, by, why);
}


/* a pass per channel, then one operator.reconcile entry for them all */

static int
invsyncctl_reconcile_read(invsyncctl_t *ctl, const char *channel,
    const char *by, const char *why)
{
    int                            rc, incomplete;
    char                           owner[INVSYNC_NAME_LEN], host[64];
    char                           audit[INVSYNCCTL_ID_LEN], n[6][32];
    char                           err[INVSYNC_ERR_LEN];
    size_t                         i, k;
    json_t                        *list, *res, *doc;
    uint64_t                       sum[5];
    const char                    *fields[5] = { "checked", "drifted",
                                                 "missing", "unreadable",
                                                 "skipped" };
    const invsync_channel_conf_t  *ch;

    /* the exception script is called by its SHA, as the worker does */
    if (invsync_redis_load_scripts(&ctl->w, err, sizeof(err)) != 0) {
        fprintf(stderr, "invsyncctl: %s\n", err);
        return INVSYNCCTL_REDIS;
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK
        || (ctl->w.multi = curl_multi_init()) == NULL)
    {
        fprintf(stderr, "invsyncctl: curl_global_init() failed\n");
        return INVSYNCCTL_USAGE;
    }

    if (gethostname(host, sizeof(host)) != 0) {
        snprintf(host, sizeof(host), "?");
    }

    host[sizeof(host) - 1] = '\0';
    snprintf(owner, sizeof(owner), "invsyncctl:%s:%d", host, (int) getpid());

    list = json_array();
    memset(sum, 0, sizeof(sum));
    incomplete = 0;
    rc = INVSYNCCTL_OK;

    for (i = 0; i < ctl->conf->nchannels; i++) {
        ch = &ctl->conf->channels[i];

        if (!invsync_reconcile_supported(ch)
            || (channel != NULL && strcmp(channel, ch->id) != 0))
        {
            continue;
        }

        rc = invsyncctl_reconcile_pass(ctl, ch, owner, &res);
        if (rc != INVSYNCCTL_OK) {
            goto failed;
        }

        for (k = 0; k < 5; k++) {
            sum[k] += json_integer_value(json_object_get(res, fields[k]));
        }

        if (!json_is_true(json_object_get(res, "complete"))) {
            incomplete++;
            fprintf(stderr, "invsyncctl: reconcile: %s: the pass did not "
                    "complete: %s\n", ch->id,
                    json_string_value(json_object_get(res, "error")));
        }

        json_array_append_new(list, res);
    }

    for (k = 0; k < 5; k++) {
        snprintf(n[k], sizeof(n[k]), "%llu", (unsigned long long) sum[k]);
    }

    snprintf(n[5], sizeof(n[5]), "%zu", json_array_size(list));

    rc = invsyncctl_audit_operator(ctl, "operator.reconcile",
                                   invsyncctl_by(by), why ? why : "",
                                   channel ? channel : "operator", "", NULL,
                                   audit, "mode", "read", "channels", n[5],
                                   fields[0], n[0], fields[1], n[1],
                                   fields[2], n[2], fields[3], n[3],
                                   fields[4], n[4], "complete",
                                   incomplete ? "0" : "1", NULL);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    if (ctl->json) {
        doc = json_pack("{s:O, s:s}", "channels", list, "audit", audit);
        rc = invsyncctl_print_json(doc);    /* it frees doc */

    } else {
        invsyncctl_reconcile_print(list, audit);
    }

    if (rc == INVSYNCCTL_OK && incomplete) {
        rc = INVSYNCCTL_USAGE;
    }

failed:

    json_decref(list);
    curl_multi_cleanup(ctl->w.multi);
    ctl->w.multi = NULL;
    curl_global_cleanup();

    return rc;
}


/*
 * One channel's pass, a page's request at a time on the CLI's curl multi
 * (waited for: the CLI has nothing else to do meanwhile): the pass waits
 * where the channel says (THROTTLED, 429), up to
 * INVSYNCCTL_RECONCILE_WAIT_MS at a time.  *result: the channel's counts
 * and drifts (new).  The lock is taken whoever holds it: a worker's pass
 * of the channel gives up.
 */

static int
invsyncctl_reconcile_pass(invsyncctl_t *ctl, const invsync_channel_conf_t *ch,
    const char *owner, json_t **result)
{
    int                   n;
    char                 *cred, why[64];
    int64_t               wait, lock_ms;
    invsync_reconcile_t  *pass;

    *result = NULL;
    cred = invsync_channel_credentials(ch->credentials_file);

    if (cred == NULL) {
        *result = invsyncctl_reconcile_result(ch, NULL, "no credentials "
                                              "(channels[].credentials_file)");
        return INVSYNCCTL_OK;
    }

    pass = invsync_reconcile_new(ch, cred, owner);
    if (pass == NULL || (pass->drifts = json_array()) == NULL) {
        invsync_reconcile_free(&ctl->w, pass);
        explicit_bzero(cred, strlen(cred));
        free(cred);
        fprintf(stderr, "invsyncctl: out of memory\n");
        return INVSYNCCTL_USAGE;
    }

    lock_ms = ctl->conf->reconcile_s > 0 ? ctl->conf->reconcile_s * 900
                                         : 60000;
    n = invsync_reconcile_begin(&ctl->w, pass, lock_ms, 1);

    while (n >= 0) {
        n = invsync_reconcile_next(&ctl->w, pass,
                                   invsyncctl_reconcile_answer, pass);

        if (n < 0) {
            break;
        }

        if (n == 0) {
            if (pass->state == INVSYNC_RECONCILE_OVER) {
                break;
            }

            wait = pass->not_before_ms - invsync_now_ms();

            if (wait > INVSYNCCTL_RECONCILE_WAIT_MS) {
                snprintf(why, sizeof(why), "the channel asked to wait %lld "
                         "s", (long long) (wait / 1000));
                n = invsync_reconcile_stop(&ctl->w, pass, why);
                break;
            }

            invsyncctl_reconcile_sleep(wait);
            continue;
        }

        /* the answer's done gives the pass back READY (or OVER) */
        while (n >= 0 && pass->state == INVSYNC_RECONCILE_FLIGHT) {
            n = invsync_calls_wait(&ctl->w, 1000);
        }
    }

    if (n >= 0) {
        *result = invsyncctl_reconcile_result(ch, pass, NULL);
    }

    invsync_reconcile_free(&ctl->w, pass);
    explicit_bzero(cred, strlen(cred));
    free(cred);

    if (n < 0 || *result == NULL) {
        fprintf(stderr, "invsyncctl: lost the Redis connection during the "
                "pass of %s\n", ch->id);
        return INVSYNCCTL_REDIS;
    }

    return INVSYNCCTL_OK;
}


/* a channel's result, new; rc NULL: the pass could not start (error) */

static json_t *
invsyncctl_reconcile_result(const invsync_channel_conf_t *ch,
    const invsync_reconcile_t *rc, const char *error)
{
    json_t                            *drifts;
    const invsync_reconcile_counts_t  *c;
    invsync_reconcile_counts_t         none;

    memset(&none, 0, sizeof(none));
    c = rc != NULL ? &rc->counts : &none;
    drifts = rc != NULL && rc->drifts != NULL ? json_incref(rc->drifts)
                                              : json_array();

    if (rc != NULL && !rc->complete) {
        error = rc->abandoned ? "another pass took over" : rc->error;
    }

    return json_pack("{s:s, s:s, s:b, s:s?, s:s?, s:I, s:I, s:I, s:I, s:I, "
                     "s:I, s:o}",
                     "channel", ch->id, "type", ch->type,
                     "complete", rc != NULL && rc->complete,
                     "error", error, "event", rc ? rc->event : NULL,
                     "pages", (json_int_t) c->pages,
                     "checked", (json_int_t) c->checked,
                     "drifted", (json_int_t) c->drifted,
                     "missing", (json_int_t) c->missing,
                     "unreadable", (json_int_t) c->unreadable,
                     "skipped", (json_int_t) c->skipped,
                     "drifts", drifts);
}


/*
 * The blind way: every mapped SKU into K force:<channel> and K
 * dirty:<channel> of every channel with an API (or CH); the workers push
 * the ledger's quantity whatever the channel is thought to show.
 */

static int
invsyncctl_reconcile_force(invsyncctl_t *ctl, const char *channel,
    const char *by, const char *why)
{
    int                            rc;
    char                           skus[INVSYNCCTL_KEY_LEN], cursor[32];
    char                           force[INVSYNCCTL_KEY_LEN];
    char                           dirty[INVSYNCCTL_KEY_LEN];
    char                           audit[INVSYNCCTL_ID_LEN], count[32];
    size_t                         i, k, marked, nchan;
    json_t                        *doc;
    redisReply                    *r, *x;
    const invsync_channel_conf_t  *ch;

    invsync_key_skus(skus, sizeof(skus), ctl->conf);
    snprintf(cursor, sizeof(cursor), "0");
    marked = 0;
    nchan = 0;

    do {
        r = invsyncctl_redis(ctl, "SSCAN %s %s COUNT 1000", skus, cursor);
        if (r == NULL) {
            return INVSYNCCTL_REDIS;
        }

        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            freeReplyObject(r);
            fprintf(stderr, "invsyncctl: Redis answered SSCAN oddly\n");
            return INVSYNCCTL_REDIS;
        }

        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        nchan = 0;

        for (k = 0; k < ctl->conf->nchannels; k++) {
            ch = &ctl->conf->channels[k];

            if (ch->api_base == NULL
                || (channel != NULL && strcmp(channel, ch->id) != 0))
            {
                continue;
            }

            nchan++;
            invsync_key_force(force, sizeof(force), ctl->conf, ch->id);
            invsync_key_dirty(dirty, sizeof(dirty), ctl->conf, ch->id);

            for (i = 0; i < r->element[1]->elements; i++) {
                /* force first: the pusher reads it when it pops dirty */
                x = invsyncctl_redis(ctl, "SADD %s %s", force,
                                     r->element[1]->element[i]->str);
                freeReplyObject(x);
                x = invsyncctl_redis(ctl, "SADD %s %s", dirty,
                                     r->element[1]->element[i]->str);
                if (x == NULL) {
                    freeReplyObject(r);
                    return INVSYNCCTL_REDIS;
                }

                freeReplyObject(x);
            }
        }

        marked += r->element[1]->elements;
        freeReplyObject(r);

    } while (strcmp(cursor, "0") != 0);

    snprintf(count, sizeof(count), "%zu", marked);

    rc = invsyncctl_audit_operator(ctl, "operator.reconcile",
                                   invsyncctl_by(by), why ? why : "",
                                   channel ? channel : "operator", "", NULL,
                                   audit, "mode", "force", "skus_marked",
                                   count, NULL);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (ctl->json) {
        doc = json_pack("{s:I, s:I, s:s?, s:s}", "skus", (json_int_t) marked,
                        "channels", (json_int_t) nchan, "channel", channel,
                        "audit", audit);
        rc = invsyncctl_print_json(doc);    /* it frees doc */
        return rc;
    }

    printf("marked %zu SKUs for a push to %zu channel%s (audit %s)\n",
           marked, nchan, nchan == 1 ? "" : "s", audit);

    return INVSYNCCTL_OK;
}


static void
invsyncctl_reconcile_sleep(int64_t ms)
{
    struct timespec  ts;

    if (ms <= 0) {
        return;
    }

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000;

    (void) nanosleep(&ts, NULL);
}


/* a page's answer, on the multi */

static int
invsyncctl_reconcile_answer(invsync_worker_t *w, invsync_call_t *c,
    CURLcode code)
{
    return invsync_reconcile_done(w, c->owner, code);
}
