
/*
 * Opening a refund on a channel (invsync_refund_out.h): the request
 * checked, its lines given the channel's line ids and its currency from
 * the recorded order, and written once per cause by refund_out.lua; and
 * the channel's own event of a refund we made known as ours.
 */


#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "invsync_refund_out.h"


static int invsync_refund_out_check(invsync_worker_t *w,
    const invsync_refund_out_t *req, char *err, size_t len);
static json_t *invsync_refund_out_order(invsync_worker_t *w,
    const invsync_refund_out_t *req, char *err, size_t len);
static json_t *invsync_refund_out_lines(const invsync_refund_out_t *req,
    json_t *order, char *err, size_t len);
static int invsync_refund_out_text(const char *s, size_t max);
static const char *invsync_refund_out_sha(void);


int
invsync_refund_out_ref(const char *cause, char *buf, size_t cap)
{
    int  n;

    n = snprintf(buf, cap, "[invsync:%s]", cause);

    return n > 0 && (size_t) n < cap ? 0 : -1;
}


int
invsync_refund_out_open(invsync_worker_t *w, const invsync_refund_out_t *req,
    char *err, size_t len)
{
    int           rc;
    char          audit[INVSYNC_REFUND_KEY_LEN], prefix[INVSYNC_REFUND_KEY_LEN];
    char          now[32], ship[32], maxlen[32];
    char          ref[INVSYNC_REFUND_CAUSE_LEN + 16];
    char         *lines_s;
    json_t       *order, *lines;
    redisReply   *r;
    const char   *cur, *argv[14];

    if (invsync_refund_out_check(w, req, err, len) != 0) {
        return -1;
    }

    order = invsync_refund_out_order(w, req, err, len);
    if (order == NULL && err[0] != '\0') {
        return -1;
    }

    lines = invsync_refund_out_lines(req, order, err, len);
    cur = req->currency != NULL && req->currency[0] != '\0'
          ? req->currency
          : json_string_value(json_object_get(order, "currency"));

    if (lines != NULL && cur == NULL) {
        snprintf(err, len, "the order's currency is not known (not "
                 "recorded): give the currency");
        json_decref(lines);
        lines = NULL;
    }

    if (lines == NULL) {
        json_decref(order);
        return -1;
    }

    lines_s = json_dumps(lines, JSON_COMPACT);
    json_decref(lines);

    invsync_key_audit(audit, sizeof(audit), w->conf);
    invsync_key_prefix(prefix, sizeof(prefix), w->conf);
    invsync_refund_out_ref(req->cause, ref, sizeof(ref));
    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    snprintf(ship, sizeof(ship), "%lld", (long long) req->shipping_minor);
    snprintf(maxlen, sizeof(maxlen), "%ld", w->conf->audit_max_len);

    argv[0] = audit;
    argv[1] = "open";
    argv[2] = now;
    argv[3] = prefix;
    argv[4] = req->cause;
    argv[5] = maxlen;
    argv[6] = req->channel;
    argv[7] = req->order_id;
    argv[8] = lines_s != NULL ? lines_s : "[]";
    argv[9] = ship;
    argv[10] = cur;
    argv[11] = req->reason;
    argv[12] = req->note != NULL ? req->note : "";
    argv[13] = ref;

    r = invsync_refund_out_eval(w, argv, 14);
    free(lines_s);
    json_decref(order);

    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        snprintf(err, len, "redis: %s", r != NULL && r->type
                 == REDIS_REPLY_ERROR ? r->str : "connection lost");
        freeReplyObject(r);
        return -1;
    }

    rc = r->element[0]->integer == 0 ? 0 : 1;
    freeReplyObject(r);

    return rc;
}


/* the request's own words: 0, or -1 with the first thing wrong */

