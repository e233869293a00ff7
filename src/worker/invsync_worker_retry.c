
/*
 * Retries and dead letters: a failed entry stays pending and is run
 * again after a backoff with jitter; past the configured attempts, or when
 * it can never succeed, it becomes a dead letter with its history.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_consumer.h"


static char *invsync_consumer_history(invsync_worker_t *w,
    const char *akey);


/*
 * A failed entry stays pending (owned by this consumer) and is scheduled
 * again with exponential backoff and full jitter; past the configured
 * attempts, or when it can never succeed, it becomes a dead letter.
 */

int
invsync_consumer_fail(invsync_worker_t *w, size_t si, redisReply *entry,
    const invsync_envelope_t *ev, const char *why, int poison)
{
    long         n, delay;
    char        *line;
    char         key[INVSYNC_KEY_LEN], member[INVSYNC_KEY_LEN];
    json_t      *h;
    const char  *id;
    redisReply  *r;

    id = entry->element[0]->str;

    h = json_pack("{s:I, s:s, s:s}", "ts", (json_int_t) invsync_now_ms(),
                  "consumer", w->conf->consumer, "err", why);
    line = h ? json_dumps(h, JSON_COMPACT) : NULL;
    json_decref(h);

    if (line == NULL) {
        return -1;
    }

    invsync_key_attempts(key, sizeof(key), w->conf,
                         w->conf->streams[si], id);

    r = invsync_cmd(w, "RPUSH %s %s", key, line);
    free(line);

    if (r == NULL) {
        return -1;
    }

    n = r->type == REDIS_REPLY_INTEGER ? (long) r->integer : 1;
    freeReplyObject(r);

    if (poison || n >= w->conf->retry_attempts) {
        return invsync_consumer_dead(w, si, entry, ev, why, n);
    }

    /* full jitter over an exponential ceiling */
    delay = (long) invsync_backoff_ms(w->conf->retry_base_ms,
                                      (unsigned) (n - 1), 20,
                                      w->conf->retry_max_ms);

    invsync_key_retry(key, sizeof(key), w->conf);
    snprintf(member, sizeof(member), "%s|%s", w->conf->streams[si], id);

    r = invsync_cmd(w, "ZADD %s %lld %s", key,
                    (long long) (invsync_now_ms() + delay), member);
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}


int
invsync_consumer_dead(invsync_worker_t *w, size_t si, redisReply *entry,
    const invsync_envelope_t *ev, const char *why, long attempts)
{
    int           argc;
    char         *history;
    char          stream[INVSYNC_KEY_LEN], dlq[INVSYNC_KEY_LEN];
    char          akey[INVSYNC_KEY_LEN], rkey[INVSYNC_KEY_LEN];
    char          member[INVSYNC_KEY_LEN], n[32], now[32], received[32];
    size_t        i, lens[40];
    const char   *argv[40];
    redisReply   *r;

    invsync_stream_key(w, si, stream, sizeof(stream));
    invsync_key_dlq(dlq, sizeof(dlq), w->conf);
    invsync_key_attempts(akey, sizeof(akey), w->conf,
                         w->conf->streams[si], entry->element[0]->str);
    invsync_key_retry(rkey, sizeof(rkey), w->conf);
    snprintf(member, sizeof(member), "%s|%s", w->conf->streams[si],
             entry->element[0]->str);

    history = invsync_consumer_history(w, akey);
    if (history == NULL) {
        return -1;
    }

    snprintf(n, sizeof(n), "%ld", attempts);
    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    snprintf(received, sizeof(received), "%lld", (long long) ev->received);

    argc = 0;
    argv[argc++] = stream;
    argv[argc++] = dlq;
    argv[argc++] = akey;
    argv[argc++] = rkey;
    argv[argc++] = w->conf->group;
    argv[argc++] = entry->element[0]->str;
    argv[argc++] = member;

#define invsync_field(k, v)  argv[argc++] = (k); argv[argc++] = (v)

    invsync_field("stream", w->conf->streams[si]);
    invsync_field("entry", entry->element[0]->str);
    invsync_field("channel", ev->channel);
    invsync_field("scheme", ev->scheme);
    invsync_field("account", ev->account);
    invsync_field("topic", ev->topic);
    invsync_field("event", ev->event);
    invsync_field("received", received);
    invsync_field("reason", why);
    invsync_field("attempts", n);
    invsync_field("history", history);
    invsync_field("failed", now);
    invsync_field("consumer", w->conf->consumer);

#undef invsync_field

    for (i = 0; i < (size_t) argc; i++) {
        lens[i] = strlen(argv[i]);
    }

    argv[argc] = "body";
    lens[argc++] = 4;
    argv[argc] = ev->body;
    lens[argc++] = ev->body_len;

    r = invsync_redis_eval(w, w->dead_sha, invsync_script_dead,
                           invsync_script_dead_len, 4, argc, argv, lens);
    free(history);

    if (r == NULL) {
        return -1;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        invsync_log(INVSYNC_LOG_ERROR, "dead letter failed",
                    json_pack("{s:s, s:s}", "entry", entry->element[0]->str,
                              "err", r->str));
        freeReplyObject(r);
        return 0;
    }

    w->counters.dead++;
    w->by_stream[si].dead++;

    invsync_log(INVSYNC_LOG_WARN, "dead letter",
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}",
                          "stream", w->conf->streams[si],
                          "entry", entry->element[0]->str,
                          "channel", ev->channel, "event", ev->event,
                          "reason", why, "attempts", (int) attempts));

    freeReplyObject(r);

    return 0;
}


