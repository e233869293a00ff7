
/*
 * invsyncctl route dry-run FILE [--channel ID]: where an order would go,
 * decided by the worker's own code against the live ledger and rules,
 * nothing written.  FILE is a canonical order (docs/events.md), or with
 * --channel a channel's own order JSON, normalized as its polled orders
 * are (the channel table's poll_order names the topic).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_route.h"


static json_t *invsyncctl_route_canon(invsyncctl_t *ctl, const char *file,
    const char *channel, const char **chan);
static json_t *invsyncctl_route_native(invsyncctl_t *ctl, json_t *doc,
    const char *body, const invsync_channel_conf_t *cc);


int
invsyncctl_route_dry(invsyncctl_t *ctl, int argc, char **argv)
{
    int                      rc, npos;
    char                     err[INVSYNC_ERR_LEN];
    json_t                  *canon, *trace;
    const char              *pos[1], *channel, *chan;
    const invsyncctl_opt_t   opts[] = {
        { "--channel", &channel, NULL },
        { NULL, NULL, NULL }
    };

    channel = NULL;

    rc = invsyncctl_args(ctl, "route", "", argc, argv, opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1) {
        return invsyncctl_usage_error("route", "dry-run needs a FILE");
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    canon = invsyncctl_route_canon(ctl, pos[0], channel, &chan);
    if (canon == NULL) {
        return INVSYNCCTL_USAGE;
    }

    if (invsync_route_dry_run(&ctl->w, chan, canon, &trace, err,
                              sizeof(err))
        != 0)
    {
        json_decref(canon);
        fprintf(stderr, "invsyncctl: route: %s\n", err);
        return ctl->w.redis ? INVSYNCCTL_USAGE : INVSYNCCTL_REDIS;
    }

    json_decref(canon);

    rc = ctl->json ? invsyncctl_print_json(json_incref(trace))
                   : invsyncctl_route_print(trace, stdout);
    json_decref(trace);

    return rc;
}


/* the order in file as a canonical order, its channel in *chan */

static json_t *
invsyncctl_route_canon(invsyncctl_t *ctl, const char *file,
    const char *channel, const char **chan)
{
    char                          *body;
    json_t                        *doc, *canon;
    json_error_t                   e;
    const invsync_channel_conf_t  *cc;

    doc = json_load_file(file, 0, &e);

    if (!json_is_object(doc)) {
        fprintf(stderr, "invsyncctl: route: %s: %s\n", file,
                doc ? "not a JSON object" : e.text);
        json_decref(doc);
        return NULL;
    }

    if (channel == NULL) {
        *chan = json_string_value(json_object_get(doc, "channel"));

        if (*chan == NULL || invsync_conf_channel(ctl->conf, *chan) == NULL
            || !json_is_string(json_object_get(doc, "order_id")))
        {
            fprintf(stderr, "invsyncctl: route: %s: a canonical order needs "
                    "\"order_id\" and the \"channel\" of a configured "
                    "channel (or give --channel ID for a channel's own "
                    "JSON)\n", file);
            json_decref(doc);
            return NULL;
        }

        return doc;
    }

    cc = invsync_conf_channel(ctl->conf, channel);

    if (cc == NULL) {
        fprintf(stderr, "invsyncctl: route: unknown channel \"%s\"\n",
                channel);
        json_decref(doc);
        return NULL;
    }

    *chan = cc->id;
    body = json_dumps(doc, JSON_COMPACT);
    canon = body ? invsyncctl_route_native(ctl, doc, body, cc) : NULL;
    free(body);
    json_decref(doc);

    return canon;
}


/* a channel's own order through its normalizer, as the worker would */

static json_t *
invsyncctl_route_native(invsyncctl_t *ctl, json_t *doc, const char *body,
    const invsync_channel_conf_t *cc)
{
    char                      err[INVSYNC_CANON_ERR_LEN];
    json_t                   *canon;
    invsync_polled_t          po;
    invsync_envelope_t        ev;
    invsync_channel_ctx_t     cx;
    const invsync_channel_t  *ch;

    (void) ctl;
    ch = invsync_channel_find(cc->type);
    memset(&cx, 0, sizeof(cx));
    cx.conf = cc;

    if (ch == NULL || ch->poll_order == NULL
        || ch->poll_order(&cx, doc, &po) != 0)
    {
        fprintf(stderr, "invsyncctl: route: channel \"%s\" (%s) cannot read "
                "that as one of its orders\n", cc->id, cc->type);
        return NULL;
    }

    memset(&ev, 0, sizeof(ev));
    ev.stream = ev.entry = ev.account = ev.redelivery = "";
    ev.channel = cc->id;
    ev.scheme = cc->type;
    ev.topic = po.topic;
    ev.event = "dry-run";
    ev.body = body;
    ev.body_len = strlen(body);
    ev.version = 1;

    canon = NULL;

    if (invsync_normalize(&ev, &canon, err, sizeof(err)) != INVSYNC_NORM_OK) {
        fprintf(stderr, "invsyncctl: route: not an order of channel \"%s\": "
                "%s\n", cc->id, err);
        json_decref(canon);
        return NULL;
    }

    return canon;
}
