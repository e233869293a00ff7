
/*
 * The worker's Redis session: a synchronous hiredis connection (the worker
 * has nothing else to wait for), AUTH from the configured file, the Lua
 * scripts loaded once and called by SHA with an EVAL fallback, and the
 * key layout of docs/keys.md.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "invsync_runtime.h"


static int invsync_redis_script_args(const char *sha, int nkeys, int argc,
    const char **argv, const size_t *argvlen, char n[16],
    const char ***args, size_t **lens);
static size_t *invsync_redis_lens(const char **argv, int *argc,
    size_t *stack);
static int invsync_redis_load(invsync_worker_t *w, const char *script,
    size_t len, char *sha, char *err, size_t errlen);


int
invsync_redis_connect(invsync_worker_t *w, char *err, size_t len)
{
    int              argc;
    const char      *argv[3];
    size_t           argvlen[3];
    redisReply      *r;
    redisContext    *c;
    struct timeval   tv;
    invsync_conf_t  *conf = w->conf;

    invsync_redis_close(w);

    tv.tv_sec = conf->redis_timeout_ms / 1000;
    tv.tv_usec = (conf->redis_timeout_ms % 1000) * 1000;

    if (conf->redis_unix != NULL) {
        c = redisConnectUnixWithTimeout(conf->redis_unix, tv);

    } else {
        c = redisConnectWithTimeout(conf->redis_host, conf->redis_port, tv);
    }

    if (c == NULL || c->err) {
        snprintf(err, len, "redis: %s", c ? c->errstr : "out of memory");
        redisFree(c);
        return -1;
    }

    /* a blocking read may wait block_ms before it answers */
    tv.tv_sec = (conf->redis_timeout_ms + conf->block_ms) / 1000;
    tv.tv_usec = ((conf->redis_timeout_ms + conf->block_ms) % 1000) * 1000;

    if (redisSetTimeout(c, tv) != REDIS_OK) {
        snprintf(err, len, "redis: cannot set the timeout");
        redisFree(c);
        return -1;
    }

    w->redis = c;

    if (conf->redis_password == NULL) {
        return 0;
    }

    argc = 0;
    argv[argc] = "AUTH";
    argvlen[argc++] = 4;

    if (conf->redis_user != NULL) {
        argv[argc] = conf->redis_user;
        argvlen[argc++] = strlen(conf->redis_user);
    }

    argv[argc] = conf->redis_password;
    argvlen[argc++] = strlen(conf->redis_password);

    r = invsync_redis_cmd(w, argc, argv, argvlen);

    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        /* the server's text names the problem, never the password */
        snprintf(err, len, "redis: AUTH refused: %s",
                 r ? r->str : "connection lost");
        freeReplyObject(r);
        invsync_redis_close(w);
        return -1;
    }

    freeReplyObject(r);

    return 0;
}


void
invsync_redis_close(invsync_worker_t *w)
{
    if (w->redis != NULL) {
        redisFree(w->redis);
        w->redis = NULL;
    }
}


/* NULL when the connection failed: it is closed, the caller reconnects */

redisReply *
invsync_redis_cmd(invsync_worker_t *w, int argc, const char **argv,
    const size_t *argvlen)
{
    redisReply  *r;

    if (w->redis == NULL) {
        return NULL;
    }

    r = redisCommandArgv(w->redis, argc, argv, argvlen);

    if (r == NULL) {
        invsync_log(INVSYNC_LOG_ERROR, "redis connection lost",
                    json_pack("{s:s}", "err", w->redis->errstr));
        invsync_redis_close(w);
    }

    return r;
}


