
/*
 * invsyncctl dlq: the dead letters, entries the worker gave up on.  List
 * them, show one with its attempt history and body, retry (its envelope
 * goes back to its stream, the dead letter away) or drop it with a reason.
 * Every retry and drop leaves an audit entry.  This file holds the
 * command, its usage and what only reads; retry and drop write, in
 * invsyncctl_dlq_act.c.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_dlq.h"


static int invsyncctl_dlq_list(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_dlq_show(invsyncctl_t *ctl, int argc, char **argv);
static void invsyncctl_dlq_print(const redisReply *entry);


const char  invsyncctl_dlq_usage[] =
    "usage: invsyncctl dlq list [--limit N]\n"
    "       invsyncctl dlq show ID\n"
    "       invsyncctl dlq retry ID|--all [--by WHO] [--why TEXT]\n"
    "       invsyncctl dlq drop ID --why TEXT [--by WHO]\n"
    "\n"
    "The dead letters: entries the worker could not handle, after its\n"
    "retries or because they can never succeed.\n"
    "\n"
    "  list       oldest first, at most --limit N (default 100)\n"
    "  show ID    one dead letter: its envelope, reason, attempt history\n"
    "             and body\n"
    "  retry ID   add its envelope (v, channel, scheme, account, topic,\n"
    "             event, received, body) back to its stream with retry_of\n"
    "             = ID, then remove the dead letter; --all: every one\n"
    "  drop ID    remove it; --why is required\n"
    "  --by WHO   who acts, for the audit (default $USER)\n"
    "  --why TEXT why, for the audit\n"
    "  --json     list: {\"total\", \"count\", \"entries\"}; show: the "
    "entry;\n"
    "             retry: {\"count\", \"retried\": [{\"dlq\", \"stream\", "
    "\"id\",\n"
    "             \"audit\"}]}; drop: {\"dropped\", \"audit\"}\n"
    "\n"
    "Retries and drops are audited (operator.dlq.retry, "
    "operator.dlq.drop).\n"
    "Exit: 0, 1 usage, 2 no such dead letter (or none to retry), 3 Redis.\n";


static const struct {
    const char         *name;
    invsyncctl_run_pt   run;
} invsyncctl_dlq_cmds[] = {
    { "list", invsyncctl_dlq_list },
    { "show", invsyncctl_dlq_show },
    { "retry", invsyncctl_dlq_retry },
    { "drop", invsyncctl_dlq_drop },
    { NULL, NULL }
};


int
invsyncctl_dlq(invsyncctl_t *ctl, int argc, char **argv)
{
    size_t  i;

    if (argc < 2) {
        return invsyncctl_usage_error("dlq", "give list, show, retry or "
                                      "drop");
    }

    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(invsyncctl_dlq_usage, stdout);
        return INVSYNCCTL_HELP;
    }

    for (i = 0; invsyncctl_dlq_cmds[i].name != NULL; i++) {
        if (strcmp(argv[1], invsyncctl_dlq_cmds[i].name) == 0) {
            return invsyncctl_dlq_cmds[i].run(ctl, argc - 1, argv + 1);
        }
    }

    return invsyncctl_usage_error("dlq", "unknown subcommand \"%s\"",
                                  argv[1]);
}


static int
invsyncctl_dlq_list(invsyncctl_t *ctl, int argc, char **argv)
{
    int                  rc, npos;
    long                 limit;
    char                 key[INVSYNCCTL_KEY_LEN], when[INVSYNCCTL_TIME_LEN];
    size_t               i;
    json_t              *list, *e;
    const char          *limit_s, *pos[1];
    redisReply          *r, *len, *en;
    invsyncctl_table_t  *t;
    invsyncctl_opt_t     opts[] = {
        { "--limit", &limit_s, NULL },
        { NULL, NULL, NULL }
    };

    limit_s = NULL;
    limit = 100;

    rc = invsyncctl_args(ctl, "dlq", invsyncctl_dlq_usage, argc, argv, opts,
                         pos, 0, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (limit_s != NULL
        && invsyncctl_parse_long("dlq", "--limit", limit_s, 1, 1000000,
                                 &limit)
           != INVSYNCCTL_OK)
    {
        return INVSYNCCTL_USAGE;
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    invsync_key_dlq(key, sizeof(key), ctl->conf);

    len = invsyncctl_redis(ctl, "XLEN %s", key);
    if (len == NULL) {
        return INVSYNCCTL_REDIS;
    }

    r = invsyncctl_redis(ctl, "XRANGE %s - + COUNT %ld", key, limit);
    if (r == NULL) {
        freeReplyObject(len);
        return INVSYNCCTL_REDIS;
    }

    if (ctl->json) {
        list = json_array();

        for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
            en = r->element[i];

            if (!invsyncctl_entry_ok(en)) {
                continue;
            }

            e = invsyncctl_fields_json(en->element[1], 0);
            json_object_set_new(e, "id", json_string(en->element[0]->str));
            json_array_append_new(list, e);
        }

        rc = invsyncctl_print_json(json_pack("{s:I, s:i, s:o}",
                                             "total",
                                             (json_int_t) len->integer,
                                             "count",
                                             (int) json_array_size(list),
                                             "entries", list));
        goto failed;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
        printf("no dead letters\n");
        goto failed;
    }

    t = invsyncctl_table_new(8, 0x40, "id", "failed", "stream", "entry",
                             "channel", "event", "attempts", "reason");

    for (i = 0; i < r->elements; i++) {
        en = r->element[i];

        if (!invsyncctl_entry_ok(en)) {
            continue;
        }

        invsyncctl_time_fmt(atoll(invsyncctl_fstr(en->element[1], "failed")),
                            when, sizeof(when));

        invsyncctl_table_add(t, en->element[0]->str, when,
                             invsyncctl_fstr(en->element[1], "stream"),
                             invsyncctl_fstr(en->element[1], "entry"),
                             invsyncctl_fstr(en->element[1], "channel"),
                             invsyncctl_fstr(en->element[1], "event"),
                             invsyncctl_fstr(en->element[1], "attempts"),
                             invsyncctl_fstr(en->element[1], "reason"));
    }

    invsyncctl_table_print(t, stdout);
    invsyncctl_table_free(t);

    if ((long long) r->elements < len->integer) {
        printf("(%zu of %lld shown: raise --limit)\n", r->elements,
               len->integer);
    }

failed:

    freeReplyObject(r);
    freeReplyObject(len);

    return rc;
}


static int
invsyncctl_dlq_show(invsyncctl_t *ctl, int argc, char **argv)
{
    int          rc, npos;
    json_t      *e;
    const char  *pos[1];
    redisReply  *r;

    rc = invsyncctl_args(ctl, "dlq", invsyncctl_dlq_usage, argc, argv, NULL,
                         pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1) {
        return invsyncctl_usage_error("dlq", "show needs a dead letter id");
    }

    rc = invsyncctl_dlq_get(ctl, pos[0], &r);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (ctl->json) {
        e = invsyncctl_fields_json(r->element[0]->element[1], 1);
        json_object_set_new(e, "id", json_string(pos[0]));
        rc = invsyncctl_print_json(e);

    } else {
        invsyncctl_dlq_print(r->element[0]);
    }

    freeReplyObject(r);

    return rc;
}


/*
 * Opens the session and reads one dead letter: *r is the XRANGE reply,
 * its element[0] the entry (the caller frees it).  Prints why not.
 */

