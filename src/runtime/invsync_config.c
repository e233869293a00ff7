
/*
 * worker.json: read, validated and turned into invsync_conf_t.  Every
 * refusal names the file, the JSON path and the reason; unknown keys are
 * refused so a typo never silently falls back to a default.  Secrets come
 * only from files named in the configuration.
 *
 * This file reads the whole and its small sections; "redis" is
 * invsync_config_redis.c, "channels" invsync_config_channels.c, the typed
 * readers invsync_config_read.c.
 */


#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "invsync_config_read.h"


static int invsync_cfg_consumer(invsync_cfg_t *c, invsync_conf_t *conf,
    json_t *root);
static int invsync_cfg_limits(invsync_cfg_t *c, invsync_conf_t *conf,
    json_t *root);
static int invsync_cfg_routing(invsync_cfg_t *c, invsync_conf_t *conf,
    json_t *root);


static const char  *invsync_cfg_top[] = {
    "redis", "prefix", "consumer", "retry", "limits", "log_level",
    "actions", "channels", "locations", "routing", "returns", "messages",
    "journal", "fulfilment", NULL
};

static const char  *invsync_cfg_consumer_keys[] = {
    "group", "name", "streams", "batch", "block_ms", "claim_idle_ms", NULL
};

static const char  *invsync_cfg_retry_keys[] = {
    "attempts", "base_ms", "max_ms", NULL
};

static const char  *invsync_cfg_limits_keys[] = {
    "heartbeat_ms", "trim_interval_ms", "stream_retain_s", "audit_max_len",
    "reconcile_s",
    "effect_ttl_days", "worker_forget_s", NULL
};

static const char  *invsync_cfg_actions_keys[] = { "noop", NULL };


invsync_conf_t *
invsync_conf_load(const char *file, char *err, size_t len)
{
    char            *level;
    json_t          *root, *loc;
    json_error_t     jerr;
    invsync_cfg_t    c;
    invsync_conf_t  *conf;

    c.file = file;
    c.err = err;
    c.len = len;

    root = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        if (jerr.line < 0) {
            snprintf(err, len, "%s: %s", file, jerr.text);
        } else {
            snprintf(err, len, "%s:%d:%d: %s", file, jerr.line, jerr.column,
                     jerr.text);
        }

        return NULL;
    }

    conf = calloc(1, sizeof(invsync_conf_t));
    if (conf == NULL) {
        json_decref(root);
        snprintf(err, len, "out of memory");
        return NULL;
    }

    conf->root = root;
    conf->file = strdup(file);

    if (conf->file == NULL) {
        snprintf(err, len, "out of memory");
        goto failed;
    }

    if (!json_is_object(root)) {
        invsync_cfg_fail(&c, "$", "must be an object");
        goto failed;
    }

    if (invsync_cfg_keys(&c, root, "$", invsync_cfg_top) != 0
        || invsync_cfg_str(&c, root, "$", "prefix", "invsync", &conf->prefix)
           != 0
        || invsync_cfg_redis(&c, conf, root) != 0
        || invsync_cfg_consumer(&c, conf, root) != 0
        || invsync_cfg_limits(&c, conf, root) != 0
        || invsync_cfg_channels(&c, conf, root) != 0
        || invsync_cfg_str(&c, root, "$", "log_level", "info", &level) != 0)
    {
        goto failed;
    }

    if (invsync_log_level_parse(level, &conf->log_level) != 0) {
        invsync_cfg_fail(&c, "$.log_level", "must be debug, info, warn or "
                         "error, not \"%s\"", level);
        free(level);
        goto failed;
    }

    free(level);

    if (!invsync_cfg_name(conf->prefix)) {
        invsync_cfg_fail(&c, "$.prefix", "use letters, digits and \"-_.:\"");
        goto failed;
    }

    /* the sections of later actions: shape only, for now */
    if (json_object_get(root, "locations") != NULL
        && !json_is_array(json_object_get(root, "locations")))
    {
        invsync_cfg_fail(&c, "$.locations", "must be an array");
        goto failed;
    }

    /* stock shipped or restocked before routing picks a place goes here */
    loc = json_object_get(json_array_get(json_object_get(root, "locations"),
                                         0), "id");
    conf->default_location = strdup(json_is_string(loc)
                                    ? json_string_value(loc) : "default");

    if (conf->default_location == NULL) {
        snprintf(err, len, "out of memory");
        goto failed;
    }

    if (invsync_cfg_routing(&c, conf, root) != 0) {
        goto failed;
    }

    if (invsync_returns_conf_parse(file, root, &conf->returns, err, len)
        != 0)
    {
        goto failed;
    }

    if (invsync_cfg_journal(&c, conf, root) != 0
        || invsync_cfg_fulfilment(&c, conf, root) != 0)
    {
        goto failed;
    }

    if (invsync_cfg_object(&c, root, "$", "messages") == NULL
        && json_object_get(root, "messages") != NULL)
    {
        goto failed;
    }

    return conf;

