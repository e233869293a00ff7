
/*
 * What a channel case is checked against: its request against
 * request.json, answer.json (and answer.body) handed to a parse as the
 * engine does, and what every parse gives (rc, delay_ms, why) against
 * expect.json.  Used by test_channels.c and test_channels_orders.c; the
 * cases themselves: channel_cases.h.
 */


#ifndef T_CHANNEL_CHECK_H
#define T_CHANNEL_CHECK_H


#include <strings.h>

#include "channel_cases.h"


#define T_WHY_LEN      160                  /* as the engines give */


typedef struct {
    invsync_answer_t   a;
    char              *body;
    json_t            *doc;
    char               why[T_WHY_LEN];
} t_answer_t;


static int t_request(const t_case_t *c, invsync_request_t *rq, int full)
    __attribute__((unused));
static int t_answer(const t_case_t *c, t_answer_t *ta, json_t **expect)
    __attribute__((unused));
static int t_str_is(const t_case_t *c, const char *what, const char *got,
    json_t *want) __attribute__((unused));
static int t_int_is(const t_case_t *c, const char *what, long long got,
    json_t *want, long long dflt) __attribute__((unused));
static int t_parse_common(const t_case_t *c, invsync_channel_rc_e rc,
    int64_t delay, const t_answer_t *ta, json_t *expect)
    __attribute__((unused));


/* by invsync_channel_rc_e */
static const char  *t_rc_names[] = { "done", "retry", "throttled", "more" };


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


#endif /* T_CHANNEL_CHECK_H */
