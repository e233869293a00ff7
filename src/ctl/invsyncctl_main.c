
/*
 * invsyncctl: the global options, the command table and what the command
 * files share: argument parsing, the Redis session (the worker's own,
 * reused), times, and output as tables or as one JSON document.
 */


#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "invsyncctl.h"


#define INVSYNCCTL_CELL_MAX  72


static void invsyncctl_usage(FILE *out);
static const invsyncctl_cmd_t *invsyncctl_find(const char *name);
static redisReply *invsyncctl_checked(invsyncctl_t *ctl, redisReply *r,
    const char *what, size_t len);
static int invsyncctl_digits(const char **p, int n, int *out);
static int invsyncctl_in(const char *name, const char **set);
static char *invsyncctl_cell(const char *s);


static const invsyncctl_cmd_t  invsyncctl_cmds[] = {
    { "status", "streams, lag, pending, dead letters, exceptions, workers",
      invsyncctl_status, invsyncctl_status_usage },
    { "audit", "audit entries by order, SKU, event or time",
      invsyncctl_audit, invsyncctl_audit_usage },
    { "replay", "deliver stream entries again",
      invsyncctl_replay, invsyncctl_replay_usage },
    { "dlq", "list, show, retry or drop dead letters",
      invsyncctl_dlq, invsyncctl_dlq_usage },
    { "exceptions", "list, show, retry or resolve exceptions",
      invsyncctl_exceptions, invsyncctl_exceptions_usage },
    { "stock", "stock of a SKU: show, count, adjust, history",
      invsyncctl_stock, invsyncctl_stock_usage },
    { "sku", "SKUs and their channel identifiers: map, bundle, import",
      invsyncctl_sku, invsyncctl_sku_usage },
    { "reconcile", "read the channels' quantities, audit and fix drift",
      invsyncctl_reconcile, invsyncctl_reconcile_usage },
    { NULL, NULL, NULL, NULL }
};

/* fields shown as numbers, and fields holding JSON, in --json output */
static const char  *invsyncctl_numeric[] = {
    "v", "ts", "received", "failed", "attempts", "created", "updated",
    "resolved", NULL
};

static const char  *invsyncctl_nested[] = {
    "inputs", "history", "data", "ids", NULL
};


int
main(int argc, char **argv)
{
    int                      i, rc;
    const char              *env, *a;
    invsyncctl_t             ctl;
    const invsyncctl_cmd_t  *cmd;

    memset(&ctl, 0, sizeof(invsyncctl_t));

    env = getenv("INVSYNC_CONFIG");
    ctl.config = (env != NULL && env[0] != '\0') ? env : INVSYNCCTL_CONFIG;
    ctl.now = invsync_now_ms();

    /* the worker's JSON log would only repeat what we say in words */
    invsync_log_init(INVSYNC_LOG_NONE);

    /* a Redis that closes the connection must not kill us mid-write */
    signal(SIGPIPE, SIG_IGN);

    for (i = 1; i < argc; i++) {
        a = argv[i];

        if (strcmp(a, "--json") == 0) {
            ctl.json = 1;

        } else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
            if (i + 1 == argc) {
                fprintf(stderr, "invsyncctl: %s needs a file\n", a);
                return INVSYNCCTL_USAGE;
            }

            ctl.config = argv[++i];

        } else if (strncmp(a, "--config=", 9) == 0) {
            ctl.config = a + 9;

        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            invsyncctl_usage(stdout);
            return INVSYNCCTL_OK;

        } else if (a[0] == '-') {
            fprintf(stderr, "invsyncctl: unknown option \"%s\"\n", a);
            invsyncctl_usage(stderr);
            return INVSYNCCTL_USAGE;

        } else {
            break;
        }
    }

    if (i == argc) {
        invsyncctl_usage(stderr);
        return INVSYNCCTL_USAGE;
    }

    if (strcmp(argv[i], "help") == 0) {
        if (i + 1 == argc) {
            invsyncctl_usage(stdout);
            return INVSYNCCTL_OK;
        }

        cmd = invsyncctl_find(argv[i + 1]);

        if (cmd == NULL) {
            fprintf(stderr, "invsyncctl: unknown command \"%s\"\n",
                    argv[i + 1]);
            return INVSYNCCTL_USAGE;
        }

        fputs(cmd->usage, stdout);
        return INVSYNCCTL_OK;
    }

    cmd = invsyncctl_find(argv[i]);

    if (cmd == NULL) {
        fprintf(stderr, "invsyncctl: unknown command \"%s\"\n", argv[i]);
        invsyncctl_usage(stderr);
        return INVSYNCCTL_USAGE;
    }

    rc = cmd->run(&ctl, argc - i, argv + i);

    invsync_redis_close(&ctl.w);
    invsync_conf_free(ctl.conf);

    if (rc == INVSYNCCTL_HELP) {
        rc = INVSYNCCTL_OK;
    }

    if (fflush(stdout) != 0 && errno != EPIPE) {
        fprintf(stderr, "invsyncctl: writing the output: %s\n",
                strerror(errno));
        return rc == INVSYNCCTL_OK ? INVSYNCCTL_USAGE : rc;
    }

    return rc;
}


