
/*
 * The channel cases' shared part: a case of t/channels/<type>/<op>/<case>/
 * (t/channels/README.md) set up as its channel's context (conf.json and
 * credentials, the case's or its type's, the clock, items.json), and the
 * walk over a channel's cases of one operation.  Used by test_channels.c
 * (push, read, authorize), test_channels_orders.c (poll, refunds,
 * disposition) and test_channels_table.c (what each channel can do has
 * cases); test_channels_track.c takes t_file(), t_json(), t_select() and
 * t_root() for its own walk of track/.  $INVSYNC_CHANNEL_CASES names
 * another root than t/channels.
 */


#ifndef T_CHANNEL_CASES_H
#define T_CHANNEL_CASES_H


#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "invsync_channel.h"
#include "tap.h"


#define T_PATH_LEN     1024
#define T_NOW_MS       1795000000000LL      /* 2026-11-18T09:46:40Z */
#define T_OPS          6                    /* the operations of t_ops */


typedef struct {
    const invsync_channel_t  *ch;
    const char               *op;
    char                      name[T_PATH_LEN];     /* type/op/case */
    char                      dir[T_PATH_LEN];
    invsync_channel_conf_t    conf;
    json_t                   *conf_doc;
    char                     *credentials;
    invsync_channel_ctx_t     ctx;
    json_t                   *input;                /* items.json */
} t_case_t;


/* a case of an operation: given to t_op_cases() */
typedef void (*t_run_f)(t_case_t *c);


/* each test uses some of these: unused is no warning */
static void t_diag(const t_case_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), unused));
static char *t_file(const char *dir, const char *file, size_t *len)
    __attribute__((unused));
static json_t *t_json(const t_case_t *c, const char *file, int required)
    __attribute__((unused));
static int t_select(const struct dirent *d) __attribute__((unused));
static int t_setup(t_case_t *c, const char *type_dir)
    __attribute__((unused));
static void t_teardown(t_case_t *c) __attribute__((unused));
static void t_can(const invsync_channel_t *ch, int can[T_OPS])
    __attribute__((unused));
static int t_op_cases(const invsync_channel_t *ch, const char *root,
    size_t op, t_run_f run) __attribute__((unused));
static const char *t_root(void) __attribute__((unused));
static int t_run_ops(const t_run_f run[T_OPS]) __attribute__((unused));


/* the operations' folders, by the index of can[] and run[] */
static const char  *t_ops[T_OPS] = { "push", "read", "poll", "authorize",
                                     "refunds", "disposition" };


static void
t_diag(const t_case_t *c, const char *fmt, ...)
{
    va_list  ap;

    printf("# %s: ", c->name);

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);

    printf("\n");
}


/* dir/file whole, NUL-terminated, or NULL when it cannot be read */

static char *
t_file(const char *dir, const char *file, size_t *len)
{
    char   path[T_PATH_LEN], *data;
    long   size;
    FILE  *f;

    if (snprintf(path, sizeof(path), "%s/%s", dir, file)
        >= (int) sizeof(path))
    {
        return NULL;
    }

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }

    data = NULL;

    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        goto failed;
    }

    data = malloc((size_t) size + 1);
    if (data == NULL
        || fread(data, 1, (size_t) size, f) != (size_t) size)
    {
        goto failed;
    }

    fclose(f);
    data[size] = '\0';
    *len = (size_t) size;

    return data;

failed:

    free(data);
    fclose(f);

    return NULL;
}


/* a JSON file of the case; NULL when absent (said when required or bad) */

static json_t *
t_json(const t_case_t *c, const char *file, int required)
{
    char          path[T_PATH_LEN];
    json_t       *doc;
    json_error_t  err;

    if (snprintf(path, sizeof(path), "%s/%s", c->dir, file)
        >= (int) sizeof(path) || access(path, F_OK) != 0)
    {
        if (required) {
            t_diag(c, "%s missing", file);
        }

        return NULL;
    }

    doc = json_load_file(path, JSON_DECODE_ANY, &err);

    if (doc == NULL) {
        t_diag(c, "%s line %d: %s", file, err.line, err.text);
    }

    return doc;
}


static int
t_select(const struct dirent *d)
{
    return d->d_name[0] != '.' && d->d_type != DT_REG;
}


/*
 * The channel as conf.json and credentials say (the case's, else its
 * type's), the clock, and items.json: 0, or -1 with a diagnostic.
 */

