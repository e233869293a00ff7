
/*
 * The 3PL providers' recorded exchanges, t/providers/<type>/<op>/<case>/
 * (t/providers/README.md): each case's input through the provider's build
 * operation and its channel's authorize, against request.json; then
 * answer.json through the parse, against expect.json.  No network.
 */


#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "invsync_provider.h"
#include "tap.h"


#define T_PATH_LEN  1024


typedef struct {
    char                       dir[T_PATH_LEN];
    char                       name[T_PATH_LEN];
    const char                *op;
    const invsync_3pl_t       *p;
    const invsync_channel_t   *ch;
    invsync_channel_conf_t     conf;
    invsync_channel_ctx_t      ctx;
    json_t                    *conf_doc;
    json_t                    *input;
    char                      *credentials;
} t_case_t;


static const char  *t_ops[] = { "find", "create", "get", "cancel", NULL };


static char *
t_file(const char *dir, const char *name, size_t *len)
{
    char   path[T_PATH_LEN + 64], *buf;
    long   n;
    FILE  *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n + 1);

    if (buf == NULL || fread(buf, 1, n, f) != (size_t) n) {
        free(buf);
        fclose(f);
        return NULL;
    }

    buf[n] = '\0';
    fclose(f);
    *len = n;

    return buf;
}


static json_t *
t_json(const char *dir, const char *name)
{
    char          path[T_PATH_LEN + 64];
    json_t       *v;
    json_error_t  e;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    v = json_load_file(path, JSON_REJECT_DUPLICATES, &e);

    if (v == NULL && strstr(e.text, "unable to open") == NULL) {
        printf("# %s: %s (line %d)\n", path, e.text, e.line);
    }

    return v;
}


static const char *
t_str(json_t *obj, const char *key)
{
    const char  *s;

    s = json_string_value(json_object_get(obj, key));

    return s != NULL ? s : "";
}


static int
t_select(const struct dirent *d)
{
    return d->d_name[0] != '.' && d->d_type == DT_DIR;
}


/* the case's conf.json and credentials, else the type's */
static int
t_setup(t_case_t *c, const char *type_dir)
{
    size_t  len;
    char   *nl;

    c->conf_doc = t_json(c->dir, "conf.json");
    if (c->conf_doc == NULL) {
        c->conf_doc = t_json(type_dir, "conf.json");
    }

    c->input = t_json(c->dir, "input.json");

    if (!json_is_object(c->conf_doc) || !json_is_object(c->input)) {
        printf("# %s: no conf.json or input.json object\n", c->name);
        return -1;
    }

    c->conf.id = (char *) t_str(c->conf_doc, "id");
    c->conf.type = (char *) c->p->type;
    c->conf.api_base = (char *) t_str(c->conf_doc, "api_base");
    c->conf.options = json_object_get(c->conf_doc, "options");

    c->credentials = t_file(c->dir, "credentials", &len);
    if (c->credentials == NULL) {
        c->credentials = t_file(type_dir, "credentials", &len);
    }

    if (c->credentials != NULL && (nl = strchr(c->credentials, '\n'))) {
        *nl = '\0';
    }

    c->ctx.conf = &c->conf;
    c->ctx.credentials = c->credentials;
    c->ctx.now_ms = 1795000000000LL;

    return 0;
}


static int
t_build(t_case_t *c, invsync_request_t *rq)
{
    invsync_3pl_shipment_t  s;

    if (strcmp(c->op, "find") == 0) {
        return c->p->find_build(&c->ctx, t_str(c->input, "id"), rq);
    }

    if (strcmp(c->op, "create") == 0) {
        s.id = t_str(c->input, "id");
        s.order_number = json_string_value(json_object_get(c->input,
                                                           "order_number"));
        s.shipping_method = json_string_value(json_object_get(c->input,
                                              "shipping_method"));
        s.address = json_object_get(c->input, "address");
        s.customer = json_object_get(c->input, "customer");
        s.lines = json_object_get(c->input, "lines");
        return c->p->create_build(&c->ctx, &s, rq);
    }

    if (strcmp(c->op, "get") == 0) {
        return c->p->get_build(&c->ctx, t_str(c->input, "ref"), rq);
    }

    return c->p->cancel_build(&c->ctx, t_str(c->input, "ref"), rq);
}