static void
invsyncctl_usage(FILE *out)
{
    const invsyncctl_cmd_t  *cmd;

    fprintf(out,
            "usage: invsyncctl [-c worker.json] [--json] COMMAND [ARGS]\n"
            "\n"
            "  -c, --config FILE  the worker's configuration (default "
            "$INVSYNC_CONFIG,\n"
            "                     else " INVSYNCCTL_CONFIG ")\n"
            "  --json             one JSON document on stdout\n"
            "  -h, --help         this text; COMMAND --help for a "
            "command's\n"
            "\n"
            "commands:\n");

    for (cmd = invsyncctl_cmds; cmd->name != NULL; cmd++) {
        fprintf(out, "  %-12s %s\n", cmd->name, cmd->summary);
    }

    fprintf(out,
            "\n"
            "exit codes: 0 done, 1 usage or configuration error, 2 not "
            "found,\n"
            "3 Redis unreachable or refusing.  See docs/invsyncctl.md.\n");
}


static const invsyncctl_cmd_t *
invsyncctl_find(const char *name)
{
    const invsyncctl_cmd_t  *cmd;

    for (cmd = invsyncctl_cmds; cmd->name != NULL; cmd++) {
        if (strcmp(cmd->name, name) == 0) {
            return cmd;
        }
    }

    return NULL;
}


/*
 * The options of one command, after its name (argv[0]): --json, -c and
 * --help anywhere, those of opts as "--name VALUE" or "--name=VALUE", up
 * to maxpos positional arguments into pos.  Returns INVSYNCCTL_OK,
 * INVSYNCCTL_HELP (usage printed) or INVSYNCCTL_USAGE (error printed).
 */

