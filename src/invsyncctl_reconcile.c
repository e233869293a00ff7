
/*
 * invsyncctl reconcile: every mapped SKU pushed again to the channels,
 * whatever they are thought to show.  The workers' pusher takes the SKUs
 * from the channels' dirty sets at once, coalesced and batched as any
 * push; what the workers also do every limits.reconcile_s, on demand.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl.h"


const char  invsyncctl_reconcile_usage[] =
    "usage: invsyncctl reconcile [--channel CH] [--by WHO] [--why TEXT]\n"
    "\n"
    "Marks every mapped SKU for a push to every channel with an API (or\n"
    "to CH), forced: the running workers send each channel the quantity\n"
    "the ledger says it should show, even where they believe it shows it\n"
    "already.  Use it after a channel was changed behind the system's\n"
    "back, or after restoring Redis.  The workers do the same every\n"
    "limits.reconcile_s seconds.  Prints how many SKUs were marked.\n";


int
invsyncctl_reconcile(invsyncctl_t *ctl, int argc, char **argv)
{
    int                            rc, npos;
    char                           skus[INVSYNCCTL_KEY_LEN], cursor[32];
    char                           force[INVSYNCCTL_KEY_LEN];
    char                           dirty[INVSYNCCTL_KEY_LEN];
    char                           audit[INVSYNCCTL_ID_LEN], count[32];
    size_t                         i, k, marked, nchan;
    json_t                        *doc;
    redisReply                    *r, *x;
    const char                    *channel, *by, *why, *pos[1];
    const invsync_channel_conf_t  *ch;
    invsyncctl_opt_t               opts[] = {
        { "--channel", &channel, NULL },
        { "--by", &by, NULL },
        { "--why", &why, NULL },
        { NULL, NULL, NULL }
    };

    channel = NULL;
    by = NULL;
    why = NULL;

    rc = invsyncctl_args(ctl, "reconcile", invsyncctl_reconcile_usage, argc,
                         argv, opts, pos, 0, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (channel != NULL && invsync_conf_channel(ctl->conf, channel) == NULL) {
        return invsyncctl_usage_error("reconcile", "no channel \"%s\" in %s",
                                      channel, ctl->conf->file);
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    invsync_key(skus, sizeof(skus), ctl->conf, "skus");
    snprintf(cursor, sizeof(cursor), "0");
    marked = 0;
    nchan = 0;

    do {
        r = invsyncctl_redis(ctl, "SSCAN %s %s COUNT 1000", skus, cursor);
        if (r == NULL) {
            return INVSYNCCTL_REDIS;
        }

        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            freeReplyObject(r);
            fprintf(stderr, "invsyncctl: Redis answered SSCAN oddly\n");
            return INVSYNCCTL_REDIS;
        }

        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        nchan = 0;

        for (k = 0; k < ctl->conf->nchannels; k++) {
            ch = &ctl->conf->channels[k];

            if (ch->api_base == NULL
                || (channel != NULL && strcmp(channel, ch->id) != 0))
            {
                continue;
            }

            nchan++;
            invsync_key(force, sizeof(force), ctl->conf, "force:%s", ch->id);
            invsync_key(dirty, sizeof(dirty), ctl->conf, "dirty:%s", ch->id);

            for (i = 0; i < r->element[1]->elements; i++) {
                /* force first: the pusher reads it when it pops dirty */
                x = invsyncctl_redis(ctl, "SADD %s %s", force,
                                     r->element[1]->element[i]->str);
                freeReplyObject(x);
                x = invsyncctl_redis(ctl, "SADD %s %s", dirty,
                                     r->element[1]->element[i]->str);
                if (x == NULL) {
                    freeReplyObject(r);
                    return INVSYNCCTL_REDIS;
                }

                freeReplyObject(x);
            }
        }

        marked += r->element[1]->elements;
        freeReplyObject(r);

    } while (strcmp(cursor, "0") != 0);

    snprintf(count, sizeof(count), "%zu", marked);

    rc = invsyncctl_audit_operator(ctl, "operator.reconcile",
                                   invsyncctl_by(by), why ? why : "",
                                   channel ? channel : "operator", "", NULL,
                                   audit, "skus_marked", count, NULL);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (ctl->json) {
        doc = json_pack("{s:I, s:I, s:s?, s:s}", "skus", (json_int_t) marked,
                        "channels", (json_int_t) nchan, "channel", channel,
                        "audit", audit);
        rc = invsyncctl_print_json(doc);
        json_decref(doc);
        return rc;
    }

    printf("marked %zu SKUs for a push to %zu channel%s (audit %s)\n",
           marked, nchan, nchan == 1 ? "" : "s", audit);

    return INVSYNCCTL_OK;
}
