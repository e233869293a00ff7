
/*
 * invsyncctl audit: the audit entries of an order, a SKU, an event or a
 * time range, oldest first; and the audit entry each operator action
 * leaves, indexed as the worker indexes its own.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl.h"


#define INVSYNCCTL_PAGE  100


static int invsyncctl_audit_index(invsyncctl_t *ctl, const char *key,
    const char *min, const char *max, long limit, json_t *list);
static int invsyncctl_audit_range(invsyncctl_t *ctl, const char *min,
    const char *max, long limit, json_t *list);
static int invsyncctl_audit_append(json_t *list, const redisReply *entry);
static void invsyncctl_audit_print(json_t *list, const char *what,
    int truncated, long limit);
static const char *invsyncctl_jstr(json_t *obj, const char *key);


const char  invsyncctl_audit_usage[] =
    "usage: invsyncctl audit --order CHANNEL:ORDER_ID [--since T] "
    "[--until T]\n"
    "       invsyncctl audit --sku SKU [--since T] [--until T]\n"
    "       invsyncctl audit --event CHANNEL:EVENT [--since T] [--until T]\n"
    "       invsyncctl audit --since T [--until T]\n"
    "\n"
    "Audit entries, oldest first: what the worker did (applied, unchanged,\n"
    "stale, exception) and what operators did (result \"done\").\n"
    "\n"
    "  --order CHANNEL:ORDER_ID  entries of one order, e.g. shop-eu:1001\n"
    "  --sku SKU                 entries of events naming the SKU\n"
    "  --event CHANNEL:EVENT     entries of one event (its idempotency id)\n"
    "  --since T, --until T      a time range, alone or narrowing the "
    "above;\n"
    "                            T is Unix ms, ISO-8601 "
    "(2026-11-26T10:00:00Z)\n"
    "                            or an age: 90s, 15m, 2h, 1d, 1w ago\n"
    "  --limit N                 at most N entries (default 100)\n"
    "  --json                    {\"query\", \"count\", \"truncated\", "
    "\"entries\"}\n"
    "\n"
    "Exit: 0 (also when nothing matched), 1 usage, 3 Redis.\n";


int
invsyncctl_audit(invsyncctl_t *ctl, int argc, char **argv)
{
    int                  rc, npos, n;
    long                 limit;
    char                 key[INVSYNCCTL_KEY_LEN], what[INVSYNCCTL_KEY_LEN];
    char                 min[32], max[32];
    json_t              *list, *query;
    int64_t              since, until;
    const char          *order, *sku, *event, *since_s, *until_s, *limit_s;
    const char          *pos[1];
    invsyncctl_opt_t     opts[] = {
        { "--order", &order, NULL },
        { "--sku", &sku, NULL },
        { "--event", &event, NULL },
        { "--since", &since_s, NULL },
        { "--until", &until_s, NULL },
        { "--limit", &limit_s, NULL },
        { NULL, NULL, NULL }
    };

    order = NULL;
    sku = NULL;
    event = NULL;
    since_s = NULL;
    until_s = NULL;
    limit_s = NULL;
    limit = 100;

    rc = invsyncctl_args(ctl, "audit", invsyncctl_audit_usage, argc, argv,
                         opts, pos, 0, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    n = (order != NULL) + (sku != NULL) + (event != NULL);

    if (n > 1) {
        return invsyncctl_usage_error("audit", "give one of --order, --sku "
                                      "and --event");
    }

    if (n == 0 && since_s == NULL && until_s == NULL) {
        return invsyncctl_usage_error("audit", "give --order, --sku, --event "
                                      "or --since");
    }

    if ((order != NULL && (strchr(order, ':') == NULL || order[0] == ':'))
        || (event != NULL && (strchr(event, ':') == NULL || event[0] == ':')))
    {
        return invsyncctl_usage_error("audit", "%s must be CHANNEL:ID, not "
                                      "\"%s\"", order ? "--order" : "--event",
                                      order ? order : event);
    }

    if (sku != NULL && sku[0] == '\0') {
        return invsyncctl_usage_error("audit", "--sku needs a SKU");
    }

    if (limit_s != NULL
        && invsyncctl_parse_long("audit", "--limit", limit_s, 1, 1000000,
                                 &limit)
           != INVSYNCCTL_OK)
    {
        return INVSYNCCTL_USAGE;
    }

    since = -1;
    until = -1;

    if (since_s != NULL
        && invsyncctl_parse_time(since_s, ctl->now, &since) != 0)
    {
        return invsyncctl_usage_error("audit", "--since: \"%s\" is not Unix "
                                      "ms, ISO-8601 or an age like 15m",
                                      since_s);
    }

    if (until_s != NULL
        && invsyncctl_parse_time(until_s, ctl->now, &until) != 0)
    {
        return invsyncctl_usage_error("audit", "--until: \"%s\" is not Unix "
                                      "ms, ISO-8601 or an age like 15m",
                                      until_s);
    }

    if (since >= 0 && until >= 0 && until < since) {
        return invsyncctl_usage_error("audit", "--until is before --since");
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    list = json_array();
    query = json_object();

    if (list == NULL || query == NULL) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    if (n == 1) {
        if (order != NULL) {
            invsync_key_audit_order(key, sizeof(key), ctl->conf, order);
            snprintf(what, sizeof(what), "order %s", order);
            json_object_set_new(query, "order", json_string(order));

        } else if (sku != NULL) {
            invsync_key_audit_sku(key, sizeof(key), ctl->conf, sku);
            snprintf(what, sizeof(what), "SKU %s", sku);
            json_object_set_new(query, "sku", json_string(sku));

        } else {
            /* CHANNEL:EVENT, split at the first ':' (ids have none) */
            snprintf(what, sizeof(what), "%.*s", (int) strcspn(event, ":"),
                     event);
            invsync_key_audit_event(key, sizeof(key), ctl->conf, what,
                                    event + strcspn(event, ":") + 1);
            snprintf(what, sizeof(what), "event %s", event);
            json_object_set_new(query, "event", json_string(event));
        }

        /* the index scores are the times of the entries */
        snprintf(min, sizeof(min), since >= 0 ? "%lld" : "-inf",
                 (long long) since);
        snprintf(max, sizeof(max), until >= 0 ? "%lld" : "+inf",
                 (long long) until);

        rc = invsyncctl_audit_index(ctl, key, min, max, limit, list);

    } else {
        snprintf(what, sizeof(what), "that time");
        snprintf(min, sizeof(min), since >= 0 ? "%lld" : "-",
                 (long long) since);
        snprintf(max, sizeof(max), until >= 0 ? "%lld" : "+",
                 (long long) until);

        rc = invsyncctl_audit_range(ctl, min, max, limit, list);
    }

    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    if (since >= 0) {
        json_object_set_new(query, "since", json_integer(since));
    }

    if (until >= 0) {
        json_object_set_new(query, "until", json_integer(until));
    }

    json_object_set_new(query, "limit", json_integer(limit));

    /* one more than the limit was read to tell whether there were more */
    n = json_array_size(list) > (size_t) limit;

    if (n) {
        json_array_remove(list, (size_t) limit);
    }

    if (ctl->json) {
        rc = invsyncctl_print_json(json_pack("{s:O, s:i, s:b, s:O}",
                                             "query", query,
                                             "count",
                                             (int) json_array_size(list),
                                             "truncated", n,
                                             "entries", list));

    } else {
        invsyncctl_audit_print(list, what, n, limit);
    }