int
invsyncctl_args(invsyncctl_t *ctl, const char *cmd, const char *usage,
    int argc, char **argv, const invsyncctl_opt_t *opts, const char **pos,
    int maxpos, int *npos)
{
    int                      i, options;
    size_t                   n;
    const char              *a, *eq, *value;
    const invsyncctl_opt_t  *o;

    *npos = 0;
    options = 1;

    for (i = 1; i < argc; i++) {
        a = argv[i];

        if (!options || a[0] != '-' || a[1] == '\0') {
            if (*npos == maxpos) {
                return invsyncctl_usage_error(cmd, "unexpected argument "
                                              "\"%s\"", a);
            }

            pos[(*npos)++] = a;
            continue;
        }

        if (strcmp(a, "--") == 0) {
            options = 0;
            continue;
        }

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return INVSYNCCTL_HELP;
        }

        if (strcmp(a, "--json") == 0) {
            ctl->json = 1;
            continue;
        }

        eq = strchr(a, '=');
        n = eq != NULL ? (size_t) (eq - a) : strlen(a);
        value = eq != NULL ? eq + 1 : NULL;

        if ((n == 2 && strncmp(a, "-c", 2) == 0)
            || (n == 8 && strncmp(a, "--config", 8) == 0))
        {
            if (value == NULL) {
                if (i + 1 == argc) {
                    return invsyncctl_usage_error(cmd, "%s needs a file", a);
                }

                value = argv[++i];
            }

            ctl->config = value;
            continue;
        }

        for (o = opts; o != NULL && o->name != NULL; o++) {
            if (strlen(o->name) == n && strncmp(o->name, a, n) == 0) {
                break;
            }
        }

        if (o == NULL || o->name == NULL) {
            return invsyncctl_usage_error(cmd, "unknown option \"%.*s\"",
                                          (int) n, a);
        }

        if (o->value == NULL) {
            if (value != NULL) {
                return invsyncctl_usage_error(cmd, "%s takes no value",
                                              o->name);
            }

            *o->flag = 1;
            continue;
        }

        if (value == NULL) {
            if (i + 1 == argc) {
                return invsyncctl_usage_error(cmd, "%s needs a value",
                                              o->name);
            }

            value = argv[++i];
        }

        *o->value = value;
    }

    return INVSYNCCTL_OK;
}


/* prints the reason and where to read the usage; returns 1 */

int
invsyncctl_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list  args;

    fprintf(stderr, "invsyncctl: %s: ", cmd);

    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);

    fprintf(stderr, "\nrun \"invsyncctl %s --help\" for its usage\n", cmd);

    return INVSYNCCTL_USAGE;
}


int
invsyncctl_parse_long(const char *cmd, const char *name, const char *value,
    long min, long max, long *out)
{
    long   v;
    char  *end;

    errno = 0;
    v = strtol(value, &end, 10);

    if (errno != 0 || end == value || *end != '\0' || v < min || v > max) {
        return invsyncctl_usage_error(cmd, "%s must be a number from %ld to "
                                      "%ld, not \"%s\"", name, min, max,
                                      value);
    }

    *out = v;

    return INVSYNCCTL_OK;
}


/*
 * A point in time as Unix ms: "1764151200000" (Unix ms), ISO-8601
 * ("2026-11-26", "2026-11-26T10:00:00Z", "...10:00:00.250+01:00"; no zone
 * means UTC), or an age: "90s", "15m", "2h", "1d", "1w" ago.  Returns 0,
 * or -1 if s is none of these.
 */

