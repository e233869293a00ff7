
/*
 * invsyncctl dlq retry and drop: the subcommands that change the dead
 * letters.  A retry adds the envelope back to its stream, then deletes
 * the dead letter; a drop deletes it.  Each leaves an audit entry.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_dlq.h"


static int invsyncctl_dlq_retry_one(invsyncctl_t *ctl,
    const redisReply *entry, const char *by, const char *why, json_t *done);


/* what a dead letter keeps of the envelope (CONTRACT.md section 4) */
static const char  *invsyncctl_dlq_envelope[] = {
    "channel", "scheme", "account", "topic", "event", "received", "body",
    NULL
};


int
invsyncctl_dlq_retry(invsyncctl_t *ctl, int argc, char **argv)
{
    int                rc, npos, all, one;
    char               key[INVSYNCCTL_KEY_LEN], start[INVSYNCCTL_ID_LEN + 1];
    size_t             i;
    json_t            *done, *e;
    const char        *by, *why, *pos[1];
    redisReply        *r;
    invsyncctl_opt_t   opts[] = {
        { "--all", NULL, &all },
        { "--by", &by, NULL },
        { "--why", &why, NULL },
        { NULL, NULL, NULL }
    };

    all = 0;
    by = NULL;
    why = NULL;

    rc = invsyncctl_args(ctl, "dlq", invsyncctl_dlq_usage, argc, argv, opts,
                         pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if ((npos == 1) == all) {
        return invsyncctl_usage_error("dlq", "retry takes a dead letter id "
                                      "or --all");
    }

    if (npos == 1 && !invsyncctl_valid_id(pos[0])) {
        return invsyncctl_usage_error("dlq", "\"%s\" is not a stream id",
                                      pos[0]);
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    done = json_array();
    if (done == NULL) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        return INVSYNCCTL_USAGE;
    }

    by = invsyncctl_by(by);

    if (!all) {
        rc = invsyncctl_dlq_get(ctl, pos[0], &r);

        if (rc == INVSYNCCTL_OK) {
            rc = invsyncctl_dlq_retry_one(ctl, r->element[0], by, why, done);
            freeReplyObject(r);
        }

        goto failed;
    }

    invsync_key_dlq(key, sizeof(key), ctl->conf);
    snprintf(start, sizeof(start), "-");

    /* pages after the last id seen: a letter that fails is not seen twice */
    for ( ;; ) {
        r = invsyncctl_redis(ctl, "XRANGE %s %s + COUNT %d", key, start,
                             INVSYNCCTL_DLQ_PAGE);
        if (r == NULL) {
            rc = INVSYNCCTL_REDIS;
            goto failed;
        }

        if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
            freeReplyObject(r);
            break;
        }

        for (i = 0; i < r->elements; i++) {
            if (!invsyncctl_entry_ok(r->element[i])) {
                continue;
            }

            one = invsyncctl_dlq_retry_one(ctl, r->element[i], by, why, done);

            if (one == INVSYNCCTL_REDIS) {
                freeReplyObject(r);
                rc = one;
                goto failed;
            }

            if (one != INVSYNCCTL_OK) {
                rc = one;
            }
        }

        snprintf(start, sizeof(start), "(%s",
                 r->element[r->elements - 1]->element[0]->str);
        i = r->elements;
        freeReplyObject(r);

        if (i < INVSYNCCTL_DLQ_PAGE) {
            break;
        }
    }

    if (json_array_size(done) == 0 && rc == INVSYNCCTL_OK) {
        fprintf(stderr, "invsyncctl: dlq: no dead letters to retry\n");
        rc = INVSYNCCTL_NOTFOUND;
    }

failed:

    if (ctl->json) {
        if (json_array_size(done) > 0 || rc == INVSYNCCTL_OK) {
            invsyncctl_print_json(json_pack("{s:i, s:O}", "count",
                                            (int) json_array_size(done),
                                            "retried", done));
        }

    } else {
        json_array_foreach(done, i, e) {
            printf("retried dead letter %s: %s:%s %s (audit %s)\n",
                   json_string_value(json_object_get(e, "dlq")),
                   ctl->conf->prefix,
                   json_string_value(json_object_get(e, "stream")),
                   json_string_value(json_object_get(e, "id")),
                   json_string_value(json_object_get(e, "audit")));
        }
    }

    json_decref(done);

    return rc;
}


/*
 * Back to its stream first, then out of the dead letters: a failure in
 * between leaves a letter that was re-delivered, never one that was lost;
 * retrying it again repeats nothing (effects are keyed by their cause).
 */

