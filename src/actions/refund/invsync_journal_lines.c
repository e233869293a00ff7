/*
 * The journal's line builder (docs/journal.md, "Entries").  A store's
 * refund reverses what the sale booked: revenue per line, its tax, the
 * shipping, against the money owed back (refunds_payable); what was not
 * paid back of those parts is a fee kept (fees_income).  A payment
 * provider's refund of a store's order (its channel is not the order's)
 * is the payment of that debt: refunds_payable against refunds_paid, so
 * the same money reported by the store and by its provider is booked
 * once as a reversal and once as a payment.  Each restocked line brings
 * its units back into inventory at cost; a damaged one writes them off.
 *
 * Amounts are integers in the currency's minor unit (its exponent: 0 for
 * JPY, 2 for EUR, 3 for KWD) as the channels gave them; the only division
 * is the refund's tax split across its lines, by the largest remainder
 * method, so the parts add up to the whole exactly.
 */


#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "invsync_journal_lines.h"


#define INVSYNC_JOURNAL_MAX_LINES  256

/* what a refund may hold for its sums to stay exact in 64 bits: every
 * amount, quantity and cost within 10^14 (a trillion in a currency of
 * cents), at most 4096 lines */
#define INVSYNC_JOURNAL_MAX_MINOR  100000000000000LL
#define INVSYNC_JOURNAL_MAX_ALL    4096


typedef struct {
    json_t      *accounts;
    json_t      *lines;          /* of the entry being built */
    const char  *currency;
    char        *err;
    size_t       len;
} invsync_jb_t;


static int invsync_jb_line(invsync_jb_t *b, const char *role,
    json_int_t amount, const char *memo, const char *sku);
static int invsync_jb_refund(invsync_jb_t *b, json_t *refund);
static int invsync_jb_items(invsync_jb_t *b, json_t *refund,
    json_int_t items, json_int_t tax);
static int invsync_jb_restock(json_t *entries, json_t *uncosted,
    json_t *refund, json_t *costs, invsync_jb_t *b, const char *date);
static json_int_t invsync_jb_int(json_t *obj, const char *key,
    json_int_t dflt);
static const char *invsync_jb_str(json_t *obj, const char *key);
static int invsync_jb_range(json_t *refund, json_t *costs, char *err,
    size_t len);
static int invsync_jb_bad(json_t *obj, const char *key);
static uint64_t invsync_journal_muldiv(uint64_t a, uint64_t b, uint64_t c,
    uint64_t *rem);


json_t *
invsync_journal_lines(json_t *refund, json_t *costs, json_t *accounts,
    const char *date, char *err, size_t len)
{
    char           cause[1024], day[11];
    json_t        *out, *entries, *uncosted;
    const char    *at;
    invsync_jb_t   b;

    memset(&b, 0, sizeof(b));
    b.accounts = accounts;
    b.err = err;
    b.len = len;

    at = invsync_jb_str(refund, "created_at");
    if (strlen(at) < 10) {
        at = invsync_jb_str(refund, "updated_at");
    }
    snprintf(day, sizeof(day), "%s", strlen(at) >= 10 ? at : date);

    entries = json_array();
    uncosted = json_array();
    out = json_pack("{s:o, s:o}", "entries", entries, "uncosted", uncosted);
    b.lines = json_array();

    if (out == NULL || b.lines == NULL) {
        snprintf(err, len, "out of memory");
        goto failed;
    }

    b.currency = invsync_jb_str(refund, "currency");

    if (invsync_jb_range(refund, costs, err, len) != 0
        || invsync_jb_refund(&b, refund) != 0)
    {
        goto failed;
    }

    if (json_array_size(b.lines) > 0) {
        snprintf(cause, sizeof(cause), "refund:%s:%s",
                 invsync_jb_str(refund, "channel"),
                 invsync_jb_str(refund, "refund_id"));

        json_array_append_new(entries, json_pack("{s:s, s:s, s:O}", "cause",
                                                 cause, "date", day,
                                                 "lines", b.lines));
    }

    json_decref(b.lines);
    b.lines = NULL;

    if (invsync_jb_restock(entries, uncosted, refund, costs, &b, day) != 0) {
        goto failed;
    }

    return out;

failed:

    json_decref(b.lines);
    json_decref(out);

    return NULL;
}