failed:

    json_decref(query);
    json_decref(list);

    return rc;
}


/*
 * Entries through an index (a sorted set of audit ids scored by time),
 * limit + 1 at most.  An id whose entry the audit stream's bound trimmed
 * away is skipped.
 */

static int
invsyncctl_audit_index(invsyncctl_t *ctl, const char *key, const char *min,
    const char *max, long limit, json_t *list)
{
    char         audit[INVSYNCCTL_KEY_LEN];
    long         offset;
    size_t       i;
    redisReply  *ids, *r;

    invsync_key_audit(audit, sizeof(audit), ctl->conf);

    for (offset = 0; /* void */ ; offset += INVSYNCCTL_PAGE) {
        ids = invsyncctl_redis(ctl, "ZRANGEBYSCORE %s %s %s LIMIT %ld %d",
                               key, min, max, offset, INVSYNCCTL_PAGE);
        if (ids == NULL) {
            return INVSYNCCTL_REDIS;
        }

        for (i = 0; ids->type == REDIS_REPLY_ARRAY && i < ids->elements; i++)
        {
            if (json_array_size(list) > (size_t) limit) {
                break;
            }

            r = invsyncctl_redis(ctl, "XRANGE %s %s %s", audit,
                                 ids->element[i]->str, ids->element[i]->str);
            if (r == NULL) {
                freeReplyObject(ids);
                return INVSYNCCTL_REDIS;
            }

            if (r->type == REDIS_REPLY_ARRAY && r->elements == 1
                && invsyncctl_audit_append(list, r->element[0]) != 0)
            {
                freeReplyObject(r);
                freeReplyObject(ids);
                return INVSYNCCTL_USAGE;
            }

            freeReplyObject(r);
        }

        i = ids->type == REDIS_REPLY_ARRAY ? ids->elements : 0;
        freeReplyObject(ids);

        if (i < INVSYNCCTL_PAGE || json_array_size(list) > (size_t) limit) {
            return INVSYNCCTL_OK;
        }
    }
}


