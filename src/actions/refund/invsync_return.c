
/*
 * The return's (RMA's) record (docs/returns.md, "RMA"): ids, the record
 * opened once with its order's prices (invsync_return_lines.c), read
 * back, moved on once per cause.  The writes are return_open.lua and
 * return_step.lua, so that a notice delivered twice, or two at once,
 * records one state.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "invsync_actions.h"
#include "invsync_return.h"
#include "refund/invsync_return_int.h"


int
invsync_return_id_valid(const char *id)
{
    size_t  n;

    n = strlen(id);

    return n > 0 && n < INVSYNC_RMA_ID_LEN
           && strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789._:-") == n;
}


void
invsync_return_id_new(char *dst, size_t cap)
{
    char           day[16];
    time_t         now;
    struct tm      tm;
    unsigned char  r[4];

    if (RAND_bytes(r, sizeof(r)) != 1) {
        /* no entropy: the time's microseconds still tell ids apart */
        struct timespec  ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        memcpy(r, &ts.tv_nsec, sizeof(r));
    }

    now = time(NULL);
    gmtime_r(&now, &tm);
    strftime(day, sizeof(day), "%Y%m%d", &tm);
    snprintf(dst, cap, "R%s-%02x%02x%02x%02x", day, r[0], r[1], r[2], r[3]);
}


invsync_return_rc_e
invsync_return_open(invsync_worker_t *w, const invsync_return_src_t *src,
    const char *id, const char *order_id, json_t *lines, const char *reason,
    char *audit, size_t cap, char *err, size_t len)
{
    char                 order[512], cause[512];
    json_t              *rec, *priced;
    invsync_return_rc_e  rc;

    snprintf(order, sizeof(order), "%s:%s", src->channel, order_id);

    rc = invsync_return_prices(w, src->channel, order, lines, &priced, err,
                               len);
    if (rc != INVSYNC_RETURN_DONE) {
        return rc;
    }

    rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id", id,
                    "order", order, "channel", src->channel, "order_id",
                    order_id, "reason", reason ? reason : "", "by",
                    src->by ? src->by : "", "lines", priced);
    snprintf(cause, sizeof(cause), "%s:%s", src->channel, src->event);

    return invsync_return_script(w, src, "open", id, rec, cause, audit, cap,
                                 err, len);
}


json_t *
invsync_return_get(invsync_worker_t *w, const char *id,
    invsync_return_rc_e *rc)
{
    char         key[INVSYNC_ACTION_KEY_LEN];
    size_t       i;
    json_t      *rec, *v;
    const char  *argv[3], *f;
    redisReply  *r;

    invsync_key_rma(key, sizeof(key), w->conf, id);
    argv[0] = "HGETALL";
    argv[1] = key;
    argv[2] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        if (r != NULL) {
            freeReplyObject(r);
        }
        *rc = INVSYNC_RETURN_LOST;
        return NULL;
    }

    if (r->elements == 0) {
        freeReplyObject(r);
        *rc = INVSYNC_RETURN_REFUSED;
        return NULL;
    }

    rec = json_object();

    for (i = 0; i + 1 < r->elements; i += 2) {
        f = r->element[i]->str;

        /* the JSON members as JSON, the times as numbers */
        if (strcmp(f, "lines") == 0 || strcmp(f, "history") == 0
            || strcmp(f, "receipts") == 0 || strcmp(f, "refund_due") == 0
            || strcmp(f, "refund_out") == 0)
        {
            v = json_loads(r->element[i + 1]->str, 0, NULL);
        } else if (strcmp(f, "created") == 0 || strcmp(f, "updated") == 0) {
            v = json_integer(strtoll(r->element[i + 1]->str, NULL, 10));
        } else {
            v = json_string(r->element[i + 1]->str);
        }

        json_object_set_new(rec, f, v ? v : json_null());
    }

    freeReplyObject(r);
    *rc = INVSYNC_RETURN_DONE;

    return rec;
}


invsync_return_rc_e
invsync_return_step(invsync_worker_t *w, const invsync_return_src_t *src,
    const char *id, const char *state, const char *tracking, char *err,
    size_t len)
{
    char     cause[512], audit[128];
    json_t  *step;

    snprintf(cause, sizeof(cause), "%s:%s", src->channel, src->event);
    step = json_pack("{s:[s], s:s, s:s*, s:s*}", "states", state, "cause",
                     cause, "by", src->by, "tracking", tracking);

    return invsync_return_script(w, src, "step", id, step, cause, audit,
                                 sizeof(audit), err, len);
}


