
/*
 * invsyncctl stock get, for people: the JSON document the command gathers
 * (invsyncctl_stock_get.c) as text and tables; --json prints the document
 * itself, so the two never disagree on a number.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_stock.h"


static const char *invsyncctl_stock_num(json_t *v, char *buf, size_t cap);


void
invsyncctl_stock_print(json_t *doc)
{
    char                 a[32], b[32], c[32], d[32];
    size_t               i;
    json_t              *e, *v;
    const char          *k, *name;
    invsyncctl_table_t  *t;

    name = json_string_value(json_object_get(doc, "name"));

    printf("%s%s%s%s\n", json_string_value(json_object_get(doc, "sku")),
           json_is_true(json_object_get(doc, "bundle")) ? " (bundle)" : "",
           name != NULL ? ": " : "", name != NULL ? name : "");

    if (json_is_true(json_object_get(doc, "bundle"))) {
        t = invsyncctl_table_new(3, 0x6, "component", "qty", "available");

        json_array_foreach(json_object_get(doc, "components"), i, e) {
            invsyncctl_table_add(t,
                json_string_value(json_object_get(e, "sku")),
                invsyncctl_stock_num(json_object_get(e, "qty"), a,
                                     sizeof(a)),
                invsyncctl_stock_num(json_object_get(e, "available"), b,
                                     sizeof(b)));
        }

        invsyncctl_table_print(t, stdout);
        invsyncctl_table_free(t);

    } else {
        t = invsyncctl_table_new(3, 0x6, "location", "on hand", "reserved");

        json_object_foreach(json_object_get(doc, "locations"), k, v) {
            invsyncctl_table_add(t, k,
                invsyncctl_stock_num(json_object_get(v, "on_hand"), a,
                                     sizeof(a)),
                invsyncctl_stock_num(json_object_get(v, "reserved"), b,
                                     sizeof(b)));
        }

        invsyncctl_table_add(t, "total",
            invsyncctl_stock_num(json_object_get(doc, "on_hand"), a,
                                 sizeof(a)),
            invsyncctl_stock_num(json_object_get(doc, "reserved"), b,
                                 sizeof(b)));

        invsyncctl_table_print(t, stdout);
        invsyncctl_table_free(t);

        /* orders reserve here until routing places them: without this
         * word a reserved column at 0 reads as "the order reserved
         * nothing" */
        v = json_object_get(doc, "unrouted");
        printf("unrouted   %s%s\n", invsyncctl_stock_num(v, a, sizeof(a)),
               json_integer_value(v) > 0
               ? "  (reserved by orders no location was chosen for yet)"
               : "");

        /* returned units not sellable (docs/returns.md): on no channel */
        v = json_object_get(doc, "damaged");
        if (v != NULL) {
            printf("damaged    %s  (returned, not sellable:",
                   invsyncctl_stock_num(v, a, sizeof(a)));

            json_object_foreach(json_object_get(doc, "locations"), k, e) {
                if (json_object_get(e, "damaged") != NULL) {
                    printf(" %s %s", k, invsyncctl_stock_num(
                           json_object_get(e, "damaged"), b, sizeof(b)));
                }
            }

            printf(")\n");
        }
    }

    printf("available  %s\n",
           invsyncctl_stock_num(json_object_get(doc, "available"), a,
                                sizeof(a)));

    if (json_array_size(json_object_get(doc, "channels")) > 0) {
        printf("\n");

        t = invsyncctl_table_new(6, 0x1c, "channel", "type", "available",
                                 "should show", "last shown", "push due");

        json_array_foreach(json_object_get(doc, "channels"), i, e) {
            invsyncctl_table_add(t,
                json_string_value(json_object_get(e, "channel")),
                json_string_value(json_object_get(e, "type")),
                invsyncctl_stock_num(json_object_get(e, "available"), a,
                                     sizeof(a)),
                invsyncctl_stock_num(json_object_get(e, "should_show"), b,
                                     sizeof(b)),
                invsyncctl_stock_num(json_object_get(e, "shown"), c,
                                     sizeof(c)),
                json_is_true(json_object_get(e, "dirty")) ? "yes" : "no");
        }

        invsyncctl_table_print(t, stdout);
        invsyncctl_table_free(t);

    } else {
        printf("\nmapped on no channel\n");
    }

    if (json_array_size(json_object_get(doc, "bundles")) > 0) {
        printf("\n");

        t = invsyncctl_table_new(2, 0x2, "in bundle", "available");

        json_array_foreach(json_object_get(doc, "bundles"), i, e) {
            invsyncctl_table_add(t,
                json_string_value(json_object_get(e, "sku")),
                invsyncctl_stock_num(json_object_get(e, "available"), d,
                                     sizeof(d)));
        }

        invsyncctl_table_print(t, stdout);
        invsyncctl_table_free(t);
    }
}


/* an integer as text, NULL ("-" in a table) for anything else */

static const char *
invsyncctl_stock_num(json_t *v, char *buf, size_t cap)
{
    if (!json_is_integer(v)) {
        return NULL;
    }

    snprintf(buf, cap, "%lld", (long long) json_integer_value(v));

    return buf;
}
