
/*
 * Runs every channel case in $INVSYNC_CHANNEL_CASES (default t/channels):
 * <type>/<op>/<case>/ with op push, read, poll, authorize, refunds or
 * disposition.  A case's
 * input goes through the channel's build operation and authorize, the
 * request is compared with request.json; its answer.json goes through the
 * parse operation, the result is compared with expect.json.  No network.
 * The formats: t/channels/README.md.  Prints TAP.
 */


#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "invsync_channel.h"
#include "tap.h"


#define T_PATH_LEN     1024
#define T_NOW_MS       1795000000000LL      /* 2026-11-18T09:46:40Z */
#define T_MAX_ITEMS    256
#define T_WHY_LEN      160                  /* as the engines give */
#define T_OPS          6                    /* the operations of t_channel */


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


typedef struct {
    invsync_answer_t   a;
    char              *body;
    json_t            *doc;
    char               why[T_WHY_LEN];
} t_answer_t;


static void t_diag(const t_case_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *t_file(const char *dir, const char *file, size_t *len);
static json_t *t_json(const t_case_t *c, const char *file, int required);
static int t_select(const struct dirent *d);
static int t_setup(t_case_t *c, const char *type_dir);
static void t_teardown(t_case_t *c);
static int t_request(const t_case_t *c, invsync_request_t *rq, int full);
static int t_answer(const t_case_t *c, t_answer_t *ta, json_t **expect);
static int t_str_is(const t_case_t *c, const char *what, const char *got,
    json_t *want);
static int t_int_is(const t_case_t *c, const char *what, long long got,
    json_t *want, long long dflt);
static int t_parse_common(const t_case_t *c, invsync_channel_rc_e rc,
    int64_t delay, const t_answer_t *ta, json_t *expect);
static void t_push(t_case_t *c);
static void t_read(t_case_t *c);
static invsync_channel_rc_e t_read_step(t_case_t *c,
    invsync_read_item_t *items, size_t n, size_t *taken);
static void t_poll(t_case_t *c);
static void t_lookup(t_case_t *c);
static void t_authorize(t_case_t *c);
static void t_case(t_case_t *c);
static void t_channel(const invsync_channel_t *ch, const char *root);


/* by invsync_channel_rc_e and invsync_read_e */
static const char  *t_rc_names[] = { "done", "retry", "throttled", "more" };
static const char  *t_read_names[] = { "unread", "shows", "untracked",
                                       "missing" };


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


/*
 * The request against request.json: method, url, headers (the build's,
 * then authorize's, as the engine sends them) and body as JSON; with
 * full 0 (authorize) only the headers.  1 when it matches.
 */

static int
t_request(const t_case_t *c, invsync_request_t *rq, int full)
{
    int           ok;
    size_t        i;
    json_t       *want, *wh, *wb, *body;
    json_error_t  err;

    want = t_json(c, "request.json", 1);

    if (!json_is_object(want)) {
        json_decref(want);
        return 0;
    }

    ok = 1;

    if (full) {
        ok &= t_str_is(c, "method", rq->method,
                       json_object_get(want, "method"));
        ok &= t_str_is(c, "url", rq->url, json_object_get(want, "url"));
    }

    wh = json_object_get(want, "headers");

    if (json_array_size(wh) != rq->nheaders) {
        t_diag(c, "%zu headers, %zu wanted", rq->nheaders,
               json_array_size(wh));
        ok = 0;
    }

    for (i = 0; i < rq->nheaders; i++) {
        if (i < json_array_size(wh)) {
            ok &= t_str_is(c, "header", rq->headers[i],
                           json_array_get(wh, i));

        } else {
            t_diag(c, "header \"%s\" not wanted", rq->headers[i]);
        }
    }

    if (full) {
        wb = json_object_get(want, "body");

        if (wb == NULL || json_is_null(wb)) {
            if (rq->body != NULL) {
                t_diag(c, "a body, none wanted: %s", rq->body);
                ok = 0;
            }

        } else if (rq->body == NULL) {
            t_diag(c, "no body");
            ok = 0;

        } else {
            body = json_loads(rq->body, JSON_DECODE_ANY, &err);

            if (body == NULL || !json_equal(body, wb)) {
                t_diag(c, "body %s", rq->body);
                ok = 0;
            }

            json_decref(body);
        }
    }

    json_decref(want);

    return ok;
}


/*
 * answer.json (and answer.body) as the engine hands it to a parse, and
 * expect.json: 0, or -1 after a failed test
 */

static int
t_answer(const t_case_t *c, t_answer_t *ta, json_t **expect)
{
    size_t       i, len;
    json_t      *v, *hdrs;
    const char  *key, **names;

    memset(ta, 0, sizeof(t_answer_t));
    ta->doc = t_json(c, "answer.json", 1);

    if (!json_is_object(ta->doc)) {
        goto failed;
    }

    ta->a.status = (long) json_integer_value(json_object_get(ta->doc,
                                                             "status"));

    /* invsync_call_verdict() keeps these from every parse operation */
    if (ta->a.status == 429 || ta->a.status >= 500 || ta->a.status < 100) {
        t_diag(c, "HTTP %ld never reaches a parse", ta->a.status);
        goto failed;
    }

    v = json_object_get(ta->doc, "retry_after");
    ta->a.retry_after = json_is_string(v) ? json_string_value(v) : "";

    names = c->ch->answer_headers;

    for (i = 0; i < INVSYNC_ANSWER_HEADERS; i++) {
        ta->a.headers[i] = "";
    }

    hdrs = json_object_get(ta->doc, "headers");

    json_object_foreach(hdrs, key, v) {
        for (i = 0; names != NULL && names[i] != NULL; i++) {
            if (strcasecmp(names[i], key) == 0) {
                break;
            }
        }

        if (names == NULL || names[i] == NULL) {
            t_diag(c, "header \"%s\" is not one the channel reads", key);
            goto failed;
        }

        /* null: longer than the engine keeps */
        ta->a.headers[i] = json_string_value(v);
    }

    ta->body = t_file(c->dir, "answer.body", &len);

    if (ta->body == NULL) {
        v = json_object_get(ta->doc, "body");
        ta->body = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)
                             : strdup("");
        len = ta->body != NULL ? strlen(ta->body) : 0;
    }

    ta->a.body = ta->body;
    ta->a.len = len;
    ta->a.why = ta->why;
    ta->a.why_len = sizeof(ta->why);
    *expect = ta->body != NULL ? t_json(c, "expect.json", 1) : NULL;

    if (*expect != NULL) {
        return 0;
    }

failed:

    t_ok(0, "%s: answer", c->name);

    return -1;
}