static int
t_setup(t_case_t *c, const char *type_dir)
{
    char     *nl;
    size_t    len;
    json_t   *v;
    t_case_t  type;

    memset(&type, 0, sizeof(t_case_t));
    snprintf(type.dir, sizeof(type.dir), "%s", type_dir);
    snprintf(type.name, sizeof(type.name), "%s", c->ch->type);

    c->conf_doc = t_json(c, "conf.json", 0);

    if (c->conf_doc == NULL) {
        c->conf_doc = t_json(&type, "conf.json", 1);
    }

    if (!json_is_object(c->conf_doc)) {
        t_diag(c, "no conf.json object");
        return -1;
    }

    c->conf.id = (char *) json_string_value(json_object_get(c->conf_doc,
                                                             "id"));
    c->conf.type = (char *) c->ch->type;
    c->conf.api_base = (char *) json_string_value(json_object_get(
                                                      c->conf_doc,
                                                      "api_base"));
    c->conf.options = json_object_get(c->conf_doc, "options");
    c->conf.poll_s = json_integer_value(json_object_get(c->conf_doc,
                                                        "poll_s"));

    c->credentials = t_file(c->dir, "credentials", &len);

    if (c->credentials == NULL) {
        c->credentials = t_file(type_dir, "credentials", &len);
    }

    /* one line, its newline removed, as invsync_channel_credentials() */
    if (c->credentials != NULL) {
        nl = strchr(c->credentials, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
    }

    c->ctx.conf = &c->conf;
    c->ctx.credentials = c->credentials;
    c->ctx.now_ms = T_NOW_MS;

    if (strcmp(c->op, "authorize") == 0) {
        return 0;
    }

    c->input = t_json(c, "items.json", 1);

    if (!json_is_object(c->input)) {
        return -1;
    }

    v = json_object_get(c->input, "now_ms");

    if (json_is_integer(v)) {
        c->ctx.now_ms = json_integer_value(v);
    }

    return 0;
}


static void
t_teardown(t_case_t *c)
{
    json_decref(c->conf_doc);
    json_decref(c->input);
    free(c->credentials);
}


/* what the channel can do, by t_ops */

static void
t_can(const invsync_channel_t *ch, int can[T_OPS])
{
    can[0] = invsync_channel_can(ch, push_build);
    can[1] = invsync_channel_can(ch, read_build);
    can[2] = invsync_channel_can(ch, poll_build);
    can[3] = invsync_channel_can(ch, authorize);
    can[4] = invsync_channel_can(ch, refunds_build);
    can[5] = invsync_channel_can(ch, disposition_build);
}


/*
 * The cases of root/<type>/<op>/, in name order: each set up, given to
 * run and torn down.  A case that cannot be set up is a failed test; with
 * run NULL the cases are only set up, and counted, in silence but for
 * their diagnostics.  The number set up, or -1 without the folder.
 */

static int
t_op_cases(const invsync_channel_t *ch, const char *root, size_t op,
    t_run_f run)
{
    int              nc, m, found;
    char             tdir[T_PATH_LEN], odir[T_PATH_LEN];
    t_case_t         c;
    struct dirent  **cases;

    snprintf(tdir, sizeof(tdir), "%s/%s", root, ch->type);

    nc = snprintf(odir, sizeof(odir), "%s/%s", tdir, t_ops[op])
         < (int) sizeof(odir)
         ? scandir(odir, &cases, t_select, alphasort) : -1;

    if (nc < 0) {
        return -1;
    }

    found = 0;

    for (m = 0; m < nc; m++) {
        memset(&c, 0, sizeof(t_case_t));
        c.ch = ch;
        c.op = t_ops[op];

        if (snprintf(c.dir, sizeof(c.dir), "%s/%s", odir,
                     cases[m]->d_name) < (int) sizeof(c.dir)
            && snprintf(c.name, sizeof(c.name), "%s/%s/%s", ch->type,
                        c.op, cases[m]->d_name) < (int) sizeof(c.name)
            && t_setup(&c, tdir) == 0)
        {
            if (run != NULL) {
                run(&c);
            }

            found++;

        } else if (run != NULL) {
            t_ok(0, "%s: a case", c.name);
        }

        t_teardown(&c);
        free(cases[m]);
    }

    free(cases);

    return found;
}


static const char *
t_root(void)
{
    const char  *root;

    root = getenv("INVSYNC_CHANNEL_CASES");

    return root != NULL ? root : "t/channels";
}


/*
 * Every channel's cases of the operations run names (NULL: not this
 * test's), those the channel can do, then the plan: the test's exit code
 */

static int
t_run_ops(const t_run_f run[T_OPS])
{
    int          can[T_OPS];
    size_t       j, op;
    const char  *root;

    root = t_root();

    if (access(root, F_OK) != 0) {
        printf("1..0 # SKIP no cases in %s\n", root);
        return 1;
    }

    for (j = 0; invsync_channels[j] != NULL; j++) {
        t_can(invsync_channels[j], can);

        for (op = 0; op < T_OPS; op++) {
            if (run[op] != NULL && can[op]) {
                (void) t_op_cases(invsync_channels[j], root, op, run[op]);
            }
        }
    }

    printf("1..%zu\n", t_n);

    return t_failed;
}


#endif /* T_CHANNEL_CASES_H */