/* the money of the refund: a reversal, or (a provider's) its payment */
static int
invsync_jb_refund(invsync_jb_t *b, json_t *refund)
{
    json_t      *am;
    json_int_t   total, ship, tax, disc, items, kept;
    const char  *ch, *och;

    total = invsync_jb_int(refund, "amount_minor", 0);
    if (total <= 0 || strcmp(invsync_jb_str(refund, "lines_from"), "none")
                      == 0)
    {
        return 0;
    }

    if (b->currency[0] == '\0') {
        snprintf(b->err, b->len, "a refund of %" JSON_INTEGER_FORMAT
                 " has no currency", total);
        return -1;
    }

    ch = invsync_jb_str(refund, "channel");
    och = invsync_jb_str(refund, "order_channel");

    if (och[0] != '\0' && strcmp(ch, och) != 0) {
        return invsync_jb_line(b, "refunds_payable", total,
                               "refund paid by the payment provider", NULL)
               || invsync_jb_line(b, "refunds_paid", -total,
                                  "refund paid by the payment provider",
                                  NULL);
    }

    am = json_object_get(refund, "amounts");
    ship = invsync_jb_int(am, "shipping_minor", 0);
    disc = invsync_jb_int(am, "discounts_minor", 0);
    tax = invsync_jb_int(am, "tax_minor", -1);

    if (tax < 0) {
        size_t   i;
        json_t  *l;

        tax = 0;
        json_array_foreach(json_object_get(refund, "lines"), i, l) {
            tax += invsync_jb_int(l, "tax_minor", 0);
        }
    }

    items = invsync_jb_int(am, "items_minor", -1);
    if (items < 0) {
        items = total - ship - tax + disc;
        items = items < 0 ? 0 : items;
    }

    if (invsync_jb_items(b, refund, items, tax) != 0
        || (ship != 0 && invsync_jb_line(b, "shipping_income", ship,
                                         "shipping refunded", NULL) != 0)
        || (disc != 0 && invsync_jb_line(b, "sales_returns", -disc,
                                         "discount taken back", NULL) != 0))
    {
        return -1;
    }

    kept = items + tax + ship - disc - total;

    if (kept > 0 && invsync_jb_line(b, "fees_income", -kept,
                                    "restocking fee kept", NULL) != 0)
    {
        return -1;
    }

    if (kept < 0 && invsync_jb_line(b, "sales_returns", -kept,
                                    "refunded beyond its parts", NULL) != 0)
    {
        return -1;
    }

    return invsync_jb_line(b, "refunds_payable", -total, "refund payable",
                           NULL);
}


/*
 * Revenue reversed per line, by the lines' own amounts when they add up
 * to the items, else items split by quantity; the tax likewise, split by
 * the lines' revenue with the largest remainder method: each line gets
 * the floor of its exact share, and the units left over go one each to
 * the lines with the largest fractional parts (the first of equal ones).
 */
static int
invsync_jb_items(invsync_jb_t *b, json_t *refund, json_int_t items,
    json_int_t tax)
{
    size_t       i, n;
    json_t      *lines, *l;
    json_int_t   rev[INVSYNC_JOURNAL_MAX_LINES], tx[INVSYNC_JOURNAL_MAX_LINES];
    json_int_t   w[INVSYNC_JOURNAL_MAX_LINES];
    json_int_t   sum;
    int          own;

    lines = json_object_get(refund, "lines");
    n = json_array_size(lines);

    if (n == 0 || n > INVSYNC_JOURNAL_MAX_LINES) {
        return (items != 0 && invsync_jb_line(b, "sales_returns", items,
                                              "revenue reversed", NULL))
               || (tax != 0 && invsync_jb_line(b, "tax_payable", tax,
                                               "tax reversed", NULL));
    }

    sum = 0;
    own = 1;
    json_array_foreach(lines, i, l) {
        rev[i] = invsync_jb_int(l, "amount_minor", -1);
        own = own && rev[i] >= 0;
        sum += rev[i] >= 0 ? rev[i] : 0;
        w[i] = invsync_jb_int(l, "quantity", 0);
    }

    /* two passes of one split: revenue by quantity (unless the lines'
     * own amounts hold), then tax by revenue */
    if (!own || sum != items) {
        invsync_journal_split(items, w, n, rev);
    }

    invsync_journal_split(tax, rev, n, tx);

    json_array_foreach(lines, i, l) {
        const char  *sku = invsync_jb_str(l, "sku");

        if ((rev[i] != 0 && invsync_jb_line(b, "sales_returns", rev[i],
                                            "revenue reversed", sku) != 0)
            || (tx[i] != 0 && invsync_jb_line(b, "tax_payable", tx[i],
                                              "tax reversed", sku) != 0))
        {
            return -1;
        }
    }

    return 0;
}