/* got against a wanted string (absent: ""; null: got must be NULL) */

static int
t_str_is(const t_case_t *c, const char *what, const char *got, json_t *want)
{
    const char  *w;

    if (json_is_null(want)) {
        if (got != NULL) {
            t_diag(c, "%s \"%s\", none wanted", what, got);
            return 0;
        }

        return 1;
    }

    w = want != NULL ? json_string_value(want) : "";

    if (w == NULL || got == NULL || strcmp(got, w) != 0) {
        t_diag(c, "%s \"%s\", \"%s\" wanted", what, got ? got : "(null)",
               w ? w : "(not a string)");
        return 0;
    }

    return 1;
}


static int
t_int_is(const t_case_t *c, const char *what, long long got, json_t *want,
    long long dflt)
{
    long long  w;

    w = want != NULL ? (long long) json_integer_value(want) : dflt;

    if (got != w) {
        t_diag(c, "%s %lld, %lld wanted", what, got, w);
        return 0;
    }

    return 1;
}


/* what every parse is checked for: rc, delay_ms and why */

static int
t_parse_common(const t_case_t *c, invsync_channel_rc_e rc, int64_t delay,
    const t_answer_t *ta, json_t *expect)
{
    int  ok;

    ok = t_str_is(c, "rc", t_rc_names[rc], json_object_get(expect, "rc"));
    ok &= t_int_is(c, "delay_ms", (long long) delay,
                   json_object_get(expect, "delay_ms"), 0);
    ok &= t_str_is(c, "why", ta->why, json_object_get(expect, "why"));

    return ok;
}