failed:

    invsync_conf_free(conf);

    return NULL;
}


void
invsync_conf_free(invsync_conf_t *conf)
{
    size_t  i;

    if (conf == NULL) {
        return;
    }

    free(conf->file);
    free(conf->redis_host);
    free(conf->redis_unix);
    free(conf->redis_user);

    if (conf->redis_password != NULL) {
        explicit_bzero(conf->redis_password, strlen(conf->redis_password));
        free(conf->redis_password);
    }

    free(conf->prefix);
    free(conf->default_location);
    invsync_routing_conf_free(conf->routing);
    invsync_returns_conf_free(&conf->returns);
    free(conf->group);
    free(conf->consumer);

    for (i = 0; i < conf->nstreams; i++) {
        free(conf->streams[i]);
    }

    for (i = 0; i < conf->nchannels; i++) {
        free(conf->channels[i].id);
        free(conf->channels[i].type);
        free(conf->channels[i].api_base);
        free(conf->channels[i].credentials_file);
    }

    json_decref(conf->root);
    free(conf);
}


const invsync_channel_conf_t *
invsync_conf_channel(const invsync_conf_t *conf, const char *id)
{
    size_t  i;

    for (i = 0; i < conf->nchannels; i++) {
        if (strcmp(conf->channels[i].id, id) == 0) {
            return &conf->channels[i];
        }
    }

    return NULL;
}


static int
invsync_cfg_consumer(invsync_cfg_t *c, invsync_conf_t *conf, json_t *root)
{
    long         v;
    char         host[64], path[64], name[INVSYNC_NAME_LEN];
    size_t       i;
    json_t      *obj, *streams, *s;
    const char  *dflt[] = { "orders", "refunds", "fulfillments", "stock",
                            "other" };

    obj = invsync_cfg_object(c, root, "$", "consumer");
    if (obj == NULL && json_object_get(root, "consumer") != NULL) {
        return -1;
    }

    if (obj != NULL
        && invsync_cfg_keys(c, obj, "$.consumer", invsync_cfg_consumer_keys)
           != 0)
    {
        return -1;
    }

    if (gethostname(host, sizeof(host)) != 0) {
        strcpy(host, "localhost");
    }

    host[sizeof(host) - 1] = '\0';
    snprintf(name, sizeof(name), "%s-%ld", host, (long) getpid());

    if (invsync_cfg_str(c, obj, "$.consumer", "group", "invsync", &conf->group)
        != 0
        || invsync_cfg_str(c, obj, "$.consumer", "name", name,
                           &conf->consumer)
           != 0)
    {
        return -1;
    }

    if (!invsync_cfg_name(conf->group) || !invsync_cfg_name(conf->consumer)) {
        return invsync_cfg_fail(c, "$.consumer", "group and name: use "
                                "letters, digits and \"-_.:\"");
    }

    if (invsync_cfg_int(c, obj, "$.consumer", "batch", 1, 10000, 32, &v)
        != 0)
    {
        return -1;
    }

    conf->batch = (int) v;

    if (invsync_cfg_int(c, obj, "$.consumer", "block_ms", 1, 60000, 500, &v)
        != 0)
    {
        return -1;
    }

    conf->block_ms = (int) v;

    if (invsync_cfg_int(c, obj, "$.consumer", "claim_idle_ms", 100,
                        86400000, 30000, &v)
        != 0)
    {
        return -1;
    }

    conf->claim_idle_ms = (int) v;

    streams = obj ? json_object_get(obj, "streams") : NULL;

    if (streams == NULL) {
        for (i = 0; i < sizeof(dflt) / sizeof(char *); i++) {
            conf->streams[conf->nstreams++] = strdup(dflt[i]);
        }

    } else if (!json_is_array(streams) || json_array_size(streams) == 0
               || json_array_size(streams) > INVSYNC_MAX_STREAMS)
    {
        return invsync_cfg_fail(c, "$.consumer.streams", "must be an array "
                                "of 1 to %d stream names",
                                INVSYNC_MAX_STREAMS);

    } else {
        json_array_foreach(streams, i, s) {
            snprintf(path, sizeof(path), "$.consumer.streams[%zu]", i);

            if (!json_is_string(s) || !invsync_cfg_name(json_string_value(s)))
            {
                return invsync_cfg_fail(c, path, "must be a stream name");
            }

            conf->streams[conf->nstreams++] = strdup(json_string_value(s));
        }
    }

    for (i = 0; i < conf->nstreams; i++) {
        if (conf->streams[i] == NULL) {
            return invsync_cfg_fail(c, "$.consumer.streams", "out of memory");
        }
    }

    obj = invsync_cfg_object(c, root, "$", "retry");
    if (obj == NULL && json_object_get(root, "retry") != NULL) {
        return -1;
    }

    if (obj != NULL
        && invsync_cfg_keys(c, obj, "$.retry", invsync_cfg_retry_keys) != 0)
    {
        return -1;
    }

    if (invsync_cfg_int(c, obj, "$.retry", "attempts", 1, 100, 5, &v) != 0) {
        return -1;
    }

    conf->retry_attempts = (int) v;

    if (invsync_cfg_int(c, obj, "$.retry", "base_ms", 1, 3600000, 500, &v)
        != 0)
    {
        return -1;
    }

    conf->retry_base_ms = (int) v;

    if (invsync_cfg_int(c, obj, "$.retry", "max_ms", 1, 3600000, 10000, &v)
        != 0)
    {
        return -1;
    }

    conf->retry_max_ms = (int) v;

    /* a retry waits with its entry pending: others must not claim it */
    if (conf->retry_max_ms >= conf->claim_idle_ms) {
        return invsync_cfg_fail(c, "$.retry.max_ms", "must be below "
                                "$.consumer.claim_idle_ms (%d)",
                                conf->claim_idle_ms);
    }

    return 0;
}