int
invsyncctl_parse_time(const char *s, int64_t now, int64_t *ms)
{
    int          y, mo, d, h, mi, sec, frac, digits, zh, zm, sign;
    char        *end;
    time_t       t;
    int64_t      unit;
    struct tm    tm;
    long long    v;
    const char  *p;

    if (!isdigit((unsigned char) s[0])) {
        return -1;
    }

    errno = 0;
    v = strtoll(s, &end, 10);

    if (errno != 0 || v < 0) {
        return -1;
    }

    if (*end == '\0') {
        *ms = (int64_t) v;
        return 0;
    }

    if (end[1] == '\0' && strchr("smhdw", end[0]) != NULL) {
        unit = end[0] == 's' ? 1000
               : end[0] == 'm' ? 60000
               : end[0] == 'h' ? 3600000
               : end[0] == 'd' ? 86400000 : 7 * 86400000LL;

        if (v > INT64_MAX / unit) {
            return -1;
        }

        *ms = now - (int64_t) v * unit;
        return 0;
    }

    p = s;
    h = 0;
    mi = 0;
    sec = 0;
    frac = 0;

    if (invsyncctl_digits(&p, 4, &y) != 0 || *p++ != '-'
        || invsyncctl_digits(&p, 2, &mo) != 0 || *p++ != '-'
        || invsyncctl_digits(&p, 2, &d) != 0)
    {
        return -1;
    }

    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;

        if (invsyncctl_digits(&p, 2, &h) != 0 || *p++ != ':'
            || invsyncctl_digits(&p, 2, &mi) != 0)
        {
            return -1;
        }

        if (*p == ':') {
            p++;

            if (invsyncctl_digits(&p, 2, &sec) != 0) {
                return -1;
            }

            if (*p == '.') {
                p++;

                for (digits = 0; isdigit((unsigned char) *p); p++, digits++) {
                    if (digits < 3) {
                        frac = frac * 10 + (*p - '0');
                    }
                }

                if (digits == 0) {
                    return -1;
                }

                for ( /* void */ ; digits < 3; digits++) {
                    frac *= 10;
                }
            }
        }
    }

    sign = 0;
    zh = 0;
    zm = 0;

    if (*p == 'Z' || *p == 'z') {
        p++;

    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '+' ? 1 : -1;

        if (invsyncctl_digits(&p, 2, &zh) != 0) {
            return -1;
        }

        if (*p == ':') {
            p++;
        }

        if (invsyncctl_digits(&p, 2, &zm) != 0) {
            return -1;
        }
    }

    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23
        || mi > 59 || sec > 60 || zh > 23 || zm > 59)
    {
        return -1;
    }

    memset(&tm, 0, sizeof(struct tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;

    t = timegm(&tm);

    if (t == (time_t) -1) {
        return -1;
    }

    *ms = ((int64_t) t - sign * (zh * 3600 + zm * 60)) * 1000 + frac;

    return 0;
}


static int
invsyncctl_digits(const char **p, int n, int *out)
{
    int  i;

    *out = 0;

    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char) (*p)[i])) {
            return -1;
        }

        *out = *out * 10 + ((*p)[i] - '0');
    }

    *p += n;

    return 0;
}


/* a stream entry id as the operator may type it: "ms" or "ms-seq" */

int
invsyncctl_valid_id(const char *s)
{
    const char  *p;

    for (p = s; isdigit((unsigned char) *p); p++) { /* void */ }

    if (p == s || p - s > 20) {
        return 0;
    }

    if (*p == '\0') {
        return 1;
    }

    if (*p++ != '-') {
        return 0;
    }

    s = p;

    for ( /* void */ ; isdigit((unsigned char) *p); p++) { /* void */ }

    return p != s && p - s <= 20 && *p == '\0';
}


/* who acts: --by, else $USER, else "unknown" */

const char *
invsyncctl_by(const char *by)
{
    const char  *user;

    if (by != NULL && by[0] != '\0') {
        return by;
    }

    user = getenv("USER");

    return user != NULL && user[0] != '\0' ? user : "unknown";
}


/*
 * The configuration, then the session.  Prints why it failed; returns
 * INVSYNCCTL_OK, INVSYNCCTL_USAGE (configuration) or INVSYNCCTL_REDIS.
 */

int
invsyncctl_open(invsyncctl_t *ctl)
{
    char             err[INVSYNC_ERR_LEN], where[INVSYNCCTL_KEY_LEN];
    redisReply      *r;
    invsync_conf_t  *conf;

    conf = invsync_conf_load(ctl->config, err, sizeof(err));

    if (conf == NULL) {
        if (strstr(err, ctl->config) != NULL) {
            fprintf(stderr, "invsyncctl: %s\n", err);

        } else {
            fprintf(stderr, "invsyncctl: %s: %s\n", ctl->config, err);
        }

        return INVSYNCCTL_USAGE;
    }

    /* the worker waits block_ms on its reads; we never block */
    conf->block_ms = 0;

    ctl->conf = conf;
    ctl->w.conf = conf;

    if (conf->redis_unix != NULL) {
        snprintf(where, sizeof(where), "unix:%s", conf->redis_unix);

    } else {
        snprintf(where, sizeof(where), "%s:%d", conf->redis_host,
                 conf->redis_port);
    }

    if (invsync_redis_connect(&ctl->w, err, sizeof(err)) != 0) {
        fprintf(stderr, "invsyncctl: cannot reach Redis at %s (%s): %s\n",
                where, ctl->config, err);
        return INVSYNCCTL_REDIS;
    }

    r = redisCommand(ctl->w.redis, "PING");

    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "invsyncctl: Redis at %s (%s) does not answer: %s\n",
                where, ctl->config,
                r != NULL ? r->str : ctl->w.redis->errstr);
        freeReplyObject(r);
        invsync_redis_close(&ctl->w);
        return INVSYNCCTL_REDIS;
    }

    freeReplyObject(r);

    return INVSYNCCTL_OK;
}


