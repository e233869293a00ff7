
/*
 * invsyncctl status, for people: the JSON document the command gathers
 * (invsyncctl_status.c) as tables of streams and workers; --json prints
 * the document itself, so the two never disagree on a number.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_status.h"


static const char *invsyncctl_status_int(json_t *obj, const char *key,
    char *buf, size_t cap);


void
invsyncctl_status_print(json_t *doc)
{
    char                 len[32], lag[32], pend[32], age[32];
    char                 cnt[10][32], hb[32];
    size_t               i;
    json_t              *s, *w, *c, *list;
    const char          *state, **ctr;
    invsyncctl_table_t  *t;

    ctr = invsyncctl_status_counters;
    t = invsyncctl_table_new(5, 0x0e, "stream", "length", "lag", "pending",
                             "oldest pending");

    json_array_foreach(json_object_get(doc, "streams"), i, s) {
        if (!json_is_true(json_object_get(s, "group"))) {
            invsyncctl_table_add(t, json_string_value(json_object_get(s,
                                                                "name")),
                                 invsyncctl_status_int(s, "length", len, 32),
                                 "no group", "-", "-");
            continue;
        }

        if (json_is_integer(json_object_get(s, "oldest_pending_age_ms"))) {
            invsyncctl_age_fmt(json_integer_value(json_object_get(s,
                                   "oldest_pending_age_ms")), age, 32);

        } else {
            snprintf(age, sizeof(age), "-");
        }

        invsyncctl_table_add(t, json_string_value(json_object_get(s, "name")),
                             invsyncctl_status_int(s, "length", len, 32),
                             invsyncctl_status_int(s, "lag", lag, 32),
                             invsyncctl_status_int(s, "pending", pend, 32),
                             age);
    }

    invsyncctl_table_print(t, stdout);
    invsyncctl_table_free(t);

    w = json_object_get(doc, "workers");

    printf("\n"
           "dead letters       %lld\n"
           "open exceptions    %lld\n"
           "retries scheduled  %lld (%lld due)\n"
           "epoch              %s\n"
           "workers            %lld alive of %lld\n",
           (long long) json_integer_value(json_object_get(doc,
                                                          "dead_letters")),
           (long long) json_integer_value(json_object_get(doc,
                                                          "exceptions_open")),
           (long long) json_integer_value(json_object_get(doc,
                                                     "retries_scheduled")),
           (long long) json_integer_value(json_object_get(doc,
                                                          "retries_due")),
           json_is_string(json_object_get(doc, "epoch"))
           ? json_string_value(json_object_get(doc, "epoch"))
           : "none (invsyncctl epoch --help)",
           (long long) json_integer_value(json_object_get(w, "alive")),
           (long long) json_integer_value(json_object_get(w, "total")));

    list = json_object_get(w, "list");

    if (json_array_size(list) == 0) {
        return;
    }

    t = invsyncctl_table_new(14, 0x3ff0, "worker", "alive", "state",
                             "heartbeat", "read", "applied", "duplicate",
                             "stale", "ignored", "exceptions", "retried",
                             "dead", "claimed", "trimmed");

    json_array_foreach(list, i, w) {
        c = json_object_get(w, "counters");

        if (json_is_integer(json_object_get(w, "heartbeat_age_ms"))) {
            invsyncctl_age_fmt(json_integer_value(json_object_get(w,
                                   "heartbeat_age_ms")), hb, 24);
            strcat(hb, " ago");

        } else {
            snprintf(hb, sizeof(hb), "-");
        }

        state = json_string_value(json_object_get(w, "state"));

        invsyncctl_table_add(t, json_string_value(json_object_get(w, "name")),
                             json_is_true(json_object_get(w, "alive"))
                             ? "yes" : "no",
                             state, hb,
                             invsyncctl_status_int(c, ctr[0], cnt[0], 32),
                             invsyncctl_status_int(c, ctr[1], cnt[1], 32),
                             invsyncctl_status_int(c, ctr[2], cnt[2], 32),
                             invsyncctl_status_int(c, ctr[3], cnt[3], 32),
                             invsyncctl_status_int(c, ctr[4], cnt[4], 32),
                             invsyncctl_status_int(c, ctr[5], cnt[5], 32),
                             invsyncctl_status_int(c, ctr[6], cnt[6], 32),
                             invsyncctl_status_int(c, ctr[7], cnt[7], 32),
                             invsyncctl_status_int(c, ctr[8], cnt[8], 32),
                             invsyncctl_status_int(c, ctr[9], cnt[9], 32));
    }

    printf("\n");
    invsyncctl_table_print(t, stdout);
    invsyncctl_table_free(t);

    /* what a halted worker says, and so what to do */
    json_array_foreach(list, i, w) {
        state = json_string_value(json_object_get(w, "state"));

        if (state != NULL && strcmp(state, "halted") == 0) {
            printf("\nworker %s halted: %s\n"
                   "  restore Redis (the workers resume by themselves), or "
                   "accept its state:\n"
                   "  invsyncctl epoch reset --yes, reload nginx, restart "
                   "the workers,\n"
                   "  then invsyncctl reconcile and a backfill window "
                   "(docs/operations.md)\n",
                   json_string_value(json_object_get(w, "name")),
                   json_string_value(json_object_get(w, "reason")) != NULL
                   ? json_string_value(json_object_get(w, "reason"))
                   : "redis lost its data");
        }
    }
}


/* an integer member as text, "-" when absent */

static const char *
invsyncctl_status_int(json_t *obj, const char *key, char *buf, size_t cap)
{
    json_t  *v;

    v = json_object_get(obj, key);

    if (!json_is_integer(v)) {
        return "-";
    }

    snprintf(buf, cap, "%lld", (long long) json_integer_value(v));

    return buf;
}
