
/*
 * What invsyncctl reconcile reports: the passes it just made, as a table
 * per channel with each drift, and --last, each channel's last pass by
 * whoever made it.  Apart from the passes themselves
 * (invsyncctl_reconcile.c), which write.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_reconcile.h"


void
invsyncctl_reconcile_print(json_t *list, const char *audit)
{
    char                 num[6][32], shows[64], should[32];
    size_t               i, k, ndrift, nmissing;
    json_t              *res, *d;
    const char          *names[5] = { "checked", "drifted", "missing",
                                      "unreadable", "skipped" };
    invsyncctl_table_t  *t;

    if (json_array_size(list) == 0) {
        printf("no channel to read: none has an api_base and a type that "
               "reads stock back (%s) (audit %s)\n",
               invsync_channel_types_with(offsetof(invsync_channel_t,
                                                   read_build)), audit);
        return;
    }

    t = invsyncctl_table_new(8, 0x7c, "channel", "type", "checked",
                             "drifted", "missing", "unreadable", "skipped",
                             "pass");

    json_array_foreach(list, i, res) {
        for (k = 0; k < 5; k++) {
            snprintf(num[k], sizeof(num[k]), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(json_object_get(res, names[k])));
        }

        snprintf(num[5], sizeof(num[5]), "%s",
                 json_is_true(json_object_get(res, "complete"))
                 ? "complete" : "incomplete");

        invsyncctl_table_add(t, json_string_value(json_object_get(res,
                                                       "channel")),
                             json_string_value(json_object_get(res, "type")),
                             num[0], num[1], num[2], num[3], num[4], num[5]);
    }

    invsyncctl_table_print(t, stdout);
    invsyncctl_table_free(t);

    t = invsyncctl_table_new(5, 0x0c, "channel", "sku", "shows",
                             "should show", "audit / exception");
    ndrift = 0;
    nmissing = 0;

    json_array_foreach(list, i, res) {
        json_array_foreach(json_object_get(res, "drifts"), k, d) {
            if (json_is_true(json_object_get(d, "missing"))) {
                nmissing++;
                snprintf(shows, sizeof(shows), "missing");
                snprintf(should, sizeof(should), "-");

            } else {
                ndrift++;

                if (json_is_integer(json_object_get(d, "shows"))) {
                    snprintf(shows, sizeof(shows), "%" JSON_INTEGER_FORMAT,
                             json_integer_value(json_object_get(d,
                                                                "shows")));
                } else {
                    snprintf(shows, sizeof(shows), "no quantity");
                }

                snprintf(should, sizeof(should), "%" JSON_INTEGER_FORMAT,
                         json_integer_value(json_object_get(d,
                                                            "should_show")));
            }

            invsyncctl_table_add(t, json_string_value(json_object_get(res,
                                                           "channel")),
                                 json_string_value(json_object_get(d, "sku")),
                                 shows, should,
                                 json_string_value(json_object_get(d,
                                     json_is_true(json_object_get(d,
                                                                  "missing"))
                                     ? "exception" : "audit")));
        }
    }

    if (ndrift + nmissing > 0) {
        printf("\n");
        invsyncctl_table_print(t, stdout);
    }

    invsyncctl_table_free(t);

    if (ndrift == 0 && nmissing == 0) {
        printf("\nno drift (audit %s)\n", audit);
        return;
    }

    printf("\n%zu drift%s audited and queued for a push", ndrift,
           ndrift == 1 ? "" : "s");

    if (nmissing > 0) {
        printf(", %zu item%s unknown to %s channel (see invsyncctl "
               "exceptions)", nmissing, nmissing == 1 ? "" : "s",
               nmissing == 1 ? "its" : "their");
    }

    printf(" (audit %s)\n", audit);
}


/* each channel's K reconcile:<channel>: the last pass, by whoever */

int
invsyncctl_reconcile_last(invsyncctl_t *ctl, const char *channel)
{
    int                            rc;
    char                           key[INVSYNCCTL_KEY_LEN], n[5][32];
    char                           when[INVSYNCCTL_TIME_LEN];
    size_t                         i, k;
    json_t                        *list, *e, *doc;
    redisReply                    *r;
    const char                    *f, *v;
    const invsync_channel_conf_t  *ch;
    invsyncctl_table_t            *t;
    static const char             *nums[] = {
        "started", "finished", "pages", "checked", "drifted", "missing",
        "unreadable", "skipped", NULL
    };

    list = json_array();

    for (i = 0; i < ctl->conf->nchannels; i++) {
        ch = &ctl->conf->channels[i];

        if (!invsync_reconcile_supported(ch)
            || (channel != NULL && strcmp(channel, ch->id) != 0))
        {
            continue;
        }

        invsync_key_reconcile(key, sizeof(key), ctl->conf, ch->id);

        r = invsyncctl_redis(ctl, "HGETALL %s", key);
        if (r == NULL) {
            json_decref(list);
            return INVSYNCCTL_REDIS;
        }

        e = json_object();

        for (k = 0; r->type == REDIS_REPLY_ARRAY && k + 1 < r->elements;
             k += 2)
        {
            f = r->element[k]->str;
            v = r->element[k + 1]->str;

            if (strcmp(f, "complete") == 0) {
                json_object_set_new(e, f, json_boolean(strcmp(v, "1") == 0));

            } else {
                json_object_set_new(e, f, json_string(v));
            }
        }

        for (k = 0; nums[k] != NULL; k++) {
            v = json_string_value(json_object_get(e, nums[k]));

            if (v != NULL) {
                json_object_set_new(e, nums[k],
                                    json_integer(strtoll(v, NULL, 10)));
            }
        }

        freeReplyObject(r);

        json_array_append_new(list, json_pack("{s:s, s:o}", "channel",
                                              ch->id,
                                              "last", json_object_size(e)
                                                      ? e : json_null()));
        if (json_object_size(e) == 0) {
            json_decref(e);
        }
    }

    if (ctl->json) {
        doc = json_pack("{s:o}", "channels", list);
        rc = invsyncctl_print_json(doc);    /* it frees doc */
        return rc;
    }

    t = invsyncctl_table_new(9, 0x1f0, "channel", "finished", "by", "pass",
                             "checked", "drifted", "missing", "unreadable",
                             "skipped");

    json_array_foreach(list, i, e) {
        doc = json_object_get(e, "last");

        if (!json_is_object(doc)) {
            invsyncctl_table_add(t, json_string_value(json_object_get(e,
                                                          "channel")),
                                 "never", "-", "-", "-", "-", "-", "-", "-");
            continue;
        }

        for (k = 0; k < 5; k++) {
            snprintf(n[k], sizeof(n[k]), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(json_object_get(doc, nums[k + 3])));
        }

        invsyncctl_table_add(t, json_string_value(json_object_get(e,
                                                      "channel")),
                             invsyncctl_time_fmt(json_integer_value(
                                 json_object_get(doc, "finished")), when,
                                 sizeof(when)),
                             json_string_value(json_object_get(doc, "by")),
                             json_is_true(json_object_get(doc, "complete"))
                             ? "complete" : "incomplete",
                             n[0], n[1], n[2], n[3], n[4]);
    }

    invsyncctl_table_print(t, stdout);
    invsyncctl_table_free(t);
    json_decref(list);

    return INVSYNCCTL_OK;
}
