
/*
 * invsyncctl exceptions retry and resolve: the subcommands that change an
 * exception.  Each change is one script (exc_retry.lua, exc_resolve.lua),
 * which the worker loads too, so that an operator and a worker acting on
 * one exception at once leave it in one state; the audit entry follows.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_exceptions.h"


static int invsyncctl_exc_cause(invsyncctl_t *ctl, const char *id,
    const redisReply *h, char *newid);
static int invsyncctl_exc_retried(invsyncctl_t *ctl, const char *key,
    const char *newid);
static int invsyncctl_exc_resolve_write(invsyncctl_t *ctl, const char *id,
    const char *key, const char *by, const char *why, char *prev, size_t cap,
    redisReply **r);


int
invsyncctl_exc_retry(invsyncctl_t *ctl, int argc, char **argv)
{
    int                rc, npos;
    char               key[INVSYNCCTL_KEY_LEN], order[INVSYNCCTL_KEY_LEN];
    char               newid[INVSYNCCTL_ID_LEN], audit[INVSYNCCTL_ID_LEN];
    const char        *by, *why, *pos[1];
    redisReply        *h;
    invsyncctl_opt_t   opts[] = {
        { "--by", &by, NULL },
        { "--why", &why, NULL },
        { NULL, NULL, NULL }
    };

    by = NULL;
    why = NULL;

    rc = invsyncctl_args(ctl, "exceptions", invsyncctl_exceptions_usage, argc,
                         argv, opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1) {
        return invsyncctl_usage_error("exceptions", "retry needs an "
                                      "exception id");
    }

    rc = invsyncctl_exc_get(ctl, pos[0], key, &h);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (strcmp(invsyncctl_fstr(h, "state"), "resolved") == 0) {
        fprintf(stderr, "invsyncctl: exceptions: %s is resolved (by %s: %s);"
                " nothing to retry\n", pos[0],
                invsyncctl_fstr(h, "resolved_by"),
                invsyncctl_fstr(h, "resolution"));
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    rc = invsyncctl_exc_cause(ctl, pos[0], h, newid);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    rc = invsyncctl_exc_retried(ctl, key, newid);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    invsyncctl_exc_order(h, order, sizeof(order));

    rc = invsyncctl_audit_operator(ctl, "operator.exception.retry",
                                   invsyncctl_by(by), why,
                                   invsyncctl_fstr(h, "channel"),
                                   invsyncctl_fstr(h, "event"), order, audit,
                                   "exception", pos[0],
                                   "kind", invsyncctl_fstr(h, "kind"),
                                   "stream", invsyncctl_fstr(h, "stream"),
                                   "entry", invsyncctl_fstr(h, "entry"),
                                   "new_entry", newid, NULL);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    if (ctl->json) {
        rc = invsyncctl_print_json(json_pack("{s:s, s:s, s:s, s:s, s:s, "
                                             "s:s}",
                                             "exception", pos[0],
                                             "state", "retried",
                                             "stream",
                                             invsyncctl_fstr(h, "stream"),
                                             "entry",
                                             invsyncctl_fstr(h, "entry"),
                                             "id", newid, "audit", audit));

    } else {
        printf("retried exception %s: %s:%s %s delivered again as %s "
               "(audit %s)\n", pos[0], ctl->conf->prefix,
               invsyncctl_fstr(h, "stream"), invsyncctl_fstr(h, "entry"),
               newid, audit);
    }

failed:

    freeReplyObject(h);

    return rc;
}


/*
 * The cause again: a copy of the stream entry that raised the exception
 * (but an earlier replay_of or retry_of), with retry_of = the exception.
 */