/*
 * One command, formatted as hiredis formats (%s is one argument, spaces
 * and all; %b takes a pointer and a length).  NULL, with the reason
 * printed, when the session is lost or Redis answered an error; the
 * caller frees any other reply.
 */

redisReply *
invsyncctl_redis(invsyncctl_t *ctl, const char *fmt, ...)
{
    va_list      args;
    redisReply  *r;

    if (ctl->w.redis == NULL) {
        return NULL;
    }

    va_start(args, fmt);
    r = redisvCommand(ctl->w.redis, fmt, args);
    va_end(args);

    return invsyncctl_checked(ctl, r, fmt, strcspn(fmt, " "));
}


redisReply *
invsyncctl_argv_run(invsyncctl_t *ctl, invsyncctl_argv_t *a)
{
    redisReply  *r;

    if (ctl->w.redis == NULL) {
        return NULL;
    }

    if (a->failed || a->n == 0) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        return NULL;
    }

    r = redisCommandArgv(ctl->w.redis, (int) a->n, a->argv, a->lens);

    return invsyncctl_checked(ctl, r, a->argv[0], a->lens[0]);
}


/*
 * One of the shared scripts (name for messages, sha its field in ctl->w,
 * loaded with the others on first use) with a's keys and arguments.  NULL,
 * with the reason printed, when the session is lost or Redis refused;
 * else the reply, which the caller frees.
 */

redisReply *
invsyncctl_script(invsyncctl_t *ctl, const char *name, const char *sha,
    const char *script, size_t len, int nkeys, invsyncctl_argv_t *a)
{
    char         err[INVSYNC_ERR_LEN];
    redisReply  *r;

    if (ctl->w.redis == NULL) {
        return NULL;
    }

    if (a->failed || a->n == 0) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        return NULL;
    }

    if (sha[0] == '\0'
        && invsync_redis_load_scripts(&ctl->w, err, sizeof(err)) != 0)
    {
        fprintf(stderr, "invsyncctl: %s\n", err);
        return NULL;
    }

    r = invsync_redis_eval(&ctl->w, sha, script, len, nkeys, (int) a->n,
                           a->argv, a->lens);

    if (r == NULL) {
        fprintf(stderr, "invsyncctl: lost the Redis connection during the "
                "%s script\n", name);
        return NULL;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "invsyncctl: Redis refused the %s script: %s\n",
                name, r->str);
        freeReplyObject(r);
        return NULL;
    }

    return r;
}


static redisReply *
invsyncctl_checked(invsyncctl_t *ctl, redisReply *r, const char *what,
    size_t len)
{
    if (r == NULL) {
        fprintf(stderr, "invsyncctl: lost the Redis connection during "
                "%.*s: %s\n", (int) len, what, ctl->w.redis->errstr);
        invsync_redis_close(&ctl->w);
        return NULL;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "invsyncctl: Redis refused %.*s: %s\n", (int) len,
                what, r->str);
        freeReplyObject(r);
        return NULL;
    }

    return r;
}


void
invsyncctl_argv_init(invsyncctl_argv_t *a)
{
    memset(a, 0, sizeof(invsyncctl_argv_t));
}


/* s is borrowed: it must outlive the command */

