
/*
 * The small readers the routing configuration is made of
 * (invsync_routing_read.c): each takes a JSON object, a path ("$.x[1]")
 * and a key, and either fills its output or writes "$.x[1].key: reason"
 * and returns -1.  Shared by the locations reader
 * (invsync_routing_conf.c) and the rules reader (invsync_routing_rules.c)
 * only; nothing else includes it.
 */


#ifndef INVSYNC_ROUTING_READ_H_INCLUDED
#define INVSYNC_ROUTING_READ_H_INCLUDED


#include <stddef.h>

#include <jansson.h>

#include "invsync_routing.h"


#define INVSYNC_RR_PATH  160


typedef struct {
    char                    *err;
    size_t                   len;
    const invsync_strv_t    *known_channels;   /* or NULL: not checked */
} invsync_rr_t;


int invsync_rr_fail(invsync_rr_t *r, const char *path, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void invsync_rr_at(char at[INVSYNC_RR_PATH], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int invsync_rr_keys(invsync_rr_t *r, json_t *obj, const char *path,
    const char **allowed);
int invsync_rr_str(invsync_rr_t *r, json_t *obj, const char *path,
    const char *key, char **out);
int invsync_rr_int(invsync_rr_t *r, json_t *obj, const char *path,
    const char *key, long min, long max, long dflt, long *out);
int invsync_rr_bool(invsync_rr_t *r, json_t *obj, const char *path,
    const char *key, int dflt, int *out);
int invsync_rr_num(invsync_rr_t *r, json_t *obj, const char *path,
    const char *key, double min, double max, double *out);
int invsync_rr_strv(invsync_rr_t *r, json_t *obj, const char *path,
    const char *key, invsync_strv_t *out);
int invsync_rr_strv_either(invsync_rr_t *r, json_t *obj, const char *path,
    const char *one, const char *many, invsync_strv_t *out);
int invsync_rr_channels(invsync_rr_t *r, const invsync_strv_t *v,
    const char *path, const char *key);
int invsync_rr_country(invsync_rr_t *r, const char *s, const char *path,
    const char *key, char out[3]);
int invsync_rr_strv_add(invsync_strv_t *v, const char *s);
void invsync_rr_strv_free(invsync_strv_t *v);
void invsync_rr_upper(char *s);

int invsync_routing_rules_parse(invsync_rr_t *r, json_t *routing,
    invsync_routing_conf_t *rc);
void invsync_routing_rule_free(invsync_route_rule_t *rule);


#endif /* INVSYNC_ROUTING_READ_H_INCLUDED */