static int
invsyncctl_exc_cause(invsyncctl_t *ctl, const char *id, const redisReply *h,
    char *newid)
{
    char                key[INVSYNCCTL_KEY_LEN];
    size_t              i;
    const char         *stream, *entry, *k;
    redisReply         *r, *x;
    const redisReply   *f;
    invsyncctl_argv_t   a;

    stream = invsyncctl_fstr(h, "stream");
    entry = invsyncctl_fstr(h, "entry");

    if (invsyncctl_stream_key(ctl, stream, key, sizeof(key), NULL) != 0
        || !invsyncctl_valid_id(entry))
    {
        fprintf(stderr, "invsyncctl: exceptions: %s names its cause as "
                "stream \"%s\", entry \"%s\": not a stream the worker reads "
                "(see %s)\n", id, stream, entry, ctl->config);
        return INVSYNCCTL_USAGE;
    }

    r = invsyncctl_redis(ctl, "XRANGE %s %s %s", key, entry, entry);
    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 1
        || !invsyncctl_entry_ok(r->element[0]))
    {
        fprintf(stderr, "invsyncctl: exceptions: the cause of %s, entry %s "
                "of %s, is gone (trimmed from the stream); nothing was "
                "retried.  Its data: invsyncctl exceptions show %s\n", id,
                entry, key, id);
        freeReplyObject(r);
        return INVSYNCCTL_NOTFOUND;
    }

    f = r->element[0]->element[1];

    invsyncctl_argv_init(&a);
    invsyncctl_argv_add(&a, "XADD", 4);
    invsyncctl_argv_add(&a, key, strlen(key));
    invsyncctl_argv_add(&a, "*", 1);

    for (i = 0; i + 1 < f->elements; i += 2) {
        k = f->element[i]->str;

        if (strcmp(k, "replay_of") == 0 || strcmp(k, "retry_of") == 0) {
            continue;
        }

        invsyncctl_argv_add(&a, k, f->element[i]->len);
        invsyncctl_argv_add(&a, f->element[i + 1]->str,
                            f->element[i + 1]->len);
    }

    invsyncctl_argv_add(&a, "retry_of", 8);
    invsyncctl_argv_add(&a, id, strlen(id));

    x = invsyncctl_argv_run(ctl, &a);
    invsyncctl_argv_free(&a);
    freeReplyObject(r);

    if (x == NULL) {
        return INVSYNCCTL_REDIS;
    }

    snprintf(newid, INVSYNCCTL_ID_LEN, "%s",
             x->type == REDIS_REPLY_STRING ? x->str : "?");
    freeReplyObject(x);

    return INVSYNCCTL_OK;
}


int
invsyncctl_exc_resolve(invsyncctl_t *ctl, int argc, char **argv)
{
    int                rc, npos;
    char               key[INVSYNCCTL_KEY_LEN], order[INVSYNCCTL_KEY_LEN];
    char               audit[INVSYNCCTL_ID_LEN];
    char               prev[32];
    const char        *by, *why, *pos[1];
    redisReply        *h, *r;
    invsyncctl_opt_t   opts[] = {
        { "--by", &by, NULL },
        { "--why", &why, NULL },
        { NULL, NULL, NULL }
    };

    by = NULL;
    why = NULL;
    h = NULL;

    rc = invsyncctl_args(ctl, "exceptions", invsyncctl_exceptions_usage, argc,
                         argv, opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1) {
        return invsyncctl_usage_error("exceptions", "resolve needs an "
                                      "exception id");
    }

    if (why == NULL || why[0] == '\0') {
        return invsyncctl_usage_error("exceptions", "resolve needs --why: "
                                      "the audit keeps the reason");
    }

    by = invsyncctl_by(by);

    rc = invsyncctl_exc_get(ctl, pos[0], key, &h);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    rc = invsyncctl_exc_resolve_write(ctl, pos[0], key, by, why, prev,
                                      sizeof(prev), &r);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    if (r != NULL) {
        if (ctl->json) {
            rc = invsyncctl_print_json(json_pack(
                     "{s:s, s:s, s:b, s:s, s:s}", "exception", pos[0],
                     "state", "resolved", "changed", 0,
                     "resolved_by", r->element[1]->str,
                     "resolution", r->element[2]->str));

        } else {
            printf("exception %s was resolved already, by %s: %s\n",
                   pos[0], r->element[1]->str, r->element[2]->str);
        }

        freeReplyObject(r);
        goto failed;
    }

    invsyncctl_exc_order(h, order, sizeof(order));

    rc = invsyncctl_audit_operator(ctl, "operator.exception.resolve", by, why,
                                   invsyncctl_fstr(h, "channel"),
                                   invsyncctl_fstr(h, "event"), order, audit,
                                   "exception", pos[0],
                                   "kind", invsyncctl_fstr(h, "kind"),
                                   "previous", prev, NULL);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    if (ctl->json) {
        rc = invsyncctl_print_json(json_pack("{s:s, s:s, s:b, s:s, s:s, "
                                             "s:s}",
                                             "exception", pos[0],
                                             "state", "resolved",
                                             "changed", 1, "resolved_by", by,
                                             "resolution", why,
                                             "audit", audit));

    } else {
        printf("resolved exception %s (was %s; audit %s)\n", pos[0], prev,
               audit);
    }

failed:

    freeReplyObject(h);

    return rc;
}


