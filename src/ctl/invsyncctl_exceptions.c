
/*
 * invsyncctl exceptions: what the worker left for people to decide.  List
 * them by state, show one with its data, retry one (its cause is delivered
 * again, as a copy of the stream entry) or resolve it with a reason.
 * Every retry and resolution leaves an audit entry.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl.h"


#define INVSYNCCTL_EXC_PAGE   100
#define INVSYNCCTL_EXC_TRIES  5


static int invsyncctl_exc_list(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_exc_show(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_exc_retry(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_exc_resolve(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_exc_get(invsyncctl_t *ctl, const char *id, char *key,
    redisReply **r);
static int invsyncctl_exc_cause(invsyncctl_t *ctl, const char *id,
    const redisReply *h, char *newid);
static int invsyncctl_exc_state_in(const char *state, const char *want);
static void invsyncctl_exc_order(const redisReply *h, char *buf,
    size_t cap);
static void invsyncctl_exc_print(const redisReply *h);


const char  invsyncctl_exceptions_usage[] =
    "usage: invsyncctl exceptions list [--state open|retried|resolved|all] "
    "[--limit N]\n"
    "       invsyncctl exceptions show ID\n"
    "       invsyncctl exceptions retry ID [--by WHO] [--why TEXT]\n"
    "       invsyncctl exceptions resolve ID --why TEXT [--by WHO]\n"
    "\n"
    "Exceptions: events the worker would not decide alone (a refund for an\n"
    "unknown order...).  Each is open, retried or resolved.\n"
    "\n"
    "  list         oldest first; --state (default: open and retried),\n"
    "               at most --limit N (default 100)\n"
    "  show ID      one exception with its data\n"
    "  retry ID     deliver the cause again: a copy of its stream entry with\n"
    "               retry_of = ID; the state becomes retried.  If the entry\n"
    "               was trimmed from its stream, nothing is done (exit 2)\n"
    "  resolve ID   mark it resolved; --why is required\n"
    "  --by WHO     who acts, for the audit (default $USER)\n"
    "  --why TEXT   why, for the audit\n"
    "  --json       list: {\"state\", \"count\", \"exceptions\"}; show: the "
    "exception;\n"
    "               retry and resolve: what changed\n"
    "\n"
    "Retries and resolutions are audited (operator.exception.retry,\n"
    "operator.exception.resolve).\n"
    "Exit: 0, 1 usage (or retrying a resolved one), 2 no such exception or\n"
    "its cause is gone, 3 Redis.\n";


static const struct {
    const char         *name;
    invsyncctl_run_pt   run;
} invsyncctl_exc_cmds[] = {
    { "list", invsyncctl_exc_list },
    { "show", invsyncctl_exc_show },
    { "retry", invsyncctl_exc_retry },
    { "resolve", invsyncctl_exc_resolve },
    { NULL, NULL }
};


int
invsyncctl_exceptions(invsyncctl_t *ctl, int argc, char **argv)
{
    size_t  i;

    if (argc < 2) {
        return invsyncctl_usage_error("exceptions", "give list, show, retry "
                                      "or resolve");
    }

    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(invsyncctl_exceptions_usage, stdout);
        return INVSYNCCTL_HELP;
    }

    for (i = 0; invsyncctl_exc_cmds[i].name != NULL; i++) {
        if (strcmp(argv[1], invsyncctl_exc_cmds[i].name) == 0) {
            return invsyncctl_exc_cmds[i].run(ctl, argc - 1, argv + 1);
        }
    }

    return invsyncctl_usage_error("exceptions", "unknown subcommand \"%s\"",
                                  argv[1]);
}


static int
invsyncctl_exc_list(invsyncctl_t *ctl, int argc, char **argv)
{
    int                  rc, npos;
    long                 limit, offset;
    char                 set[INVSYNCCTL_KEY_LEN], key[INVSYNCCTL_KEY_LEN];
    char                 when[INVSYNCCTL_TIME_LEN];
    size_t               i, n;
    json_t              *list, *e;
    const char          *state, *limit_s, *want, *pos[1];
    redisReply          *ids, *h;
    invsyncctl_table_t  *t;
    invsyncctl_opt_t     opts[] = {
        { "--state", &state, NULL },
        { "--limit", &limit_s, NULL },
        { NULL, NULL, NULL }
    };

    state = NULL;
    limit_s = NULL;
    limit = 100;

    rc = invsyncctl_args(ctl, "exceptions", invsyncctl_exceptions_usage, argc,
                         argv, opts, pos, 0, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (state == NULL) {
        want = "open,retried";

    } else if (strcmp(state, "open") == 0 || strcmp(state, "retried") == 0
               || strcmp(state, "resolved") == 0 || strcmp(state, "all") == 0)
    {
        want = state;

    } else {
        return invsyncctl_usage_error("exceptions", "--state is open, "
                                      "retried, resolved or all, not \"%s\"",
                                      state);
    }

    if (limit_s != NULL
        && invsyncctl_parse_long("exceptions", "--limit", limit_s, 1,
                                 1000000, &limit)
           != INVSYNCCTL_OK)
    {
        return INVSYNCCTL_USAGE;
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    /* unresolved ones (open, retried) stay in the open set */
    invsync_key(set, sizeof(set), ctl->conf,
                strcmp(want, "resolved") == 0 || strcmp(want, "all") == 0
                ? "exceptions:all" : "exceptions:open");

    list = json_array();
    if (list == NULL) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        return INVSYNCCTL_USAGE;
    }

    for (offset = 0; json_array_size(list) < (size_t) limit;
         offset += INVSYNCCTL_EXC_PAGE)
    {
        ids = invsyncctl_redis(ctl, "ZRANGE %s %ld %ld", set, offset,
                               offset + INVSYNCCTL_EXC_PAGE - 1);
        if (ids == NULL) {
            rc = INVSYNCCTL_REDIS;
            goto failed;
        }

        for (i = 0; ids->type == REDIS_REPLY_ARRAY && i < ids->elements
                    && json_array_size(list) < (size_t) limit; i++)
        {
            invsync_key(key, sizeof(key), ctl->conf, "exception:%s",
                        ids->element[i]->str);

            h = invsyncctl_redis(ctl, "HGETALL %s", key);
            if (h == NULL) {
                freeReplyObject(ids);
                rc = INVSYNCCTL_REDIS;
                goto failed;
            }

            if (h->type == REDIS_REPLY_ARRAY && h->elements > 0
                && invsyncctl_exc_state_in(invsyncctl_fstr(h, "state"), want))
            {
                e = invsyncctl_fields_json(h, 0);
                json_object_del(e, "data");

                if (json_object_get(e, "id") == NULL) {
                    json_object_set_new(e, "id",
                                        json_string(ids->element[i]->str));
                }

                json_array_append_new(list, e);
            }

            freeReplyObject(h);
        }

        n = ids->type == REDIS_REPLY_ARRAY ? ids->elements : 0;
        freeReplyObject(ids);

        if (n < INVSYNCCTL_EXC_PAGE) {
            break;
        }
    }

    if (ctl->json) {
        rc = invsyncctl_print_json(json_pack("{s:s, s:i, s:O}", "state", want,
                                             "count",
                                             (int) json_array_size(list),
                                             "exceptions", list));
        goto failed;
    }

    if (json_array_size(list) == 0) {
        printf("no exceptions (%s)\n", want);
        goto failed;
    }

    t = invsyncctl_table_new(8, 0, "id", "state", "created", "kind",
                             "channel", "event", "order", "summary");

    json_array_foreach(list, i, e) {
        invsyncctl_time_fmt(json_integer_value(json_object_get(e, "created")),
                            when, sizeof(when));

        invsyncctl_table_add(t,
                             json_string_value(json_object_get(e, "id")),
                             json_string_value(json_object_get(e, "state")),
                             when,
                             json_string_value(json_object_get(e, "kind")),
                             json_string_value(json_object_get(e, "channel")),
                             json_string_value(json_object_get(e, "event")),
                             json_string_value(json_object_get(e, "order")),
                             json_string_value(json_object_get(e,
                                                               "summary")));
    }

    invsyncctl_table_print(t, stdout);
    invsyncctl_table_free(t);