static void
t_push(t_case_t *c)
{
    int                   ok;
    size_t                i, n, taken;
    json_t               *list, *v, *expect, *w;
    int64_t               delay;
    t_answer_t            ta;
    invsync_request_t     rq;
    invsync_channel_rc_e  rc;
    invsync_push_item_t   items[T_MAX_ITEMS];

    list = json_object_get(c->input, "items");
    n = json_array_size(list) < T_MAX_ITEMS ? json_array_size(list)
                                            : T_MAX_ITEMS;
    memset(items, 0, sizeof(items));

    json_array_foreach(list, i, v) {
        if (i == n) {
            break;
        }

        snprintf(items[i].sku, sizeof(items[i].sku), "%s",
                 json_string_value(json_object_get(v, "sku")));
        items[i].qty = json_integer_value(json_object_get(v, "qty"));
        items[i].ref = json_object_get(v, "ref");
    }

    invsync_request_init(&rq, "POST");
    taken = c->ch->push_build(&c->ctx, items, n,
                              json_string_value(json_object_get(c->input,
                                  "idempotency")), &rq);
    ok = taken > 0 && c->ch->authorize(&c->ctx, &rq) == 0;
    ok &= t_request(c, &rq, 1);

    w = t_json(c, "request.json", 0);
    ok &= t_int_is(c, "taken", (long long) taken, json_object_get(w, "taken"),
                   (long long) n);

    json_array_foreach(json_object_get(w, "skus"), i, v) {
        ok &= t_str_is(c, "sku", i < taken ? items[i].sku : NULL, v);
    }

    json_decref(w);
    invsync_request_free(&rq);
    t_ok(ok, "%s: request", c->name);

    if (t_answer(c, &ta, &expect) != 0) {
        goto done;
    }

    delay = 0;
    rc = c->ch->push_parse(&c->ctx, &ta.a, items, taken, &delay);
    ok = t_parse_common(c, rc, delay, &ta, expect);
    list = json_object_get(expect, "items");

    if (list != NULL && json_array_size(list) != taken) {
        t_diag(c, "%zu items wanted, %zu taken", json_array_size(list),
               taken);
        ok = 0;
    }

    json_array_foreach(list, i, v) {
        if (i == taken) {
            break;
        }

        ok &= t_str_is(c, "sku", items[i].sku, json_object_get(v, "sku"));
        ok &= t_int_is(c, items[i].sku, items[i].ok,
                       json_object_get(v, "ok"), 1);
        ok &= t_str_is(c, "err", items[i].err, json_object_get(v, "err"));
    }

    t_ok(ok, "%s: answer %s", c->name, t_rc_names[rc]);
    json_decref(expect);

done:

    json_decref(ta.doc);
    free(ta.body);
}


static void
t_read(t_case_t *c)
{
    int                   ok, rc_item;
    size_t                i, n, taken;
    json_t               *list, *v, *w, *wi;
    invsync_read_item_t   items[T_MAX_ITEMS];

    list = json_object_get(c->input, "items");
    w = t_json(c, "request.json", 0);
    wi = json_object_get(w, "read_item");
    memset(items, 0, sizeof(items));
    ok = json_array_size(wi) == json_array_size(list);

    if (!ok) {
        t_diag(c, "request.json: one read_item per item wanted");
    }

    /* as the engine queues them: those read_item takes, in their order */
    n = 0;

    json_array_foreach(list, i, v) {
        if (n == T_MAX_ITEMS) {
            break;
        }

        memset(&items[n], 0, sizeof(invsync_read_item_t));
        snprintf(items[n].sku, sizeof(items[n].sku), "%s",
                 json_string_value(json_object_get(v, "sku")));
        items[n].ref = json_object_get(v, "ref");
        rc_item = c->ch->read_item(&items[n]);

        if (json_is_null(json_array_get(wi, i)) != (rc_item != 0)) {
            t_diag(c, "read_item of %s: %d", items[n].sku, rc_item);
            ok = 0;

        } else if (rc_item == 0) {
            v = json_array_get(wi, i);
            ok &= t_str_is(c, "id", items[n].id, json_object_get(v, "id"));
            ok &= t_str_is(c, "at", items[n].at, json_object_get(v, "at"));
            ok &= t_str_is(c, "name", items[n].name,
                           json_object_get(v, "name"));
        }

        n += rc_item == 0;
    }

    json_decref(w);
    t_ok(ok, "%s: read_item", c->name);

    /* a parse that says "more" wants another request for the same page
     * (the engine sends it next, with the same items): the case's next/
     * folder holds it */
    while (t_read_step(c, items, n, &taken) == INVSYNC_CH_MORE) {
        n = taken;

        if (strlen(c->dir) + 5 >= sizeof(c->dir)
            || strlen(c->name) + 5 >= sizeof(c->name))
        {
            break;
        }

        strcat(c->dir, "/next");
        strcat(c->name, "/next");

        if (access(c->dir, F_OK) != 0) {
            t_diag(c, "the parse said more: a next/ folder is wanted");
            t_ok(0, "%s", c->name);
            break;
        }
    }
}


