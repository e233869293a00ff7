
/*
 * invsyncctl refund: refunds invsync makes on a channel (docs/refunds.md).
 * create opens one through invsync_refund_out_open(), the function the
 * returns step calls (cause "ctl:<ID>": the same ID twice is one refund);
 * the worker's refund driver makes it on the channel.  list and show read
 * the requests, retry puts a refused one back to the driver.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl.h"
#include "invsync_refund_out.h"


const char  invsyncctl_refund_usage[] =
    "usage: invsyncctl refund create ORDER --channel C --line SKU:QTY[@LINE]\n"
    "                         [--line ...] [--shipping MINOR]\n"
    "                         [--currency CUR] --reason R [--note N]\n"
    "                         --id ID [--json]\n"
    "       invsyncctl refund list [--limit N] [--json]\n"
    "       invsyncctl refund show CAUSE [--json]\n"
    "       invsyncctl refund retry CAUSE [--by NAME] [--json]\n"
    "\n"
    "create: refunds QTY units of SKU (and MINOR of shipping, in the\n"
    "order's currency's minor units) of channel C's order ORDER, on the\n"
    "channel (docs/refunds.md).  LINE is the channel's line id, when the\n"
    "order is not recorded or has the SKU on several lines.  The request's\n"
    "cause is \"ctl:ID\": the same ID again is the same refund.  The\n"
    "worker makes it; list and show say what became of it.\n"
    "retry: a refused request (the refund_refused exception) is made\n"
    "again, looking at the channel first.\n"
    "\n"
    "Exit: 0 (also: opened before), 1 usage or refused, 2 no such\n"
    "request, 3 Redis.\n";


#define INVSYNCCTL_REFUND_LINES  INVSYNC_REFUND_OUT_LINES


static int invsyncctl_refund_create(invsyncctl_t *ctl, int argc,
    char **argv);
static int invsyncctl_refund_line(const char *arg,
    invsync_refund_out_line_t *l, char *buf, size_t cap);
static int invsyncctl_refund_list(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_refund_show(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_refund_retry(invsyncctl_t *ctl, int argc, char **argv);


int
invsyncctl_refund(invsyncctl_t *ctl, int argc, char **argv)
{
    const char  *sub;

    sub = argc > 1 ? argv[1] : "";

    if (strcmp(sub, "create") == 0) {
        return invsyncctl_refund_create(ctl, argc - 1, argv + 1);
    }

    if (strcmp(sub, "list") == 0) {
        return invsyncctl_refund_list(ctl, argc - 1, argv + 1);
    }

    if (strcmp(sub, "show") == 0) {
        return invsyncctl_refund_show(ctl, argc - 1, argv + 1);
    }

    if (strcmp(sub, "retry") == 0) {
        return invsyncctl_refund_retry(ctl, argc - 1, argv + 1);
    }

    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        fputs(invsyncctl_refund_usage, stdout);
        return INVSYNCCTL_OK;
    }

    return invsyncctl_usage_error("refund", "give create, list, show or "
                                  "retry");
}


/* --line repeats: taken out of argv before the common parser sees it */

static int
invsyncctl_refund_create(invsyncctl_t *ctl, int argc, char **argv)
{
    int                        rc, npos, i, n, nl;
    char                       cause[INVSYNC_REFUND_CAUSE_LEN + 8];
    char                       err[INVSYNC_ERR_LEN];
    char                       bufs[INVSYNCCTL_REFUND_LINES][300];
    char                      *rest[64];
    long                       ship;
    const char                *pos[1], *channel, *shipping, *reason, *id;
    const char                *note, *currency;
    invsync_refund_out_t       req;
    invsync_refund_out_line_t  lines[INVSYNCCTL_REFUND_LINES];
    const invsyncctl_opt_t     opts[] = {
        { "--channel", &channel, NULL }, { "--shipping", &shipping, NULL },
        { "--reason", &reason, NULL }, { "--id", &id, NULL },
        { "--note", &note, NULL }, { "--currency", &currency, NULL },
        { NULL, NULL, NULL }
    };

    channel = shipping = reason = id = note = currency = NULL;
    nl = 0;
    n = 0;

    for (i = 0; i < argc && n < 63; i++) {
        if (strcmp(argv[i], "--line") != 0) {
            rest[n++] = argv[i];
            continue;
        }

        if (i + 1 == argc || nl == INVSYNCCTL_REFUND_LINES) {
            return invsyncctl_usage_error("refund", i + 1 == argc
                                          ? "--line needs SKU:QTY"
                                          : "too many --line");
        }

        if (invsyncctl_refund_line(argv[++i], &lines[nl], bufs[nl],
                                   sizeof(bufs[nl])) != 0)
        {
            return invsyncctl_usage_error("refund", "--line \"%s\": give "
                                          "SKU:QTY or SKU:QTY@LINE, QTY a "
                                          "positive number", argv[i]);
        }

        nl++;
    }

    rest[n] = NULL;

    rc = invsyncctl_args(ctl, "refund", invsyncctl_refund_usage, n, rest,
                         opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc == INVSYNCCTL_HELP ? INVSYNCCTL_OK : rc;
    }

    if (npos != 1 || channel == NULL || reason == NULL || id == NULL) {
        return invsyncctl_usage_error("refund", "create needs ORDER, "
                                      "--channel, --reason and --id");
    }

    if (strlen(id) == 0 || strlen(id) > 64
        || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                      "0123456789._:-") != strlen(id))
    {
        return invsyncctl_usage_error("refund", "--id: 1 to 64 of "
                                      "[A-Za-z0-9._:-]");
    }

    ship = 0;

    if (shipping != NULL
        && invsyncctl_parse_long("refund", "--shipping", shipping, 0,
                                 1000000000L, &ship) != 0)
    {
        return INVSYNCCTL_USAGE;
    }

    snprintf(cause, sizeof(cause), "ctl:%s", id);
    memset(&req, 0, sizeof(req));
    req.channel = channel;
    req.order_id = pos[0];
    req.cause = cause;
    req.lines = lines;
    req.nlines = nl;
    req.shipping_minor = ship;
    req.currency = currency;
    req.reason = reason;
    req.note = note;

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    rc = invsync_refund_out_open(&ctl->w, &req, err, sizeof(err));

    if (rc < 0) {
        fprintf(stderr, "invsyncctl: refund: %s\n", err);
        return strncmp(err, "redis", 5) == 0 ? INVSYNCCTL_REDIS
                                             : INVSYNCCTL_USAGE;
    }

    if (ctl->json) {
        invsyncctl_print_json(json_pack("{s:s, s:s}", "cause", cause,
                                        "result", rc == 0 ? "opened"
                                                          : "opened before"));
    } else {
        printf("refund %s: %s\n", cause, rc == 0 ? "opened" : "opened "
               "before (nothing changed)");
    }

    return INVSYNCCTL_OK;
}