static int
invsyncctl_audit_range(invsyncctl_t *ctl, const char *min, const char *max,
    long limit, json_t *list)
{
    char         audit[INVSYNCCTL_KEY_LEN];
    size_t       i;
    redisReply  *r;

    invsync_key_audit(audit, sizeof(audit), ctl->conf);

    r = invsyncctl_redis(ctl, "XRANGE %s %s %s COUNT %ld", audit, min, max,
                         limit + 1);
    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        if (invsyncctl_audit_append(list, r->element[i]) != 0) {
            freeReplyObject(r);
            return INVSYNCCTL_USAGE;
        }
    }

    freeReplyObject(r);

    return INVSYNCCTL_OK;
}


static int
invsyncctl_audit_append(json_t *list, const redisReply *entry)
{
    json_t  *e;

    if (!invsyncctl_entry_ok(entry)) {
        return 0;
    }

    e = invsyncctl_fields_json(entry->element[1], 0);

    if (e == NULL
        || json_object_set_new(e, "id", json_string(entry->element[0]->str))
           != 0
        || json_array_append_new(list, e) != 0)
    {
        fprintf(stderr, "invsyncctl: out of memory\n");
        return -1;
    }

    return 0;
}


static void
invsyncctl_audit_print(json_t *list, const char *what, int truncated,
    long limit)
{
    char                 when[INVSYNCCTL_TIME_LEN], detail[512];
    size_t               i;
    json_t              *e, *ts;
    int64_t              ms;
    const char          *id;
    invsyncctl_table_t  *t;

    if (json_array_size(list) == 0) {
        printf("no audit entries for %s\n", what);
        return;
    }

    t = invsyncctl_table_new(8, 0, "time", "id", "result", "action",
                             "channel", "event", "order", "detail");

    json_array_foreach(list, i, e) {
        id = invsyncctl_jstr(e, "id");
        ts = json_object_get(e, "ts");
        ms = json_is_integer(ts) ? (int64_t) json_integer_value(ts)
                                 : invsyncctl_id_ms(id);

        if (invsyncctl_jstr(e, "by")[0] != '\0') {
            snprintf(detail, sizeof(detail), "by %s: %s",
                     invsyncctl_jstr(e, "by"), invsyncctl_jstr(e, "why"));

        } else if (invsyncctl_jstr(e, "exception")[0] != '\0') {
            snprintf(detail, sizeof(detail), "%s",
                     invsyncctl_jstr(e, "summary"));

        } else if (invsyncctl_jstr(e, "should_show")[0] != '\0') {
            /* stock.drift: what a reconciliation pass read */
            snprintf(detail, sizeof(detail), "sku %s shows %s, should show "
                     "%s", invsyncctl_jstr(e, "sku"),
                     invsyncctl_jstr(e, "shows")[0] != '\0'
                     ? invsyncctl_jstr(e, "shows") : "no quantity",
                     invsyncctl_jstr(e, "should_show"));

        } else {
            snprintf(detail, sizeof(detail), "%s %s%s%s",
                     invsyncctl_jstr(e, "stream"), invsyncctl_jstr(e, "entry"),
                     invsyncctl_jstr(e, "skus")[0] ? " skus " : "",
                     invsyncctl_jstr(e, "skus"));
        }

        invsyncctl_table_add(t, invsyncctl_time_fmt(ms, when, sizeof(when)),
                             id, invsyncctl_jstr(e, "result"),
                             invsyncctl_jstr(e, "action"),
                             invsyncctl_jstr(e, "channel"),
                             invsyncctl_jstr(e, "event"),
                             invsyncctl_jstr(e, "order"), detail);
    }

    invsyncctl_table_print(t, stdout);
    invsyncctl_table_free(t);

    if (truncated) {
        printf("(the first %ld shown: narrow with --since/--until or raise "
               "--limit)\n", limit);
    }
}


