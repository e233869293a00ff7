
/*
 * Between the files that read worker.json (invsync_config*.c): the
 * reader's state and the typed readers, each refusing with the file, the
 * JSON path and the reason.  A new section of worker.json is a file
 * beside them, using these.
 */


#ifndef INVSYNC_CONFIG_READ_H_INCLUDED
#define INVSYNC_CONFIG_READ_H_INCLUDED


#include "invsync_runtime.h"


typedef struct {
    const char      *file;
    char            *err;
    size_t           len;
} invsync_cfg_t;


/* invsync_config_read.c: each returns 0, or -1 with c->err written */
int invsync_cfg_fail(invsync_cfg_t *c, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int invsync_cfg_keys(invsync_cfg_t *c, json_t *obj, const char *path,
    const char **allowed);
json_t *invsync_cfg_object(invsync_cfg_t *c, json_t *parent,
    const char *path, const char *key);
int invsync_cfg_int(invsync_cfg_t *c, json_t *obj, const char *path,
    const char *key, long min, long max, long dflt, long *out);
int invsync_cfg_str(invsync_cfg_t *c, json_t *obj, const char *path,
    const char *key, const char *dflt, char **out);
int invsync_cfg_bool(invsync_cfg_t *c, json_t *obj, const char *path,
    const char *key, int dflt, int *out);
int invsync_cfg_name(const char *s);

/* invsync_config_redis.c: "redis" */
int invsync_cfg_redis(invsync_cfg_t *c, invsync_conf_t *conf, json_t *root);

/* invsync_journal_conf.c: "journal", conf->journal_accounts */
int invsync_cfg_journal(invsync_cfg_t *c, invsync_conf_t *conf,
    json_t *root);

/* invsync_fulfil_conf.c: "fulfilment", the engines' request slots */
int invsync_cfg_fulfilment(invsync_cfg_t *c, invsync_conf_t *conf,
    json_t *root);

/* invsync_config_channels.c */
/* a 3pl location's fulfilment.channel must be of a type with a 3PL row */
int invsync_cfg_3pl_channels(invsync_cfg_t *c, invsync_conf_t *conf);
int invsync_cfg_channels(invsync_cfg_t *c, invsync_conf_t *conf,
    json_t *root);


#endif /* INVSYNC_CONFIG_READ_H_INCLUDED */