/* "SKU:QTY" or "SKU:QTY@LINE", the SKU up to the last ':' */

static int
invsyncctl_refund_line(const char *arg, invsync_refund_out_line_t *l,
    char *buf, size_t cap)
{
    char  *colon, *at, *end;
    long   q;

    if (snprintf(buf, cap, "%s", arg) >= (int) cap) {
        return -1;
    }

    colon = strrchr(buf, ':');
    if (colon == NULL || colon == buf) {
        return -1;
    }

    *colon = '\0';
    at = strchr(colon + 1, '@');

    if (at != NULL) {
        *at = '\0';
    }

    q = strtol(colon + 1, &end, 10);

    if (*end != '\0' || end == colon + 1 || q <= 0 || q > 100000
        || (at != NULL && at[1] == '\0'))
    {
        return -1;
    }

    l->sku = buf;
    l->quantity = q;
    l->line_ref = at != NULL ? at + 1 : NULL;

    return 0;
}


static int
invsyncctl_refund_list(invsyncctl_t *ctl, int argc, char **argv)
{
    int                  rc, npos;
    char                 key[INVSYNCCTL_KEY_LEN], stop[32], when[32];
    size_t               i;
    long                 limit;
    json_t              *out;
    redisReply          *r, *h;
    const char          *pos[1], *lim;
    invsyncctl_table_t  *t;
    const invsyncctl_opt_t  opts[] = {
        { "--limit", &lim, NULL }, { NULL, NULL, NULL }
    };

    lim = NULL;
    limit = 50;

    rc = invsyncctl_args(ctl, "refund", invsyncctl_refund_usage, argc, argv,
                         opts, pos, 0, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc == INVSYNCCTL_HELP ? INVSYNCCTL_OK : rc;
    }

    if (lim != NULL && invsyncctl_parse_long("refund", "--limit", lim, 1,
                                             10000, &limit) != 0)
    {
        return INVSYNCCTL_USAGE;
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    invsync_key_refundouts(key, sizeof(key), ctl->conf);
    snprintf(stop, sizeof(stop), "%ld", limit - 1);
    r = invsync_redis_cmdv(&ctl->w, (const char *[]) { "ZREVRANGE", key, "0",
                           stop, NULL });
    if (r == NULL) {
        fprintf(stderr, "invsyncctl: refund: redis connection lost\n");
        return INVSYNCCTL_REDIS;
    }

    out = json_array();
    t = invsyncctl_table_new(6, 0, "CAUSE", "CHANNEL", "ORDER", "STATE",
                             "REFUND", "OPENED");

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        invsync_key_refundout(key, sizeof(key), ctl->conf,
                              r->element[i]->str);
        h = invsync_redis_cmdv(&ctl->w, (const char *[]) { "HGETALL", key,
                               NULL });
        if (h == NULL) {
            break;
        }

        json_array_append_new(out, invsyncctl_fields_json(h, 1));
        invsyncctl_time_fmt(strtoll(invsyncctl_fstr(h, "opened_at"), NULL,
                                    10), when, sizeof(when));
        invsyncctl_table_add(t, invsyncctl_fstr(h, "cause"),
                             invsyncctl_fstr(h, "channel"),
                             invsyncctl_fstr(h, "order_id"),
                             invsyncctl_fstr(h, "state"),
                             invsyncctl_fstr(h, "refund_ref"), when);
        freeReplyObject(h);
    }

    freeReplyObject(r);

    if (ctl->json) {
        invsyncctl_print_json(out);
    } else {
        json_decref(out);
        invsyncctl_table_print(t, stdout);
    }

    invsyncctl_table_free(t);

    return INVSYNCCTL_OK;
}