int
invsyncctl_dlq_get(invsyncctl_t *ctl, const char *id, redisReply **r)
{
    int   rc;
    char  key[INVSYNCCTL_KEY_LEN];

    if (!invsyncctl_valid_id(id)) {
        return invsyncctl_usage_error("dlq", "\"%s\" is not a stream id", id);
    }

    if (ctl->conf == NULL) {
        rc = invsyncctl_open(ctl);
        if (rc != INVSYNCCTL_OK) {
            return rc;
        }
    }

    invsync_key_dlq(key, sizeof(key), ctl->conf);

    *r = invsyncctl_redis(ctl, "XRANGE %s %s %s", key, id, id);
    if (*r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    if ((*r)->type != REDIS_REPLY_ARRAY || (*r)->elements != 1
        || !invsyncctl_entry_ok((*r)->element[0]))
    {
        fprintf(stderr, "invsyncctl: dlq: no dead letter %s in %s\n", id,
                key);
        freeReplyObject(*r);
        *r = NULL;
        return INVSYNCCTL_NOTFOUND;
    }

    return INVSYNCCTL_OK;
}


static void
invsyncctl_dlq_print(const redisReply *entry)
{
    char                when[INVSYNCCTL_TIME_LEN];
    size_t              i;
    json_t             *history, *h;
    const char         *k;
    const redisReply   *f, *body;
    static const char  *shown[] = {
        "stream", "entry", "channel", "scheme", "account", "topic", "event",
        "received", "failed", "attempts", "consumer", "reason", NULL
    };

    f = entry->element[1];

    printf("dead letter %s\n", entry->element[0]->str);

    for (i = 0; shown[i] != NULL; i++) {
        k = shown[i];

        if (strcmp(k, "received") == 0 || strcmp(k, "failed") == 0) {
            printf("  %-9s %s (%s)\n", k,
                   invsyncctl_time_fmt(atoll(invsyncctl_fstr(f, k)), when,
                                       sizeof(when)),
                   invsyncctl_fstr(f, k));
            continue;
        }

        printf("  %-9s %s\n", k, invsyncctl_fstr(f, k));
    }

    history = json_loads(invsyncctl_fstr(f, "history"), 0, NULL);

    printf("history\n");

    json_array_foreach(history, i, h) {
        k = json_string_value(json_object_get(h, "consumer"));

        printf("  %s  %s  %s\n",
               invsyncctl_time_fmt(json_integer_value(json_object_get(h,
                                                                  "ts")),
                                   when, sizeof(when)),
               k != NULL ? k : "-",
               json_string_value(json_object_get(h, "err")) != NULL
               ? json_string_value(json_object_get(h, "err")) : "-");
    }

    json_decref(history);

    body = invsyncctl_field(f, "body");

    printf("body (%zu bytes)\n", body != NULL ? body->len : 0);

    if (body != NULL && body->len > 0) {
        fwrite(body->str, 1, body->len, stdout);

        if (body->str[body->len - 1] != '\n') {
            putchar('\n');
        }
    }
}
