
/*
 * The channel cases of the order operations: t/channels/<type>/poll/
 * (a page of orders since a time or a cursor, each order named by
 * poll_order), refunds (an order's refunds with their lines) and
 * disposition (what a disposition of returned units belongs to).  A
 * case's request is compared with request.json, its answer's parse with
 * expect.json.  No network.  The formats: t/channels/README.md; push,
 * read and authorize: test_channels.c.  Prints TAP.
 */


#include <stdio.h>
#include <string.h>

#include "channel_cases.h"
#include "channel_check.h"


static void t_poll(t_case_t *c);
static void t_lookup(t_case_t *c);


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


int
main(void)
{
    static const t_run_f  run[T_OPS] = { NULL, NULL, t_poll, NULL,
                                         t_lookup, t_lookup };

    return t_run_ops(run);
}