int
invsync_redis_load_scripts(invsync_worker_t *w, char *err, size_t len)
{
    if (invsync_redis_load(w, invsync_script_apply, invsync_script_apply_len,
                           w->apply_sha, err, len)
        != 0
        || invsync_redis_load(w, invsync_script_exception,
                              invsync_script_exception_len, w->exception_sha,
                              err, len)
           != 0
        || invsync_redis_load(w, invsync_script_dead, invsync_script_dead_len,
                              w->dead_sha, err, len)
           != 0
        || invsync_redis_load(w, invsync_script_resolve,
                              invsync_script_resolve_len, w->resolve_sha,
                              err, len)
           != 0
        || invsync_redis_load(w, invsync_script_ledger,
                              invsync_script_ledger_len, w->ledger_sha,
                              err, len)
           != 0
        || invsync_redis_load(w, invsync_script_route,
                              invsync_script_route_len, w->route_sha,
                              err, len)
           != 0
        || invsync_redis_load(w, invsync_script_ship_3pl,
                              invsync_script_ship_3pl_len,
                              w->ship_3pl_sha, err, len)
           != 0
        || invsync_redis_load(w, invsync_script_push,
                              invsync_script_push_len, w->push_sha, err, len)
           != 0
        || invsync_redis_load(w, invsync_script_skumap,
                              invsync_script_skumap_len, w->skumap_sha,
                              err, len)
           != 0
        || invsync_redis_load(w, invsync_script_skuunmap,
                              invsync_script_skuunmap_len, w->skuunmap_sha,
                              err, len)
           != 0
        || invsync_redis_load(w, invsync_script_bundle,
                              invsync_script_bundle_len, w->bundle_sha,
                              err, len)
           != 0
        || invsync_redis_load(w, invsync_script_skuattr,
                              invsync_script_skuattr_len, w->skuattr_sha,
                              err, len)
           != 0
        || invsync_redis_load(w, invsync_script_exc_retry,
                              invsync_script_exc_retry_len,
                              w->exc_retry_sha, err, len)
           != 0
        || invsync_redis_load(w, invsync_script_exc_resolve,
                              invsync_script_exc_resolve_len,
                              w->exc_resolve_sha, err, len)
           != 0
        || invsync_redis_load(w, invsync_script_held,
                              invsync_script_held_len, w->held_sha, err, len)
           != 0
        || invsync_redis_load(w, invsync_script_ship_open,
                              invsync_script_ship_open_len,
                              w->ship_open_sha, err, len)
           != 0
        || invsync_redis_load(w, invsync_script_ship_confirm,
                              invsync_script_ship_confirm_len,
                              w->ship_confirm_sha, err, len)
           != 0
        || invsync_redis_load(w, invsync_script_ship_cancel,
                              invsync_script_ship_cancel_len,
                              w->ship_cancel_sha, err, len)
           != 0
        || invsync_redis_load(w, invsync_script_ship_claim,
                              invsync_script_ship_claim_len,
                              w->ship_claim_sha, err, len)
           != 0
        || invsync_redis_load(w, invsync_script_journal,
                              invsync_script_journal_len, w->journal_sha,
                              err, len)
           != 0
        || invsync_redis_load(w, invsync_script_refundqty,
                              invsync_script_refundqty_len,
                              w->refundqty_sha, err, len)
           != 0
        || invsync_redis_load(w, invsync_script_refund_record,
                              invsync_script_refund_record_len,
                              w->refund_record_sha, err, len)
           != 0)
    {
        return -1;
    }

    return 0;
}


static int
invsync_redis_load(invsync_worker_t *w, const char *script, size_t len,
    char *sha, char *err, size_t errlen)
{
    const char  *argv[3] = { "SCRIPT", "LOAD", script };
    size_t       argvlen[3] = { 6, 4, len };
    redisReply  *r;

    r = invsync_redis_cmd(w, 3, argv, argvlen);

    if (r == NULL || r->type != REDIS_REPLY_STRING || r->len != 40) {
        snprintf(err, errlen, "redis: SCRIPT LOAD failed: %s",
                 r && r->type == REDIS_REPLY_ERROR ? r->str
                                                   : "connection lost");
        freeReplyObject(r);
        return -1;
    }

    memcpy(sha, r->str, 40);
    sha[40] = '\0';
    freeReplyObject(r);

    return 0;
}


/*
 * A script Redis lost (restarted, SCRIPT FLUSH) loaded again, for a
 * pipeline whose EVALSHA answered NOSCRIPT: its SHA-1 into sha.  0, or -1.
 */

int
invsync_redis_reload(invsync_worker_t *w, const char *script, size_t len,
    char *sha)
{
    char  err[INVSYNC_ERR_LEN];

    if (invsync_redis_load(w, script, len, sha, err, sizeof(err)) != 0) {
        invsync_log(INVSYNC_LOG_WARN, "script reload failed",
                    json_pack("{s:s}", "err", err));
        return -1;
    }

    return 0;
}


/* 1 when r is Redis's NOSCRIPT answer to an EVALSHA */

int
invsync_redis_noscript(const redisReply *r)
{
    return r != NULL && r->type == REDIS_REPLY_ERROR
           && strncmp(r->str, "NOSCRIPT", 8) == 0;
}


/*
 * EVALSHA with the arguments given, and EVAL of the script itself if the
 * server lost it (restarted, SCRIPT FLUSH).  argv holds the keys, then
 * the other arguments; the caller frees the reply.
 */

redisReply *
invsync_redis_eval(invsync_worker_t *w, const char *sha, const char *script,
    size_t script_len, int nkeys, int argc, const char **argv,
    const size_t *argvlen)
{
    char          n[16];
    size_t       *lens;
    const char  **args;
    redisReply   *r;

    if (invsync_redis_script_args(sha, nkeys, argc, argv, argvlen, n, &args,
                                  &lens)
        != 0)
    {
        return NULL;
    }

    r = invsync_redis_cmd(w, argc + 3, args, lens);

    if (r != NULL && r->type == REDIS_REPLY_ERROR
        && strncmp(r->str, "NOSCRIPT", 8) == 0)
    {
        freeReplyObject(r);
        args[0] = "EVAL";
        lens[0] = 4;
        args[1] = script;
        lens[1] = script_len;
        r = invsync_redis_cmd(w, argc + 3, args, lens);
    }

    free(args);
    free(lens);

    return r;
}


