
/*
 * What the files of "invsyncctl sku" share: a mapping as the operator gives
 * it, and the identifiers of the channel table (invsync_channel_id_t rows)
 * as options, CSV columns, JSON and text.
 */


#ifndef INVSYNCCTL_SKU_H_INCLUDED
#define INVSYNCCTL_SKU_H_INCLUDED


#include "invsyncctl.h"
#include "invsync_channel.h"


#define INVSYNCCTL_SKU_FIELDS  24    /* identifier keys of all types */
#define INVSYNCCTL_SKU_ATTRS   7     /* tags, weight, three dimensions,
                                      * cost and its currency */
#define INVSYNCCTL_SKU_COLS    (INVSYNCCTL_SKU_FIELDS + 11) /* 4 + ATTRS */
#define INVSYNCCTL_SKU_TEXT    255   /* bytes of a name, a channel SKU */


/*
 * One mapping as given: NULL (or "") where absent.  val[i] is the value of
 * the i-th identifier field (invsyncctl_sku_field()).
 */
typedef struct {
    const char  *sku;
    const char  *channel;
    const char  *val[INVSYNCCTL_SKU_FIELDS];
    const char  *channel_sku;
    const char  *name;
    const char  *by;
    const char  *why;
} invsyncctl_sku_map_t;


/* the outcome of one mapping */
typedef struct {
    json_t      *ids;                    /* new, the channel's identifiers */
    const char  *type;
    int          changed;
    char         audit[INVSYNCCTL_ID_LEN];
} invsyncctl_sku_done_t;


/*
 * A SKU's routing attributes as given, in the order of
 * invsyncctl_sku_attr_names: NULL keeps one, "" clears it.
 */
typedef struct {
    const char  *val[INVSYNCCTL_SKU_ATTRS];
} invsyncctl_sku_attr_t;


/* the subcommands, a file each: invsyncctl_sku_<name>.c */
int invsyncctl_sku_map(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_sku_unmap(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_sku_bundle(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_sku_import(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_sku_list(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_sku_set(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_sku_show(invsyncctl_t *ctl, int argc, char **argv);

/* invsyncctl_sku_set.c: the attributes, for import and show too */
extern const char  *invsyncctl_sku_attr_names[];
int invsyncctl_sku_attr_given(const invsyncctl_sku_attr_t *at);
int invsyncctl_sku_attr_write(invsyncctl_t *ctl, const char *sku,
    const invsyncctl_sku_attr_t *at, const char *by, const char *why,
    redisReply **r, char *err, size_t len);
const char **invsyncctl_sku_attr_values(const redisReply *r,
    const char **v);
json_t *invsyncctl_sku_attr_json(const char **v);

/* invsyncctl_sku_map.c: what import maps each line with */
int invsyncctl_sku_map_one(invsyncctl_t *ctl, const invsyncctl_sku_map_t *m,
    invsyncctl_sku_done_t *d, char *err, size_t len);

/* invsyncctl_sku.c: what the subcommands share */
int invsyncctl_sku_args(invsyncctl_t *ctl, int argc, char **argv,
    const invsyncctl_opt_t *opts, const char **pos, int maxpos, int *npos);
int invsyncctl_sku_text(const char *s);
void invsyncctl_sku_script_args(invsyncctl_t *ctl, invsyncctl_argv_t *a,
    const char *key);
void invsyncctl_sku_add(invsyncctl_argv_t *a, const char *s);
const char *invsyncctl_sku_outcome(const redisReply *r, const char *name,
    int ok);

/* invsyncctl_sku_ids.c */
const invsync_channel_id_t *invsyncctl_sku_field(size_t i);
size_t invsyncctl_sku_nfields(void);
const char *invsyncctl_sku_columns(const char *sep);
const invsync_channel_t *invsyncctl_sku_type(invsyncctl_t *ctl,
    const char *channel, json_t *ids);
int invsyncctl_sku_ids(const invsyncctl_sku_map_t *m,
    const invsync_channel_t *ch, const char *type, json_t **ids, char *err,
    size_t len);
void invsyncctl_sku_describe(const invsync_channel_t *ch, json_t *ids,
    char *buf, size_t cap);
void invsyncctl_sku_ids_help(FILE *out);
size_t invsyncctl_sku_options(invsyncctl_opt_t *opts,
    invsyncctl_sku_map_t *m);
void invsyncctl_sku_options_share(invsyncctl_sku_map_t *m);


#endif /* INVSYNCCTL_SKU_H_INCLUDED */
