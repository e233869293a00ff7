
/*
 * EasyPost's requests and answers (§13.1; docs/fulfilment.md): HTTP
 * Basic with the API key as the user name, JSON both ways, weight in
 * ounces and dimensions in inches, money as decimal strings.  Every
 * answer about a shipment is the Shipment object, read by one parse.
 */


#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_canon.h"
#include "invsync_easypost.h"


static int invsync_ep_authorize(const invsync_channel_ctx_t *ctx,
    invsync_request_t *rq);
static int invsync_ep_lookup(const invsync_channel_ctx_t *ctx,
    const char *reference, invsync_request_t *rq);
static int invsync_ep_create(const invsync_channel_ctx_t *ctx,
    const invsync_label_req_t *req, invsync_request_t *rq);
static int invsync_ep_buy(const invsync_channel_ctx_t *ctx, const char *id,
    const char *rate_id, invsync_request_t *rq);
static int invsync_ep_void(const invsync_channel_ctx_t *ctx, const char *id,
    invsync_request_t *rq);
static invsync_label_rc_e invsync_ep_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_label_t *l);
static json_t *invsync_ep_address(json_t *canon);
static void invsync_ep_rate(json_t *r, invsync_rate_t *out);
static void invsync_ep_copy(char *dst, size_t cap, json_t *v);
static void invsync_ep_field_errors(json_t *errors, char *why, size_t cap);


static const invsync_channel_t  invsync_ep_call = {
    .type = "easypost",
    .authorize = invsync_ep_authorize,
};


const invsync_provider_t  invsync_provider_easypost = {
    .name = "easypost",
    .call = &invsync_ep_call,
    .lookup_build = invsync_ep_lookup,
    .create_build = invsync_ep_create,
    .buy_build = invsync_ep_buy,
    .void_build = invsync_ep_void,
    .parse = invsync_ep_parse,
};


/* the key as the user name, no password */

static int
invsync_ep_authorize(const invsync_channel_ctx_t *ctx, invsync_request_t *rq)
{
    int     rc;
    char    user[512];
    size_t  n;

    n = strcspn(ctx->credentials ? ctx->credentials : "", "\r\n");

    if (n == 0 || n + 2 > sizeof(user)) {
        return -1;
    }

    snprintf(user, sizeof(user), "%.*s:", (int) n, ctx->credentials);
    rc = invsync_request_basic(rq, user);
    explicit_bzero(user, sizeof(user));

    return rc;
}


/* "A reference may be used in place of an id": the one we created */

static int
invsync_ep_lookup(const invsync_channel_ctx_t *ctx, const char *reference,
    invsync_request_t *rq)
{
    char        esc[3 * INVSYNC_LABEL_ID_LEN + 1];
    size_t      n;
    const char  *p;

    invsync_request_init(rq, "GET");

    /* percent-encoded: an id holds ':' and '@' */
    for (n = 0, p = reference; *p != '\0' && n + 4 < sizeof(esc); p++) {
        if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                   "0123456789-._~", *p) != NULL)
        {
            esc[n++] = *p;
        } else {
            n += (size_t) snprintf(esc + n, 4, "%%%02X", (unsigned char) *p);
        }
    }

    if (*p != '\0') {
        return -1;
    }

    esc[n] = '\0';

    return invsync_request_api(rq, ctx, "/shipments/%s", esc);
}


static int
invsync_ep_create(const invsync_channel_ctx_t *ctx,
    const invsync_label_req_t *req, invsync_request_t *rq)
{
    json_t  *parcel, *doc;

    invsync_request_init(rq, "POST");

    /* ounces to a tenth, rounded up: a label never under-declares */
    parcel = json_pack("{s:f}", "weight",
                       ceil((double) req->weight_g / 28.349523125 * 10.0)
                       / 10.0);

    if (parcel != NULL && req->length_mm > 0 && req->width_mm > 0
        && req->height_mm > 0)
    {
        json_object_set_new(parcel, "length",
                            json_real(ceil(req->length_mm / 2.54) / 10.0));
        json_object_set_new(parcel, "width",
                            json_real(ceil(req->width_mm / 2.54) / 10.0));
        json_object_set_new(parcel, "height",
                            json_real(ceil(req->height_mm / 2.54) / 10.0));
    }

    doc = json_pack("{s:{s:s, s:o, s:o, s:o}}", "shipment", "reference",
                    req->reference, "to_address",
                    invsync_ep_address(req->to), "from_address",
                    invsync_ep_address(req->from), "parcel", parcel);

    if (doc == NULL || invsync_request_api(rq, ctx, "/shipments") != 0) {
        json_decref(doc);
        return -1;
    }


    return invsync_request_json(rq, doc);
}


/* the canonical address (docs/events.md) in EasyPost's names */

static json_t *
invsync_ep_address(json_t *canon)
{
    size_t       i;
    json_t      *a, *v;
    static const char  *map[][2] = {
        { "name", "name" }, { "company", "company" },
        { "address1", "street1" }, { "address2", "street2" },
        { "city", "city" }, { "province", "state" }, { "zip", "zip" },
        { "country_code", "country" }, { "phone", "phone" },
        { "email", "email" }
    };

    a = json_object();

    for (i = 0; a != NULL && i < sizeof(map) / sizeof(map[0]); i++) {
        v = json_object_get(canon, map[i][0]);

        if (json_is_string(v) && json_string_length(v) > 0) {
            json_object_set(a, map[i][1], v);
        }
    }

    return a;
}


