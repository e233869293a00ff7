
/*
 * What each configured location can give of the SKUs an order's decision
 * read (invsync_route_snap.c reads them): a ledger's fields summed into
 * its SKU's row, the order's own holding added back, and the decision's
 * stock callback reading the rows.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_route_run.h"


static int invsync_route_loc(invsync_route_input_t *in, const char *id);
static int64_t invsync_route_free_one(invsync_route_input_t *in,
    const char *sku, int at);


/* one field of a SKU's stock:<sku> (in->row): on hand - reserved per
 * configured location; other fields (unrouted, damaged:) are not a
 * location's to give */

int
invsync_route_field(void *ctx, const char *field, size_t field_len,
    const char *value, size_t value_len)
{
    int                     at, neg;
    size_t                  i;
    int64_t                 v;
    invsync_route_input_t  *in = ctx;

    if (in->row == NULL) {
        return 0;       /* an answer not needed: taken, not summed */
    }

    /* a NUL inside: no location's field (nor one strcmp could tell) */
    if (strlen(field) != field_len) {
        return 0;
    }

    if (field_len > 8 && memcmp(field, "on_hand:", 8) == 0) {
        at = invsync_route_loc(in, field + 8);
        neg = 0;

    } else if (field_len > 9 && memcmp(field, "reserved:", 9) == 0) {
        at = invsync_route_loc(in, field + 9);
        neg = 1;

    } else {
        return 0;
    }

    if (at < 0) {
        return 0;       /* a location no longer configured */
    }

    /* read as strtoll read it before: a sign, the digits up to anything
     * else (HINCRBY keeps integers; route.lua's own HINCRBY refuses a
     * hand-written field that is not one), saturated */
    i = value_len > 0 && value[0] == '-' ? 1 : 0;
    neg ^= (int) i;

    for (v = 0; i < value_len && value[i] >= '0' && value[i] <= '9'; i++) {
        v = v > (INT64_MAX - 9) / 10 ? INT64_MAX : v * 10 + (value[i] - '0');
    }

    in->row->free[at] += neg ? -v : v;

    return 0;
}


/* what this order already holds ({loc: {sku: n}}): free for it again */

int
invsync_route_held(invsync_route_input_t *in)
{
    int          at;
    size_t       k;
    json_t      *h, *at_loc, *q;
    const char  *loc, *sku;

    if (in->held == NULL) {
        return 0;
    }

    h = json_loadb(in->held, in->held_len, 0, NULL);

    if (!json_is_object(h)) {
        json_decref(h);
        return -1;
    }

    json_object_foreach(h, loc, at_loc) {
        at = invsync_route_loc(in, loc);

        if (at < 0 || !json_is_object(at_loc)) {
            continue;
        }

        json_object_foreach(at_loc, sku, q) {
            for (k = 0; k < in->nstock; k++) {
                if (strcmp(in->stock[k].sku, sku) == 0) {
                    in->stock[k].free[at] += json_integer_value(q);
                }
            }
        }
    }

    json_decref(h);

    return 0;
}


/* a configured location's index, -1 for one no longer configured */

static int
invsync_route_loc(invsync_route_input_t *in, const char *id)
{
    size_t  k, j, n;

    n = in->rc->nlocations;

    /* the decision asks with the configuration's own string, the same
     * location for each of its lines: the last one found, by address */
    if (n > 0 && in->rc->locations[in->hint].id == id) {
        return (int) in->hint;
    }

    /* a ledger's fields come in the configuration's order: the one after
     * the last found first, that one last */
    for (k = 1; k <= n; k++) {
        j = (in->hint + k) % n;

        if (in->rc->locations[j].id == id
            || strcmp(in->rc->locations[j].id, id) == 0)
        {
            in->hint = j;
            return (int) j;
        }
    }

    return -1;
}


/*
 * What the location can give now (the decision's stock callback): on hand
 * minus reserved there, plus what this order already holds there (routing
 * it again releases that in the same step); a bundle, the fewest whole
 * bundles its components allow.
 */

int64_t
invsync_route_free_at(void *ctx, const char *sku, const char *location)
{
    int                     at;
    size_t                  i;
    int64_t                 n, best;
    json_t                 *comps, *q;
    const char             *c;
    invsync_route_input_t  *in;

    in = ctx;
    at = invsync_route_loc(in, location);
    comps = NULL;

    for (i = 0; i < in->order.nlines; i++) {
        if (in->lines[i].sku == sku || strcmp(in->lines[i].sku, sku) == 0) {
            comps = in->slots[i].comps;
            break;
        }
    }

    if (at < 0) {
        return 0;
    }

    if (!json_is_object(comps)) {
        return invsync_route_free_one(in, sku, at);
    }

    best = -1;

    json_object_foreach(comps, c, q) {
        n = invsync_route_free_one(in, c, at);
        n = n > 0 && json_integer_value(q) > 0
            ? n / json_integer_value(q) : 0;

        if (best < 0 || n < best) {
            best = n;
        }
    }

    return best < 0 ? 0 : best;
}


/*
 * A bundle line takes its components (the decision sums them with the
 * other lines' at each location); a line of another SKU takes itself
 * (uses NULL).  Their names are the comps' keys, alive as the slots.
 */

int
invsync_route_uses(invsync_route_input_t *in)
{
    size_t       i, n;
    json_t      *comps, *q;
    const char  *c;

    for (n = 0, i = 0; i < in->order.nlines; i++) {
        if (json_is_object(in->slots[i].comps)) {
            n += json_object_size(in->slots[i].comps);
        }
    }

    free(in->uses);
    in->uses = NULL;

    if (n == 0) {
        return 0;
    }

    in->uses = calloc(n, sizeof(invsync_route_use_t));

    if (in->uses == NULL) {
        return -1;
    }

    for (n = 0, i = 0; i < in->order.nlines; i++) {
        comps = in->slots[i].comps;
        in->lines[i].uses = NULL;
        in->lines[i].nuses = 0;

        if (!json_is_object(comps) || json_object_size(comps) == 0) {
            continue;
        }

        in->lines[i].uses = &in->uses[n];

        json_object_foreach(comps, c, q) {
            in->uses[n].sku = c;
            in->uses[n].qty = json_integer_value(q);
            n++;
            in->lines[i].nuses++;
        }
    }

    return 0;
}


static int64_t
invsync_route_free_one(invsync_route_input_t *in, const char *sku, int at)
{
    size_t  k;

    for (k = 0; k < in->nstock; k++) {
        if (strcmp(in->stock[k].sku, sku) == 0) {
            return in->stock[k].free[at];
        }
    }

    return 0;
}