/* method, url, headers in order, body as JSON */
static int
t_request(t_case_t *c, invsync_request_t *rq)
{
    int      ok;
    size_t   i;
    json_t  *want, *hs, *body;

    want = t_json(c->dir, "request.json");
    hs = json_object_get(want, "headers");
    ok = want != NULL && strcmp(rq->method, t_str(want, "method")) == 0
         && strcmp(rq->url, t_str(want, "url")) == 0
         && json_array_size(hs) == rq->nheaders;

    for (i = 0; ok && i < rq->nheaders; i++) {
        ok = json_is_string(json_array_get(hs, i))
             && strcmp(rq->headers[i],
                       json_string_value(json_array_get(hs, i))) == 0;
    }

    body = rq->body ? json_loads(rq->body, 0, NULL) : NULL;
    ok = ok && json_equal(body ? body : json_null(),
                          json_object_get(want, "body")
                          ? json_object_get(want, "body") : json_null());

    if (!ok) {
        printf("# %s %s\n", rq->method, rq->url);
        for (i = 0; i < rq->nheaders; i++) {
            printf("# %s\n", rq->headers[i]);
        }
        printf("# body %s\n", rq->body ? rq->body : "(none)");
    }

    json_decref(body);
    json_decref(want);

    return ok;
}


static invsync_channel_rc_e
t_parse(t_case_t *c, invsync_answer_t *a, invsync_3pl_order_t *o)
{
    if (strcmp(c->op, "find") == 0) {
        return c->p->find_parse(&c->ctx, a, t_str(c->input, "id"), o);
    }

    if (strcmp(c->op, "create") == 0) {
        return c->p->create_parse(&c->ctx, a, o);
    }

    if (strcmp(c->op, "get") == 0) {
        return c->p->get_parse(&c->ctx, a, o);
    }

    return c->p->cancel_parse(&c->ctx, a, o);
}


static int
t_answer(t_case_t *c)
{
    int                   ok;
    char                  why[256], *raw, *body;
    size_t                len;
    json_t               *ans, *exp;
    invsync_answer_t      a;
    invsync_3pl_order_t   o;
    invsync_channel_rc_e  rc;
    static const char    *rcs[] = { "done", "retry", "throttled", "more" };

    ans = t_json(c->dir, "answer.json");
    exp = t_json(c->dir, "expect.json");
    raw = t_file(c->dir, "answer.body", &len);
    body = raw;

    if (body == NULL && json_object_get(ans, "body") != NULL) {
        body = json_dumps(json_object_get(ans, "body"), JSON_ENCODE_ANY);
    }

    memset(&a, 0, sizeof(a));
    a.status = json_integer_value(json_object_get(ans, "status"));
    a.body = body ? body : "";
    a.len = body ? strlen(body) : 0;
    a.retry_after = "";
    a.headers[0] = a.headers[1] = a.headers[2] = a.headers[3] = "";
    why[0] = '\0';
    a.why = why;
    a.why_len = sizeof(why);

    memset(&o, 0, sizeof(o));
    rc = t_parse(c, &a, &o);

    ok = exp != NULL && strcmp(rcs[rc], t_str(exp, "rc")) == 0
         && strcmp(why, t_str(exp, "why")) == 0;

    if (ok && rc == INVSYNC_CH_DONE) {
        ok = strcmp(invsync_3pl_state_name(o.state), t_str(exp, "state")) == 0
             && strcmp(o.ref, t_str(exp, "ref")) == 0
             && strcmp(o.carrier, t_str(exp, "carrier")) == 0
             && strcmp(o.service, t_str(exp, "service")) == 0
             && strcmp(o.tracking, t_str(exp, "tracking")) == 0
             && strcmp(o.url, t_str(exp, "url")) == 0
             /* a 3PL's items, when the case names them */
             && (json_object_get(exp, "items") == NULL
                 || (o.items != NULL
                     && json_equal(o.items, json_object_get(exp, "items"))));
    }

    if (!ok) {
        printf("# rc %s, why \"%s\", state %s, ref \"%s\", carrier \"%s\", "
               "service \"%s\", tracking \"%s\", url \"%s\"\n", rcs[rc], why,
               rc == INVSYNC_CH_DONE ? invsync_3pl_state_name(o.state) : "-",
               o.ref, o.carrier, o.service, o.tracking, o.url);
    }

    json_decref(o.items);
    free(body);
    json_decref(ans);
    json_decref(exp);

    return ok;
}