/*
 * EVALSHA appended to the pipeline, its reply read later in order with
 * invsync_redis_reply(): a batch's scripts in one round trip.  No EVAL
 * fallback here: a NOSCRIPT comes back as the reply, and the caller runs
 * that one again through invsync_redis_eval().  -1: out of memory.
 */

int
invsync_redis_append_evalsha(invsync_worker_t *w, const char *sha, int nkeys,
    int argc, const char **argv, const size_t *argvlen)
{
    int           rc;
    char          n[16];
    size_t       *lens;
    const char  **args;

    if (w->redis == NULL
        || invsync_redis_script_args(sha, nkeys, argc, argv, argvlen, n,
                                     &args, &lens)
           != 0)
    {
        return -1;
    }

    rc = redisAppendCommandArgv(w->redis, argc + 3, args, lens);

    free(args);
    free(lens);

    return rc == REDIS_OK ? 0 : -1;
}


/* EVALSHA sha nkeys argv...: allocated, the caller frees both arrays */

static int
invsync_redis_script_args(const char *sha, int nkeys, int argc,
    const char **argv, const size_t *argvlen, char n[16],
    const char ***args, size_t **lens)
{
    int  i;

    *args = malloc((argc + 3) * sizeof(char *));
    *lens = malloc((argc + 3) * sizeof(size_t));

    if (*args == NULL || *lens == NULL) {
        free(*args);
        free(*lens);
        return -1;
    }

    snprintf(n, 16, "%d", nkeys);

    (*args)[0] = "EVALSHA";
    (*lens)[0] = 7;
    (*args)[1] = sha;
    (*lens)[1] = 40;
    (*args)[2] = n;
    (*lens)[2] = strlen(n);

    for (i = 0; i < argc; i++) {
        (*args)[i + 3] = argv[i];
        (*lens)[i + 3] = argvlen[i];
    }

    return 0;
}


/* a command of strings, argv NULL-ended, of any length; NULL when the
 * session was lost (or no memory) */

redisReply *
invsync_redis_cmdv(invsync_worker_t *w, const char **argv)
{
    int          argc;
    size_t       stack[INVSYNC_CMDV_MAX], *argvlen;
    redisReply  *r;

    argvlen = invsync_redis_lens(argv, &argc, stack);
    if (argvlen == NULL) {
        return NULL;
    }

    r = invsync_redis_cmd(w, argc, argv, argvlen);

    if (argvlen != stack) {
        free(argvlen);
    }

    return r;
}


/* the same appended to the pipeline, for invsync_redis_reply(); -1 lost */

int
invsync_redis_appendv(invsync_worker_t *w, const char **argv)
{
    int      argc, rc;
    size_t   stack[INVSYNC_CMDV_MAX], *argvlen;

    if (w->redis == NULL) {
        return -1;
    }

    argvlen = invsync_redis_lens(argv, &argc, stack);
    if (argvlen == NULL) {
        return -1;
    }

    rc = redisAppendCommandArgv(w->redis, argc, argv, argvlen) == REDIS_OK
         ? 0 : -1;

    if (argvlen != stack) {
        free(argvlen);
    }

    return rc;
}


/*
 * The lengths of a NULL-terminated argv: in stack (INVSYNC_CMDV_MAX) when
 * they fit, else allocated (the caller frees what is not stack); NULL
 * when out of memory.  A command is never cut short: a longer one lost
 * its last arguments silently before (a bench's HSET of 50 locations).
 */
static size_t *
invsync_redis_lens(const char **argv, int *argc, size_t *stack)
{
    int      n;
    size_t  *lens;

    for (n = 0; argv[n] != NULL; n++) {
        /* counted */
    }

    lens = n <= INVSYNC_CMDV_MAX ? stack : malloc(n * sizeof(size_t));
    if (lens == NULL) {
        return NULL;
    }

    for (*argc = 0; *argc < n; (*argc)++) {
        lens[*argc] = strlen(argv[*argc]);
    }

    return lens;
}


/* the next reply of the pipeline; NULL: the connection is lost and closed */

redisReply *
invsync_redis_reply(invsync_worker_t *w)
{
    redisReply  *r;

    if (w->redis == NULL) {
        return NULL;
    }

    r = NULL;

    if (redisGetReply(w->redis, (void **) &r) != REDIS_OK) {
        invsync_log(INVSYNC_LOG_ERROR, "redis connection lost",
                    json_pack("{s:s}", "err", w->redis->errstr));
        invsync_redis_close(w);
        return NULL;
    }

    return r;
}
