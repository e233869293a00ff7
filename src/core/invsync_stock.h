
/*
 * Stock arithmetic shared by the worker and invsyncctl: a SKU's stock as
 * the ledger holds it, a bundle's from its components', and what one
 * channel shows of it by that channel's rules.  No I/O: values in,
 * numbers out.
 */


#ifndef INVSYNC_STOCK_H_INCLUDED
#define INVSYNC_STOCK_H_INCLUDED


#include <stddef.h>
#include <stdint.h>

#include <jansson.h>


/* locations of one ledger, and of worker.json's $.locations: a SKU's
 * hash holds up to three fields per location */
#define INVSYNC_STOCK_MAX_LOCATIONS  256
#define INVSYNC_STOCK_MAX_COMPONENTS 16


/* one SKU's ledger: the hash stock:<sku> */
typedef struct {
    size_t      nlocations;
    char        location[INVSYNC_STOCK_MAX_LOCATIONS][64];
    int64_t     on_hand[INVSYNC_STOCK_MAX_LOCATIONS];
    int64_t     reserved[INVSYNC_STOCK_MAX_LOCATIONS];
    int64_t     damaged[INVSYNC_STOCK_MAX_LOCATIONS];  /* not sellable */
    int64_t     unrouted;       /* reserved before routing picks a place */
} invsync_stock_t;


/* a channel's stock rules: worker.json channels[].stock */
typedef struct {
    size_t      nlocations;     /* 0: every location */
    char        location[INVSYNC_STOCK_MAX_LOCATIONS][64];
    int64_t     buffer;         /* kept back from the channel */
    int64_t     max;            /* shown at most; -1: no limit */
    int         share;          /* percent of what is left, 1..100 */
    int         correct;        /* admin changes: 1 correct, 0 (default)
                                 * ignore and push the ledger's value */
} invsync_stock_rules_t;


/* a bundle's availability, its components folded in one by one
 * (invsync_stock_bundle_add); zeroed to start */
typedef struct {
    int64_t     least;          /* whole bundles the components allow */
    size_t      counted;        /* components folded in */
} invsync_stock_bundle_t;


/* the hash's HGETALL reply as field, value pairs (strings) */
int invsync_stock_parse(invsync_stock_t *st, const char **fields,
    const char **values, size_t n);

/* available at the rule's locations: on hand - reserved - unrouted
 * (damaged units never count) */
int64_t invsync_stock_available(const invsync_stock_t *st,
    const invsync_stock_rules_t *rules);

/* what the channel shows: buffer, share and maximum applied, never < 0 */
int64_t invsync_stock_shown(int64_t available,
    const invsync_stock_rules_t *rules);

/* a component with qty units per bundle (less than 1: not counted) and
 * available units: b->least the fewest whole bundles, rounded down also
 * below zero; 0 while no component counts */
void invsync_stock_bundle_add(invsync_stock_bundle_t *b, int64_t available,
    int64_t qty);

/* rules from the channel's "stock" object (NULL: the defaults) */
int invsync_stock_rules(invsync_stock_rules_t *rules, const json_t *obj,
    char *err, size_t len);


#endif /* INVSYNC_STOCK_H_INCLUDED */
