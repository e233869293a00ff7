
/*
 * A decision without its effect, for invsyncctl route dry-run: the order
 * read as the action reads it (the same SKU resolution, the same ledger
 * reader) and decided by the same code, against the live ledger and
 * rules; nothing is written.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_route_run.h"


/* 0 with *trace (the caller's), or -1 with err */

int
invsync_route_dry_run(invsync_worker_t *w, const char *channel,
    json_t *canon, json_t **trace, char *err, size_t len)
{
    int                     rc;
    invsync_route_input_t  *in;
    invsync_route_result_t  res;

    *trace = NULL;

    if (w->conf->routing == NULL) {
        snprintf(err, len, "%s has no \"routing\"", w->conf->file);
        return -1;
    }

    in = calloc(1, sizeof(invsync_route_input_t));

    if (in == NULL) {
        snprintf(err, len, "out of memory");
        return -1;
    }

    rc = -1;
    memset(&res, 0, sizeof(invsync_route_result_t));

    if (invsync_route_input(channel, canon, in, err, len)
        == INVSYNC_ACT_APPLIED
        && invsync_route_read(w, in, err, len) == INVSYNC_ACT_APPLIED
        && invsync_route_decide(w->conf->routing, &in->order,
                                invsync_route_free_at, in, &res, err, len)
           == 0)
    {
        *trace = invsync_route_trace_parse(&res);

        if (*trace != NULL) {
            json_object_set_new(*trace, "version", json_string(in->version));
            json_object_set_new(*trace, "order", json_string(in->order_key));
            rc = 0;

        } else {
            snprintf(err, len, "out of memory");
        }
    }

    invsync_route_result_free(&res);
    invsync_route_input_free(in);

    return rc;
}