/*
 * total split by the weights w[0..n) (n <= INVSYNC_JOURNAL_MAX_LINES):
 * each part the floor of its exact share, the units left over one each
 * to the parts with the largest remainders (the first of equal ones), so
 * the parts add up to total exactly; all to the first when the weights
 * are 0.  A negative weight counts as 0; a negative total is split as
 * its magnitude, its parts negative.  Exact for any total and weights
 * whose sum is within 64 bits.  The journal's tax split, and a return's
 * share of a line's tax (invsync_return_refund.c).
 */
void
invsync_journal_split(json_int_t total, const json_int_t *w, size_t n,
    json_int_t *out)
{
    size_t      i, best;
    uint64_t    mag, part, r;
    json_int_t  rem[INVSYNC_JOURNAL_MAX_LINES], wsum, left, wi;

    wsum = 0;
    for (i = 0; i < n; i++) {
        wsum += w[i] > 0 ? w[i] : 0;
    }

    /* the magnitude is split, a negative total's parts are negated: the
     * units left over go the same way */
    mag = total < 0 ? 0 - (uint64_t) total : (uint64_t) total;

    for (i = 0; i < n; i++) {
        wi = w[i] > 0 ? w[i] : 0;

        if (wsum > 0) {
            part = invsync_journal_muldiv(mag, (uint64_t) wi,
                                          (uint64_t) wsum, &r);
            rem[i] = (json_int_t) r;

        } else {
            part = (i == 0) ? mag : 0;
            rem[i] = 0;
        }

        out[i] = total < 0 ? (json_int_t) (0 - part) : (json_int_t) part;
    }

    left = total;
    for (i = 0; i < n; i++) {
        left -= out[i];
    }

    while (left != 0 && n > 0) {
        best = 0;
        for (i = 1; i < n; i++) {
            if (rem[i] > rem[best]) {
                best = i;
            }
        }
        out[best] += left > 0 ? 1 : -1;
        rem[best] = -1;
        left += left > 0 ? -1 : 1;
    }
}


/*
 * a * b / c and its remainder, exactly, for b <= c (a share of a by the
 * weight b of c): the product in 128 bits from 32-bit halves, divided a
 * bit at a time (no 128-bit type on 32-bit targets)
 */
static uint64_t
invsync_journal_muldiv(uint64_t a, uint64_t b, uint64_t c, uint64_t *rem)
{
    int       i;
    uint64_t  a0, a1, b0, b1, p00, p01, p10, p11, mid, hi, lo, q, r, top;

    a0 = a & 0xffffffffu;
    a1 = a >> 32;
    b0 = b & 0xffffffffu;
    b1 = b >> 32;

    p00 = a0 * b0;
    p01 = a0 * b1;
    p10 = a1 * b0;
    p11 = a1 * b1;

    mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    lo = (mid << 32) | (p00 & 0xffffffffu);
    hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);

    q = 0;
    r = 0;

    for (i = 127; i >= 0; i--) {
        top = r >> 63;
        r = (r << 1) | ((i >= 64 ? hi >> (i - 64) : lo >> i) & 1);
        q <<= 1;

        if (top || r >= c) {
            r -= c;
            q |= 1;
        }
    }

    *rem = r;

    return q;
}


/*
 * One entry per restocked line, keyed as the ledger's movement is
 * (restock:<channel>:<refund>:<line>): its units back into inventory at
 * cost, or written off when the restock put them in the damaged bucket
 * (the line's "condition" or "bucket" is "damaged").
 */
static int
invsync_jb_restock(json_t *entries, json_t *uncosted, json_t *refund,
    json_t *costs, invsync_jb_t *b, const char *date)
{
    char         cause[1024], memo[128];
    size_t       i;
    json_t      *l, *c;
    json_int_t   qty, cost;
    const char  *sku, *id;
    int          damaged;

    json_array_foreach(json_object_get(refund, "lines"), i, l) {
        qty = invsync_jb_int(l, "quantity", 0);
        sku = invsync_jb_str(l, "sku");

        if (qty <= 0 || !invsync_journal_restocked(l) || sku[0] == '\0')
        {
            continue;
        }

        c = json_object_get(costs, sku);
        cost = invsync_jb_int(c, "cost_minor", -1);
        b->currency = invsync_jb_str(c, "cost_currency");

        if (cost < 0 || b->currency[0] == '\0') {
            json_array_append_new(uncosted, json_string(sku));
            continue;
        }

        if (cost > 0 && qty > INVSYNC_JOURNAL_MAX_MINOR / cost) {
            snprintf(b->err, b->len, "%" JSON_INTEGER_FORMAT " x %s at %"
                     JSON_INTEGER_FORMAT " is beyond what the journal "
                     "books", qty, sku, cost);
            return -1;
        }

        damaged = strcmp(invsync_jb_str(l, "condition"), "damaged") == 0
                  || strcmp(invsync_jb_str(l, "bucket"), "damaged") == 0;
        id = invsync_jb_str(l, "channel_line_id");
        snprintf(cause, sizeof(cause), "restock:%s:%s:%s",
                 invsync_jb_str(refund, "channel"),
                 invsync_jb_str(refund, "refund_id"), id[0] ? id : sku);
        snprintf(memo, sizeof(memo), "%" JSON_INTEGER_FORMAT " x %s %s",
                 qty, sku, damaged ? "damaged, written off"
                                   : "back in stock at cost");

        b->lines = json_array();
        if (b->lines == NULL
            || invsync_jb_line(b, damaged ? "write_offs" : "inventory",
                               qty * cost, memo, sku) != 0
            || invsync_jb_line(b, "cost_of_goods", -qty * cost, memo, sku)
               != 0)
        {
            json_decref(b->lines);
            b->lines = NULL;
            return -1;
        }

        json_array_append_new(entries, json_pack("{s:s, s:s, s:o}", "cause",
                                                 cause, "date", date,
                                                 "lines", b->lines));
        b->lines = NULL;
    }

    return 0;
}


