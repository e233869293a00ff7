
/*
 * invsyncctl's Redis session (the worker's own, reused): the
 * configuration and the connection, commands, the shared scripts, and
 * reading stream entries.
 */


#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "invsyncctl.h"


static redisReply *invsyncctl_checked(invsyncctl_t *ctl, redisReply *r,
    const char *what, size_t len);


/*
 * The configuration, then the session.  Prints why it failed; returns
 * INVSYNCCTL_OK, INVSYNCCTL_USAGE (configuration) or INVSYNCCTL_REDIS.
 */

int
invsyncctl_open(invsyncctl_t *ctl)
{
    char             err[INVSYNC_ERR_LEN], where[INVSYNCCTL_KEY_LEN];
    redisReply      *r;
    invsync_conf_t  *conf;

    conf = invsync_conf_load(ctl->config, err, sizeof(err));

    if (conf == NULL) {
        if (strstr(err, ctl->config) != NULL) {
            fprintf(stderr, "invsyncctl: %s\n", err);

        } else {
            fprintf(stderr, "invsyncctl: %s: %s\n", ctl->config, err);
        }

        return INVSYNCCTL_USAGE;
    }

    /* the worker waits block_ms on its reads; we never block */
    conf->block_ms = 0;

    ctl->conf = conf;
    ctl->w.conf = conf;

    if (conf->redis_unix != NULL) {
        snprintf(where, sizeof(where), "unix:%s", conf->redis_unix);

    } else {
        snprintf(where, sizeof(where), "%s:%d", conf->redis_host,
                 conf->redis_port);
    }

    if (invsync_redis_connect(&ctl->w, err, sizeof(err)) != 0) {
        fprintf(stderr, "invsyncctl: cannot reach Redis at %s (%s): %s\n",
                where, ctl->config, err);
        return INVSYNCCTL_REDIS;
    }

    r = redisCommand(ctl->w.redis, "PING");

    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "invsyncctl: Redis at %s (%s) does not answer: %s\n",
                where, ctl->config,
                r != NULL ? r->str : ctl->w.redis->errstr);
        freeReplyObject(r);
        invsync_redis_close(&ctl->w);
        return INVSYNCCTL_REDIS;
    }

    freeReplyObject(r);

    return INVSYNCCTL_OK;
}


/*
 * One command, formatted as hiredis formats (%s is one argument, spaces
 * and all; %b takes a pointer and a length).  NULL, with the reason
 * printed, when the session is lost or Redis answered an error; the
 * caller frees any other reply.
 */

redisReply *
invsyncctl_redis(invsyncctl_t *ctl, const char *fmt, ...)
{
    va_list      args;
    redisReply  *r;

    if (ctl->w.redis == NULL) {
        return NULL;
    }

    va_start(args, fmt);
    r = redisvCommand(ctl->w.redis, fmt, args);
    va_end(args);

    return invsyncctl_checked(ctl, r, fmt, strcspn(fmt, " "));
}


redisReply *
invsyncctl_argv_run(invsyncctl_t *ctl, invsyncctl_argv_t *a)
{
    redisReply  *r;

    if (ctl->w.redis == NULL) {
        return NULL;
    }

    if (a->failed || a->n == 0) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        return NULL;
    }

    r = redisCommandArgv(ctl->w.redis, (int) a->n, a->argv, a->lens);

    return invsyncctl_checked(ctl, r, a->argv[0], a->lens[0]);
}


/*
 * One of the shared scripts (name for messages, sha its field in ctl->w,
 * loaded with the others on first use) with a's keys and arguments.  NULL,
 * with the reason printed, when the session is lost or Redis refused;
 * else the reply, which the caller frees.
 */

redisReply *
invsyncctl_script(invsyncctl_t *ctl, const char *name, const char *sha,
    const char *script, size_t len, int nkeys, invsyncctl_argv_t *a)
{
    char         err[INVSYNC_ERR_LEN];
    redisReply  *r;

    if (ctl->w.redis == NULL) {
        return NULL;
    }

    if (a->failed || a->n == 0) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        return NULL;
    }

    if (sha[0] == '\0'
        && invsync_redis_load_scripts(&ctl->w, err, sizeof(err)) != 0)
    {
        fprintf(stderr, "invsyncctl: %s\n", err);
        return NULL;
    }

    r = invsync_redis_eval(&ctl->w, sha, script, len, nkeys, (int) a->n,
                           a->argv, a->lens);

    if (r == NULL) {
        fprintf(stderr, "invsyncctl: lost the Redis connection during the "
                "%s script\n", name);
        return NULL;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "invsyncctl: Redis refused the %s script: %s\n",
                name, r->str);
        freeReplyObject(r);
        return NULL;
    }

    return r;
}


