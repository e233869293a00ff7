
/*
 * Tracking back to WooCommerce (channels.md section 3.5): the Shipment
 * Tracking extension's REST routes, then the order's status.  LOOK lists
 * the order's tracking items: one with the shipment's number means it was
 * added already (a retry, an answer lost), else CREATE adds it; the last
 * shipment of the order to be told then marks the order completed
 * (COMPLETE; completed again is no change).  Core WooCommerce keeps no
 * tracking, so the status is all a shop without the extension would see:
 * a shipment without a number only completes the order.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_woocommerce.h"


#define INVSYNC_WOO_TRACKINGS  "/wp-json/wc-shipment-tracking/v3/orders"
#define INVSYNC_WOO_ORDER      "/wp-json/wc/v3/orders"


static invsync_track_step_e invsync_woo_track_after(
    const invsync_shipment_t *s);
static invsync_channel_rc_e invsync_woo_track_refused(
    const invsync_answer_t *a, invsync_shipment_t *s, json_t *doc);
static json_t *invsync_woo_track_body(const invsync_shipment_t *s);


/* carrier names (EasyPost's, the extension's) -> the provider name the
 * extension knows (it keeps the slug of what it is sent) */
static const char  *invsync_woo_providers[][2] = {
    { "USPS",        "USPS" },
    { "UPS",         "UPS" },
    { "FedEx",       "Fedex" },
    { "Fedex",       "Fedex" },
    { "RoyalMail",   "Royal Mail" },
    { "Royal Mail",  "Royal Mail" },
    { "DPD",         "DPD" },
    { "CanadaPost",  "Canada Post" },
    { "Canada Post", "Canada Post" },
    { "DHL US",      "DHL US" },
    { NULL, NULL }
};


int
invsync_woo_track_build(const invsync_channel_ctx_t *ctx,
    invsync_shipment_t *s, invsync_request_t *rq)
{
    int  rc;

    switch (s->step) {

    case INVSYNC_TRACK_LOOK:
        rq->method = "GET";
        rc = invsync_request_api(rq, ctx, "%s/%s/shipment-trackings",
                                 INVSYNC_WOO_TRACKINGS, s->order_id);
        break;

    case INVSYNC_TRACK_CREATE:
        rq->method = "POST";
        rc = invsync_request_api(rq, ctx, "%s/%s/shipment-trackings",
                                 INVSYNC_WOO_TRACKINGS, s->order_id);
        rc |= invsync_request_json(rq, invsync_woo_track_body(s));
        break;

    case INVSYNC_TRACK_COMPLETE:
        rq->method = "PUT";
        rc = invsync_request_api(rq, ctx, "%s/%s", INVSYNC_WOO_ORDER,
                                 s->order_id);
        rc |= invsync_request_json(rq, json_pack("{s:s}", "status",
                                                 "completed"));
        break;

    default:
        rc = -1;
    }

    if (rc != 0) {
        snprintf(s->err, sizeof(s->err), "no request for step %d",
                 (int) s->step);
        return -1;
    }

    return 0;
}


invsync_channel_rc_e
invsync_woo_track_parse(const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_shipment_t *s, int64_t *delay_ms)
{
    size_t       i;
    json_t      *doc, *it;
    const char  *n, *id;

    (void) ctx;
    (void) delay_ms;

    doc = json_loadb(a->body, a->len, 0, NULL);

    if (a->status == 400 || a->status == 404) {
        return invsync_woo_track_refused(a, s, doc);
    }

    if (a->status < 200 || a->status > 299 || doc == NULL) {
        json_decref(doc);
        return invsync_answer_retry(a, "HTTP %ld%s", a->status,
                                    doc == NULL ? ", not JSON" : "");
    }

    if (s->step == INVSYNC_TRACK_LOOK) {
        if (!json_is_array(doc)) {
            json_decref(doc);
            return invsync_answer_retry(a, "the tracking items are not a "
                                        "list");
        }

        s->step = s->tracking[0] != '\0' ? INVSYNC_TRACK_CREATE
                                         : invsync_woo_track_after(s);

        json_array_foreach(doc, i, it) {
            n = json_string_value(json_object_get(it, "tracking_number"));
            id = json_string_value(json_object_get(it, "tracking_id"));

            if (s->tracking[0] != '\0' && n != NULL && id != NULL
                && strcmp(n, s->tracking) == 0)
            {
                snprintf(s->ref, sizeof(s->ref), "%s", id);
                s->step = invsync_woo_track_after(s);
                break;
            }
        }

    } else if (s->step == INVSYNC_TRACK_CREATE) {
        id = json_string_value(json_object_get(doc, "tracking_id"));

        if (id == NULL) {
            json_decref(doc);
            return invsync_answer_retry(a, "no tracking_id in the answer");
        }

        snprintf(s->ref, sizeof(s->ref), "%s", id);
        s->step = invsync_woo_track_after(s);

    } else {
        s->step = INVSYNC_TRACK_DONE;
    }

    json_decref(doc);

    return INVSYNC_CH_DONE;
}


/* the order is completed once, by its last shipment to be told */

static invsync_track_step_e
invsync_woo_track_after(const invsync_shipment_t *s)
{
    return s->last ? INVSYNC_TRACK_COMPLETE : INVSYNC_TRACK_DONE;
}


/* a provider the extension knows by name, else ours with its link */

static json_t *
invsync_woo_track_body(const invsync_shipment_t *s)
{
    char     day[32];
    size_t   i;
    json_t  *b;

    b = json_pack("{s:s}", "tracking_number", s->tracking);

    for (i = 0; invsync_woo_providers[i][0] != NULL; i++) {
        if (strcmp(invsync_woo_providers[i][0], s->carrier) == 0) {
            break;
        }
    }

    if (invsync_woo_providers[i][0] != NULL) {
        json_object_set_new(b, "tracking_provider",
                            json_string(invsync_woo_providers[i][1]));

    } else {
        json_object_set_new(b, "custom_tracking_provider",
                            json_string(s->carrier[0] ? s->carrier
                                                      : "Carrier"));
        json_object_set_new(b, "custom_tracking_link",
                            json_string(s->tracking_url));
    }

    if (s->shipped_at_ms > 0) {
        invsync_iso_time(s->shipped_at_ms, 0, day, sizeof(day));
        day[10] = '\0';
        json_object_set_new(b, "date_shipped", json_string(day));
    }

    return b;
}


/* 400 and 404: the order or the request is refused, with its message */

static invsync_channel_rc_e
invsync_woo_track_refused(const invsync_answer_t *a, invsync_shipment_t *s,
    json_t *doc)
{
    const char  *m, *code;

    m = json_string_value(json_object_get(doc, "message"));
    code = json_string_value(json_object_get(doc, "code"));

    snprintf(s->err, sizeof(s->err), "HTTP %ld %s: %s", a->status,
             code != NULL ? code : "error",
             m != NULL ? m : "no message");
    invsync_channel_text(s->err);     /* the channel's words: printable */
    s->step = INVSYNC_TRACK_REFUSED;
    json_decref(doc);

    return INVSYNC_CH_DONE;
}
