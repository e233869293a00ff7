
/*
 * The tracking cases of every channel: t/channels/<type>/track/<case>/
 * (test_channels.c and test_channels_orders.c run the other operations).
 * A case is a shipment (shipment.json) and the exchanges of its sequence
 * in order (exchanges.json): each the request track_build and authorize
 * must make of the step, the answer recorded, and what track_parse then
 * makes of it (rc, the next step, delay_ms); after the last, the
 * shipment's ref or err.
 * The sequence starts at look, as the engine starts every attempt.  The
 * formats: t/channels/README.md.  Files, JSON, the case folders and the
 * root: channel_cases.h.  Prints TAP.
 */


#include "channel_cases.h"
#include "invsync_shipment.h"


static const char  *t_steps[] = { "look", "move", "create", "complete",
                                  "done", "refused" };
static const char  *t_rcs[] = { "done", "retry", "throttled", "more" };


static void
t_named(int ok, const char *name, const char *what)
{
    t_ok(ok, "%s: %s", name, what);
}


static void
t_str(char *dst, size_t cap, json_t *obj, const char *key)
{
    const char  *v = json_string_value(json_object_get(obj, key));

    snprintf(dst, cap, "%s", v != NULL ? v : "");
}


static void
t_shipment(invsync_shipment_t *s, json_t *in)
{
    size_t   i;
    json_t  *ln;

    memset(s, 0, sizeof(*s));
    t_str(s->id, sizeof(s->id), in, "id");
    t_str(s->order_id, sizeof(s->order_id), in, "order_id");
    t_str(s->location, sizeof(s->location), in, "location");
    t_str(s->carrier, sizeof(s->carrier), in, "carrier");
    t_str(s->service, sizeof(s->service), in, "service");
    t_str(s->tracking, sizeof(s->tracking), in, "tracking");
    t_str(s->tracking_url, sizeof(s->tracking_url), in, "tracking_url");
    s->shipped_at_ms = json_integer_value(json_object_get(in, "shipped_at"));
    s->last = json_object_get(in, "last") == NULL
              || json_is_true(json_object_get(in, "last"));

    json_array_foreach(json_object_get(in, "lines"), i, ln) {
        if (i < INVSYNC_SHIPMENT_LINES) {
            t_str(s->lines[i].line_id, sizeof(s->lines[i].line_id), ln,
                  "line_id");
            t_str(s->lines[i].sku, sizeof(s->lines[i].sku), ln, "sku");
            s->lines[i].qty = json_integer_value(json_object_get(ln, "qty"));
            s->nlines = i + 1;
        }
    }
}


/* the request against the wanted one: 1 when it matches */

static int
t_request(const invsync_request_t *rq, json_t *want)
{
    int      ok;
    size_t   i;
    json_t  *body, *wh, *wb;

    ok = strcmp(rq->method, json_string_value(json_object_get(want,
                "method")) ?: "") == 0;
    ok &= strcmp(rq->url, json_string_value(json_object_get(want, "url"))
                          ?: "") == 0;
    wh = json_object_get(want, "headers");
    ok &= json_array_size(wh) == rq->nheaders;

    for (i = 0; i < rq->nheaders && i < json_array_size(wh); i++) {
        ok &= strcmp(rq->headers[i], json_string_value(json_array_get(wh, i))
                                     ?: "") == 0;
    }

    wb = json_object_get(want, "body");
    body = rq->body != NULL ? json_loads(rq->body, 0, NULL) : NULL;
    ok &= (wb == NULL || json_is_null(wb)) ? rq->body == NULL
                                           : json_equal(body, wb);

    if (!ok) {
        printf("# got %s %s (%zu headers) %s\n", rq->method, rq->url,
               rq->nheaders, rq->body ? rq->body : "(no body)");
    }

    json_decref(body);

    return ok;
}


/* one exchange: 1 when the request and the parse are as wanted */

static int
t_exchange(const invsync_channel_t *ch, invsync_channel_ctx_t *ctx,
    invsync_shipment_t *s, json_t *x, const char *name)
{
    int                   ok;
    char                  why[160], *body;
    size_t                i;
    int64_t               delay;
    json_t               *ans, *then;
    invsync_answer_t      a;
    invsync_request_t     rq;
    invsync_channel_rc_e  rc;

    invsync_request_init(&rq, "GET");
    ok = ch->track_build(ctx, s, &rq) == 0 && ch->authorize(ctx, &rq) == 0;
    ok = ok && t_request(&rq, json_object_get(x, "request"));
    invsync_request_free(&rq);
    t_named(ok, name, "request");

    ans = json_object_get(x, "answer");
    then = json_object_get(x, "then");
    memset(&a, 0, sizeof(a));
    a.status = (long) json_integer_value(json_object_get(ans, "status"));
    a.retry_after = "";

    for (i = 0; i < INVSYNC_ANSWER_HEADERS; i++) {
        a.headers[i] = "";
    }

    body = json_object_get(ans, "body") != NULL
           ? json_dumps(json_object_get(ans, "body"), JSON_ENCODE_ANY)
           : strdup("");
    a.body = body;
    a.len = strlen(body);
    why[0] = '\0';
    a.why = why;
    a.why_len = sizeof(why);
    delay = 0;

    rc = ch->track_parse(ctx, &a, s, &delay);
    free(body);

    ok = strcmp(t_rcs[rc], json_string_value(json_object_get(then, "rc"))
                           ?: "done") == 0;
    ok &= strcmp(t_steps[s->step], json_string_value(json_object_get(then,
                 "step")) ?: "") == 0;
    ok &= delay == json_integer_value(json_object_get(then, "delay_ms"));

    if (!ok) {
        printf("# parse: rc %s, step %s, delay %lld, why \"%s\", err "
               "\"%s\"\n", t_rcs[rc], t_steps[s->step], (long long) delay,
               why, s->err);
    }

    t_named(ok, name, "parse");

    return ok;
}


