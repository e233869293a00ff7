
/*
 * invsyncctl exceptions: what the worker left for people to decide.  List
 * them by state, show one with its data, retry one (its cause is delivered
 * again, as a copy of the stream entry) or resolve it with a reason.
 * Every retry and resolution leaves an audit entry.  This file holds the
 * command, its usage and what only reads; retry and resolve write, in
 * invsyncctl_exceptions_act.c.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_exceptions.h"


#define INVSYNCCTL_EXC_PAGE   100


static int invsyncctl_exc_list(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_exc_show(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_exc_state_in(const char *state, const char *want);
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
    "  --json       list: {\"state\", \"count\", \"exceptions\"}, each with\n"
    "               its data; show: the exception;\n"
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
    if (strcmp(want, "resolved") == 0 || strcmp(want, "all") == 0) {
        invsync_key_exceptions_all(set, sizeof(set), ctl->conf);
    } else {
        invsync_key_exceptions_open(set, sizeof(set), ctl->conf);
    }

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
            invsync_key_exception(key, sizeof(key), ctl->conf,
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
                /* with its data decoded: a script acts on a list
                 * without a show per exception */
                e = invsyncctl_fields_json(h, 0);

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


/*
 * Opens the session if needed and reads one exception: *r is its HGETALL
 * reply (the caller frees it), key its key.  Prints why not.
 */

int
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

    invsync_key_exception(key, INVSYNCCTL_KEY_LEN, ctl->conf, id);

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

void
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