void
invsyncctl_argv_add(invsyncctl_argv_t *a, const char *s, size_t len)
{
    char        **owned;
    size_t        cap;
    size_t       *lens;
    const char  **argv;

    if (a->failed) {
        return;
    }

    if (a->n == a->cap) {
        cap = a->cap ? a->cap * 2 : 16;

        argv = realloc(a->argv, cap * sizeof(char *));
        if (argv != NULL) {
            a->argv = argv;
        }

        lens = realloc(a->lens, cap * sizeof(size_t));
        if (lens != NULL) {
            a->lens = lens;
        }

        owned = realloc(a->owned, cap * sizeof(char *));
        if (owned != NULL) {
            a->owned = owned;
        }

        if (argv == NULL || lens == NULL || owned == NULL) {
            a->failed = 1;
            return;
        }

        a->cap = cap;
    }

    a->argv[a->n] = s;
    a->lens[a->n] = len;
    a->owned[a->n] = NULL;
    a->n++;
}


/* a formatted argument, owned by a */

void
invsyncctl_argv_addf(invsyncctl_argv_t *a, const char *fmt, ...)
{
    char     *s;
    va_list   args;

    if (a->failed) {
        return;
    }

    va_start(args, fmt);

    if (vasprintf(&s, fmt, args) < 0) {
        a->failed = 1;
        va_end(args);
        return;
    }

    va_end(args);

    invsyncctl_argv_add(a, s, strlen(s));

    if (a->failed) {
        free(s);
        return;
    }

    a->owned[a->n - 1] = s;
}


void
invsyncctl_argv_free(invsyncctl_argv_t *a)
{
    size_t  i;

    for (i = 0; i < a->n; i++) {
        free(a->owned[i]);
    }

    free(a->argv);
    free(a->lens);
    free(a->owned);

    invsyncctl_argv_init(a);
}


/*
 * A configured stream by its short name ("orders") or its key
 * ("invsync:orders"): its key into key, its short name (the
 * configuration's) into *shortname.  -1 if the worker does not read it.
 */

int
invsyncctl_stream_key(invsyncctl_t *ctl, const char *name, char *key,
    size_t cap, const char **shortname)
{
    size_t           plen, si;
    invsync_conf_t  *conf = ctl->conf;

    plen = strlen(conf->prefix);

    if (strncmp(name, conf->prefix, plen) == 0 && name[plen] == ':') {
        name += plen + 1;
    }

    for (si = 0; si < conf->nstreams; si++) {
        if (strcmp(conf->streams[si], name) == 0) {
            snprintf(key, cap, "%s:%s", conf->prefix, conf->streams[si]);

            if (shortname != NULL) {
                *shortname = conf->streams[si];
            }

            return 0;
        }
    }

    return -1;
}


/* the value of a field in a flat [field, value, ...] reply, or NULL */

const redisReply *
invsyncctl_field(const redisReply *fields, const char *name)
{
    size_t  i;

    if (fields == NULL || fields->type != REDIS_REPLY_ARRAY) {
        return NULL;
    }

    for (i = 0; i + 1 < fields->elements; i += 2) {
        if (fields->element[i]->type == REDIS_REPLY_STRING
            && strcmp(fields->element[i]->str, name) == 0
            && fields->element[i + 1]->type == REDIS_REPLY_STRING)
        {
            return fields->element[i + 1];
        }
    }

    return NULL;
}


/* as invsyncctl_field(), the text, "" when absent */

const char *
invsyncctl_fstr(const redisReply *fields, const char *name)
{
    const redisReply  *v;

    v = invsyncctl_field(fields, name);

    return v != NULL ? v->str : "";
}


/* an XRANGE element still holding its fields: [id, [field, value...]] */

int
invsyncctl_entry_ok(const redisReply *entry)
{
    return entry->type == REDIS_REPLY_ARRAY && entry->elements == 2
           && entry->element[0]->type == REDIS_REPLY_STRING
           && entry->element[1]->type == REDIS_REPLY_ARRAY;
}


/* steals doc; prints it indented, with a final newline */

int
invsyncctl_print_json(json_t *doc)
{
    char  *s;

    s = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    json_decref(doc);

    if (s == NULL) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        return INVSYNCCTL_USAGE;
    }

    printf("%s\n", s);
    free(s);

    return INVSYNCCTL_OK;
}