static void
t_case(const invsync_channel_t *ch, json_t *conf, const char *credentials,
    const char *dir, const char *name)
{
    int                     ok;
    char                    label[T_PATH_LEN + 64];
    size_t                  i;
    json_t                 *in, *xs, *x, *want;
    t_case_t                c;
    invsync_shipment_t      s;

    /* the case's folder and name, for t_json() and its diagnostics */
    memset(&c, 0, sizeof(t_case_t));
    c.ch = ch;
    c.op = "track";
    snprintf(c.name, sizeof(c.name), "%s", name);

    if (snprintf(c.dir, sizeof(c.dir), "%s", dir) < (int) sizeof(c.dir)) {
        in = t_json(&c, "shipment.json", 1);
        xs = t_json(&c, "exchanges.json", 1);

    } else {
        in = NULL;
        xs = NULL;
    }

    want = json_object_get(in, "expect");

    /* t_json() takes any JSON value: a shipment is an object */
    if (!json_is_object(in) || !json_is_array(xs)) {
        t_named(0, name, "a case");
        goto over;
    }

    c.conf.id = (char *) json_string_value(json_object_get(conf, "id"));
    c.conf.type = (char *) ch->type;
    c.conf.api_base = (char *) json_string_value(json_object_get(conf,
                                                                 "api_base"));
    c.conf.options = json_object_get(in, "options");
    c.ctx.conf = &c.conf;
    c.ctx.credentials = credentials;
    c.ctx.now_ms = T_NOW_MS;

    t_shipment(&s, in);

    json_array_foreach(xs, i, x) {
        snprintf(label, sizeof(label), "%s #%zu", name, i + 1);

        if (!t_exchange(ch, &c.ctx, &s, x, label)) {
            break;
        }
    }

    ok = strcmp(t_steps[s.step], json_string_value(json_object_get(want,
                "step")) ?: "") == 0;
    ok &= strcmp(s.ref, json_string_value(json_object_get(want, "ref"))
                        ?: "") == 0;
    ok &= strcmp(s.err, json_string_value(json_object_get(want, "err"))
                        ?: "") == 0;

    if (!ok) {
        printf("# ended at %s, ref \"%s\", err \"%s\"\n", t_steps[s.step],
               s.ref, s.err);
    }

    t_named(ok, name, "outcome");
    json_decref(s.found);

over:

    json_decref(in);
    json_decref(xs);
}


static void
t_channel(const invsync_channel_t *ch, const char *root)
{
    int              n, k;
    char             dir[T_PATH_LEN], cdir[T_PATH_LEN * 2], name[T_PATH_LEN];
    char            *cred, *nl;
    size_t           len;
    json_t          *conf;
    t_case_t         type;
    struct dirent  **cases;

    /* the type's conf.json and credentials (one line, its newline
     * removed, as t_setup() and invsync_channel_credentials()) */
    memset(&type, 0, sizeof(t_case_t));
    snprintf(type.dir, sizeof(type.dir), "%s/%s", root, ch->type);
    snprintf(type.name, sizeof(type.name), "%s", ch->type);
    conf = invsync_channel_can(ch, track_build)
           ? t_json(&type, "conf.json", 1) : NULL;
    cred = t_file(type.dir, "credentials", &len);

    if (cred != NULL && (nl = strchr(cred, '\n')) != NULL) {
        *nl = '\0';
    }

    snprintf(dir, sizeof(dir), "%s/%s/track", root, ch->type);
    n = scandir(dir, &cases, t_select, alphasort);

    if (!invsync_channel_can(ch, track_build)) {
        t_named(n < 0, ch->type, "no track cases for a channel without "
             "tracking");

    } else {
        t_named(n > 0, ch->type, "tracking has cases");
    }

    for (k = 0; k < n; k++) {
        snprintf(cdir, sizeof(cdir), "%s/%s", dir, cases[k]->d_name);
        snprintf(name, sizeof(name), "%s/track/%s", ch->type,
                 cases[k]->d_name);

        if (invsync_channel_can(ch, track_build)) {
            t_case(ch, conf, cred != NULL ? cred : "", cdir, name);
        }

        free(cases[k]);
    }

    if (n >= 0) {
        free(cases);
    }

    json_decref(conf);
    free(cred);
}


int
main(void)
{
    size_t       j;
    const char  *root;

    root = t_root();

    for (j = 0; invsync_channels[j] != NULL; j++) {
        t_channel(invsync_channels[j], root);
    }

    printf("1..%zu\n", t_n);

    return t_failed;
}
