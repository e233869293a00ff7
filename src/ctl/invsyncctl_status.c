
/*
 * invsyncctl status: each stream with its length, the group's lag
 * (counted, docs/worker.md "Lag") and pending entries, the age of the
 * oldest pending one; the dead letters, open exceptions and scheduled
 * retries; the workers from their heartbeats, alive, stopped or gone.
 * This file gathers them into one JSON document; invsyncctl_status_print.c
 * prints it for people.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_status.h"


static json_t *invsyncctl_status_stream(invsyncctl_t *ctl, size_t si);
static int invsyncctl_status_group(invsyncctl_t *ctl, const char *key,
    json_t *s);
static json_t *invsyncctl_status_workers(invsyncctl_t *ctl);
static json_t *invsyncctl_status_worker(invsyncctl_t *ctl,
    const redisReply *name, const redisReply *value);
static long long invsyncctl_status_count(invsyncctl_t *ctl, const char *cmd,
    size_t (*build)(char *, size_t, const invsync_conf_t *), const char *max);
static int invsyncctl_status_cmp(const void *a, const void *b);
static int invsyncctl_status_halted(json_t *w);


const char  invsyncctl_status_usage[] =
    "usage: invsyncctl status [--json]\n"
    "\n"
    "For each stream the worker reads: its length, the consumer group's lag\n"
    "(entries not yet delivered, counted) and pending entries (delivered,\n"
    "not yet acknowledged), and how old the oldest pending entry is.  Then\n"
    "the dead letters, the open exceptions, the scheduled retries, and the\n"
    "workers: alive when running and heard from within three heartbeat\n"
    "intervals, \"gone\" when running but not heard from since, with\n"
    "their last heartbeat and counters.  A worker not heard from for\n"
    "limits.worker_forget_s is no longer listed.  A worker \"halted\" found\n"
    "that Redis lost its data and does nothing until it is restored or\n"
    "accepted (invsyncctl epoch --help); its reason is shown.\n"
    "\n"
    "Exit: 0, 1 configuration, 3 Redis, 4 a worker halted.\n";


const char  *invsyncctl_status_counters[] = {
    "read", "applied", "duplicate", "stale", "ignored", "exceptions",
    "retried", "dead", "claimed", "trimmed", NULL
};


int
invsyncctl_status(invsyncctl_t *ctl, int argc, char **argv)
{
    int          rc, npos;
    char         now[32], key[INVSYNCCTL_KEY_LEN];
    redisReply  *r;
    size_t       si;
    json_t      *doc, *streams, *s, *workers;
    long long    n;
    const char  *pos[1];

    rc = invsyncctl_args(ctl, "status", invsyncctl_status_usage, argc, argv,
                         NULL, pos, 0, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    doc = json_object();
    streams = json_array();

    if (doc == NULL || streams == NULL) {
        json_decref(doc);
        json_decref(streams);
        fprintf(stderr, "invsyncctl: out of memory\n");
        return INVSYNCCTL_USAGE;
    }

    json_object_set_new(doc, "group", json_string(ctl->conf->group));
    json_object_set_new(doc, "streams", streams);

    for (si = 0; si < ctl->conf->nstreams; si++) {
        s = invsyncctl_status_stream(ctl, si);
        if (s == NULL) {
            rc = INVSYNCCTL_REDIS;
            goto failed;
        }

        json_array_append_new(streams, s);
    }

    n = invsyncctl_status_count(ctl, "XLEN", invsync_key_dlq, NULL);
    if (n < 0) {
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    json_object_set_new(doc, "dead_letters", json_integer(n));

    n = invsyncctl_status_count(ctl, "ZCARD", invsync_key_exceptions_open,
                                NULL);
    if (n < 0) {
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    json_object_set_new(doc, "exceptions_open", json_integer(n));

    n = invsyncctl_status_count(ctl, "ZCARD", invsync_key_retry, NULL);
    if (n < 0) {
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    json_object_set_new(doc, "retries_scheduled", json_integer(n));

    snprintf(now, sizeof(now), "%lld", (long long) ctl->now);

    n = invsyncctl_status_count(ctl, "ZCOUNT", invsync_key_retry, now);
    if (n < 0) {
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    json_object_set_new(doc, "retries_due", json_integer(n));

    /* which Redis this is (docs/keys.md, "The epoch"); null: none */
    invsync_key_epoch(key, sizeof(key), ctl->conf);
    r = invsyncctl_redis(ctl, "GET %s", key);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        freeReplyObject(r);
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    json_object_set_new(doc, "epoch", r->type == REDIS_REPLY_STRING
                                      ? json_stringn(r->str, r->len)
                                      : json_null());
    freeReplyObject(r);

    workers = invsyncctl_status_workers(ctl);
    if (workers == NULL) {
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    json_object_set_new(doc, "workers", workers);

    if (json_integer_value(json_object_get(workers, "halted")) > 0) {
        rc = INVSYNCCTL_HALTED;
    }

    if (ctl->json) {
        return invsyncctl_print_json(doc) == INVSYNCCTL_OK ? rc
                                                           : INVSYNCCTL_USAGE;
    }

    invsyncctl_status_print(doc);

failed:

    json_decref(doc);

    return rc;
}