static int
invsync_jb_line(invsync_jb_t *b, const char *role, json_int_t amount,
    const char *memo, const char *sku)
{
    json_t  *code, *line;

    code = json_object_get(b->accounts, role);

    if (!json_is_string(code)) {
        snprintf(b->err, b->len, "no account for \"%s\"", role);
        return -1;
    }

    line = json_pack("{s:s, s:O, s:s, s:I, s:s, s:s*}", "account", role,
                     "code", code, "currency", b->currency,
                     "amount_minor", amount, "memo", memo,
                     "sku", sku != NULL && sku[0] ? sku : NULL);

    if (line == NULL || json_array_append_new(b->lines, line) != 0) {
        snprintf(b->err, b->len, "out of memory");
        return -1;
    }

    return 0;
}


/*
 * Every integer the builder reads within INVSYNC_JOURNAL_MAX_MINOR, and
 * no more lines than INVSYNC_JOURNAL_MAX_ALL, so that no sum or share
 * leaves 64 bits (a signed refund of a channel may carry any integer)
 */
static int
invsync_jb_range(json_t *refund, json_t *costs, char *err, size_t len)
{
    size_t       i;
    json_t      *am, *l, *c;
    const char  *sku;

    am = json_object_get(refund, "amounts");

    if (invsync_jb_bad(refund, "amount_minor")
        || invsync_jb_bad(am, "items_minor")
        || invsync_jb_bad(am, "shipping_minor")
        || invsync_jb_bad(am, "tax_minor")
        || invsync_jb_bad(am, "discounts_minor"))
    {
        snprintf(err, len, "a refund amount beyond what the journal books");
        return -1;
    }

    if (json_array_size(json_object_get(refund, "lines"))
        > INVSYNC_JOURNAL_MAX_ALL)
    {
        snprintf(err, len, "a refund of more than %d lines",
                 INVSYNC_JOURNAL_MAX_ALL);
        return -1;
    }

    json_array_foreach(json_object_get(refund, "lines"), i, l) {
        sku = invsync_jb_str(l, "sku");
        c = sku[0] != '\0' ? json_object_get(costs, sku) : NULL;

        if (invsync_jb_bad(l, "amount_minor") || invsync_jb_bad(l, "tax_minor")
            || invsync_jb_bad(l, "quantity") || invsync_jb_bad(c, "cost_minor"))
        {
            snprintf(err, len, "a refund line's amount, quantity or cost "
                     "beyond what the journal books");
            return -1;
        }
    }

    return 0;
}


static int
invsync_jb_bad(json_t *obj, const char *key)
{
    json_int_t  v = invsync_jb_int(obj, key, 0);

    return v > INVSYNC_JOURNAL_MAX_MINOR || v < -INVSYNC_JOURNAL_MAX_MINOR;
}


static json_int_t
invsync_jb_int(json_t *obj, const char *key, json_int_t dflt)
{
    json_t  *v = json_object_get(obj, key);

    return json_is_integer(v) ? json_integer_value(v) : dflt;
}


static const char *
invsync_jb_str(json_t *obj, const char *key)
{
    json_t  *v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : "";
}


/*
 * Whether a refund line's units came back: what the restock step decided
 * ("restocked", set by stock.restock before journal.post runs), else the
 * channel's flag (a refund the rules did not see).  A return waiting for
 * its receipt (restock_on receipt) is not inventory yet.
 */

int
invsync_journal_restocked(json_t *line)
{
    json_t  *d;

    d = json_object_get(line, "restocked");

    return d != NULL ? json_is_true(d)
                     : json_is_true(json_object_get(line, "restock"));
}
