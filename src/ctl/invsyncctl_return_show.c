
/*
 * invsyncctl return list and show: the returns (K rmas, newest first,
 * filtered by state) as a table, and one return's record (K rma:<id>):
 * its lines, each state reached with its time and cause, its receipts
 * with what the rules decided per line, the refund due.  --json: the
 * same as one JSON document.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_return.h"


static const char  *invsyncctl_return_states[] = {
    "open", "in_transit", "received", "inspected", "refunded", "closed", NULL
};


static int invsyncctl_return_state_ok(const char *s);
static void invsyncctl_return_print(json_t *rma);


int
invsyncctl_return_list(invsyncctl_t *ctl, int argc, char **argv)
{
    int                     rc, npos;
    char                    key[INVSYNCCTL_KEY_LEN], at[INVSYNCCTL_TIME_LEN];
    long                    limit;
    size_t                  i;
    json_t                 *all, *rma;
    const char             *pos[1], *state, *lim;
    redisReply             *r;
    invsyncctl_table_t     *t;
    invsync_return_rc_e     grc;
    const invsyncctl_opt_t  opts[] = {
        { "--state", &state, NULL }, { "--limit", &lim, NULL },
        { NULL, NULL, NULL }
    };

    state = lim = NULL;
    limit = 100;

    rc = invsyncctl_args(ctl, "return list", invsyncctl_return_usage, argc,
                         argv, opts, pos, 0, &npos);
    if (rc == INVSYNCCTL_OK && state != NULL
        && !invsyncctl_return_state_ok(state))
    {
        rc = invsyncctl_usage_error("return list", "--state: open, "
                                    "in_transit, received, inspected, "
                                    "refunded or closed");
    }

    if (rc == INVSYNCCTL_OK && lim != NULL) {
        rc = invsyncctl_parse_long("return list", "--limit", lim, 1, 10000,
                                   &limit);
    }

    if (rc == INVSYNCCTL_OK) {
        rc = invsyncctl_open(ctl);
    }

    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    invsync_key_rmas(key, sizeof(key), ctl->conf);
    r = invsyncctl_redis(ctl, "ZREVRANGE %s 0 -1", key);
    if (r == NULL) {
        return INVSYNCCTL_REDIS;
    }

    all = json_array();

    for (i = 0; i < r->elements && json_array_size(all) < (size_t) limit;
         i++)
    {
        rma = invsync_return_get(&ctl->w, r->element[i]->str, &grc);

        if (grc == INVSYNC_RETURN_LOST) {
            freeReplyObject(r);
            json_decref(all);
            fprintf(stderr, "invsyncctl: return: redis connection lost\n");
            return INVSYNCCTL_REDIS;
        }

        if (rma != NULL && (state == NULL || strcmp(state,
                json_string_value(json_object_get(rma, "state"))) == 0))
        {
            json_array_append_new(all, json_pack("{s:O, s:O, s:O, s:O, s:O, "
                "s:O}", "id", json_object_get(rma, "id"), "order",
                json_object_get(rma, "order"), "state",
                json_object_get(rma, "state"), "created",
                json_object_get(rma, "created"), "updated",
                json_object_get(rma, "updated"), "lines",
                json_object_get(rma, "lines")));
        }

        json_decref(rma);
    }

    freeReplyObject(r);

    if (ctl->json) {
        return invsyncctl_print_json(json_pack("{s:o}", "returns", all));
    }

    t = invsyncctl_table_new(4, 0, "RMA", "ORDER", "STATE", "UPDATED");
    json_array_foreach(all, i, rma) {
        invsyncctl_table_add(t, json_string_value(json_object_get(rma, "id")),
            json_string_value(json_object_get(rma, "order")),
            json_string_value(json_object_get(rma, "state")),
            invsyncctl_time_fmt(json_integer_value(json_object_get(rma,
                                "updated")), at, sizeof(at)));
    }
    invsyncctl_table_print(t, stdout);
    invsyncctl_table_free(t);
    json_decref(all);

    return INVSYNCCTL_OK;
}


int
invsyncctl_return_show(invsyncctl_t *ctl, int argc, char **argv)
{
    int                  rc, npos;
    json_t              *rma;
    const char          *pos[1];
    invsync_return_rc_e  grc;

    rc = invsyncctl_args(ctl, "return show", invsyncctl_return_usage, argc,
                         argv, NULL, pos, 1, &npos);
    if (rc == INVSYNCCTL_OK && (npos != 1 || !invsync_return_id_valid(pos[0])))
    {
        rc = invsyncctl_usage_error("return show", "give the RMA");
    }

    if (rc == INVSYNCCTL_OK) {
        rc = invsyncctl_open(ctl);
    }

    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    rma = invsync_return_get(&ctl->w, pos[0], &grc);
    if (rma == NULL) {
        return invsyncctl_return_exit(grc, grc == INVSYNC_RETURN_LOST
                                      ? "redis connection lost"
                                      : "no such RMA");
    }

    if (ctl->json) {
        return invsyncctl_print_json(rma);
    }

    invsyncctl_return_print(rma);
    json_decref(rma);

    return INVSYNCCTL_OK;
}


static int
invsyncctl_return_state_ok(const char *s)
{
    size_t  i;

    for (i = 0; invsyncctl_return_states[i] != NULL; i++) {
        if (strcmp(s, invsyncctl_return_states[i]) == 0) {
            return 1;
        }
    }

    return 0;
}


static const char *
invsyncctl_return_s(json_t *o, const char *k)
{
    const char  *s = json_string_value(json_object_get(o, k));

    return s ? s : "";
}


static void
invsyncctl_return_print(json_t *rma)
{
    char         at[INVSYNCCTL_TIME_LEN], n[6][24];
    size_t       i;
    json_t      *l, *h, *r;
    const char  *k;
    invsyncctl_table_t  *t;

    printf("return %s  order %s  state %s\n", invsyncctl_return_s(rma, "id"),
           invsyncctl_return_s(rma, "order"),
           invsyncctl_return_s(rma, "state"));
    if (invsyncctl_return_s(rma, "reason")[0] != '\0') {
        printf("reason: %s\n", invsyncctl_return_s(rma, "reason"));
    }

    printf("\nlines:\n");
    /* LINE: the order line it takes back (two lines of one SKU) */
    t = invsyncctl_table_new(7, 0x3e, "SKU", "QTY", "RECEIVED", "RESTOCKED",
                             "DAMAGED", "PRICE", "LINE");
    json_array_foreach(json_object_get(rma, "lines"), i, l) {
        snprintf(n[0], sizeof(n[0]), "%lld", (long long)
                 json_integer_value(json_object_get(l, "qty")));
        snprintf(n[1], sizeof(n[1]), "%lld", (long long)
                 json_integer_value(json_object_get(l, "received")));
        snprintf(n[2], sizeof(n[2]), "%lld", (long long)
                 json_integer_value(json_object_get(l, "restocked")));
        snprintf(n[3], sizeof(n[3]), "%lld", (long long)
                 json_integer_value(json_object_get(l, "damaged")));
        snprintf(n[4], sizeof(n[4]), "%lld", (long long)
                 json_integer_value(json_object_get(l, "price_minor")));
        invsyncctl_table_add(t, invsyncctl_return_s(l, "sku"), n[0], n[1],
                             n[2], n[3], n[4], invsyncctl_return_s(l,
                                                               "line_id"));
    }
    invsyncctl_table_print(t, stdout);
    invsyncctl_table_free(t);

    printf("\nhistory:\n");
    /* WHY: what ended it, when the channel closed it */
    t = invsyncctl_table_new(5, 0, "STATE", "AT", "CAUSE", "BY", "WHY");
    json_array_foreach(json_object_get(rma, "history"), i, h) {
        invsyncctl_table_add(t, invsyncctl_return_s(h, "state"),
            invsyncctl_time_fmt(json_integer_value(json_object_get(h, "at")),
                                at, sizeof(at)),
            invsyncctl_return_s(h, "cause"), invsyncctl_return_s(h, "by"),
            invsyncctl_return_s(h, "why"));
    }
    invsyncctl_table_print(t, stdout);
    invsyncctl_table_free(t);

    json_object_foreach(json_object_get(rma, "receipts"), k, r) {
        printf("\nreceipt %s:\n", k);
        invsyncctl_return_print_lines(json_object_get(r, "lines"));
    }

    json_array_foreach(json_object_get(rma, "refund_due"), i, r) {
        printf("\nrefund due (%s, %s): %lld %s\n",
               invsyncctl_return_s(r, "cause"),
               invsyncctl_return_s(r, "state"), (long long)
               json_integer_value(json_object_get(r, "amount_minor")),
               invsyncctl_return_s(r, "currency"));
    }
}


/* a receipt's lines and what the rules decided for each */
void
invsyncctl_return_print_lines(json_t *lines)
{
    char                 q[24];
    size_t               i;
    json_t              *l;
    invsyncctl_table_t  *t;

    t = invsyncctl_table_new(6, 0x02, "SKU", "QTY", "CONDITION", "DECISION",
                             "BUCKET", "LOCATION");
    json_array_foreach(lines, i, l) {
        snprintf(q, sizeof(q), "%lld", (long long)
                 json_integer_value(json_object_get(l, "qty")));
        invsyncctl_table_add(t, invsyncctl_return_s(l, "sku"), q,
                             invsyncctl_return_s(l, "condition"),
                             invsyncctl_return_s(l, "reason"),
                             invsyncctl_return_s(l, "bucket"),
                             invsyncctl_return_s(l, "location"));
    }
    invsyncctl_table_print(t, stdout);
    invsyncctl_table_free(t);
}
