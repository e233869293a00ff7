
/*
 * Stock arithmetic shared by the worker and invsyncctl; see
 * invsync_stock.h.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_stock.h"


static int invsync_stock_slot(invsync_stock_t *st, const char *loc);
static int invsync_stock_counts(const invsync_stock_rules_t *rules,
    const char *loc);


int
invsync_stock_parse(invsync_stock_t *st, const char **fields,
    const char **values, size_t n)
{
    int         i;
    size_t      k;
    int64_t     v;

    memset(st, 0, sizeof(invsync_stock_t));

    for (k = 0; k < n; k++) {
        v = strtoll(values[k], NULL, 10);

        if (strcmp(fields[k], "unrouted") == 0) {
            st->unrouted = v;

        } else if (strncmp(fields[k], "on_hand:", 8) == 0) {
            i = invsync_stock_slot(st, fields[k] + 8);
            if (i < 0) {
                return -1;
            }

            st->on_hand[i] = v;

        } else if (strncmp(fields[k], "reserved:", 9) == 0) {
            i = invsync_stock_slot(st, fields[k] + 9);
            if (i < 0) {
                return -1;
            }

            st->reserved[i] = v;

        } else if (strncmp(fields[k], "damaged:", 8) == 0) {
            i = invsync_stock_slot(st, fields[k] + 8);
            if (i < 0) {
                return -1;
            }

            st->damaged[i] = v;
        }
    }

    return 0;
}


static int
invsync_stock_slot(invsync_stock_t *st, const char *loc)
{
    size_t  i;

    for (i = 0; i < st->nlocations; i++) {
        if (strcmp(st->location[i], loc) == 0) {
            return (int) i;
        }
    }

    if (st->nlocations == INVSYNC_STOCK_MAX_LOCATIONS
        || strlen(loc) >= sizeof(st->location[0]))
    {
        return -1;
    }

    snprintf(st->location[st->nlocations], sizeof(st->location[0]), "%s",
             loc);

    return (int) st->nlocations++;
}


/*
 * Reservations not yet routed to a location are held against every
 * channel: availability is right from the first second, and routing only
 * moves them to a place later.
 */

int64_t
invsync_stock_available(const invsync_stock_t *st,
    const invsync_stock_rules_t *rules)
{
    size_t   i;
    int64_t  a;

    a = -st->unrouted;

    for (i = 0; i < st->nlocations; i++) {
        if (invsync_stock_counts(rules, st->location[i])) {
            a += st->on_hand[i] - st->reserved[i];
        }
    }

    return a;
}


static int
invsync_stock_counts(const invsync_stock_rules_t *rules, const char *loc)
{
    size_t  i;

    if (rules == NULL || rules->nlocations == 0) {
        return 1;
    }

    for (i = 0; i < rules->nlocations; i++) {
        if (strcmp(rules->location[i], loc) == 0) {
            return 1;
        }
    }

    return 0;
}


int64_t
invsync_stock_shown(int64_t available, const invsync_stock_rules_t *rules)
{
    int64_t  q;

    q = available;

    if (rules != NULL) {
        q -= rules->buffer;

        if (q > 0 && rules->share < 100) {
            q = q * rules->share / 100;
        }

        if (rules->max >= 0 && q > rules->max) {
            q = rules->max;
        }
    }

    return q < 0 ? 0 : q;
}


void
invsync_stock_bundle_add(invsync_stock_bundle_t *b, int64_t available,
    int64_t qty)
{
    int64_t  q;

    if (qty < 1) {
        return;
    }

    q = available / qty;

    /* C rounds toward zero (-1 / 2 is 0): a component oversold by one
     * unit of two per bundle is one bundle short, -1 */
    if (available % qty != 0 && available < 0) {
        q--;
    }

    if (b->counted++ == 0 || q < b->least) {
        b->least = q;
    }
}


int
invsync_stock_rules(invsync_stock_rules_t *rules, const json_t *obj,
    char *err, size_t len)
{
    size_t       i;
    json_t      *v, *locs;
    const char  *key, *ext;

    memset(rules, 0, sizeof(invsync_stock_rules_t));
    rules->max = -1;
    rules->share = 100;

    /* a channel that decrements its own stock on an order sends a change
     * the ledger is about to make too: taking it as a correction by
     * default would count the order twice */
    rules->correct = 0;

    if (obj == NULL) {
        return 0;
    }

    json_object_foreach((json_t *) obj, key, v) {
        if (strcmp(key, "locations") == 0) {
            locs = v;

            if (!json_is_array(locs)
                || json_array_size(locs) > INVSYNC_STOCK_MAX_LOCATIONS)
            {
                snprintf(err, len, "\"locations\" must be an array of at "
                         "most %d names", INVSYNC_STOCK_MAX_LOCATIONS);
                return -1;
            }

            for (i = 0; i < json_array_size(locs); i++) {
                if (!json_is_string(json_array_get(locs, i))
                    || json_string_length(json_array_get(locs, i)) >= 64)
                {
                    snprintf(err, len, "\"locations\"[%zu] must be a "
                             "location name", i);
                    return -1;
                }

                snprintf(rules->location[i], sizeof(rules->location[0]),
                         "%s", json_string_value(json_array_get(locs, i)));
            }

            rules->nlocations = json_array_size(locs);

        } else if (strcmp(key, "buffer") == 0 && json_is_integer(v)
                   && json_integer_value(v) >= 0)
        {
            rules->buffer = json_integer_value(v);

        } else if (strcmp(key, "max") == 0 && json_is_integer(v)
                   && json_integer_value(v) >= 0)
        {
            rules->max = json_integer_value(v);

        } else if (strcmp(key, "share") == 0 && json_is_integer(v)
                   && json_integer_value(v) >= 1
                   && json_integer_value(v) <= 100)
        {
            rules->share = (int) json_integer_value(v);

        } else if (strcmp(key, "external_changes") == 0 && json_is_string(v)
                   && ((ext = json_string_value(v)), 1)
                   && (strcmp(ext, "correct") == 0
                       || strcmp(ext, "ignore") == 0))
        {
            rules->correct = strcmp(ext, "correct") == 0;

        } else {
            snprintf(err, len, "\"%s\" is not a stock rule or has a bad "
                     "value (locations, buffer >= 0, max >= 0, share "
                     "1..100, external_changes correct|ignore)", key);
            return -1;
        }
    }

    return 0;
}