/*
 * The fields of an entry or a hash as a JSON object, new: times and counts
 * as numbers, fields that hold JSON as JSON; the body only if with_body.
 */

json_t *
invsyncctl_fields_json(const redisReply *fields, int with_body)
{
    char              *end;
    size_t             i;
    json_t            *obj, *v;
    long long          n;
    const char        *k;
    const redisReply  *val;

    obj = json_object();

    if (obj == NULL || fields == NULL || fields->type != REDIS_REPLY_ARRAY) {
        return obj;
    }

    for (i = 0; i + 1 < fields->elements; i += 2) {
        k = fields->element[i]->str;
        val = fields->element[i + 1];

        if (fields->element[i]->type != REDIS_REPLY_STRING
            || val->type != REDIS_REPLY_STRING)
        {
            continue;
        }

        if (strcmp(k, "body") == 0) {
            if (with_body) {
                invsyncctl_json_bytes(obj, k, val->str, val->len);
            }

            continue;
        }

        v = NULL;

        if (invsyncctl_in(k, invsyncctl_numeric) && val->len > 0) {
            errno = 0;
            n = strtoll(val->str, &end, 10);

            if (errno == 0 && *end == '\0') {
                v = json_integer((json_int_t) n);
            }

        } else if (invsyncctl_in(k, invsyncctl_nested) && val->len > 0) {
            v = json_loadb(val->str, val->len, JSON_DECODE_ANY, NULL);
        }

        if (v != NULL) {
            json_object_set_new(obj, k, v);

        } else {
            invsyncctl_json_bytes(obj, k, val->str, val->len);
        }
    }

    return obj;
}


static int
invsyncctl_in(const char *name, const char **set)
{
    for ( /* void */ ; *set != NULL; set++) {
        if (strcmp(name, *set) == 0) {
            return 1;
        }
    }

    return 0;
}


/* bytes as a JSON string, or base64 as "<key>_base64" if not UTF-8 */

void
invsyncctl_json_bytes(json_t *obj, const char *key, const char *s, size_t len)
{
    char     name[128];
    size_t   n;
    json_t  *v;
    u_char  *b64;

    v = json_stringn(s, len);

    if (v != NULL) {
        json_object_set_new(obj, key, v);
        return;
    }

    b64 = malloc(invsync_base64_encoded_len(len) + 1);
    if (b64 == NULL) {
        return;
    }

    n = invsync_base64_encode(b64, (const u_char *) s, len);
    snprintf(name, sizeof(name), "%s_base64", key);
    json_object_set_new(obj, name, json_stringn((char *) b64, n));
    free(b64);
}


/* "2026-11-26T10:00:00Z"; "-" for a negative time */

