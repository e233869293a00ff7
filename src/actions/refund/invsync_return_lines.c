
/*
 * The return's (RMA's) lines and the order lines they take back
 * (docs/returns.md, "Lines of one SKU"): at open, each RMA line priced
 * from the order line it names (line_id, the order's channel_line_id),
 * else its units spread over the order's lines of its SKU, in order, each
 * filled to its quantity before the next; at a receipt, the units of a
 * line put on the RMA's lines the same way (return_step.lua does it on
 * the record, invsync_return_refund.c for the due), so that the price,
 * the tax share and the refund due are each order line's own.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "refund/invsync_return_int.h"


static json_t *invsync_return_priced(json_t *ol, const char *sku,
    json_int_t qty, const char *cur);
static int invsync_return_skus(invsync_worker_t *w, const char *channel,
    json_t *olines, char ***skus);
static void invsync_return_skus_free(char **skus, size_t n);
static int invsync_return_fits(json_t *l, const char *sku,
    const char *line_id);


/*
 * The RMA's lines [{sku, qty, line_id}] (line_id optional) with the
 * order's price of each: the recorded order (K order:<order> data) has
 * to exist; a line that names its order line takes that line (whose SKU,
 * mapped as the ledger maps it, must be sku); one that does not takes
 * the order's lines of its SKU in order, each up to its quantity less
 * what the RMA's other lines take of it, the rest on the last: an RMA
 * line of a SKU on two order lines becomes two.  *out [{sku, qty,
 * price_minor, line_tax_minor, line_qty, currency, line_id}] (new).
 */
int
invsync_return_prices(invsync_worker_t *w, const char *channel,
    const char *order, json_t *lines, json_t **out, char *err, size_t len)
{
    int          rc, lost;
    char       **skus;
    size_t       i, k, n, last;
    ssize_t     *named;
    int64_t     *taken, rest, room, take;
    json_t      *data, *olines, *l, *ol;
    const char  *cur, *sku, *id;

    *out = NULL;
    data = invsync_order_data(w, order, &lost);

    if (lost) {
        snprintf(err, len, "redis connection lost");
        return INVSYNC_RETURN_LOST;
    }

    if (data == NULL) {
        snprintf(err, len, "no order %s recorded", order);
        return INVSYNC_RETURN_REFUSED;
    }

    olines = json_object_get(data, "lines");
    n = json_array_size(olines);
    cur = invsync_action_str(data, "currency");
    taken = calloc(n + 1, sizeof(*taken));
    named = calloc(json_array_size(lines) + 1, sizeof(*named));
    skus = NULL;

    if (taken == NULL || named == NULL) {
        snprintf(err, len, "out of memory");
        rc = INVSYNC_RETURN_LOST;
        goto done;
    }

    if (invsync_return_skus(w, channel, olines, &skus) != 0) {
        snprintf(err, len, "redis connection lost");
        rc = INVSYNC_RETURN_LOST;
        goto done;
    }

    /* the lines that name theirs first: the others fill what is left */
    json_array_foreach(lines, i, l) {
        id = invsync_action_str(l, "line_id");
        sku = invsync_action_str(l, "sku");
        named[i] = -1;

        if (id[0] == '\0') {
            continue;
        }

        json_array_foreach(olines, k, ol) {
            if (strcmp(invsync_action_str(ol, "channel_line_id"), id) == 0) {
                named[i] = (ssize_t) k;
                break;
            }
        }

        if (named[i] < 0 || skus[named[i]] == NULL
            || strcmp(skus[named[i]], sku) != 0)
        {
            if (named[i] < 0) {
                snprintf(err, len, "line %s is not a line of order %s", id,
                         order);
            } else {
                snprintf(err, len, "line %s of order %s is not SKU %s", id,
                         order, sku);
            }
            rc = INVSYNC_RETURN_REFUSED;
            goto done;
        }

        taken[named[i]] += invsync_action_int(l, "qty", 0);
    }

    *out = json_array();

    json_array_foreach(lines, i, l) {
        sku = invsync_action_str(l, "sku");
        rest = invsync_action_int(l, "qty", 0);

        if (named[i] >= 0) {
            json_array_append_new(*out, invsync_return_priced(
                json_array_get(olines, named[i]), sku, rest, cur));
            continue;
        }

        last = n;
        for (k = 0; k < n; k++) {
            if (skus[k] != NULL && strcmp(skus[k], sku) == 0) {
                last = k;
            }
        }

        if (last == n) {
            snprintf(err, len, "%s is not a line of order %s", sku, order);
            json_decref(*out);
            *out = NULL;
            rc = INVSYNC_RETURN_REFUSED;
            goto done;
        }

        for (k = 0; k <= last && rest > 0; k++) {
            if (skus[k] == NULL || strcmp(skus[k], sku) != 0) {
                continue;
            }

            ol = json_array_get(olines, k);
            room = invsync_action_int(ol, "quantity", 0) - taken[k];
            take = k == last ? rest : room < rest ? room : rest;

            if (take <= 0) {
                continue;
            }

            json_array_append_new(*out, invsync_return_priced(ol, sku, take,
                                                              cur));
            taken[k] += take;
            rest -= take;
        }
    }

    rc = INVSYNC_RETURN_DONE;

done:

    invsync_return_skus_free(skus, n);
    free(named);
    free(taken);
    json_decref(data);

    return rc;
}


