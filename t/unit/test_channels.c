
/*
 * The channel cases of the stock operations, and authorize: each case of
 * t/channels/<type>/push|read|authorize/<case>/ goes through the channel's
 * build operation and authorize, the request is compared with
 * request.json; its answer.json goes through the parse operation, the
 * result is compared with expect.json (a read that answers "more" goes on
 * in the case's next/).  No network.  The formats: t/channels/README.md;
 * poll, refunds and disposition: test_channels_orders.c; that each
 * channel's operations have cases: test_channels_table.c.  Prints TAP.
 */


#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "channel_cases.h"
#include "channel_check.h"


#define T_MAX_ITEMS    256


/* by invsync_read_e */
static const char  *t_read_names[] = { "unread", "shows", "untracked",
                                       "missing" };


static void t_push(t_case_t *c);
static void t_read(t_case_t *c);
static invsync_channel_rc_e t_read_step(t_case_t *c,
    invsync_read_item_t *items, size_t n, size_t *taken);
static void t_authorize(t_case_t *c);


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


int
main(void)
{
    static const t_run_f  run[T_OPS] = { t_push, t_read, NULL, t_authorize,
                                         NULL, NULL };

    return t_run_ops(run);
}