/* a member's text, "" if it is absent or not a string */

static const char *
invsyncctl_jstr(json_t *obj, const char *key)
{
    json_t  *v;

    v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : "";
}


/*
 * The audit entry of an operator action: result "done", ts, action, by,
 * why, the cause (channel, event; order as "<channel>:<order id>") when
 * known, then the field, value pairs that follow order (NULL-ended).  It
 * is listed in the event's and the order's index, so that "audit --event"
 * shows what people did too.  The new entry's id goes to id (if not NULL,
 * INVSYNCCTL_ID_LEN bytes).  Returns an exit code.
 */

int
invsyncctl_audit_operator(invsyncctl_t *ctl, const char *action,
    const char *by, const char *why, const char *channel, const char *event,
    const char *order, char *id, ...)
{
    int                 rc;
    char                audit[INVSYNCCTL_KEY_LEN], index[INVSYNCCTL_KEY_LEN];
    va_list             args;
    const char         *k, *v;
    redisReply         *r;
    invsyncctl_argv_t   a;

    invsync_key_audit(audit, sizeof(audit), ctl->conf);

    invsyncctl_argv_init(&a);

    invsyncctl_argv_add(&a, "XADD", 4);
    invsyncctl_argv_add(&a, audit, strlen(audit));
    invsyncctl_argv_add(&a, "MAXLEN", 6);
    invsyncctl_argv_add(&a, "~", 1);
    invsyncctl_argv_addf(&a, "%ld", ctl->conf->audit_max_len);
    invsyncctl_argv_add(&a, "*", 1);

    invsyncctl_argv_add(&a, "result", 6);
    invsyncctl_argv_add(&a, "done", 4);
    invsyncctl_argv_add(&a, "ts", 2);
    invsyncctl_argv_addf(&a, "%lld", (long long) ctl->now);
    invsyncctl_argv_add(&a, "action", 6);
    invsyncctl_argv_add(&a, action, strlen(action));
    invsyncctl_argv_add(&a, "by", 2);
    invsyncctl_argv_add(&a, by, strlen(by));
    invsyncctl_argv_add(&a, "why", 3);
    invsyncctl_argv_add(&a, why ? why : "", why ? strlen(why) : 0);

    channel = channel ? channel : "";
    event = event ? event : "";
    order = order ? order : "";

    invsyncctl_argv_add(&a, "channel", 7);
    invsyncctl_argv_add(&a, channel, strlen(channel));
    invsyncctl_argv_add(&a, "event", 5);
    invsyncctl_argv_add(&a, event, strlen(event));
    invsyncctl_argv_add(&a, "order", 5);
    invsyncctl_argv_add(&a, order, strlen(order));

    va_start(args, id);

    for ( ;; ) {
        k = va_arg(args, const char *);
        if (k == NULL) {
            break;
        }

        v = va_arg(args, const char *);
        v = v ? v : "";

        invsyncctl_argv_add(&a, k, strlen(k));
        invsyncctl_argv_add(&a, v, strlen(v));
    }

    va_end(args);

    r = invsyncctl_argv_run(ctl, &a);
    invsyncctl_argv_free(&a);

    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    rc = INVSYNCCTL_OK;

    if (r->type != REDIS_REPLY_STRING) {
        fprintf(stderr, "invsyncctl: Redis answered XADD oddly\n");
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    if (id != NULL) {
        snprintf(id, INVSYNCCTL_ID_LEN, "%s", r->str);
    }

    if (channel[0] != '\0' && event[0] != '\0') {
        invsync_key_audit_event(index, sizeof(index), ctl->conf,
                                channel, event);

        freeReplyObject(invsyncctl_redis(ctl, "ZADD %s %lld %s", index,
                                         (long long) ctl->now, r->str));
    }

    if (order[0] != '\0') {
        invsync_key_audit_order(index, sizeof(index), ctl->conf, order);

        freeReplyObject(invsyncctl_redis(ctl, "ZADD %s %lld %s", index,
                                         (long long) ctl->now, r->str));
    }

    if (ctl->w.redis == NULL) {
        rc = INVSYNCCTL_REDIS;
    }

failed:

    freeReplyObject(r);

    return rc;
}