/* one request of a read case and its answer: the parse's result */

static invsync_channel_rc_e
t_read_step(t_case_t *c, invsync_read_item_t *items, size_t n,
    size_t *taken)
{
    int                   ok;
    size_t                i;
    json_t               *list, *v, *expect, *w;
    int64_t               delay;
    t_answer_t            ta;
    invsync_request_t     rq;
    invsync_channel_rc_e  rc;

    w = t_json(c, "request.json", 0);
    invsync_request_init(&rq, "GET");
    *taken = n > 0 ? c->ch->read_build(&c->ctx, items, n, &rq) : 0;
    ok = *taken > 0 && c->ch->authorize(&c->ctx, &rq) == 0;
    ok &= t_request(c, &rq, 1);
    ok &= t_int_is(c, "taken", (long long) *taken,
                   json_object_get(w, "taken"), (long long) n);

    json_array_foreach(json_object_get(w, "skus"), i, v) {
        ok &= t_str_is(c, "sku", i < *taken ? items[i].sku : NULL, v);
    }

    json_decref(w);
    invsync_request_free(&rq);
    t_ok(ok, "%s: request", c->name);

    if (t_answer(c, &ta, &expect) != 0) {
        rc = INVSYNC_CH_RETRY;
        goto done;
    }

    delay = 0;
    rc = c->ch->read_parse(&c->ctx, &ta.a, items, *taken, &delay);
    ok = t_parse_common(c, rc, delay, &ta, expect);
    list = json_object_get(expect, "items");

    if (list != NULL && json_array_size(list) != *taken) {
        t_diag(c, "%zu items wanted, %zu taken", json_array_size(list),
               *taken);
        ok = 0;
    }

    json_array_foreach(list, i, v) {
        if (i == *taken) {
            break;
        }

        ok &= t_str_is(c, "sku", items[i].sku, json_object_get(v, "sku"));
        ok &= t_str_is(c, "read", t_read_names[items[i].read],
                       json_object_get(v, "read"));

        if (items[i].read == INVSYNC_READ_SHOWS
            || json_object_get(v, "shows") != NULL)
        {
            ok &= t_int_is(c, "shows", (long long) items[i].shows,
                           json_object_get(v, "shows"), -1);
        }

        ok &= t_str_is(c, "why", items[i].why,
                       json_object_get(v, "why") != NULL
                       ? json_object_get(v, "why") : json_null());
    }

    t_ok(ok, "%s: answer %s", c->name, t_rc_names[rc]);
    json_decref(expect);

done:

    json_decref(ta.doc);
    free(ta.body);

    return rc;
}


static void
t_poll(t_case_t *c)
{
    int                   ok, rc_order;
    size_t                i;
    json_t               *v, *expect, *polled, *order;
    int64_t               delay;
    t_answer_t            ta;
    invsync_page_t        page;
    invsync_polled_t      p;
    invsync_request_t     rq;
    invsync_channel_rc_e  rc;

    memset(&page, 0, sizeof(invsync_page_t));
    page.since_ms = json_integer_value(json_object_get(c->input,
                                                       "since_ms"));
    v = json_object_get(c->input, "cursor");
    snprintf(page.cursor, sizeof(page.cursor), "%s",
             json_is_string(v) ? json_string_value(v) : "");
    page.pages = -1;

    invsync_request_init(&rq, "GET");
    ok = c->ch->poll_build(&c->ctx, &page, &rq) == 0
         && c->ch->authorize(&c->ctx, &rq) == 0;
    ok &= t_request(c, &rq, 1);
    invsync_request_free(&rq);
    t_ok(ok, "%s: request", c->name);

    if (t_answer(c, &ta, &expect) != 0) {
        goto done;
    }

    delay = 0;
    rc = c->ch->poll_parse(&c->ctx, &ta.a, &page, &delay);
    ok = t_parse_common(c, rc, delay, &ta, expect);

    if (rc == INVSYNC_CH_DONE || rc == INVSYNC_CH_MORE) {
        ok &= t_str_is(c, "cursor", page.cursor,
                       json_object_get(expect, "cursor"));
        ok &= t_int_is(c, "pages", page.pages,
                       json_object_get(expect, "pages"), -1);
        ok &= t_int_is(c, "orders", (long long) json_array_size(page.orders),
                       json_object_get(expect, "orders"), 0);

        if (!json_is_array(page.orders)) {
            t_diag(c, "no orders array");
            ok = 0;
        }

        polled = json_object_get(expect, "polled");

        json_array_foreach(page.orders, i, order) {
            v = json_array_get(polled, i);
            memset(&p, 0, sizeof(invsync_polled_t));
            rc_order = c->ch->poll_order(&c->ctx, order, &p);

            if (v == NULL || json_is_null(v) != (rc_order != 0)) {
                t_diag(c, "poll_order of order %zu: %d", i, rc_order);
                ok = 0;
                continue;
            }

            if (rc_order == 0) {
                ok &= t_str_is(c, "topic", p.topic,
                               json_object_get(v, "topic"));
                ok &= t_str_is(c, "id", p.id, json_object_get(v, "id"));
                ok &= t_str_is(c, "version", p.version,
                               json_object_get(v, "version"));
            }
        }

        if (json_array_size(polled) != json_array_size(page.orders)) {
            t_diag(c, "%zu polled wanted", json_array_size(polled));
            ok = 0;
        }

    } else if (page.orders != NULL) {
        /* the engines take orders only with DONE or MORE */
        t_diag(c, "orders left with %s", t_rc_names[rc]);
        ok = 0;
    }

    t_ok(ok, "%s: answer %s", c->name, t_rc_names[rc]);
    json_decref(page.orders);
    json_decref(expect);

done:

    json_decref(ta.doc);
    free(ta.body);
}