static redisReply *
invsyncctl_checked(invsyncctl_t *ctl, redisReply *r, const char *what,
    size_t len)
{
    if (r == NULL) {
        fprintf(stderr, "invsyncctl: lost the Redis connection during "
                "%.*s: %s\n", (int) len, what, ctl->w.redis->errstr);
        invsync_redis_close(&ctl->w);
        return NULL;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "invsyncctl: Redis refused %.*s: %s\n", (int) len,
                what, r->str);
        freeReplyObject(r);
        return NULL;
    }

    return r;
}


void
invsyncctl_argv_init(invsyncctl_argv_t *a)
{
    memset(a, 0, sizeof(invsyncctl_argv_t));
}


/* s is borrowed: it must outlive the command */

void
invsyncctl_argv_add(invsyncctl_argv_t *a, const char *s, size_t len)
{
    char        **owned;
    size_t        cap;
    size_t       *lens;
    const char  **argv;

    if (a->failed) {
        return;
    }

    if (a->n == a->cap) {
        cap = a->cap ? a->cap * 2 : 16;

        argv = realloc(a->argv, cap * sizeof(char *));
        if (argv != NULL) {
            a->argv = argv;
        }

        lens = realloc(a->lens, cap * sizeof(size_t));
        if (lens != NULL) {
            a->lens = lens;
        }

        owned = realloc(a->owned, cap * sizeof(char *));
        if (owned != NULL) {
            a->owned = owned;
        }

        if (argv == NULL || lens == NULL || owned == NULL) {
            a->failed = 1;
            return;
        }

        a->cap = cap;
    }

    a->argv[a->n] = s;
    a->lens[a->n] = len;
    a->owned[a->n] = NULL;
    a->n++;
}


/* a formatted argument, owned by a */

void
invsyncctl_argv_addf(invsyncctl_argv_t *a, const char *fmt, ...)
{
    char     *s;
    va_list   args;

    if (a->failed) {
        return;
    }

    va_start(args, fmt);

    if (vasprintf(&s, fmt, args) < 0) {
        a->failed = 1;
        va_end(args);
        return;
    }

    va_end(args);

    invsyncctl_argv_add(a, s, strlen(s));

    if (a->failed) {
        free(s);
        return;
    }

    a->owned[a->n - 1] = s;
}


void
invsyncctl_argv_free(invsyncctl_argv_t *a)
{
    size_t  i;

    for (i = 0; i < a->n; i++) {
        free(a->owned[i]);
    }

    free(a->argv);
    free(a->lens);
    free(a->owned);

    invsyncctl_argv_init(a);
}


/*
 * A configured stream by its short name ("orders") or its key
 * ("invsync:orders"): its key into key, its short name (the
 * configuration's) into *shortname.  -1 if the worker does not read it.
 */

int
invsyncctl_stream_key(invsyncctl_t *ctl, const char *name, char *key,
    size_t cap, const char **shortname)
{
    size_t           plen, si;
    invsync_conf_t  *conf = ctl->conf;

    plen = strlen(conf->prefix);

    if (strncmp(name, conf->prefix, plen) == 0 && name[plen] == ':') {
        name += plen + 1;
    }

    for (si = 0; si < conf->nstreams; si++) {
        if (strcmp(conf->streams[si], name) == 0) {
            (void) invsync_key_stream_of(key, cap, conf, conf->streams[si]);

            if (shortname != NULL) {
                *shortname = conf->streams[si];
            }

            return 0;
        }
    }

    return -1;
}


/* the value of a field in a flat [field, value, ...] reply, or NULL */

const redisReply *
invsyncctl_field(const redisReply *fields, const char *name)
{
    size_t  i;

    if (fields == NULL || fields->type != REDIS_REPLY_ARRAY) {
        return NULL;
    }

    for (i = 0; i + 1 < fields->elements; i += 2) {
        if (fields->element[i]->type == REDIS_REPLY_STRING
            && strcmp(fields->element[i]->str, name) == 0
            && fields->element[i + 1]->type == REDIS_REPLY_STRING)
        {
            return fields->element[i + 1];
        }
    }

    return NULL;
}


/* as invsyncctl_field(), the text, "" when absent */

const char *
invsyncctl_fstr(const redisReply *fields, const char *name)
{
    const redisReply  *v;

    v = invsyncctl_field(fields, name);

    return v != NULL ? v->str : "";
}


/* an XRANGE element still holding its fields: [id, [field, value...]] */

int
invsyncctl_entry_ok(const redisReply *entry)
{
    return entry->type == REDIS_REPLY_ARRAY && entry->elements == 2
           && entry->element[0]->type == REDIS_REPLY_STRING
           && entry->element[1]->type == REDIS_REPLY_ARRAY;
}