static void
t_case(t_case_t *c, const char *type_dir)
{
    int                ok;
    invsync_request_t  rq;

    if (t_setup(c, type_dir) != 0) {
        t_ok(0, "%s: set up", c->name);
        return;
    }

    memset(&rq, 0, sizeof(rq));
    ok = t_build(c, &rq) == 0 && c->ch->authorize(&c->ctx, &rq) == 0;
    t_ok(ok && t_request(c, &rq), "%s: request", c->name);
    invsync_request_free(&rq);

    t_ok(t_answer(c), "%s: answer", c->name);

    json_decref(c->conf_doc);
    json_decref(c->input);
    free(c->credentials);
}


/* every case of one provider; each operation must have some */
static void
t_type(const char *root, const char *type)
{
    int              i, k, nops, ncases;
    char             tdir[T_PATH_LEN];
    size_t           found[4] = { 0, 0, 0, 0 };
    struct dirent  **ops, **cases;
    t_case_t         c;

    if (snprintf(tdir, sizeof(tdir), "%s/%s", root, type)
        >= (int) sizeof(tdir))
    {
        t_ok(0, "%s: a path that fits", type);
        return;
    }

    nops = scandir(tdir, &ops, t_select, alphasort);

    for (k = 0; k < nops; k++) {
        for (i = 0; t_ops[i] && strcmp(t_ops[i], ops[k]->d_name); i++) { }

        if (t_ops[i] == NULL) {
            t_ok(0, "%s/%s: an operation of a 3PL", type, ops[k]->d_name);
            free(ops[k]);
            continue;
        }

        memset(&c, 0, sizeof(c));
        if (snprintf(c.dir, sizeof(c.dir), "%s/%s", tdir, ops[k]->d_name)
            >= (int) sizeof(c.dir))
        {
            free(ops[k]);
            continue;
        }

        ncases = scandir(c.dir, &cases, t_select, alphasort);

        for (int m = 0; m < ncases; m++) {
            memset(&c, 0, sizeof(c));
            c.op = t_ops[i];
            c.p = invsync_3pl_find(type);
            c.ch = invsync_channel_find(type);
            if (snprintf(c.dir, sizeof(c.dir), "%s/%s/%s", tdir, c.op,
                         cases[m]->d_name) >= (int) sizeof(c.dir)
                || snprintf(c.name, sizeof(c.name), "%s/%s/%s", type, c.op,
                            cases[m]->d_name) >= (int) sizeof(c.name))
            {
                t_ok(0, "%s: a path that fits", cases[m]->d_name);
            } else {
                t_case(&c, tdir);
            }

            found[i]++;
            free(cases[m]);
        }

        free(cases);
        free(ops[k]);
    }

    free(ops);

    for (i = 0; t_ops[i] != NULL; i++) {
        t_ok(found[i] > 0, "%s: cases for %s (%zu)", type, t_ops[i],
             found[i]);
    }
}


int
main(void)
{
    int              i, n;
    char             root[T_PATH_LEN];
    const char      *top;
    struct dirent  **types;

    top = getenv("INVSYNC_TOP");
    snprintf(root, sizeof(root), "%s/t/providers", top ? top : ".");
    n = scandir(root, &types, t_select, alphasort);

    if (n <= 0) {
        printf("Bail out! no cases in %s\n", root);
        return 1;
    }

    for (i = 0; i < n; i++) {
        if (invsync_3pl_find(types[i]->d_name) == NULL
            || invsync_channel_find(types[i]->d_name) == NULL)
        {
            t_ok(0, "%s: a 3PL type", types[i]->d_name);
        } else {
            t_type(root, types[i]->d_name);
        }

        free(types[i]);
    }

    free(types);

    /* every 3PL row has cases */
    for (i = 0; invsync_3pls[i] != NULL; i++) {
        char  tdir[T_PATH_LEN + 64];
        DIR  *d;

        snprintf(tdir, sizeof(tdir), "%s/%s", root, invsync_3pls[i]->type);
        d = opendir(tdir);
        t_ok(d != NULL, "%s: has cases", invsync_3pls[i]->type);
        if (d != NULL) {
            closedir(d);
        }
    }

    printf("1..%zu\n", t_n);

    return t_failed;
}
