
/*
 * A Shopify order's line items as canonical lines (docs/events.md): ids,
 * SKU, quantity, unit price and tax in minor units, whether the line is
 * shipped, and the references the ledger matches it by.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_shopify.h"


static int invsync_shopify_line(const invsync_canon_src_t *line, json_t *l,
    void *ctx);
static int invsync_shopify_line_tax(const invsync_canon_src_t *line,
    int64_t *tax);


/* taxes_included: the lines' prices hold their tax (tax_minor 0) */
int
invsync_shopify_lines(const invsync_canon_src_t *s, json_t *e)
{
    int  inc;

    inc = 0;

    if (invsync_canon_bool(s, "taxes_included", 0, &inc) < 0) {
        return -1;
    }

    return invsync_canon_each(s, "line_items", e, "lines",
                              invsync_shopify_line, &inc);
}


static int
invsync_shopify_line(const invsync_canon_src_t *line, json_t *l, void *ctx)
{
    int       qrc, prc, trc;
    int64_t   quantity, price, tax;

    quantity = 0;
    tax = 0;
    trc = *(int *) ctx ? 1 : invsync_shopify_line_tax(line, &tax);
    qrc = invsync_canon_int(line, "quantity", INVSYNC_CANON_REQUIRED,
                            &quantity);
    price = 0;
    prc = (qrc < 0) ? -1 : invsync_canon_money(line, "price", 0, &price);

    return invsync_canon_set(line, l, "channel_line_id",
                             invsync_canon_id(line, "id",
                                              INVSYNC_CANON_REQUIRED))
           || invsync_canon_set(line, l, "sku",
                                invsync_canon_string(line, "sku", 0))
           || invsync_canon_set(line, l, "product_id",
                                invsync_canon_id(line, "product_id", 0))
           || invsync_canon_set(line, l, "variant_id",
                                invsync_canon_id(line, "variant_id", 0))
           || invsync_canon_set(line, l, "title",
                                invsync_canon_or(
                                    invsync_canon_string(line, "title", 0),
                                    line, "name"))
           || invsync_canon_set(line, l, "quantity",
                                invsync_canon_number(qrc, quantity))
           || invsync_canon_set(line, l, "price_minor",
                                invsync_canon_number(prc, price))
           || invsync_canon_set(line, l, "requires_shipping",
                                invsync_shopify_requires_shipping(line))
           || invsync_canon_set(line, l, "tax_minor",
                                invsync_canon_number(trc, tax))
           || invsync_shopify_refs(line, l) ? -1 : 0;
}


/*
 * The line's tax, all its units, which its price does not hold: its
 * tax_lines' prices added (each is that rate's tax of the whole line).
 * 1 read, 0 no tax_lines member (not known), -1 not readable.
 */
static int
invsync_shopify_line_tax(const invsync_canon_src_t *line, int64_t *tax)
{
    size_t               i, n;
    int64_t              v;
    invsync_canon_src_t  t;

    *tax = 0;

    if (json_object_get(line->obj, "tax_lines") == NULL) {
        return 0;
    }

    if (invsync_canon_array(line, "tax_lines", &n) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        v = 0;

        if (invsync_canon_item(line, "tax_lines", i, &t) != 0
            || invsync_canon_money(&t, "price", 0, &v) < 0)
        {
            return -1;
        }

        *tax += v;
    }

    return 1;
}