static int
invsyncctl_refund_show(invsyncctl_t *ctl, int argc, char **argv)
{
    int          rc, npos;
    char         key[INVSYNCCTL_KEY_LEN];
    size_t       i;
    redisReply  *r;
    const char  *pos[1];

    rc = invsyncctl_args(ctl, "refund", invsyncctl_refund_usage, argc, argv,
                         NULL, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc == INVSYNCCTL_HELP ? INVSYNCCTL_OK : rc;
    }

    if (npos != 1) {
        return invsyncctl_usage_error("refund", "show needs a CAUSE "
                                      "(\"ctl:<id>\", \"rma:<id>\")");
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    invsync_key_refundout(key, sizeof(key), ctl->conf, pos[0]);
    r = invsync_redis_cmdv(&ctl->w, (const char *[]) { "HGETALL", key,
                           NULL });
    if (r == NULL) {
        fprintf(stderr, "invsyncctl: refund: redis connection lost\n");
        return INVSYNCCTL_REDIS;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
        freeReplyObject(r);
        fprintf(stderr, "invsyncctl: refund: no request \"%s\"\n", pos[0]);
        return INVSYNCCTL_NOTFOUND;
    }

    if (ctl->json) {
        invsyncctl_print_json(invsyncctl_fields_json(r, 1));
    } else {
        for (i = 0; i + 1 < r->elements; i += 2) {
            printf("%-16s %s\n", r->element[i]->str,
                   r->element[i + 1]->str);
        }
    }

    freeReplyObject(r);

    return INVSYNCCTL_OK;
}


static int
invsyncctl_refund_retry(invsyncctl_t *ctl, int argc, char **argv)
{
    int          rc, npos;
    char         key[INVSYNCCTL_KEY_LEN], due[INVSYNCCTL_KEY_LEN];
    char         now[32], audit[INVSYNCCTL_ID_LEN], chan[128];
    char         order[INVSYNCCTL_KEY_LEN];
    redisReply  *r;
    const char  *pos[1], *by;
    const invsyncctl_opt_t  opts[] = {
        { "--by", &by, NULL }, { NULL, NULL, NULL }
    };

    by = NULL;

    rc = invsyncctl_args(ctl, "refund", invsyncctl_refund_usage, argc, argv,
                         opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc == INVSYNCCTL_HELP ? INVSYNCCTL_OK : rc;
    }

    if (npos != 1) {
        return invsyncctl_usage_error("refund", "retry needs a CAUSE");
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    invsync_key_refundout(key, sizeof(key), ctl->conf, pos[0]);
    r = invsync_redis_cmdv(&ctl->w, (const char *[]) { "HMGET", key, "state",
                           "channel", "order_id", NULL });
    if (r == NULL) {
        fprintf(stderr, "invsyncctl: refund: redis connection lost\n");
        return INVSYNCCTL_REDIS;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3
        || r->element[0]->type != REDIS_REPLY_STRING)
    {
        freeReplyObject(r);
        fprintf(stderr, "invsyncctl: refund: no request \"%s\"\n", pos[0]);
        return INVSYNCCTL_NOTFOUND;
    }

    if (strcmp(r->element[0]->str, "refused") != 0) {
        fprintf(stderr, "invsyncctl: refund: %s is %s, not refused: "
                "nothing to retry\n", pos[0], r->element[0]->str);
        freeReplyObject(r);
        return INVSYNCCTL_USAGE;
    }

    snprintf(chan, sizeof(chan), "%s", r->element[1]->str ?: "");
    snprintf(order, sizeof(order), "%s:%s", chan, r->element[2]->str ?: "");
    freeReplyObject(r);

    /* the driver looks at the channel first: a refund made meanwhile is
     * found, not made again */
    invsync_key_refundout_due(due, sizeof(due), ctl->conf);
    snprintf(now, sizeof(now), "%lld", (long long) ctl->now);
    r = invsync_redis_cmdv(&ctl->w, (const char *[]) { "HSET", key, "state",
                           "open", "attempts", "0", NULL });
    freeReplyObject(r);
    r = invsync_redis_cmdv(&ctl->w, (const char *[]) { "ZADD", due, now,
                           pos[0], NULL });
    freeReplyObject(r);

    if (r == NULL
        || invsyncctl_audit_operator(ctl, "operator.refund.retry",
                                     invsyncctl_by(by), "", chan, pos[0],
                                     order, audit, NULL)
           != 0)
    {
        fprintf(stderr, "invsyncctl: refund: redis connection lost\n");
        return INVSYNCCTL_REDIS;
    }

    if (ctl->json) {
        invsyncctl_print_json(json_pack("{s:s, s:s}", "cause", pos[0],
                                        "result", "open"));
    } else {
        printf("refund %s: open again\n", pos[0]);
    }

    return INVSYNCCTL_OK;
}