/*
 * Runs return_<name>.lua for RMA id with doc (taken): KEYS the RMA's
 * hash, (open: the index,) the audit stream; the envelope's fields in
 * the audit entry.  *audit: the audit id, or the state it was in.
 */
invsync_return_rc_e
invsync_return_script(invsync_worker_t *w, const invsync_return_src_t *src,
    const char *name, const char *id, json_t *doc, const char *cause,
    char *audit, size_t cap, char *err, size_t len)
{
    int           open, argc, nkeys;
    char          rma[INVSYNC_ACTION_KEY_LEN], idx[INVSYNC_ACTION_KEY_LEN];
    char          aud[INVSYNC_ACTION_KEY_LEN], k[INVSYNC_ACTION_KEY_LEN];
    char          now[32], maxlen[32], sha[41];
    char         *text;
    size_t        i, lens[24];
    const char   *argv[24], *script;
    size_t        slen;
    redisReply   *r;
    invsync_return_rc_e  rc;

    open = strcmp(name, "open") == 0;
    script = open ? invsync_script_return_open : invsync_script_return_step;
    slen = open ? invsync_script_return_open_len
                : invsync_script_return_step_len;

    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);

    if (text == NULL) {
        snprintf(err, len, "out of memory");
        return INVSYNC_RETURN_LOST;
    }

    invsync_key_rma(rma, sizeof(rma), w->conf, id);
    invsync_key_rmas(idx, sizeof(idx), w->conf);
    invsync_key_audit(aud, sizeof(aud), w->conf);
    invsync_key_prefix(k, sizeof(k), w->conf);
    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    snprintf(maxlen, sizeof(maxlen), "%ld", w->conf->audit_max_len);
    invsync_return_sha(script, slen, sha);

    argc = 0;
    argv[argc++] = rma;
    if (open) {
        argv[argc++] = idx;
    }
    argv[argc++] = aud;
    nkeys = argc;
    argv[argc++] = k;
    argv[argc++] = now;
    argv[argc++] = text;
    if (open) {
        argv[argc++] = cause;
    }
    argv[argc++] = maxlen;
    argv[argc++] = "channel";
    argv[argc++] = src->channel;
    argv[argc++] = "event";
    argv[argc++] = src->event;
    argv[argc++] = "topic";
    argv[argc++] = src->topic ? src->topic : "";
    argv[argc++] = "consumer";
    argv[argc++] = w->conf->consumer ? w->conf->consumer : "invsyncctl";
    if (src->by != NULL) {
        argv[argc++] = "by";
        argv[argc++] = src->by;
    }

    for (i = 0; i < (size_t) argc; i++) {
        lens[i] = strlen(argv[i]);
    }

    r = invsync_redis_eval(w, sha, script, slen, nkeys, argc, argv, lens);
    free(text);

    rc = invsync_return_reply(r, audit, cap, err, len);

    return rc;
}


/* {1, id, ...} done, {0, state} before, an error: refused */
invsync_return_rc_e
invsync_return_reply(redisReply *r, char *audit, size_t cap, char *err,
    size_t len)
{
    invsync_return_rc_e  rc;

    if (r == NULL) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_RETURN_LOST;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(err, len, "%s", strchr(r->str, ':') && strncmp(r->str,
                 "return_", 7) == 0 ? strchr(r->str, ':') + 2 : r->str);
        rc = strncmp(r->str, "return_", 7) == 0 ? INVSYNC_RETURN_REFUSED
                                                 : INVSYNC_RETURN_LOST;
    } else if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
        snprintf(err, len, "return: bad reply");
        rc = INVSYNC_RETURN_LOST;
    } else {
        rc = r->element[0]->integer == 1 ? INVSYNC_RETURN_DONE
                                         : INVSYNC_RETURN_BEFORE;
        snprintf(audit, cap, "%s", r->element[1]->type == REDIS_REPLY_STRING
                                   ? r->element[1]->str : "");
    }

    freeReplyObject(r);

    return rc;
}


void
invsync_return_sha(const char *script, size_t len, char *hex)
{
    size_t         i;
    unsigned char  md[SHA_DIGEST_LENGTH];

    SHA1((const unsigned char *) script, len, md);

    for (i = 0; i < SHA_DIGEST_LENGTH; i++) {
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
}