static int
invsync_ep_buy(const invsync_channel_ctx_t *ctx, const char *id,
    const char *rate_id, invsync_request_t *rq)
{
    invsync_request_init(rq, "POST");

    if (invsync_request_api(rq, ctx, "/shipments/%s/buy", id) != 0) {
        return -1;
    }


    return invsync_request_json(rq, json_pack("{s:{s:s}}", "rate", "id",
                                              rate_id));
}


static int
invsync_ep_void(const invsync_channel_ctx_t *ctx, const char *id,
    invsync_request_t *rq)
{
    invsync_request_init(rq, "POST");

    /* a body of its own: a POST without one would go out as a GET */
    if (invsync_request_api(rq, ctx, "/shipments/%s/refund", id) != 0) {
        return -1;
    }

    return invsync_request_json(rq, json_object());
}


static invsync_label_rc_e
invsync_ep_parse(const invsync_channel_ctx_t *ctx, const invsync_answer_t *a,
    invsync_label_t *l)
{
    size_t        i;
    json_t       *doc, *rates, *sel, *msg;
    json_error_t  e;

    (void) ctx;
    memset(l, 0, sizeof(invsync_label_t));
    doc = json_loadb(a->body, a->len, 0, &e);

    if (a->status == 404) {
        json_decref(doc);
        return INVSYNC_LABEL_NOTFOUND;
    }

    if (a->status < 200 || a->status > 299 || !json_is_object(doc)) {
        msg = json_object_get(json_object_get(doc, "error"), "message");
        snprintf(a->why, a->why_len, "HTTP %ld: %s", a->status,
                 json_is_string(msg) ? json_string_value(msg)
                 : doc ? "no error message" : e.text);
        invsync_ep_field_errors(json_object_get(json_object_get(doc,
                                "error"), "errors"), a->why, a->why_len);
        invsync_channel_text(a->why);   /* its words, jansson's: printable */
        json_decref(doc);
        return a->status >= 200 && a->status < 300 ? INVSYNC_LABEL_RETRY
                                                   : INVSYNC_LABEL_REFUSED;
    }

    invsync_ep_copy(l->id, sizeof(l->id), json_object_get(doc, "id"));
    invsync_ep_copy(l->tracking, sizeof(l->tracking),
                    json_object_get(doc, "tracking_code"));
    invsync_ep_copy(l->label_url, sizeof(l->label_url), json_object_get(
        json_object_get(doc, "postage_label"), "label_url"));
    invsync_ep_copy(l->tracking_url, sizeof(l->tracking_url),
        json_object_get(json_object_get(doc, "tracker"), "public_url"));
    invsync_ep_copy(l->refund_status, sizeof(l->refund_status),
                    json_object_get(doc, "refund_status"));

    sel = json_object_get(doc, "selected_rate");
    l->purchased = json_is_object(sel);
    if (l->purchased) {
        invsync_ep_rate(sel, &l->bought);
    }

    rates = json_object_get(doc, "rates");
    for (i = 0; i < json_array_size(rates) && l->nrates < INVSYNC_LABEL_RATES;
         i++)
    {
        invsync_ep_rate(json_array_get(rates, i), &l->rates[l->nrates++]);
    }

    json_decref(doc);

    return INVSYNC_LABEL_OK;
}


/* a Rate: "rate" is a decimal string of the currency's major unit */

static void
invsync_ep_rate(json_t *r, invsync_rate_t *out)
{
    json_t  *v;

    memset(out, 0, sizeof(invsync_rate_t));
    invsync_ep_copy(out->id, sizeof(out->id), json_object_get(r, "id"));
    invsync_ep_copy(out->carrier, sizeof(out->carrier),
                    json_object_get(r, "carrier"));
    invsync_ep_copy(out->service, sizeof(out->service),
                    json_object_get(r, "service"));
    invsync_ep_copy(out->currency, sizeof(out->currency),
                    json_object_get(r, "currency"));

    /* strictly (invsync_canon_ship.c): "NaN", "1e400", "12abc", "-5"
     * are not a cost, and a rate without one is never chosen */
    v = json_object_get(r, "rate");
    if (invsync_rate_minor(v, out->currency[0] ? out->currency : "USD",
                           &out->cost_minor, out->why, sizeof(out->why))
        != 0)
    {
        out->cost_minor = -1;
    }

    v = json_object_get(r, "delivery_days");
    out->days = json_is_integer(v) && json_integer_value(v) > 0
                && json_integer_value(v) <= 365
                ? (int) json_integer_value(v) : 0;     /* else unknown */
}


static void
invsync_ep_copy(char *dst, size_t cap, json_t *v)
{
    snprintf(dst, cap, "%s", json_is_string(v) ? json_string_value(v) : "");
}


/* EasyPost's FieldErrors after its message: "(field: message; ...)" */

static void
invsync_ep_field_errors(json_t *errors, char *why, size_t cap)
{
    size_t       i, n;
    json_t      *fe;
    const char  *field, *msg;

    json_array_foreach(errors, i, fe) {
        field = json_string_value(json_object_get(fe, "field"));
        msg = json_string_value(json_object_get(fe, "message"));
        n = strlen(why);

        if (field == NULL || n + 4 >= cap) {
            continue;
        }

        snprintf(why + n, cap - n, "%s%s: %s", i == 0 ? " (" : "; ", field,
                 msg ? msg : "invalid");
    }

    n = strlen(why);
    if (json_array_size(errors) > 0 && n + 1 < cap) {
        snprintf(why + n, cap - n, ")");
    }
}