/* one stream, new; NULL if Redis failed */

static json_t *
invsyncctl_status_stream(invsyncctl_t *ctl, size_t si)
{
    char         key[INVSYNCCTL_KEY_LEN];
    json_t      *s;
    redisReply  *r;

    (void) invsync_key_stream_of(key, sizeof(key), ctl->conf,
                                 ctl->conf->streams[si]);

    s = json_pack("{s:s, s:s, s:i, s:b, s:n, s:n, s:n, s:n}",
                  "name", ctl->conf->streams[si], "key", key,
                  "length", 0, "group", 0, "lag", "pending",
                  "oldest_pending", "oldest_pending_age_ms");
    if (s == NULL) {
        return NULL;
    }

    r = invsyncctl_redis(ctl, "EXISTS %s", key);
    if (r == NULL) {
        json_decref(s);
        return NULL;
    }

    if (r->type != REDIS_REPLY_INTEGER || r->integer == 0) {
        /* nothing was ever written, and no worker created the group */
        freeReplyObject(r);
        return s;
    }

    freeReplyObject(r);

    r = invsyncctl_redis(ctl, "XLEN %s", key);
    if (r == NULL) {
        json_decref(s);
        return NULL;
    }

    json_object_set_new(s, "length", json_integer(r->integer));
    freeReplyObject(r);

    if (invsyncctl_status_group(ctl, key, s) != 0) {
        json_decref(s);
        return NULL;
    }

    return s;
}


/* the group's lag and pending entries into s; -1 if Redis failed */

static int
invsyncctl_status_group(invsyncctl_t *ctl, const char *key, json_t *s)
{
    int          exact;
    size_t       g, k;
    int64_t      ms, lag;
    redisReply  *groups, *grp, *p;
    const char  *name;

    groups = invsyncctl_redis(ctl, "XINFO GROUPS %s", key);
    if (groups == NULL) {
        return -1;
    }

    for (g = 0; groups->type == REDIS_REPLY_ARRAY && g < groups->elements;
         g++)
    {
        grp = groups->element[g];
        name = NULL;

        for (k = 0; grp->type == REDIS_REPLY_ARRAY && k + 1 < grp->elements;
             k += 2)
        {
            if (strcmp(grp->element[k]->str, "name") == 0) {
                name = grp->element[k + 1]->str;
            }
        }

        if (name == NULL || strcmp(name, ctl->conf->group) != 0) {
            continue;
        }

        json_object_set_new(s, "group", json_true());
        break;
    }

    freeReplyObject(groups);

    if (!json_is_true(json_object_get(s, "group"))) {
        return 0;
    }

    /* counted: Redis's own lag is wrong after an AOF replay */
    switch (invsync_stream_lag(&ctl->w, key, ctl->conf->group, &lag, &exact))
    {
    case 0:
        json_object_set_new(s, "lag", json_integer(lag));
        json_object_set_new(s, "lag_exact", json_boolean(exact));
        break;

    case 1:
        break;

    default:
        fprintf(stderr, "invsyncctl: redis: the lag of %s: %s\n", key,
                ctl->w.redis ? "script failed" : "connection lost");
        return -1;
    }

    p = invsyncctl_redis(ctl, "XPENDING %s %s", key, ctl->conf->group);
    if (p == NULL) {
        return -1;
    }

    /* [count, smallest id, greatest id, [[consumer, count]...]] */
    if (p->type == REDIS_REPLY_ARRAY && p->elements >= 2
        && p->element[0]->type == REDIS_REPLY_INTEGER)
    {
        json_object_set_new(s, "pending", json_integer(p->element[0]->integer));

        if (p->element[1]->type == REDIS_REPLY_STRING) {
            json_object_set_new(s, "oldest_pending",
                                json_string(p->element[1]->str));

            ms = invsyncctl_id_ms(p->element[1]->str);

            if (ms >= 0) {
                json_object_set_new(s, "oldest_pending_age_ms",
                                    json_integer(ctl->now > ms
                                                 ? ctl->now - ms : 0));
            }
        }
    }

    freeReplyObject(p);

    return 0;
}


/* XLEN or ZCARD of a key, ZCOUNT up to max if not NULL; -1: Redis */

static long long
invsyncctl_status_count(invsyncctl_t *ctl, const char *cmd,
    size_t (*build)(char *, size_t, const invsync_conf_t *), const char *max)
{
    char         key[INVSYNCCTL_KEY_LEN];
    long long    n;
    redisReply  *r;

    build(key, sizeof(key), ctl->conf);

    if (strcmp(cmd, "XLEN") == 0) {
        r = invsyncctl_redis(ctl, "XLEN %s", key);

    } else if (max == NULL) {
        r = invsyncctl_redis(ctl, "ZCARD %s", key);

    } else {
        r = invsyncctl_redis(ctl, "ZCOUNT %s -inf %s", key, max);
    }

    if (r == NULL) {
        return -1;
    }

    n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
    freeReplyObject(r);

    return n;
}