/* an entry's failures (K attempts:...) as one JSON array; NULL: failed */

static char *
invsync_consumer_history(invsync_worker_t *w, const char *akey)
{
    char        *history;
    size_t       i;
    json_t      *arr;
    redisReply  *r;

    r = invsync_cmd(w, "LRANGE %s 0 -1", akey);
    if (r == NULL) {
        return NULL;
    }

    arr = json_array();

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        json_array_append_new(arr, json_loads(r->element[i]->str, 0, NULL));
    }

    freeReplyObject(r);

    history = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);

    return history;
}


/* a retried or claimed entry is done: drop its history and schedule */

int
invsync_consumer_forget(invsync_worker_t *w, size_t si, const char *id)
{
    char         akey[INVSYNC_KEY_LEN], rkey[INVSYNC_KEY_LEN];
    char         member[INVSYNC_KEY_LEN];
    redisReply  *r;

    invsync_key_attempts(akey, sizeof(akey), w->conf,
                         w->conf->streams[si], id);
    invsync_key_retry(rkey, sizeof(rkey), w->conf);
    snprintf(member, sizeof(member), "%s|%s", w->conf->streams[si], id);

    r = invsync_cmd(w, "DEL %s", akey);
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    r = invsync_cmd(w, "ZREM %s %s", rkey, member);
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}


/*
 * Due retries: whoever removes the member from the schedule owns the
 * retry; it claims the entry (still pending) and runs it again.
 */

int
invsync_consumer_retries(invsync_worker_t *w)
{
    int          si;
    char         key[INVSYNC_KEY_LEN], stream[INVSYNC_KEY_LEN];
    char        *bar;
    size_t       i;
    redisReply  *due, *r, *c;

    invsync_key_retry(key, sizeof(key), w->conf);

    due = invsync_cmd(w, "ZRANGEBYSCORE %s -inf %lld LIMIT 0 %d", key,
                      (long long) invsync_now_ms(), w->conf->batch);
    if (due == NULL) {
        return -1;
    }

    for (i = 0; due->type == REDIS_REPLY_ARRAY && i < due->elements; i++) {
        r = invsync_cmd(w, "ZREM %s %b", key, due->element[i]->str,
                        due->element[i]->len);
        if (r == NULL) {
            freeReplyObject(due);
            return -1;
        }

        if (r->type != REDIS_REPLY_INTEGER || r->integer != 1) {
            freeReplyObject(r);
            continue;
        }

        freeReplyObject(r);

        bar = strchr(due->element[i]->str, '|');
        if (bar == NULL) {
            continue;
        }

        si = invsync_stream_index(w, due->element[i]->str,
                                  bar - due->element[i]->str);
        if (si < 0) {
            continue;
        }

        invsync_stream_key(w, si, stream, sizeof(stream));

        c = invsync_cmd(w, "XCLAIM %s %s %s 0 %s", stream, w->conf->group,
                        w->conf->consumer, bar + 1);
        if (c == NULL) {
            freeReplyObject(due);
            return -1;
        }

        if (invsync_consumer_entries(w, si, c, 1) != 0) {
            freeReplyObject(c);
            freeReplyObject(due);
            return -1;
        }

        freeReplyObject(c);
    }

    freeReplyObject(due);

    return 0;
}
