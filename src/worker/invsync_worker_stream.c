
/*
 * What the consumer's jobs share: the streams' keys and indexes, an entry
 * as an envelope and an envelope written as the module writes one (what
 * the worker adds itself: polled orders, refunds read from an API), and
 * one command that closes a lost session.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_worker_consumer.h"


void
invsync_envelope_from(redisReply *fields, size_t si, invsync_worker_t *w,
    const char *id, invsync_envelope_t *ev)
{
    size_t       i;
    const char  *k;
    redisReply  *v;

    memset(ev, 0, sizeof(invsync_envelope_t));

    ev->stream = w->conf->streams[si];
    ev->entry = id;
    ev->channel = "";
    ev->scheme = "";
    ev->account = "";
    ev->topic = "";
    ev->event = "";
    ev->redelivery = "";
    ev->received = -1;

    for (i = 0; i + 1 < fields->elements; i += 2) {
        k = fields->element[i]->str;
        v = fields->element[i + 1];

        if (v->type != REDIS_REPLY_STRING) {
            continue;
        }

        if (strcmp(k, "channel") == 0) {
            ev->channel = v->str;

        } else if (strcmp(k, "scheme") == 0) {
            ev->scheme = v->str;

        } else if (strcmp(k, "account") == 0) {
            ev->account = v->str;

        } else if (strcmp(k, "topic") == 0) {
            ev->topic = v->str;

        } else if (strcmp(k, "event") == 0) {
            ev->event = v->str;

        } else if (strcmp(k, "received") == 0) {
            ev->received = strtoll(v->str, NULL, 10);

        } else if (strcmp(k, "body") == 0) {
            ev->body = v->str;
            ev->body_len = v->len;

        } else if (strcmp(k, "v") == 0) {
            ev->version = (int) strtol(v->str, NULL, 10);

        } else if (strcmp(k, "replay_of") == 0 || strcmp(k, "retry_of") == 0)
        {
            ev->redelivery = v->str;
        }
    }
}


size_t
invsync_stream_key(invsync_worker_t *w, size_t si, char *dst, size_t cap)
{
    return invsync_key_stream_of(dst, cap, w->conf, w->conf->streams[si]);
}


/* the index of a stream by its full key or by its short name */

int
invsync_stream_index(invsync_worker_t *w, const char *name, size_t len)
{
    size_t  si, plen;

    plen = strlen(w->conf->prefix);

    if (len > plen + 1 && strncmp(name, w->conf->prefix, plen) == 0
        && name[plen] == ':')
    {
        name += plen + 1;
        len -= plen + 1;
    }

    for (si = 0; si < w->conf->nstreams; si++) {
        if (strlen(w->conf->streams[si]) == len
            && strncmp(w->conf->streams[si], name, len) == 0)
        {
            return (int) si;
        }
    }

    return -1;
}


redisReply *
invsync_cmd(invsync_worker_t *w, const char *fmt, ...)
{
    va_list      args;
    redisReply  *r;

    if (w->redis == NULL) {
        return NULL;
    }

    va_start(args, fmt);
    r = redisvCommand(w->redis, fmt, args);
    va_end(args);

    if (r == NULL) {
        invsync_log(INVSYNC_LOG_ERROR, "redis connection lost",
                    json_pack("{s:s}", "err", w->redis->errstr));
        invsync_redis_close(w);
    }

    return r;
}


/*
 * XADD <prefix>:<stream> of an envelope with the module's fields
 * (docs/events.md), received now: the reply (new; a string: the entry's
 * id), or NULL when the session was lost.
 */

redisReply *
invsync_envelope_add(invsync_worker_t *w, const char *stream,
    const char *channel, const char *scheme, const char *account,
    const char *topic, const char *event, const char *body)
{
    char         key[INVSYNC_KEY_LEN], received[32];
    size_t       i, n, argvlen[19];
    const char  *argv[19];

    (void) invsync_key_stream_of(key, sizeof(key), w->conf, stream);
    snprintf(received, sizeof(received), "%lld",
             (long long) invsync_now_ms());

    i = 0;
    argv[i++] = "XADD";
    argv[i++] = key;
    argv[i++] = "*";
    argv[i++] = "v";
    argv[i++] = "1";
    argv[i++] = "channel";
    argv[i++] = channel;
    argv[i++] = "scheme";
    argv[i++] = scheme;
    argv[i++] = "account";
    argv[i++] = account;
    argv[i++] = "topic";
    argv[i++] = topic;
    argv[i++] = "event";
    argv[i++] = event;
    argv[i++] = "received";
    argv[i++] = received;
    argv[i++] = "body";
    argv[i++] = body;          /* JSON escapes NUL: strlen() is its length */

    for (n = 0; n < i; n++) {
        argvlen[n] = strlen(argv[n]);
    }

    return invsync_redis_cmd(w, (int) i, argv, argvlen);
}
