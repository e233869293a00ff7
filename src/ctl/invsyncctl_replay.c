
/*
 * invsyncctl replay: deliver stream entries again, by adding a copy of
 * each (with replay_of, the original id) to the same stream.  Safe: the
 * worker keys every effect by (action, channel, event), so a copy of an
 * event it handled repeats nothing, and one it missed is handled now.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl.h"


static int invsyncctl_replay_copy(invsyncctl_t *ctl, const char *key,
    const redisReply *entry, char *id);
static int invsyncctl_replay_index(invsyncctl_t *ctl, json_t *list,
    const char *audit);


const char  invsyncctl_replay_usage[] =
    "usage: invsyncctl replay --stream NAME --entry ID [options]\n"
    "       invsyncctl replay --stream NAME --from ID [--to ID] [options]\n"
    "       invsyncctl replay --stream NAME --since T [--until T] [options]\n"
    "\n"
    "Delivers entries of a stream again: each is copied to the end of the\n"
    "same stream with a field replay_of holding the original id.  The\n"
    "worker applies every effect once per (action, channel, event), so a\n"
    "replay repeats nothing that was done and does what was missed.\n"
    "\n"
    "  --stream NAME     orders, refunds, fulfillments, stock, other (or\n"
    "                    the key, invsync:orders)\n"
    "  --entry ID        one entry\n"
    "  --from ID         entries from ID (inclusive) to --to ID (default: "
    "the end)\n"
    "  --since T         entries received since T, until --until T (Unix "
    "ms,\n"
    "                    ISO-8601 or an age: 15m, 2h, 1d ago)\n"
    "  --dry-run         show what would be replayed, change nothing\n"
    "  --limit N         refuse if more than N entries match (default "
    "1000)\n"
    "  --by WHO          who replays, for the audit (default $USER)\n"
    "  --why TEXT        why, for the audit\n"
    "  --json            {\"stream\", \"dry_run\", \"count\", \"entries\": "
    "[{\"of\", \"id\"}],\n"
    "                    \"audit\"}\n"
    "\n"
    "Exit: 0, 1 usage (or too many entries), 2 nothing matched, 3 Redis.\n";


int
invsyncctl_replay(invsyncctl_t *ctl, int argc, char **argv)
{
    int                  rc, npos, dry, n;
    long                 limit;
    char                 key[INVSYNCCTL_KEY_LEN], sel[256];
    char                 min[INVSYNCCTL_ID_LEN], max[INVSYNCCTL_ID_LEN];
    char                 id[INVSYNCCTL_ID_LEN], audit[INVSYNCCTL_ID_LEN];
    char                *ids;
    size_t               i;
    json_t              *list, *map, *e;
    int64_t              since, until;
    const char          *stream, *entry, *from, *to, *since_s, *until_s;
    const char          *limit_s, *by, *why, *name, *pos[1];
    redisReply          *r, *en;
    invsyncctl_opt_t     opts[] = {
        { "--stream", &stream, NULL },
        { "--entry", &entry, NULL },
        { "--from", &from, NULL },
        { "--to", &to, NULL },
        { "--since", &since_s, NULL },
        { "--until", &until_s, NULL },
        { "--limit", &limit_s, NULL },
        { "--by", &by, NULL },
        { "--why", &why, NULL },
        { "--dry-run", NULL, &dry },
        { NULL, NULL, NULL }
    };

    stream = NULL;
    entry = NULL;
    from = NULL;
    to = NULL;
    since_s = NULL;
    until_s = NULL;
    limit_s = NULL;
    by = NULL;
    why = NULL;
    dry = 0;
    limit = 1000;
    since = 0;
    until = 0;

    rc = invsyncctl_args(ctl, "replay", invsyncctl_replay_usage, argc, argv,
                         opts, pos, 0, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (stream == NULL) {
        return invsyncctl_usage_error("replay", "--stream is required");
    }

    n = (entry != NULL) + (from != NULL || to != NULL)
        + (since_s != NULL || until_s != NULL);

    if (n != 1) {
        return invsyncctl_usage_error("replay", "give one of --entry, "
                                      "--from/--to and --since/--until");
    }

    if (limit_s != NULL
        && invsyncctl_parse_long("replay", "--limit", limit_s, 1, 1000000,
                                 &limit)
           != INVSYNCCTL_OK)
    {
        return INVSYNCCTL_USAGE;
    }

    if (entry != NULL) {
        if (!invsyncctl_valid_id(entry)) {
            return invsyncctl_usage_error("replay", "--entry: \"%s\" is not "
                                          "a stream id", entry);
        }

        snprintf(min, sizeof(min), "%s", entry);
        snprintf(max, sizeof(max), "%s", entry);
        snprintf(sel, sizeof(sel), "entry %s", entry);

    } else if (from != NULL || to != NULL) {
        if (from == NULL) {
            return invsyncctl_usage_error("replay", "--to needs --from");
        }

        if (!invsyncctl_valid_id(from)
            || (to != NULL && !invsyncctl_valid_id(to)))
        {
            return invsyncctl_usage_error("replay", "--from and --to take "
                                          "stream ids like 1764151200000-0");
        }

        snprintf(min, sizeof(min), "%s", from);
        snprintf(max, sizeof(max), "%s", to ? to : "+");
        snprintf(sel, sizeof(sel), "from %s to %s", min, max);

    } else {
        if (since_s == NULL) {
            return invsyncctl_usage_error("replay", "--until needs --since");
        }

        if (invsyncctl_parse_time(since_s, ctl->now, &since) != 0
            || (until_s != NULL
                && invsyncctl_parse_time(until_s, ctl->now, &until) != 0))
        {
            return invsyncctl_usage_error("replay", "--since and --until take"
                                          " Unix ms, ISO-8601 or an age "
                                          "like 15m");
        }

        snprintf(min, sizeof(min), "%lld", (long long) since);

        if (until_s != NULL) {
            snprintf(max, sizeof(max), "%lld", (long long) until);

        } else {
            snprintf(max, sizeof(max), "+");
        }

        snprintf(sel, sizeof(sel), "since %s until %s", min, max);
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (invsyncctl_stream_key(ctl, stream, key, sizeof(key), &name) != 0) {
        return invsyncctl_usage_error("replay", "the worker reads no stream "
                                      "\"%s\" (see %s)", stream,
                                      ctl->config);
    }

    r = invsyncctl_redis(ctl, "XRANGE %s %s %s COUNT %ld", key, min, max,
                         limit + 1);
    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    list = NULL;
    map = NULL;

    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
        fprintf(stderr, "invsyncctl: replay: no entry of %s matches %s\n",
                key, sel);
        rc = INVSYNCCTL_NOTFOUND;
        goto failed;
    }

    if (r->elements > (size_t) limit) {
        fprintf(stderr, "invsyncctl: replay: more than %ld entries of %s "
                "match %s: narrow the range or raise --limit\n", limit, key,
                sel);
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    list = json_array();
    map = json_object();

    if (list == NULL || map == NULL) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        rc = INVSYNCCTL_USAGE;
        goto failed;
    }

    audit[0] = '\0';

    for (i = 0; i < r->elements; i++) {
        en = r->element[i];

        if (!invsyncctl_entry_ok(en)) {
            continue;
        }

        id[0] = '\0';

        if (!dry) {
            rc = invsyncctl_replay_copy(ctl, key, en, id);

            if (rc != INVSYNCCTL_OK) {
                break;
            }

            json_object_set_new(map, en->element[0]->str, json_string(id));
        }

        e = json_pack("{s:s, s:s?, s:s, s:s, s:s}",
                      "of", en->element[0]->str, "id", dry ? NULL : id,
                      "channel", invsyncctl_fstr(en->element[1], "channel"),
                      "topic", invsyncctl_fstr(en->element[1], "topic"),
                      "event", invsyncctl_fstr(en->element[1], "event"));

        json_array_append_new(list, e);
    }

    if (!dry && json_object_size(map) > 0) {
        /* also after a failure: what was re-delivered is on record */
        ids = json_dumps(map, JSON_COMPACT);

        /* one event: the audit entry is that event's, indexed with it */
        e = json_array_size(list) == 1 ? json_array_get(list, 0) : NULL;

        n = invsyncctl_audit_operator(ctl, "operator.replay",
                                      invsyncctl_by(by), why,
                                      json_string_value(json_object_get(e,
                                                        "channel")),
                                      json_string_value(json_object_get(e,
                                                        "event")),
                                      NULL, audit,
                                      "stream", name, "selection", sel,
                                      "ids", ids, NULL);
        free(ids);

        if (n == INVSYNCCTL_OK && json_array_size(list) > 1) {
            n = invsyncctl_replay_index(ctl, list, audit);
        }

        if (rc == INVSYNCCTL_OK) {
            rc = n;
        }
    }

    if (rc != INVSYNCCTL_OK) {
        fprintf(stderr, "invsyncctl: replay: %zu of %zu entries of %s were "
                "re-delivered before the failure\n", json_object_size(map),
                r->elements, key);
        goto failed;
    }

    if (ctl->json) {
        rc = invsyncctl_print_json(json_pack("{s:s, s:s, s:b, s:i, s:O, s:s?}",
                                             "stream", name, "key", key,
                                             "dry_run", dry,
                                             "count",
                                             (int) json_array_size(list),
                                             "entries", list,
                                             "audit", audit[0] ? audit
                                                               : NULL));
        goto failed;
    }

    if (dry) {
        printf("would replay %zu entr%s of %s (dry run: nothing written)\n",
               json_array_size(list),
               json_array_size(list) == 1 ? "y" : "ies", key);

    } else {
        printf("replayed %zu entr%s of %s (audit %s)\n",
               json_array_size(list),
               json_array_size(list) == 1 ? "y" : "ies", key, audit);
    }

    json_array_foreach(list, i, e) {
        printf("  %s -> %s  %s %s %s\n",
               json_string_value(json_object_get(e, "of")),
               dry ? "(not written)"
                   : json_string_value(json_object_get(e, "id")),
               json_string_value(json_object_get(e, "channel")),
               json_string_value(json_object_get(e, "topic")),
               json_string_value(json_object_get(e, "event")));
    }

