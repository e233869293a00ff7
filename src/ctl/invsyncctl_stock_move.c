
/*
 * invsyncctl stock set, count and adjust: one movement through the
 * ledger script, with a cause of its own, so that it is applied once,
 * audited and marks the channels dirty.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "invsyncctl_stock.h"


#define INVSYNCCTL_STOCK_QTY   1000000000L   /* the largest a channel takes */
#define INVSYNCCTL_STOCK_LOC   63
#define INVSYNCCTL_STOCK_KNOWN 256           /* the names in a refusal */


static int invsyncctl_stock_location(invsyncctl_t *ctl, const char *loc);
static int invsyncctl_stock_loc_is(const char *name, const char *loc,
    char *known, size_t *k);
static void invsyncctl_stock_cause(char *buf, size_t cap);


/*
 * set/count (ledger kind "count": the on hand becomes N) and adjust (kind
 * "adjust": N is added), through ledger.lua with a cause of their own.
 */

int
invsyncctl_stock_move(invsyncctl_t *ctl, int argc, char **argv)
{
    int                  rc, npos, adjust;
    char                *mv, sha[INVSYNCCTL_ID_LEN];
    char                 cause[64], done[INVSYNCCTL_KEY_LEN];
    char                 audit[INVSYNCCTL_KEY_LEN], k[INVSYNCCTL_KEY_LEN];
    char                 key[INVSYNCCTL_KEY_LEN];
    char                 ttl[32], now[32], maxlen[32], n_s[32];
    long                 n;
    size_t               i, lens[32];
    json_t              *detail;
    int64_t              moved, after;
    const char          *sku, *loc, *qty_s, *delta_s, *why, *by, *kind;
    const char          *action, *id, *pos[1], *args[32];
    redisReply          *r;
    invsyncctl_opt_t     opts[] = {
        { "--location", &loc, NULL },
        { "--qty", &qty_s, NULL },
        { "--delta", &delta_s, NULL },
        { "--why", &why, NULL },
        { "--by", &by, NULL },
        { NULL, NULL, NULL }
    };

    loc = NULL;
    qty_s = NULL;
    delta_s = NULL;
    why = NULL;
    by = NULL;
    mv = NULL;
    r = NULL;
    detail = NULL;

    adjust = strcmp(argv[0], "adjust") == 0;
    kind = adjust ? "adjust" : "count";
    action = adjust ? "stock.adjust" : "stock.count";

    rc = invsyncctl_args(ctl, "stock", invsyncctl_stock_usage, argc, argv,
                         opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1 || loc == NULL) {
        return invsyncctl_usage_error("stock", "%s needs a SKU and "
                                      "--location", argv[0]);
    }

    sku = pos[0];

    if (!invsyncctl_sku_valid(sku)) {
        return invsyncctl_usage_error("stock", "\"%s\" is not a SKU", sku);
    }

    if (adjust ? (delta_s == NULL || qty_s != NULL)
               : (qty_s == NULL || delta_s != NULL))
    {
        return invsyncctl_usage_error("stock", adjust ? "adjust takes "
                                      "--delta N" : "%s takes --qty N",
                                      argv[0]);
    }

    if (invsyncctl_parse_long("stock", adjust ? "--delta" : "--qty",
                              adjust ? delta_s : qty_s,
                              adjust ? -INVSYNCCTL_STOCK_QTY : 0,
                              INVSYNCCTL_STOCK_QTY, &n)
        != INVSYNCCTL_OK)
    {
        return INVSYNCCTL_USAGE;
    }

    if (adjust && n == 0) {
        return invsyncctl_usage_error("stock", "--delta 0 changes nothing");
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (invsyncctl_stock_location(ctl, loc) != 0) {
        return INVSYNCCTL_USAGE;
    }

    rc = invsyncctl_stock_known(ctl, sku);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    invsync_key_sku(key, sizeof(key), ctl->conf, sku);

    r = invsyncctl_redis(ctl, "HGET %s components", key);
    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    if (r->type == REDIS_REPLY_STRING && r->len > 0) {
        freeReplyObject(r);
        fprintf(stderr, "invsyncctl: stock: %s is a bundle: it has no stock "
                "of its own; count or adjust its components\n", sku);
        return INVSYNCCTL_USAGE;
    }

    freeReplyObject(r);

    detail = json_pack("{s:s, s:s, s:[{s:s, s:I, s:s}]}", "kind", kind,
                       "order", "", "lines", "sku", sku, "qty",
                       (json_int_t) n, "loc", loc);
    mv = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    detail = NULL;

    if (mv == NULL) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        return INVSYNCCTL_USAGE;
    }

    r = invsyncctl_redis(ctl, "SCRIPT LOAD %b", invsync_script_ledger,
                         invsync_script_ledger_len);
    if (r == NULL) {
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    snprintf(sha, sizeof(sha), "%s", r->type == REDIS_REPLY_STRING ? r->str
                                                                   : "");
    freeReplyObject(r);
    r = NULL;

    invsyncctl_stock_cause(cause, sizeof(cause));

    invsync_key_done_operator(done, sizeof(done), ctl->conf,
                              cause);
    invsync_key_audit(audit, sizeof(audit), ctl->conf);
    invsync_key_prefix(k, sizeof(k), ctl->conf);

    snprintf(ttl, sizeof(ttl), "%ld", ctl->conf->effect_ttl_s);
    snprintf(now, sizeof(now), "%lld", (long long) ctl->now);
    snprintf(maxlen, sizeof(maxlen), "%ld", ctl->conf->audit_max_len);
    snprintf(n_s, sizeof(n_s), "%ld", n);

    i = 0;
    args[i++] = done;
    args[i++] = audit;
    args[i++] = ttl;
    args[i++] = now;
    args[i++] = k;
    args[i++] = mv;
    args[i++] = maxlen;
    args[i++] = "ts";
    args[i++] = now;
    args[i++] = "action";
    args[i++] = action;
    args[i++] = "channel";
    args[i++] = "operator";
    args[i++] = "event";
    args[i++] = cause;
    args[i++] = "by";
    args[i++] = invsyncctl_by(by);
    args[i++] = "why";
    args[i++] = why != NULL ? why : "";
    args[i++] = "location";
    args[i++] = loc;
    args[i++] = adjust ? "delta" : "qty";
    args[i++] = n_s;

    for (npos = 0; (size_t) npos < i; npos++) {
        lens[npos] = strlen(args[npos]);
    }

    r = invsync_redis_eval(&ctl->w, sha, invsync_script_ledger,
                           invsync_script_ledger_len, 2, (int) i, args, lens);

    if (r == NULL) {
        fprintf(stderr, "invsyncctl: lost the Redis connection during the "
                "ledger script\n");
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "invsyncctl: Redis refused the ledger script: %s\n",
                r->str);
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2
        || r->element[0]->type != REDIS_REPLY_INTEGER
        || r->element[1]->type != REDIS_REPLY_STRING)
    {
        fprintf(stderr, "invsyncctl: the ledger script answered oddly\n");
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    id = r->element[1]->str;

    if (r->element[0]->integer == 0) {
        /* a fresh cause each time: only a clash of random ids gets here */
        fprintf(stderr, "invsyncctl: stock: cause %s was applied before "
                "(audit %s); nothing done\n", cause, id);
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    moved = 0;

    if (r->elements >= 3 && r->element[2]->type == REDIS_REPLY_STRING) {
        detail = json_loadb(r->element[2]->str, r->element[2]->len, 0, NULL);
        moved = json_integer_value(json_object_get(json_object_get(detail,
                                                                   "moved"),
                                                   sku));

        /* cjson writes every number as a real */
        if (json_is_real(json_object_get(json_object_get(detail, "moved"),
                                         sku)))
        {
            moved = (int64_t) json_real_value(json_object_get(
                                  json_object_get(detail, "moved"), sku));
        }
    }

    invsync_key_stock(key, sizeof(key), ctl->conf, sku);

    snprintf(sha, sizeof(sha), "%s", id);
    freeReplyObject(r);

    r = invsyncctl_redis(ctl, "HGET %s on_hand:%s", key, loc);
    if (r == NULL) {
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    after = r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;

    if (ctl->json) {
        rc = invsyncctl_print_json(json_pack("{s:s, s:s, s:s, s:I, s:I, "
                                             "s:I, s:s, s:s}",
                                             "sku", sku, "location", loc,
                                             "kind", kind,
                                             "before",
                                             (json_int_t) (after - moved),
                                             "after", (json_int_t) after,
                                             "delta", (json_int_t) moved,
                                             "audit", sha,
                                             "cause", cause));

    } else {
        printf("%s %s at %s: on hand %lld -> %lld (audit %s)\n",
               adjust ? "adjusted" : "counted", sku, loc,
               (long long) (after - moved), (long long) after, sha);
    }

failed:

    json_decref(detail);
    freeReplyObject(r);
    free(mv);

    return rc;
}


/*
 * A location of worker.json, as the ledger keeps it (on_hand:<loc>): one
 * of its "locations" ids; when it lists none, the locations the worker
 * itself moves stock at: the default one and those the channels' stock
 * rules name (where their shipments and restocks land).  A typo would
 * otherwise make a location nobody sells from, silently.  0, or -1 with
 * the reason said, naming the locations there are.
 */

static int
invsyncctl_stock_location(invsyncctl_t *ctl, const char *loc)
{
    int                           listed;
    char                          known[INVSYNCCTL_STOCK_KNOWN];
    size_t                        i, n, k;
    json_t                       *locs, *l, *id;
    const char                   *p;
    const invsync_stock_rules_t  *ru;

    n = strlen(loc);

    for (p = loc; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || strchr("-_.:", *p) != NULL))
        {
            break;
        }
    }

    if (n == 0 || n > INVSYNCCTL_STOCK_LOC || *p != '\0') {
        invsyncctl_usage_error("stock", "--location: a name of 1 to %d "
                               "letters, digits and -_.:, not \"%s\"",
                               INVSYNCCTL_STOCK_LOC, loc);
        return -1;
    }

    locs = json_object_get(ctl->conf->root, "locations");
    known[0] = '\0';
    k = 0;
    listed = 0;

    json_array_foreach(locs, i, l) {
        id = json_object_get(l, "id");

        if (json_is_string(id)) {
            listed = 1;

            if (invsyncctl_stock_loc_is(json_string_value(id), loc, known,
                                        &k))
            {
                return 0;
            }
        }
    }

    if (listed) {
        invsyncctl_usage_error("stock", "--location: no location \"%s\" in "
                               "%s (its locations: %s)", loc, ctl->config,
                               known);
        return -1;
    }

    if (invsyncctl_stock_loc_is(ctl->conf->default_location, loc, known, &k))
    {
        return 0;
    }

    for (i = 0; i < ctl->conf->nchannels; i++) {
        ru = &ctl->conf->channels[i].rules;

        for (n = 0; n < ru->nlocations; n++) {
            if (invsyncctl_stock_loc_is(ru->location[n], loc, known, &k)) {
                return 0;
            }
        }
    }

    invsyncctl_usage_error("stock", "--location: no location \"%s\": %s "
                           "has no \"locations\", so the ledger's are %s "
                           "(list them in \"locations\" to have others)",
                           loc, ctl->config, known);
    return -1;
}


/* 1 when name is loc; else name is added to the list known, once */

static int
invsyncctl_stock_loc_is(const char *name, const char *loc, char *known,
    size_t *k)
{
    char         quoted[INVSYNCCTL_STOCK_KNOWN];
    const char  *p;
    size_t       n;

    if (strcmp(name, loc) == 0) {
        return 1;
    }

    n = (size_t) snprintf(quoted, sizeof(quoted), "\"%s\"", name);

    /* once: two channels may sell from the same location */
    for (p = strstr(known, quoted); p != NULL && n < sizeof(quoted);
         p = strstr(p + 1, quoted))
    {
        if (p[n] == '\0' || p[n] == ',') {
            return 0;
        }
    }

    if (n < sizeof(quoted) && *k + n + 6 < INVSYNCCTL_STOCK_KNOWN) {
        *k += (size_t) snprintf(known + *k, INVSYNCCTL_STOCK_KNOWN - *k,
                                "%s%s", *k ? ", " : "", quoted);

    } else if (strstr(known, "...") == NULL) {
        *k += (size_t) snprintf(known + *k, INVSYNCCTL_STOCK_KNOWN - *k,
                                ", ...");
    }

    return 0;
}


/* a random UUID (version 4), or time, pid and random() if none is had */

static void
invsyncctl_stock_cause(char *buf, size_t cap)
{
    int            fd;
    ssize_t        n;
    unsigned char  b[16];

    n = -1;
    fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
        n = read(fd, b, sizeof(b));
        close(fd);
    }

    if (n != (ssize_t) sizeof(b)) {
        srandom((unsigned) (invsync_now_ms() ^ getpid()));
        snprintf(buf, cap, "%lld-%ld-%ld", (long long) invsync_now_ms(),
                 (long) getpid(), random());
        return;
    }

    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;

    snprintf(buf, cap, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
             b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}