static int
invsyncctl_dlq_retry_one(invsyncctl_t *ctl, const redisReply *entry,
    const char *by, const char *why, json_t *done)
{
    int                 rc;
    char                key[INVSYNCCTL_KEY_LEN], dlq[INVSYNCCTL_KEY_LEN];
    char                id[INVSYNCCTL_ID_LEN], audit[INVSYNCCTL_ID_LEN];
    size_t              i;
    const char         *stream, *name, *lid;
    redisReply         *r;
    const redisReply   *f, *v;
    invsyncctl_argv_t   a;

    f = entry->element[1];
    lid = entry->element[0]->str;
    stream = invsyncctl_fstr(f, "stream");

    if (invsyncctl_stream_key(ctl, stream, key, sizeof(key), &name) != 0) {
        fprintf(stderr, "invsyncctl: dlq: dead letter %s came from stream "
                "\"%s\", which the worker does not read (see %s); left as "
                "it is\n", lid, stream, ctl->config);
        return INVSYNCCTL_USAGE;
    }

    invsyncctl_argv_init(&a);
    invsyncctl_argv_add(&a, "XADD", 4);
    invsyncctl_argv_add(&a, key, strlen(key));
    invsyncctl_argv_add(&a, "*", 1);
    invsyncctl_argv_add(&a, "v", 1);
    invsyncctl_argv_add(&a, "1", 1);

    for (i = 0; invsyncctl_dlq_envelope[i] != NULL; i++) {
        v = invsyncctl_field(f, invsyncctl_dlq_envelope[i]);

        invsyncctl_argv_add(&a, invsyncctl_dlq_envelope[i],
                            strlen(invsyncctl_dlq_envelope[i]));
        invsyncctl_argv_add(&a, v != NULL ? v->str : "",
                            v != NULL ? v->len : 0);
    }

    invsyncctl_argv_add(&a, "retry_of", 8);
    invsyncctl_argv_add(&a, lid, strlen(lid));

    r = invsyncctl_argv_run(ctl, &a);
    invsyncctl_argv_free(&a);

    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    snprintf(id, sizeof(id), "%s",
             r->type == REDIS_REPLY_STRING ? r->str : "?");
    freeReplyObject(r);

    invsync_key_dlq(dlq, sizeof(dlq), ctl->conf);

    r = invsyncctl_redis(ctl, "XDEL %s %s", dlq, lid);
    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    freeReplyObject(r);

    rc = invsyncctl_audit_operator(ctl, "operator.dlq.retry", by, why,
                                   invsyncctl_fstr(f, "channel"),
                                   invsyncctl_fstr(f, "event"), NULL, audit,
                                   "dlq", lid, "stream", name,
                                   "entry", invsyncctl_fstr(f, "entry"),
                                   "new_entry", id,
                                   "topic", invsyncctl_fstr(f, "topic"),
                                   "reason", invsyncctl_fstr(f, "reason"),
                                   NULL);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    json_array_append_new(done, json_pack("{s:s, s:s, s:s, s:s, s:s}",
                                          "dlq", lid, "stream", name,
                                          "entry",
                                          invsyncctl_fstr(f, "entry"),
                                          "id", id, "audit", audit));

    return INVSYNCCTL_OK;
}


int
invsyncctl_dlq_drop(invsyncctl_t *ctl, int argc, char **argv)
{
    int                 rc, npos;
    char                key[INVSYNCCTL_KEY_LEN], audit[INVSYNCCTL_ID_LEN];
    const char         *by, *why, *pos[1];
    redisReply         *r, *d;
    const redisReply   *f;
    invsyncctl_opt_t    opts[] = {
        { "--by", &by, NULL },
        { "--why", &why, NULL },
        { NULL, NULL, NULL }
    };

    by = NULL;
    why = NULL;

    rc = invsyncctl_args(ctl, "dlq", invsyncctl_dlq_usage, argc, argv, opts,
                         pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1) {
        return invsyncctl_usage_error("dlq", "drop needs a dead letter id");
    }

    if (why == NULL || why[0] == '\0') {
        return invsyncctl_usage_error("dlq", "drop needs --why: the audit "
                                      "keeps the reason");
    }

    rc = invsyncctl_dlq_get(ctl, pos[0], &r);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    f = r->element[0]->element[1];
    invsync_key_dlq(key, sizeof(key), ctl->conf);

    d = invsyncctl_redis(ctl, "XDEL %s %s", key, pos[0]);
    if (d == NULL) {
        freeReplyObject(r);
        return INVSYNCCTL_REDIS;
    }

    freeReplyObject(d);

    rc = invsyncctl_audit_operator(ctl, "operator.dlq.drop",
                                   invsyncctl_by(by), why,
                                   invsyncctl_fstr(f, "channel"),
                                   invsyncctl_fstr(f, "event"), NULL, audit,
                                   "dlq", pos[0],
                                   "stream", invsyncctl_fstr(f, "stream"),
                                   "entry", invsyncctl_fstr(f, "entry"),
                                   "topic", invsyncctl_fstr(f, "topic"),
                                   "reason", invsyncctl_fstr(f, "reason"),
                                   NULL);
    freeReplyObject(r);

    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (ctl->json) {
        return invsyncctl_print_json(json_pack("{s:s, s:s}", "dropped",
                                               pos[0], "audit", audit));
    }

    printf("dropped dead letter %s (audit %s)\n", pos[0], audit);

    return INVSYNCCTL_OK;
}