/*
 * refunds (an order's refunds with their lines) and disposition (what a
 * disposition of returned units belongs to): items.json's "id" into the
 * build, its answer's result against expect.json's "result" as JSON
 * (absent or null: none).  request.json {"refused": true}: the build
 * refuses the id, and there is no answer.
 */

static void
t_lookup(t_case_t *c)
{
    int                   ok, built, refunds;
    char                 *dump;
    json_t               *want, *expect, *got, *w;
    int64_t               delay;
    const char           *id;
    t_answer_t            ta;
    invsync_request_t     rq;
    invsync_channel_rc_e  rc;

    refunds = strcmp(c->op, "refunds") == 0;
    id = json_string_value(json_object_get(c->input, "id"));

    if (id == NULL) {
        t_ok(0, "%s: items.json has an id", c->name);
        return;
    }

    invsync_request_init(&rq, "GET");
    built = (refunds ? c->ch->refunds_build(&c->ctx, id, &rq)
                     : c->ch->disposition_build(&c->ctx, id, &rq)) == 0;

    want = t_json(c, "request.json", 1);

    if (json_is_true(json_object_get(want, "refused"))) {
        json_decref(want);
        invsync_request_free(&rq);
        t_ok(!built, "%s: the build refuses the id", c->name);
        return;
    }

    json_decref(want);

    ok = built && c->ch->authorize(&c->ctx, &rq) == 0;
    ok &= t_request(c, &rq, 1);
    invsync_request_free(&rq);
    t_ok(ok, "%s: request", c->name);

    if (t_answer(c, &ta, &expect) != 0) {
        goto done;
    }

    delay = 0;
    got = NULL;
    rc = refunds ? c->ch->refunds_parse(&c->ctx, &ta.a, &got, &delay)
                 : c->ch->disposition_parse(&c->ctx, &ta.a, &got, &delay);
    ok = t_parse_common(c, rc, delay, &ta, expect);
    w = json_object_get(expect, "result");

    if (rc != INVSYNC_CH_DONE && got != NULL) {
        /* the engines take a result only with DONE */
        t_diag(c, "a result left with %s", t_rc_names[rc]);
        ok = 0;

    } else if (w == NULL || json_is_null(w) ? got != NULL
                                            : !json_equal(got, w))
    {
        dump = got != NULL ? json_dumps(got, JSON_COMPACT) : NULL;
        t_diag(c, "result %s", dump != NULL ? dump : "none");
        free(dump);
        ok = 0;
    }

    t_ok(ok, "%s: answer %s", c->name, t_rc_names[rc]);
    json_decref(got);
    json_decref(expect);

done:

    json_decref(ta.doc);
    free(ta.body);
}


static void
t_authorize(t_case_t *c)
{
    int                ok;
    invsync_request_t  rq;

    invsync_request_init(&rq, "GET");
    ok = c->ch->authorize(&c->ctx, &rq) == 0;
    ok &= t_request(c, &rq, 0);
    invsync_request_free(&rq);
    t_ok(ok, "%s: headers", c->name);
}