static int
invsync_refund_out_check(invsync_worker_t *w, const invsync_refund_out_t *req,
    char *err, size_t len)
{
    size_t                         i;
    const invsync_channel_t       *ch;
    const invsync_channel_conf_t  *cc;

    err[0] = '\0';
    cc = req->channel != NULL ? invsync_conf_channel(w->conf, req->channel)
                              : NULL;
    ch = cc != NULL ? invsync_channel_find(cc->type) : NULL;

    if (cc == NULL) {
        snprintf(err, len, "no channel \"%s\" in the configuration",
                 req->channel != NULL ? req->channel : "");

    } else if (!invsync_channel_can(ch, refund_build)) {
        snprintf(err, len, "channel \"%s\" (type %s) cannot make refunds "
                 "(types that can: %s)", cc->id, cc->type,
                 invsync_channel_types_with(offsetof(invsync_channel_t,
                                                     refund_build)));

    } else if (req->cause == NULL || strchr(req->cause, ':') == NULL
               || !invsync_refund_out_text(req->cause,
                                           INVSYNC_REFUND_CAUSE_LEN))
    {
        snprintf(err, len, "the cause must be \"<kind>:<id>\", printable, "
                 "at most %d bytes", INVSYNC_REFUND_CAUSE_LEN);

    } else if (req->order_id == NULL || req->order_id[0] == '\0'
               || !invsync_refund_out_text(req->order_id, 63))
    {
        snprintf(err, len, "the order id must be 1 to 63 printable bytes");

    } else if (req->nlines == 0 && req->shipping_minor <= 0) {
        snprintf(err, len, "nothing to refund: no lines and no shipping");

    } else if (req->nlines > INVSYNC_REFUND_OUT_LINES) {
        snprintf(err, len, "at most %d lines", INVSYNC_REFUND_OUT_LINES);

    } else if (req->shipping_minor < 0) {
        snprintf(err, len, "the shipping refunded cannot be negative");

    } else if (req->reason == NULL
               || !invsync_refund_out_text(req->reason, 120)
               || req->reason[0] == '\0')
    {
        snprintf(err, len, "a reason is required: 1 to 120 printable "
                 "bytes");

    } else if (req->note != NULL && !invsync_refund_out_text(req->note, 200)) {
        snprintf(err, len, "the note must be at most 200 printable bytes");

    } else if (req->currency != NULL && req->currency[0] != '\0'
               && invsync_currency_exponent(req->currency) < 0)
    {
        snprintf(err, len, "unknown currency \"%s\"", req->currency);
    }

    for (i = 0; err[0] == '\0' && i < req->nlines; i++) {
        if (req->lines[i].sku == NULL || req->lines[i].sku[0] == '\0'
            || !invsync_refund_out_text(req->lines[i].sku, 128)
            || req->lines[i].quantity <= 0 || req->lines[i].quantity > 100000
            || (req->lines[i].line_ref != NULL
                && !invsync_refund_out_text(req->lines[i].line_ref, 63)))
        {
            snprintf(err, len, "line %zu: a SKU (at most 128 bytes), a "
                     "quantity of 1 to 100000 and a line id of at most 63 "
                     "bytes", i + 1);
        }
    }

    return err[0] == '\0' ? 0 : -1;
}


/* the recorded canonical order (a new reference), or NULL: not recorded
 * (err ""), or Redis failed (err says so) */

static json_t *
invsync_refund_out_order(invsync_worker_t *w, const invsync_refund_out_t *req,
    char *err, size_t len)
{
    char         key[INVSYNC_REFUND_KEY_LEN], order[INVSYNC_REFUND_KEY_LEN];
    json_t      *doc;
    redisReply  *r;

    snprintf(order, sizeof(order), "%s:%s", req->channel, req->order_id);
    invsync_key_order(key, sizeof(key), w->conf, order);

    r = invsync_redis_cmdv(w, (const char *[]) { "HGET", key, "data", NULL });
    if (r == NULL) {
        snprintf(err, len, "redis: connection lost");
        return NULL;
    }

    doc = r->type == REDIS_REPLY_STRING ? json_loads(r->str, 0, NULL) : NULL;
    freeReplyObject(r);

    return doc;
}


/*
 * The lines as the request keeps them, [{sku, line_ref, qty}]: a line
 * without the channel's line id takes the id of the order's line of that
 * SKU (its sku, or its ref "sku:<sku>"); more units than the order's line
 * has are refused.  NULL with err when a line cannot be placed.
 */

static json_t *
invsync_refund_out_lines(const invsync_refund_out_t *req, json_t *order,
    char *err, size_t len)
{
    char                              want[INVSYNC_REF_LEN];
    size_t                            i, j, k;
    json_t                           *out, *ol, *ref, *hit;
    const char                       *id, *sku;
    const invsync_refund_out_line_t  *l;

    out = json_array();

    for (i = 0; i < req->nlines; i++) {
        l = &req->lines[i];
        snprintf(want, sizeof(want), "sku:%s", l->sku);
        hit = NULL;

        json_array_foreach(json_object_get(order, "lines"), j, ol) {
            id = json_string_value(json_object_get(ol, "channel_line_id"));
            sku = json_string_value(json_object_get(ol, "sku"));

            if (l->line_ref != NULL) {
                if (id != NULL && strcmp(id, l->line_ref) == 0) {
                    hit = ol;
                }

            } else if (sku != NULL && strcmp(sku, l->sku) == 0) {
                hit = ol;

            } else {
                json_array_foreach(json_object_get(ol, "refs"), k, ref) {
                    if (json_is_string(ref)
                        && strcmp(json_string_value(ref), want) == 0)
                    {
                        hit = ol;
                    }
                }
            }

            if (hit != NULL) {
                break;
            }
        }

        if (hit == NULL && l->line_ref == NULL) {
            snprintf(err, len, "line %zu: the order %s has no line of SKU "
                     "\"%s\"%s: give the channel's line id", i + 1,
                     req->order_id, l->sku,
                     order == NULL ? " (the order is not recorded)" : "");
            json_decref(out);
            return NULL;
        }

        if (hit != NULL && json_integer_value(json_object_get(hit,
                                                              "quantity"))
                           < l->quantity)
        {
            snprintf(err, len, "line %zu: %lld of SKU \"%s\" asked, the "
                     "order's line has %lld", i + 1,
                     (long long) l->quantity, l->sku,
                     (long long) json_integer_value(json_object_get(hit,
                         "quantity")));
            json_decref(out);
            return NULL;
        }

        id = l->line_ref != NULL
             ? l->line_ref
             : json_string_value(json_object_get(hit, "channel_line_id"));

        json_array_append_new(out, json_pack("{s:s, s:s, s:I}", "sku",
                              l->sku, "line_ref", id != NULL ? id : "",
                              "qty", (json_int_t) l->quantity));
    }

    return out;
}