failed:

    json_decref(list);
    json_decref(map);
    freeReplyObject(r);

    return rc;
}


/*
 * XADD of a copy of entry to key: every field but an earlier replay_of or
 * retry_of, then replay_of.  The new id goes to id (INVSYNCCTL_ID_LEN).
 */

static int
invsyncctl_replay_copy(invsyncctl_t *ctl, const char *key,
    const redisReply *entry, char *id)
{
    size_t              i;
    redisReply         *r;
    const char         *k;
    const redisReply   *f;
    invsyncctl_argv_t   a;

    f = entry->element[1];

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

    invsyncctl_argv_add(&a, "replay_of", 9);
    invsyncctl_argv_add(&a, entry->element[0]->str, entry->element[0]->len);

    r = invsyncctl_argv_run(ctl, &a);
    invsyncctl_argv_free(&a);

    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    snprintf(id, INVSYNCCTL_ID_LEN, "%s",
             r->type == REDIS_REPLY_STRING ? r->str : "?");
    freeReplyObject(r);

    return INVSYNCCTL_OK;
}


/* a replay of several events: list its audit entry under each event */

static int
invsyncctl_replay_index(invsyncctl_t *ctl, json_t *list, const char *audit)
{
    char         index[INVSYNCCTL_KEY_LEN];
    size_t       i;
    json_t      *e;
    const char  *channel, *event;
    redisReply  *r;

    json_array_foreach(list, i, e) {
        channel = json_string_value(json_object_get(e, "channel"));
        event = json_string_value(json_object_get(e, "event"));

        if (channel == NULL || event == NULL || channel[0] == '\0'
            || event[0] == '\0')
        {
            continue;
        }

        invsync_key_audit_event(index, sizeof(index), ctl->conf,
                                channel, event);

        r = invsyncctl_redis(ctl, "ZADD %s %lld %s", index,
                             (long long) ctl->now, audit);
        if (r == NULL) {
            return INVSYNCCTL_REDIS;
        }

        freeReplyObject(r);
    }

    return INVSYNCCTL_OK;
}