char *
invsyncctl_time_fmt(int64_t ms, char *buf, size_t cap)
{
    time_t     t;
    struct tm  tm;

    if (ms < 0) {
        snprintf(buf, cap, "-");
        return buf;
    }

    t = (time_t) (ms / 1000);

    if (gmtime_r(&t, &tm) == NULL
        || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    {
        snprintf(buf, cap, "%lld", (long long) ms);
    }

    return buf;
}


/* a duration for people: "42s", "3m07s", "5h02m", "2d04h" */

char *
invsyncctl_age_fmt(int64_t ms, char *buf, size_t cap)
{
    long long  s;

    s = ms > 0 ? (long long) (ms / 1000) : 0;

    if (s < 60) {
        snprintf(buf, cap, "%llds", s);

    } else if (s < 3600) {
        snprintf(buf, cap, "%lldm%02llds", s / 60, s % 60);

    } else if (s < 86400) {
        snprintf(buf, cap, "%lldh%02lldm", s / 3600, s % 3600 / 60);

    } else {
        snprintf(buf, cap, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
    }

    return buf;
}


/* the time part of a stream id, or -1 */

int64_t
invsyncctl_id_ms(const char *id)
{
    char       *end;
    long long   ms;

    errno = 0;
    ms = strtoll(id, &end, 10);

    if (errno != 0 || end == id || (*end != '-' && *end != '\0')) {
        return -1;
    }

    return (int64_t) ms;
}


/* ncols header strings follow; bit i of right aligns column i right */

invsyncctl_table_t *
invsyncctl_table_new(size_t ncols, unsigned right, ...)
{
    size_t               i;
    va_list              args;
    invsyncctl_table_t  *t;

    t = calloc(1, sizeof(invsyncctl_table_t));
    if (t == NULL) {
        return NULL;
    }

    t->ncols = ncols;
    t->right = right;
    t->cap = 16;
    t->cells = calloc(t->cap * ncols, sizeof(char *));

    if (t->cells == NULL) {
        free(t);
        return NULL;
    }

    va_start(args, right);

    for (i = 0; i < ncols; i++) {
        t->cells[i] = invsyncctl_cell(va_arg(args, const char *));
    }

    va_end(args);

    t->nrows = 1;

    return t;
}


/* ncols strings follow, copied; NULL shows as "-" */

int
invsyncctl_table_add(invsyncctl_table_t *t, ...)
{
    char    **cells;
    size_t    i, base;
    va_list   args;

    if (t == NULL) {
        return -1;
    }

    if (t->nrows == t->cap) {
        cells = realloc(t->cells, t->cap * 2 * t->ncols * sizeof(char *));
        if (cells == NULL) {
            return -1;
        }

        t->cells = cells;
        t->cap *= 2;
    }

    base = t->nrows * t->ncols;

    va_start(args, t);

    for (i = 0; i < t->ncols; i++) {
        t->cells[base + i] = invsyncctl_cell(va_arg(args, const char *));
    }

    va_end(args);

    t->nrows++;

    return 0;
}


/* a cell: control bytes shown as "?", long text cut with "..." */

static char *
invsyncctl_cell(const char *s)
{
    char    *c;
    size_t   i, n;

    if (s == NULL || s[0] == '\0') {
        s = "-";
    }

    n = strlen(s);

    if (n > INVSYNCCTL_CELL_MAX) {
        n = INVSYNCCTL_CELL_MAX;
    }

    c = malloc(n + 1);
    if (c == NULL) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        c[i] = (unsigned char) s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    }

    if (n < strlen(s)) {
        memcpy(c + n - 3, "...", 3);
    }

    c[n] = '\0';

    return c;
}


void
invsyncctl_table_print(invsyncctl_table_t *t, FILE *out)
{
    int          w;
    size_t       r, i, len, width[32];
    const char  *cell;

    if (t == NULL) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        return;
    }

    for (i = 0; i < t->ncols && i < 32; i++) {
        width[i] = 0;

        for (r = 0; r < t->nrows; r++) {
            cell = t->cells[r * t->ncols + i];
            len = cell != NULL ? strlen(cell) : 1;

            if (len > width[i]) {
                width[i] = len;
            }
        }
    }

    for (r = 0; r < t->nrows; r++) {
        for (i = 0; i < t->ncols && i < 32; i++) {
            cell = t->cells[r * t->ncols + i];
            cell = cell != NULL ? cell : "?";
            w = (int) width[i];

            if (t->right & (1u << i)) {
                fprintf(out, "%s%*s", i ? "  " : "", w, cell);

            } else if (i + 1 == t->ncols) {
                fprintf(out, "%s%s", i ? "  " : "", cell);

            } else {
                fprintf(out, "%s%-*s", i ? "  " : "", w, cell);
            }
        }

        fputc('\n', out);
    }
}


void
invsyncctl_table_free(invsyncctl_table_t *t)
{
    size_t  i;

    if (t == NULL) {
        return;
    }

    for (i = 0; i < t->nrows * t->ncols; i++) {
        free(t->cells[i]);
    }

    free(t->cells);
    free(t);
}