/* at most max bytes, none of them a control byte */

static int
invsync_refund_out_text(const char *s, size_t max)
{
    size_t  i;

    for (i = 0; s[i] != '\0'; i++) {
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f || i >= max) {
            return 0;
        }
    }

    return 1;
}


/*
 * Our reference "[invsync:<cause>]" in canon's note or reason: the cause
 * in cause (INVSYNC_REFUND_CAUSE_LEN + 1 bytes) and 1, else 0.  A batch of
 * refunds leaves such a refund to invsync_refund_out_seen().
 */

int
invsync_refund_out_named(json_t *canon, char *cause)
{
    size_t       i, n;
    const char  *text, *p, *e;
    const char  *fields[2] = { "note", "reason" };

    for (i = 0; i < 2; i++) {
        text = json_string_value(json_object_get(canon, fields[i]));
        p = text != NULL ? strstr(text, "[invsync:") : NULL;
        e = p != NULL ? strchr(p, ']') : NULL;
        n = e != NULL ? (size_t) (e - p - 9) : 0;

        if (n > 0 && n <= INVSYNC_REFUND_CAUSE_LEN) {
            memcpy(cause, p + 9, n);
            cause[n] = '\0';
            return 1;
        }
    }

    return 0;
}


int
invsync_refund_out_seen(invsync_worker_t *w, const char *channel,
    const char *event, json_t *canon)
{
    char         key[INVSYNC_REFUND_KEY_LEN], audit[INVSYNC_REFUND_KEY_LEN];
    char         prefix[INVSYNC_REFUND_KEY_LEN], now[32], maxlen[32];
    char         cause[INVSYNC_REFUND_CAUSE_LEN + 1];
    int          n;
    redisReply  *r;
    const char  *rid, *argv[9];

    rid = json_string_value(json_object_get(canon, "refund_id"));
    if (rid == NULL) {
        return 0;
    }

    cause[0] = '\0';
    invsync_key_refundref(key, sizeof(key), w->conf, channel, rid);

    r = invsync_redis_cmdv(w, (const char *[]) { "GET", key, NULL });
    if (r == NULL) {
        return -1;
    }

    if (r->type == REDIS_REPLY_STRING) {
        snprintf(cause, sizeof(cause), "%s", r->str);
    }

    freeReplyObject(r);

    /* created, but the answer was lost before the driver kept its id: our
     * reference in the refund's words says whose it is */
    if (cause[0] == '\0') {
        invsync_refund_out_named(canon, cause);
    }

    if (cause[0] == '\0') {
        return 0;
    }

    invsync_key_audit(audit, sizeof(audit), w->conf);
    invsync_key_prefix(prefix, sizeof(prefix), w->conf);
    snprintf(now, sizeof(now), "%lld", (long long) invsync_now_ms());
    snprintf(maxlen, sizeof(maxlen), "%ld", w->conf->audit_max_len);

    argv[0] = audit;
    argv[1] = "seen";
    argv[2] = now;
    argv[3] = prefix;
    argv[4] = cause;
    argv[5] = maxlen;
    argv[6] = channel;
    argv[7] = rid;
    argv[8] = event;

    r = invsync_refund_out_eval(w, argv, 9);

    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        freeReplyObject(r);
        return -1;
    }

    n = r->element[0]->integer;
    freeReplyObject(r);

    if (n == 1) {
        json_object_set_new(canon, "refund_out", json_string(cause));
    }

    return n == 1;
}


/*
 * refund_out.lua with KEYS[1] = argv[0] and the rest as ARGV; the reply
 * (NULL: the session was lost).  Shared with the driver.
 */

redisReply *
invsync_refund_out_eval(invsync_worker_t *w, const char **argv, int argc)
{
    int     i;
    size_t  lens[16];

    for (i = 0; i < argc && i < 16; i++) {
        lens[i] = strlen(argv[i]);
    }

    return invsync_redis_eval(w, invsync_refund_out_sha(),
                              invsync_script_refund_out,
                              invsync_script_refund_out_len, 1, argc, argv,
                              lens);
}


/* refund_out.lua's SHA-1, for EVALSHA (EVAL loads it when Redis lost it) */

static const char *
invsync_refund_out_sha(void)
{
    size_t          i;
    unsigned char   md[SHA_DIGEST_LENGTH];
    static char     sha[2 * SHA_DIGEST_LENGTH + 1];

    if (sha[0] == '\0') {
        SHA1((const unsigned char *) invsync_script_refund_out,
             invsync_script_refund_out_len, md);

        for (i = 0; i < SHA_DIGEST_LENGTH; i++) {
            snprintf(sha + 2 * i, 3, "%02x", md[i]);
        }
    }

    return sha;
}