static int
invsync_cfg_limits(invsync_cfg_t *c, invsync_conf_t *conf, json_t *root)
{
    long     v;
    json_t  *obj;

    obj = invsync_cfg_object(c, root, "$", "limits");
    if (obj == NULL && json_object_get(root, "limits") != NULL) {
        return -1;
    }

    if (obj != NULL
        && invsync_cfg_keys(c, obj, "$.limits", invsync_cfg_limits_keys) != 0)
    {
        return -1;
    }

    if (invsync_cfg_int(c, obj, "$.limits", "heartbeat_ms", 100, 600000, 2000,
                        &v)
        != 0)
    {
        return -1;
    }

    conf->heartbeat_ms = (int) v;

    if (invsync_cfg_int(c, obj, "$.limits", "trim_interval_ms", 100, 3600000,
                        10000, &v)
        != 0)
    {
        return -1;
    }

    conf->trim_interval_ms = (int) v;

    if (invsync_cfg_int(c, obj, "$.limits", "stream_retain_s", 0,
                        366L * 86400, 3600, &conf->stream_retain_s)
        != 0
        || invsync_cfg_int(c, obj, "$.limits", "audit_max_len", 1000,
                           1000000000L, 10000000, &conf->audit_max_len)
           != 0
        || invsync_cfg_int(c, obj, "$.limits", "effect_ttl_days", 1, 3650,
                           90, &v)
           != 0)
    {
        return -1;
    }

    conf->effect_ttl_s = v * 86400;

    if (invsync_cfg_int(c, obj, "$.limits", "reconcile_s", 0, 86400 * 7, 300,
                        &conf->reconcile_s)
        != 0)
    {
        return -1;
    }

    /* a worker not heard from for so long leaves the heartbeats */
    if (invsync_cfg_int(c, obj, "$.limits", "worker_forget_s", 1,
                        366L * 86400, 86400, &conf->worker_forget_s)
        != 0)
    {
        return -1;
    }

    if (conf->worker_forget_s * 1000 <= 3L * conf->heartbeat_ms) {
        return invsync_cfg_fail(c, "$.limits", "\"worker_forget_s\" must be "
                                "more than three heartbeat intervals");
    }

    obj = invsync_cfg_object(c, root, "$", "actions");
    if (obj == NULL && json_object_get(root, "actions") != NULL) {
        return -1;
    }

    if (obj != NULL
        && invsync_cfg_keys(c, obj, "$.actions", invsync_cfg_actions_keys)
           != 0)
    {
        return -1;
    }

    return invsync_cfg_bool(c, obj, "$.actions", "noop", 0, &conf->noop);
}


/* "locations" and "routing": invsync_routing_conf.c, which names paths */

static int
invsync_cfg_routing(invsync_cfg_t *c, invsync_conf_t *conf, json_t *root)
{
    char            *ids[INVSYNC_MAX_CHANNELS], why[INVSYNC_ERR_LEN];
    size_t           i;
    invsync_strv_t   known;

    for (i = 0; i < conf->nchannels; i++) {
        ids[i] = conf->channels[i].id;
    }

    known.v = ids;
    known.n = conf->nchannels;

    if (invsync_routing_conf_parse(root, &known, &conf->routing, why,
                                   sizeof(why)) != 0)
    {
        snprintf(c->err, c->len, "%s: %s", c->file, why);
        return -1;
    }

    return invsync_cfg_3pl_channels(c, conf);
}