static void
t_case(t_case_t *c)
{
    if (strcmp(c->op, "push") == 0) {
        t_push(c);

    } else if (strcmp(c->op, "read") == 0) {
        t_read(c);

    } else if (strcmp(c->op, "poll") == 0) {
        t_poll(c);

    } else if (strcmp(c->op, "refunds") == 0
               || strcmp(c->op, "disposition") == 0)
    {
        t_lookup(c);

    } else {
        t_authorize(c);
    }
}


/* the cases of one channel type, and that what it can do has cases */

static void
t_channel(const invsync_channel_t *ch, const char *root)
{
    int              no, nc, k, m, found[T_OPS];
    char             tdir[T_PATH_LEN], odir[T_PATH_LEN];
    size_t           op;
    t_case_t         c;
    struct dirent  **ops, **cases;

    static const char  *names[T_OPS] = { "push", "read", "poll", "authorize",
                                         "refunds", "disposition" };

    const int  can[T_OPS] = { invsync_channel_can(ch, push_build),
                              invsync_channel_can(ch, read_build),
                              invsync_channel_can(ch, poll_build),
                              invsync_channel_can(ch, authorize),
                              invsync_channel_can(ch, refunds_build),
                              invsync_channel_can(ch, disposition_build) };

    snprintf(tdir, sizeof(tdir), "%s/%s", root, ch->type);
    memset(found, 0, sizeof(found));
    no = scandir(tdir, &ops, t_select, alphasort);

    for (k = 0; k < no; k++) {
        /* tracking's sequences: t/unit/test_channels_track.c */
        if (strcmp(ops[k]->d_name, "track") == 0) {
            free(ops[k]);
            continue;
        }

        for (op = 0; op < T_OPS && strcmp(names[op], ops[k]->d_name) != 0;
             op++)
        {
            /* void */
        }

        nc = op < T_OPS && can[op]
             && snprintf(odir, sizeof(odir), "%s/%s", tdir, names[op])
                < (int) sizeof(odir)
             ? scandir(odir, &cases, t_select, alphasort) : -1;

        if (nc < 0) {
            t_ok(0, "%s/%s: an operation of the channel", ch->type,
                 ops[k]->d_name);
        }

        for (m = 0; m < nc; m++) {
            memset(&c, 0, sizeof(t_case_t));
            c.ch = ch;
            c.op = names[op];

            if (snprintf(c.dir, sizeof(c.dir), "%s/%s", odir,
                         cases[m]->d_name) < (int) sizeof(c.dir)
                && snprintf(c.name, sizeof(c.name), "%s/%s/%s", ch->type,
                            c.op, cases[m]->d_name) < (int) sizeof(c.name)
                && t_setup(&c, tdir) == 0)
            {
                t_case(&c);
                found[op]++;

            } else {
                t_ok(0, "%s: a case", c.name);
            }

            t_teardown(&c);
            free(cases[m]);
        }

        if (nc >= 0) {
            free(cases);
        }

        free(ops[k]);
    }

    if (no >= 0) {
        free(ops);
    }

    /* a channel without push, read and poll (a scheme only) needs none */
    if (can[0] || can[1] || can[2]) {
        t_ok((found[0] || !can[0]) && (found[1] || !can[1])
             && (found[2] || !can[2]) && (found[3] || !can[3])
             && (found[4] || !can[4]) && (found[5] || !can[5]),
             "%s: every operation has cases (%d push, %d read, %d poll, "
             "%d authorize, %d refunds, %d disposition)", ch->type,
             found[0], found[1], found[2], found[3], found[4], found[5]);
    }
}


int
main(void)
{
    int              nt, i;
    size_t           j;
    const char      *root;
    struct dirent  **types;

    root = getenv("INVSYNC_CHANNEL_CASES");
    if (root == NULL) {
        root = "t/channels";
    }

    nt = scandir(root, &types, t_select, alphasort);
    if (nt < 0) {
        printf("1..0 # SKIP no cases in %s\n", root);
        return 1;
    }

    for (i = 0; i < nt; i++) {
        if (invsync_channel_find(types[i]->d_name) == NULL) {
            t_ok(0, "%s: a channel type", types[i]->d_name);
        }

        free(types[i]);
    }

    free(types);

    for (j = 0; invsync_channels[j] != NULL; j++) {
        t_channel(invsync_channels[j], root);
    }

    printf("1..%zu\n", t_n);

    return t_failed;
}