/* exc_retry.lua: the retry noted on the exception, its state retried */

static int
invsyncctl_exc_retried(invsyncctl_t *ctl, const char *key, const char *newid)
{
    redisReply         *r;
    invsyncctl_argv_t   a;

    invsyncctl_argv_init(&a);
    invsyncctl_argv_add(&a, key, strlen(key));
    invsyncctl_argv_addf(&a, "%lld", (long long) ctl->now);
    invsyncctl_argv_add(&a, newid, strlen(newid));

    r = invsyncctl_script(ctl, "exc_retry", ctl->w.exc_retry_sha,
                          invsync_script_exc_retry,
                          invsync_script_exc_retry_len, 1, &a);
    invsyncctl_argv_free(&a);

    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    freeReplyObject(r);

    return INVSYNCCTL_OK;
}


/*
 * exc_resolve.lua: one step, so a worker or another operator changing the
 * exception meanwhile cannot be overwritten.  INVSYNCCTL_OK and *r NULL
 * when this call resolved it (prev: the state it was in); INVSYNCCTL_OK
 * and *r the script's {'resolved', by, why}, which the caller frees, when
 * it was resolved already; else the exit code, the reason printed.
 */

static int
invsyncctl_exc_resolve_write(invsyncctl_t *ctl, const char *id,
    const char *key, const char *by, const char *why, char *prev, size_t cap,
    redisReply **r)
{
    int                 rc;
    char                open[INVSYNCCTL_KEY_LEN];
    redisReply         *x;
    const char         *what;
    invsyncctl_argv_t   a;

    *r = NULL;

    invsync_key_exceptions_open(open, sizeof(open), ctl->conf);

    invsyncctl_argv_init(&a);
    invsyncctl_argv_add(&a, key, strlen(key));
    invsyncctl_argv_add(&a, open, strlen(open));
    invsyncctl_argv_add(&a, id, strlen(id));
    invsyncctl_argv_addf(&a, "%lld", (long long) ctl->now);
    invsyncctl_argv_add(&a, by, strlen(by));
    invsyncctl_argv_add(&a, why, strlen(why));

    x = invsyncctl_script(ctl, "exc_resolve", ctl->w.exc_resolve_sha,
                          invsync_script_exc_resolve,
                          invsync_script_exc_resolve_len, 2, &a);
    invsyncctl_argv_free(&a);

    if (x == NULL) {
        return INVSYNCCTL_REDIS;
    }

    what = x->type == REDIS_REPLY_ARRAY && x->elements > 0
           && x->element[0]->type == REDIS_REPLY_STRING
           ? x->element[0]->str : "";
    rc = INVSYNCCTL_OK;

    if (strcmp(what, "done") == 0 && x->elements == 2) {
        snprintf(prev, cap, "%s", x->element[1]->str);

    } else if (strcmp(what, "resolved") == 0 && x->elements == 3) {
        *r = x;
        return INVSYNCCTL_OK;

    } else if (strcmp(what, "gone") == 0) {
        fprintf(stderr, "invsyncctl: exceptions: no exception \"%s\"\n", id);
        rc = INVSYNCCTL_NOTFOUND;

    } else {
        fprintf(stderr, "invsyncctl: exceptions: the exc_resolve script "
                "answered in a way this invsyncctl does not know\n");
        rc = INVSYNCCTL_REDIS;
    }

    freeReplyObject(x);

    return rc;
}