failed:

    json_decref(list);

    return rc;
}


/* state is one of want: "open,retried", a single state, or "all" */

static int
invsyncctl_exc_state_in(const char *state, const char *want)
{
    size_t       n;
    const char  *p;

    if (strcmp(want, "all") == 0) {
        return 1;
    }

    n = strlen(state);

    for (p = want; p != NULL; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
    {
        if (strncmp(p, state, n) == 0 && (p[n] == ',' || p[n] == '\0')
            && n > 0)
        {
            return 1;
        }
    }

    return 0;
}


static int
invsyncctl_exc_show(invsyncctl_t *ctl, int argc, char **argv)
{
    int          rc, npos;
    char         key[INVSYNCCTL_KEY_LEN];
    const char  *pos[1];
    redisReply  *h;

    rc = invsyncctl_args(ctl, "exceptions", invsyncctl_exceptions_usage, argc,
                         argv, NULL, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1) {
        return invsyncctl_usage_error("exceptions", "show needs an "
                                      "exception id");
    }

    rc = invsyncctl_exc_get(ctl, pos[0], key, &h);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (ctl->json) {
        rc = invsyncctl_print_json(invsyncctl_fields_json(h, 1));

    } else {
        invsyncctl_exc_print(h);
    }

    freeReplyObject(h);

    return rc;
}


static int
invsyncctl_exc_retry(invsyncctl_t *ctl, int argc, char **argv)
{
    int                rc, npos;
    char               key[INVSYNCCTL_KEY_LEN], order[INVSYNCCTL_KEY_LEN];
    char               newid[INVSYNCCTL_ID_LEN], audit[INVSYNCCTL_ID_LEN];
    const char        *by, *why, *pos[1];
    redisReply        *h, *r;
    invsyncctl_opt_t   opts[] = {
        { "--by", &by, NULL },
        { "--why", &why, NULL },
        { NULL, NULL, NULL }
    };

    by = NULL;
    why = NULL;

    rc = invsyncctl_args(ctl, "exceptions", invsyncctl_exceptions_usage, argc,
                         argv, opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1) {
        return invsyncctl_usage_error("exceptions", "retry needs an "
                                      "exception id");
    }

    rc = invsyncctl_exc_get(ctl, pos[0], key, &h);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (strcmp(invsyncctl_fstr(h, "state"), "resolved") == 0) {
        fprintf(stderr, "invsyncctl: exceptions: %s is resolved (by %s: %s);"
                " nothing to retry\n", pos[0],
                invsyncctl_fstr(h, "resolved_by"),
                invsyncctl_fstr(h, "resolution"));
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    rc = invsyncctl_exc_cause(ctl, pos[0], h, newid);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    /* the worker may have handled the re-delivered cause and resolved the
     * exception already: that stays */
    r = invsyncctl_redis(ctl, "EVAL %s 1 %s %lld %s",
                         "redis.call('HSET', KEYS[1], 'retried_entry', "
                         "ARGV[2]) if redis.call('HGET', KEYS[1], 'state') "
                         "~= 'resolved' then redis.call('HSET', KEYS[1], "
                         "'state', 'retried', 'updated', ARGV[1]) end",
                         key, (long long) ctl->now, newid);
    if (r == NULL) {
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    freeReplyObject(r);

    invsyncctl_exc_order(h, order, sizeof(order));

    rc = invsyncctl_audit_operator(ctl, "operator.exception.retry",
                                   invsyncctl_by(by), why,
                                   invsyncctl_fstr(h, "channel"),
                                   invsyncctl_fstr(h, "event"), order, audit,
                                   "exception", pos[0],
                                   "kind", invsyncctl_fstr(h, "kind"),
                                   "stream", invsyncctl_fstr(h, "stream"),
                                   "entry", invsyncctl_fstr(h, "entry"),
                                   "new_entry", newid, NULL);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    if (ctl->json) {
        rc = invsyncctl_print_json(json_pack("{s:s, s:s, s:s, s:s, s:s, "
                                             "s:s}",
                                             "exception", pos[0],
                                             "state", "retried",
                                             "stream",
                                             invsyncctl_fstr(h, "stream"),
                                             "entry",
                                             invsyncctl_fstr(h, "entry"),
                                             "id", newid, "audit", audit));

    } else {
        printf("retried exception %s: %s:%s %s delivered again as %s "
               "(audit %s)\n", pos[0], ctl->conf->prefix,
               invsyncctl_fstr(h, "stream"), invsyncctl_fstr(h, "entry"),
               newid, audit);
    }

failed:

    freeReplyObject(h);

    return rc;
}


/*
 * The cause again: a copy of the stream entry that raised the exception
 * (but an earlier replay_of or retry_of), with retry_of = the exception.
 */

static int
invsyncctl_exc_cause(invsyncctl_t *ctl, const char *id, const redisReply *h,
    char *newid)
{
    char                key[INVSYNCCTL_KEY_LEN];
    size_t              i;
    const char         *stream, *entry, *k;
    redisReply         *r, *x;
    const redisReply   *f;
    invsyncctl_argv_t   a;

    stream = invsyncctl_fstr(h, "stream");
    entry = invsyncctl_fstr(h, "entry");

    if (invsyncctl_stream_key(ctl, stream, key, sizeof(key), NULL) != 0
        || !invsyncctl_valid_id(entry))
    {
        fprintf(stderr, "invsyncctl: exceptions: %s names its cause as "
                "stream \"%s\", entry \"%s\": not a stream the worker reads "
                "(see %s)\n", id, stream, entry, ctl->config);
        return INVSYNCCTL_USAGE;
    }

    r = invsyncctl_redis(ctl, "XRANGE %s %s %s", key, entry, entry);
    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 1
        || !invsyncctl_entry_ok(r->element[0]))
    {
        fprintf(stderr, "invsyncctl: exceptions: the cause of %s, entry %s "
                "of %s, is gone (trimmed from the stream); nothing was "
                "retried.  Its data: invsyncctl exceptions show %s\n", id,
                entry, key, id);
        freeReplyObject(r);
        return INVSYNCCTL_NOTFOUND;
    }

    f = r->element[0]->element[1];

    invsyncctl_argv_init(&a);
    invsyncctl_argv_add(&a, "XADD", 4);
    invsyncctl_argv_add(&a, key, strlen(key));
    invsyncctl_argv_add(&a, "*", 1);

    for (i = 0; i + 1 < f->elements; i += 2) {
        k = f->element[i]->str;

        if (strcmp(k, "replay_of") == 0 || strcmp(k, "retry_of") == 0) {
            continue;
        }

        invsyncctl_argv_add(&a, k, f->element[i]->len);
        invsyncctl_argv_add(&a, f->element[i + 1]->str,
                            f->element[i + 1]->len);
    }

    invsyncctl_argv_add(&a, "retry_of", 8);
    invsyncctl_argv_add(&a, id, strlen(id));

    x = invsyncctl_argv_run(ctl, &a);
    invsyncctl_argv_free(&a);
    freeReplyObject(r);

    if (x == NULL) {
        return INVSYNCCTL_REDIS;
    }

    snprintf(newid, INVSYNCCTL_ID_LEN, "%s",
             x->type == REDIS_REPLY_STRING ? x->str : "?");
    freeReplyObject(x);

    return INVSYNCCTL_OK;
}


static int
invsyncctl_exc_resolve(invsyncctl_t *ctl, int argc, char **argv)
{
    int                rc, npos, tries;
    char               key[INVSYNCCTL_KEY_LEN], open[INVSYNCCTL_KEY_LEN];
    char               order[INVSYNCCTL_KEY_LEN], audit[INVSYNCCTL_ID_LEN];
    char               prev[32];
    const char        *by, *why, *pos[1];
    redisReply        *h, *r;
    invsyncctl_opt_t   opts[] = {
        { "--by", &by, NULL },
        { "--why", &why, NULL },
        { NULL, NULL, NULL }
    };

    by = NULL;
    why = NULL;
    h = NULL;

    rc = invsyncctl_args(ctl, "exceptions", invsyncctl_exceptions_usage, argc,
                         argv, opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1) {
        return invsyncctl_usage_error("exceptions", "resolve needs an "
                                      "exception id");
    }

    if (why == NULL || why[0] == '\0') {
        return invsyncctl_usage_error("exceptions", "resolve needs --why: "
                                      "the audit keeps the reason");
    }

    by = invsyncctl_by(by);

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    invsync_key(key, sizeof(key), ctl->conf, "exception:%s", pos[0]);

    /* WATCH: a worker or another operator changing it meanwhile wins */
    for (tries = 0; tries < INVSYNCCTL_EXC_TRIES; tries++) {
        freeReplyObject(h);
        h = NULL;

        r = invsyncctl_redis(ctl, "WATCH %s", key);
        if (r == NULL) {
            return INVSYNCCTL_REDIS;
        }

        freeReplyObject(r);

        rc = invsyncctl_exc_get(ctl, pos[0], key, &h);
        if (rc != INVSYNCCTL_OK) {
            return rc;
        }

        if (strcmp(invsyncctl_fstr(h, "state"), "resolved") == 0) {
            freeReplyObject(invsyncctl_redis(ctl, "UNWATCH"));

            if (ctl->json) {
                rc = invsyncctl_print_json(json_pack(
                         "{s:s, s:s, s:b, s:s, s:s}", "exception", pos[0],
                         "state", "resolved", "changed", 0,
                         "resolved_by", invsyncctl_fstr(h, "resolved_by"),
                         "resolution", invsyncctl_fstr(h, "resolution")));

            } else {
                printf("exception %s was resolved already, by %s: %s\n",
                       pos[0], invsyncctl_fstr(h, "resolved_by"),
                       invsyncctl_fstr(h, "resolution"));
            }

            goto failed;
        }

        snprintf(prev, sizeof(prev), "%s", invsyncctl_fstr(h, "state"));
        invsync_key(open, sizeof(open), ctl->conf, "exceptions:open");

        r = invsyncctl_redis(ctl, "MULTI");
        if (r == NULL) {
            rc = INVSYNCCTL_REDIS;
            goto failed;
        }

        freeReplyObject(r);

        freeReplyObject(invsyncctl_redis(ctl, "HSET %s state resolved "
                                         "resolved_by %s resolution %s "
                                         "resolved %lld updated %lld", key,
                                         by, why, (long long) ctl->now,
                                         (long long) ctl->now));
        freeReplyObject(invsyncctl_redis(ctl, "ZREM %s %s", open, pos[0]));

        r = invsyncctl_redis(ctl, "EXEC");
        if (r == NULL) {
            rc = INVSYNCCTL_REDIS;
            goto failed;
        }

        if (r->type == REDIS_REPLY_ARRAY) {
            freeReplyObject(r);
            break;
        }

        /* nil: the exception changed under us; look again */
        freeReplyObject(r);
    }

    if (tries == INVSYNCCTL_EXC_TRIES) {
        fprintf(stderr, "invsyncctl: exceptions: %s keeps changing; try "
                "again\n", pos[0]);
        rc = INVSYNCCTL_REDIS;
        goto failed;
    }

    invsyncctl_exc_order(h, order, sizeof(order));

    rc = invsyncctl_audit_operator(ctl, "operator.exception.resolve", by, why,
                                   invsyncctl_fstr(h, "channel"),
                                   invsyncctl_fstr(h, "event"), order, audit,
                                   "exception", pos[0],
                                   "kind", invsyncctl_fstr(h, "kind"),
                                   "previous", prev, NULL);
    if (rc != INVSYNCCTL_OK) {
        goto failed;
    }

    if (ctl->json) {
        rc = invsyncctl_print_json(json_pack("{s:s, s:s, s:b, s:s, s:s, "
                                             "s:s}",
                                             "exception", pos[0],
                                             "state", "resolved",
                                             "changed", 1, "resolved_by", by,
                                             "resolution", why,
                                             "audit", audit));

    } else {
        printf("resolved exception %s (was %s; audit %s)\n", pos[0], prev,
               audit);
    }

failed:

    freeReplyObject(h);

    return rc;
}


/*
 * Opens the session if needed and reads one exception: *r is its HGETALL
 * reply (the caller frees it), key its key.  Prints why not.
 */

static int
invsyncctl_exc_get(invsyncctl_t *ctl, const char *id, char *key,
    redisReply **r)
{
    int  rc;

    if (id[0] == '\0') {
        return invsyncctl_usage_error("exceptions", "an empty exception id");
    }

    if (ctl->conf == NULL) {
        rc = invsyncctl_open(ctl);
        if (rc != INVSYNCCTL_OK) {
            return rc;
        }
    }

    invsync_key(key, INVSYNCCTL_KEY_LEN, ctl->conf, "exception:%s", id);

    *r = invsyncctl_redis(ctl, "HGETALL %s", key);
    if (*r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    if ((*r)->type != REDIS_REPLY_ARRAY || (*r)->elements == 0) {
        fprintf(stderr, "invsyncctl: exceptions: no exception \"%s\"\n", id);
        freeReplyObject(*r);
        *r = NULL;
        return INVSYNCCTL_NOTFOUND;
    }

    return INVSYNCCTL_OK;
}


/* the order as the audit indexes name it: "<channel>:<order id>" */

static void
invsyncctl_exc_order(const redisReply *h, char *buf, size_t cap)
{
    const char  *order;

    order = invsyncctl_fstr(h, "order");

    if (order[0] == '\0') {
        buf[0] = '\0';
        return;
    }

    snprintf(buf, cap, "%s:%s", invsyncctl_fstr(h, "channel"), order);
}


static void
invsyncctl_exc_print(const redisReply *h)
{
    char                when[INVSYNCCTL_TIME_LEN], *s;
    size_t              i;
    json_t             *data;
    const char         *k, *v;
    static const char  *shown[] = {
        "id", "state", "kind", "summary", "created", "updated", "channel",
        "event", "topic", "stream", "entry", "order", "retried_entry",
        "resolved", "resolved_by", "resolution", NULL
    };

    for (i = 0; shown[i] != NULL; i++) {
        k = shown[i];
        v = invsyncctl_fstr(h, k);

        if (v[0] == '\0' && invsyncctl_field(h, k) == NULL) {
            continue;
        }

        if (strcmp(k, "created") == 0 || strcmp(k, "updated") == 0
            || strcmp(k, "resolved") == 0)
        {
            printf("%-14s %s (%s)\n", k,
                   invsyncctl_time_fmt(atoll(v), when, sizeof(when)), v);
            continue;
        }

        printf("%-14s %s\n", k, v);
    }

    data = json_loads(invsyncctl_fstr(h, "data"), JSON_DECODE_ANY, NULL);
    s = data != NULL ? json_dumps(data, JSON_INDENT(2)) : NULL;

    if (s != NULL) {
        printf("data\n%s\n", s);

    } else if (invsyncctl_fstr(h, "data")[0] != '\0') {
        printf("data\n%s\n", invsyncctl_fstr(h, "data"));
    }

    free(s);
    json_decref(data);
}