/*
 * Where qty units of a receipt's line of sku go on the RMA's lines, as
 * return_step.lua puts them on the record: the lines of that order line
 * when the receipt names it (line_id) and the RMA has it, else the lines
 * of sku; in order, each up to its qty less the units on it so far
 * (taken[], received or missing: updated), the rest on the last.
 * pieces (as many as the RMA has lines) get {line, qty}; their count,
 * 0 when no line of the RMA is of sku.
 */
size_t
invsync_return_fill(json_t *lines, int64_t *taken, const char *sku,
    const char *line_id, int64_t qty, invsync_return_piece_t *pieces)
{
    size_t       i, last, n, np;
    int64_t      room, take;
    json_t      *l;
    const char  *id;

    n = json_array_size(lines);
    id = NULL;

    /* by the order line when the RMA has it, else by the SKU */
    json_array_foreach(lines, i, l) {
        if (line_id != NULL && line_id[0] != '\0'
            && invsync_return_fits(l, sku, line_id))
        {
            id = line_id;
        }
    }

    last = n;
    json_array_foreach(lines, i, l) {
        if (invsync_return_fits(l, sku, id)) {
            last = i;
        }
    }

    np = 0;

    for (i = 0; last < n && i <= last && qty > 0; i++) {
        l = json_array_get(lines, i);

        if (!invsync_return_fits(l, sku, id)) {
            continue;
        }

        room = invsync_action_int(l, "qty", 0) - taken[i];
        take = i == last ? qty : room < qty ? room : qty;

        if (take <= 0) {
            continue;
        }

        pieces[np].line = i;
        pieces[np].qty = take;
        np++;
        taken[i] += take;
        qty -= take;
    }

    return np;
}


/* the units on each RMA line so far (received or missing), for
 * invsync_return_fill(): a new array of json_array_size(lines) + 1 */
int64_t *
invsync_return_taken(json_t *lines)
{
    size_t    i;
    json_t   *l;
    int64_t  *taken;

    taken = calloc(json_array_size(lines) + 1, sizeof(*taken));
    if (taken == NULL) {
        return NULL;
    }

    json_array_foreach(lines, i, l) {
        taken[i] = invsync_action_int(l, "received", 0)
                   + invsync_action_int(l, "missing", 0);
    }

    return taken;
}


/* an RMA line of sku, and of order line line_id unless NULL */
static int
invsync_return_fits(json_t *l, const char *sku, const char *line_id)
{
    return strcmp(invsync_action_str(l, "sku"), sku) == 0
           && (line_id == NULL
               || strcmp(invsync_action_str(l, "line_id"), line_id) == 0);
}


/* an RMA line of qty units of order line ol: its unit price, its tax and
 * units (a receipt's due is its units' share of that tax,
 * invsync_return_refund.c), its id */
static json_t *
invsync_return_priced(json_t *ol, const char *sku, json_int_t qty,
    const char *cur)
{
    return json_pack("{s:s, s:I, s:O*, s:O*, s:O*, s:s, s:O*}", "sku", sku,
                     "qty", qty, "price_minor",
                     json_object_get(ol, "price_minor"), "line_tax_minor",
                     json_object_get(ol, "tax_minor"), "line_qty",
                     json_object_get(ol, "quantity"), "currency", cur,
                     "line_id", json_object_get(ol, "channel_line_id"));
}


/* each order line's canonical SKU (mapped as the ledger maps it; NULL:
 * none), *skus new; -1 Redis lost */
static int
invsync_return_skus(invsync_worker_t *w, const char *channel, json_t *olines,
    char ***skus)
{
    int      found;
    char     s[256];
    size_t   i;
    json_t  *ol;

    *skus = calloc(json_array_size(olines) + 1, sizeof(**skus));
    if (*skus == NULL) {
        return -1;
    }

    json_array_foreach(olines, i, ol) {
        found = invsync_stock_map(w, channel, ol, s, sizeof(s));

        if (found < 0) {
            return -1;
        }

        (*skus)[i] = found == 1 ? strdup(s) : NULL;
    }

    return 0;
}


static void
invsync_return_skus_free(char **skus, size_t n)
{
    size_t  i;

    if (skus == NULL) {
        return;
    }

    for (i = 0; i < n; i++) {
        free(skus[i]);
    }

    free(skus);
}