/* {"alive", "halted", "total", "list"}, new, workers sorted by name;
 * NULL: Redis */

static json_t *
invsyncctl_status_workers(invsyncctl_t *ctl)
{
    int          alive, halted;
    char         key[INVSYNCCTL_KEY_LEN];
    size_t       i, n;
    json_t      *list, *w, **sorted;
    int64_t      age;
    redisReply  *r;

    invsync_key_workers(key, sizeof(key), ctl->conf);

    r = invsyncctl_redis(ctl, "HGETALL %s", key);
    if (r == NULL) {
        return NULL;
    }

    n = r->type == REDIS_REPLY_ARRAY ? r->elements / 2 : 0;
    sorted = calloc(n + 1, sizeof(json_t *));
    list = json_array();

    if (sorted == NULL || list == NULL) {
        free(sorted);
        json_decref(list);
        freeReplyObject(r);
        return NULL;
    }

    for (i = 0; i < n; i++) {
        sorted[i] = invsyncctl_status_worker(ctl, r->element[2 * i],
                                             r->element[2 * i + 1]);

        age = json_integer_value(json_object_get(sorted[i],
                                                 "heartbeat_age_ms"));

        /* gone for so long: a worker forgets it at its next heartbeat */
        if (age > (int64_t) ctl->conf->worker_forget_s * 1000) {
            json_decref(sorted[i]);
            sorted[i] = NULL;
        }
    }

    freeReplyObject(r);

    qsort(sorted, n, sizeof(json_t *), invsyncctl_status_cmp);

    alive = 0;
    halted = 0;

    for (i = 0; i < n; i++) {
        w = sorted[i];

        if (w == NULL) {
            continue;
        }

        alive += json_is_true(json_object_get(w, "alive"));
        halted += json_is_true(json_object_get(w, "alive"))
                  && invsyncctl_status_halted(w);
        json_array_append_new(list, w);
    }

    free(sorted);

    return json_pack("{s:i, s:i, s:i, s:o}", "alive", alive,
                     "halted", halted, "total", (int) json_array_size(list),
                     "list", list);
}


/*
 * One heartbeat, new: as the worker wrote it, plus "alive" (running or
 * halted, and heard from within three intervals), "heartbeat_at" and
 * "heartbeat_age_ms"; "state" "gone" when it says running, not alive.
 */

static json_t *
invsyncctl_status_worker(invsyncctl_t *ctl, const redisReply *name,
    const redisReply *value)
{
    int          alive;
    char         at[INVSYNCCTL_TIME_LEN];
    json_t      *w, *hb, *interval;
    int64_t      age;
    const char  *state;

    w = json_loadb(value->str, value->len, 0, NULL);

    if (!json_is_object(w)) {
        json_decref(w);
        return json_pack("{s:s%, s:b, s:s}", "name", name->str, name->len,
                         "alive", 0, "error", "unreadable heartbeat");
    }

    hb = json_object_get(w, "heartbeat");
    interval = json_object_get(w, "interval");

    if (json_object_get(w, "name") == NULL) {
        json_object_set_new(w, "name", json_stringn(name->str, name->len));
    }

    alive = 0;
    state = json_string_value(json_object_get(w, "state"));

    if (json_is_integer(hb)) {
        age = ctl->now - (int64_t) json_integer_value(hb);
        age = age > 0 ? age : 0;

        json_object_set_new(w, "heartbeat_at",
            json_string(invsyncctl_time_fmt(json_integer_value(hb), at,
                                            sizeof(at))));
        json_object_set_new(w, "heartbeat_age_ms", json_integer(age));

        alive = json_is_integer(interval)
                && state != NULL && (strcmp(state, "running") == 0
                                     || invsyncctl_status_halted(w))
                && age < 3 * (int64_t) json_integer_value(interval);
    }

    /* it said running and went silent: killed, or its machine */
    if (!alive && state != NULL && strcmp(state, "running") == 0) {
        json_object_set_new(w, "state", json_string("gone"));
    }

    json_object_set_new(w, "alive", json_boolean(alive));

    return w;
}


static int
invsyncctl_status_cmp(const void *a, const void *b)
{
    json_t      *x = *(json_t **) a, *y = *(json_t **) b;
    const char  *p, *q;

    if (x == NULL || y == NULL) {
        return (x == NULL) - (y == NULL);
    }

    p = json_string_value(json_object_get(x, "name"));
    q = json_string_value(json_object_get(y, "name"));

    return strcmp(p ? p : "", q ? q : "");
}


/* the worker stopped acting: Redis lost its data (its heartbeat's reason) */

static int
invsyncctl_status_halted(json_t *w)
{
    const char  *state;

    state = json_string_value(json_object_get(w, "state"));

    return state != NULL && strcmp(state, "halted") == 0;
}
