
/*
 * The console's SKU answer (lua/sku): to each channel the SKU is mapped
 * on, what that channel should show of it by the ledger and the channel's
 * stock rules, with the arithmetic of the worker and invsyncctl (the
 * core's invsync_stock.c).  The rules are the channel's channels[].stock
 * as a worker wrote them to K stockrules; a channel no worker has written
 * them for gets "should_show": null.  A bundle shows its scarcest
 * component, as the worker pushes it.
 */


#include "ngx_http_invsync_console.h"
#include "invsync_stock.h"


static ngx_int_t ngx_http_invsync_console_sku_should(json_t *doc);
static ngx_int_t ngx_http_invsync_console_sku_ledger(invsync_stock_t *st,
    json_t *ledger, json_t *unrouted);
static json_t *ngx_http_invsync_console_sku_one(json_t *doc,
    json_t *channel, invsync_stock_t *st, invsync_stock_rules_t *rules);


ngx_int_t
ngx_http_invsync_console_sku_done(ngx_http_request_t *r,
    ngx_http_invsync_console_ctx_t *cx, redisReply *rp)
{
    u_char  *p;
    json_t  *doc;

    if (rp->type != REDIS_REPLY_STRING) {
        return ngx_http_invsync_console_error(r, NGX_HTTP_BAD_GATEWAY,
                                              "redis answered oddly");
    }

    doc = json_loadb(rp->str, rp->len, 0, NULL);

    if (json_is_object(doc) && ngx_http_invsync_console_sku_should(doc)
                               == NGX_OK)
    {
        return ngx_http_invsync_console_json(r, NGX_HTTP_OK, doc);
    }

    /* text jansson does not take (not UTF-8): as the script wrote it,
     * without what channels should show */
    json_decref(doc);

    p = ngx_pnalloc(r->pool, rp->len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, rp->str, rp->len);

    return ngx_http_invsync_console_send(r, NGX_HTTP_OK, "application/json",
                                         p, rp->len);
}


/*
 * Each channel's "rules" (JSON text) becomes the object it holds, and
 * "available" and "should_show" are added: numbers, or null without
 * rules.  The structs are large (a ledger of 256 locations): from the
 * heap, once per answer.
 */

static ngx_int_t
ngx_http_invsync_console_sku_should(json_t *doc)
{
    size_t                  i;
    json_t                 *c, *v;
    ngx_int_t               rc;
    invsync_stock_t        *st;
    invsync_stock_rules_t  *rules;

    st = malloc(sizeof(invsync_stock_t));
    rules = malloc(sizeof(invsync_stock_rules_t));
    rc = (st != NULL && rules != NULL) ? NGX_OK : NGX_ERROR;

    json_array_foreach(json_object_get(doc, "channels"), i, c) {
        if (rc != NGX_OK) {
            break;
        }

        v = ngx_http_invsync_console_sku_one(doc, c, st, rules);

        if (v == NULL) {
            /* unknown: no rules, or a ledger past the core's bounds */
            json_object_set_new(c, "available", json_null());
        }

        json_object_set_new(c, "should_show", v ? v : json_null());
    }

    free(st);
    free(rules);

    return rc;
}


/* what one channel should show; NULL when that is not known */

static json_t *
ngx_http_invsync_console_sku_one(json_t *doc, json_t *channel,
    invsync_stock_t *st, invsync_stock_rules_t *rules)
{
    char         err[128];
    size_t       i;
    json_t      *obj, *comp, *q;
    int64_t      a, best;
    const char  *text;

    text = json_string_value(json_object_get(channel, "rules"));
    obj = text ? json_loads(text, 0, NULL) : NULL;

    if (!json_is_object(obj)
        || invsync_stock_rules(rules, obj, err, sizeof(err)) != 0)
    {
        json_decref(obj);
        json_object_set_new(channel, "rules", json_null());
        return NULL;
    }

    /* the page shows the rules themselves too */
    json_object_set_new(channel, "rules", obj);

    comp = json_object_get(doc, "components");

    if (json_array_size(comp) > 0) {
        /* a bundle: its scarcest component, each at least 0 (the worker's
         * invsync_reconcile_should) */
        best = -1;

        json_array_foreach(comp, i, q) {
            if (ngx_http_invsync_console_sku_ledger(st,
                    json_object_get(q, "ledger"),
                    json_object_get(q, "unrouted"))
                != NGX_OK)
            {
                return NULL;
            }

            a = invsync_stock_available(st, rules);
            a = a < 0 ? 0 : a;

            if (json_integer_value(json_object_get(q, "qty")) > 0) {
                a /= json_integer_value(json_object_get(q, "qty"));
                best = (best < 0 || a < best) ? a : best;
            }
        }

        a = best < 0 ? 0 : best;

    } else {
        if (ngx_http_invsync_console_sku_ledger(st,
                json_object_get(doc, "ledger"),
                json_object_get(doc, "unrouted"))
            != NGX_OK)
        {
            return NULL;
        }

        a = invsync_stock_available(st, rules);
    }

    json_object_set_new(channel, "available", json_integer(a));

    return json_integer(invsync_stock_shown(a, rules));
}


/* the script's [{location, on_hand, reserved}] and unrouted as a ledger */

static ngx_int_t
ngx_http_invsync_console_sku_ledger(invsync_stock_t *st, json_t *ledger,
    json_t *unrouted)
{
    size_t       i;
    json_t      *l;
    const char  *loc;

    ngx_memzero(st, sizeof(invsync_stock_t));
    st->unrouted = json_integer_value(unrouted);

    json_array_foreach(ledger, i, l) {
        loc = json_string_value(json_object_get(l, "location"));

        if (loc == NULL || i >= INVSYNC_STOCK_MAX_LOCATIONS
            || ngx_strlen(loc) >= sizeof(st->location[0]))
        {
            return NGX_ERROR;
        }

        ngx_cpystrn((u_char *) st->location[i], (u_char *) loc,
                    sizeof(st->location[0]));
        st->on_hand[i] = json_integer_value(json_object_get(l, "on_hand"));
        st->reserved[i] = json_integer_value(json_object_get(l,
                                                             "reserved"));
        st->nlocations = i + 1;
    }

    return NGX_OK;
}
