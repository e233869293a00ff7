
/*
 * worker.json: read, validated and turned into invsync_conf_t.  Every
 * refusal names the file, the JSON path and the reason; unknown keys are
 * refused so a typo never silently falls back to a default.  Secrets come
 * only from files named in the configuration.
 */


#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "invsync_runtime.h"


typedef struct {
    const char      *file;
    char            *err;
    size_t           len;
} invsync_cfg_t;


static int invsync_cfg_fail(invsync_cfg_t *c, const char *path,
    const char *fmt, ...);
static int invsync_cfg_keys(invsync_cfg_t *c, json_t *obj, const char *path,
    const char **allowed);
static json_t *invsync_cfg_object(invsync_cfg_t *c, json_t *parent,
    const char *path, const char *key);
static int invsync_cfg_int(invsync_cfg_t *c, json_t *obj, const char *path,
    const char *key, long min, long max, long dflt, long *out);
static int invsync_cfg_str(invsync_cfg_t *c, json_t *obj, const char *path,
    const char *key, const char *dflt, char **out);
static int invsync_cfg_bool(invsync_cfg_t *c, json_t *obj, const char *path,
    const char *key, int dflt, int *out);
static int invsync_cfg_name(const char *s);
static int invsync_cfg_file(invsync_cfg_t *c, const char *path,
    const char *name, char **content);
static int invsync_cfg_redis(invsync_cfg_t *c, invsync_conf_t *conf,
    json_t *root);
static int invsync_cfg_consumer(invsync_cfg_t *c, invsync_conf_t *conf,
    json_t *root);
static int invsync_cfg_limits(invsync_cfg_t *c, invsync_conf_t *conf,
    json_t *root);
static int invsync_cfg_channels(invsync_cfg_t *c, invsync_conf_t *conf,
    json_t *root);
static int invsync_cfg_poll(invsync_cfg_t *c, invsync_channel_conf_t *cc,
    json_t *ch, const char *path);
static int invsync_cfg_url(const char *url);
static int invsync_cfg_routing(invsync_cfg_t *c, invsync_conf_t *conf,
    json_t *root);


static const char  *invsync_cfg_top[] = {
    "redis", "prefix", "consumer", "retry", "limits", "log_level",
    "actions", "channels", "locations", "routing", "returns", "messages",
    NULL
};

static const char  *invsync_cfg_redis_keys[] = {
    "address", "auth_file", "timeout_ms", NULL
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

static const char  *invsync_cfg_channel_keys[] = {
    "id", "type", "api_base", "credentials_file", "stock", "poll_s",
    "poll_since_s", "options", NULL
};


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

    if (invsync_cfg_object(&c, root, "$", "returns") == NULL
        && json_object_get(root, "returns") != NULL)
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
invsync_cfg_redis(invsync_cfg_t *c, invsync_conf_t *conf, json_t *root)
{
    long     timeout;
    char    *addr, *auth, *colon, *end, *sp;
    json_t  *obj;

    obj = invsync_cfg_object(c, root, "$", "redis");
    if (obj == NULL && json_object_get(root, "redis") != NULL) {
        return -1;
    }

    if (obj != NULL
        && invsync_cfg_keys(c, obj, "$.redis", invsync_cfg_redis_keys) != 0)
    {
        return -1;
    }

    if (invsync_cfg_str(c, obj, "$.redis", "address", "127.0.0.1:6379",
                        &addr)
        != 0
        || invsync_cfg_int(c, obj, "$.redis", "timeout_ms", 10, 600000, 2000,
                           &timeout)
           != 0
        || invsync_cfg_str(c, obj, "$.redis", "auth_file", NULL, &auth) != 0)
    {
        return -1;
    }

    conf->redis_timeout_ms = (int) timeout;

    if (strncmp(addr, "unix:", 5) == 0 && addr[5] != '\0') {
        conf->redis_unix = strdup(addr + 5);
        free(addr);
        if (conf->redis_unix == NULL) {
            return invsync_cfg_fail(c, "$.redis.address", "out of memory");
        }

    } else {
        colon = strrchr(addr, ':');
        conf->redis_port = 6379;

        if (colon != NULL) {
            errno = 0;
            conf->redis_port = (int) strtol(colon + 1, &end, 10);
            if (errno || *end != '\0' || conf->redis_port < 1
                || conf->redis_port > 65535)
            {
                invsync_cfg_fail(c, "$.redis.address", "bad port in \"%s\"",
                                 addr);
                free(addr);
                return -1;
            }

            *colon = '\0';
        }

        if (addr[0] == '\0') {
            free(addr);
            return invsync_cfg_fail(c, "$.redis.address", "no host");
        }

        conf->redis_host = addr;
    }

    if (auth == NULL) {
        return 0;
    }

    if (invsync_cfg_file(c, "$.redis.auth_file", auth, &conf->redis_password)
        != 0)
    {
        free(auth);
        return -1;
    }

    free(auth);

    /* "password" or "user password", as the module reads it */
    sp = strchr(conf->redis_password, ' ');
    if (sp != NULL) {
        *sp = '\0';
        conf->redis_user = strdup(conf->redis_password);
        memmove(conf->redis_password, sp + 1, strlen(sp + 1) + 1);

        if (conf->redis_user == NULL || conf->redis_password[0] == '\0') {
            return invsync_cfg_fail(c, "$.redis.auth_file", "must hold "
                                    "\"password\" or \"user password\"");
        }
    }

    return 0;
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


static int
invsync_cfg_channels(invsync_cfg_t *c, invsync_conf_t *conf, json_t *root)
{
    char                      path[64], msg[256];
    size_t                    i, k;
    json_t                   *arr, *ch;
    invsync_channel_conf_t   *cc;
    const invsync_channel_t  *row;

    arr = json_object_get(root, "channels");

    if (arr == NULL) {
        return invsync_cfg_fail(c, "$.channels", "missing: list the channels "
                                "whose events this worker handles");
    }

    if (!json_is_array(arr) || json_array_size(arr) > INVSYNC_MAX_CHANNELS) {
        return invsync_cfg_fail(c, "$.channels", "must be an array of at "
                                "most %d channels", INVSYNC_MAX_CHANNELS);
    }

    json_array_foreach(arr, i, ch) {
        snprintf(path, sizeof(path), "$.channels[%zu]", i);

        if (!json_is_object(ch)) {
            return invsync_cfg_fail(c, path, "must be an object");
        }

        if (invsync_cfg_keys(c, ch, path, invsync_cfg_channel_keys) != 0) {
            return -1;
        }

        cc = &conf->channels[conf->nchannels++];

        if (invsync_cfg_str(c, ch, path, "id", NULL, &cc->id) != 0
            || invsync_cfg_str(c, ch, path, "type", NULL, &cc->type) != 0
            || invsync_cfg_str(c, ch, path, "api_base", NULL, &cc->api_base)
               != 0
            || invsync_cfg_str(c, ch, path, "credentials_file", NULL,
                               &cc->credentials_file)
               != 0)
        {
            return -1;
        }

        if (cc->id == NULL || !invsync_cfg_name(cc->id)) {
            return invsync_cfg_fail(c, path, "\"id\" is required: letters, "
                                    "digits and \"-_.:\"");
        }

        for (k = 0; k + 1 < conf->nchannels; k++) {
            if (strcmp(conf->channels[k].id, cc->id) == 0) {
                return invsync_cfg_fail(c, path, "channel \"%s\" is listed "
                                        "twice", cc->id);
            }
        }

        row = invsync_channel_find(cc->type);

        if (row == NULL) {
            return invsync_cfg_fail(c, path, "\"type\" must be one of: %s",
                                    invsync_channel_types());
        }

        if (cc->api_base != NULL && !invsync_cfg_url(cc->api_base)) {
            return invsync_cfg_fail(c, path, "\"api_base\" \"%s\" is not an "
                                    "http:// or https:// URL", cc->api_base);
        }

        /* what the channel table says a type cannot do is refused here,
         * not skipped at run time */
        if (cc->api_base != NULL && !invsync_channel_can(row, push_build)
            && !invsync_channel_can(row, read_build)
            && !invsync_channel_can(row, poll_build))
        {
            return invsync_cfg_fail(c, path, "\"api_base\": invsync does not "
                                    "call the API of type \"%s\" (types it "
                                    "calls: %s)", cc->type,
                                    invsync_channel_types_with(offsetof(
                                        invsync_channel_t, push_build)));
        }

        if (cc->credentials_file != NULL
            && access(cc->credentials_file, R_OK) != 0)
        {
            return invsync_cfg_fail(c, path, "\"credentials_file\" \"%s\": "
                                    "%s", cc->credentials_file,
                                    strerror(errno));
        }

        if (invsync_cfg_poll(c, cc, ch, path) != 0) {
            return -1;
        }

        /* what only this type knows is checked by its row */
        cc->options = json_object_get(ch, "options");

        if (cc->options != NULL && (!json_is_object(cc->options)
                                    || row->check_options == NULL))
        {
            return invsync_cfg_fail(c, path, "\"options\": type \"%s\" takes "
                                    "%s", cc->type, row->check_options
                                    ? "an object" : "none");
        }

        if (row->check_options != NULL
            && row->check_options(cc, msg, sizeof(msg)) != 0)
        {
            return invsync_cfg_fail(c, path, "\"options\": %s", msg);
        }

        cc->stock = json_object_get(ch, "stock");

        if (cc->stock != NULL && !json_is_object(cc->stock)) {
            return invsync_cfg_fail(c, path, "\"stock\" must be an object");
        }

        if (cc->stock != NULL && !invsync_channel_can(row, push_build)) {
            return invsync_cfg_fail(c, path, "\"stock\": type \"%s\" shows "
                                    "no stock (types that do: %s)", cc->type,
                                    invsync_channel_types_with(offsetof(
                                        invsync_channel_t, push_build)));
        }

        if (invsync_stock_rules(&cc->rules, cc->stock, msg, sizeof(msg))
            != 0)
        {
            return invsync_cfg_fail(c, path, "\"stock\": %s", msg);
        }
    }

    return 0;
}


/*
 * The order backfill of one channel: poll_s 0 (the default) is off; on,
 * it needs the API and its credentials, and a type the poller knows.
 */

static int
invsync_cfg_poll(invsync_cfg_t *c, invsync_channel_conf_t *cc, json_t *ch,
    const char *path)
{
    const invsync_channel_t  *row;

    if (invsync_cfg_int(c, ch, path, "poll_s", 0, 86400, 0, &cc->poll_s)
        != 0
        || invsync_cfg_int(c, ch, path, "poll_since_s", 1, 366L * 86400, 0,
                           &cc->poll_since_s)
           != 0)
    {
        return -1;
    }

    if (cc->poll_s == 0) {
        if (cc->poll_since_s != 0) {
            return invsync_cfg_fail(c, path, "\"poll_since_s\" needs "
                                    "\"poll_s\"");
        }

        return 0;
    }

    row = invsync_channel_find(cc->type);

    if (!invsync_channel_can(row, poll_build)) {
        return invsync_cfg_fail(c, path, "\"poll_s\": orders cannot be "
                                "polled from type \"%s\" (only %s)", cc->type,
                                invsync_channel_types_with(offsetof(
                                    invsync_channel_t, poll_build)));
    }

    if (cc->api_base == NULL || cc->credentials_file == NULL) {
        return invsync_cfg_fail(c, path, "\"poll_s\" needs \"api_base\" "
                                "and \"credentials_file\"");
    }

    /* by default the first poll covers two intervals back */
    if (cc->poll_since_s == 0) {
        cc->poll_since_s = 2 * cc->poll_s;
    }

    return 0;
}


static int
invsync_cfg_url(const char *url)
{
    const char  *host;

    if (strncmp(url, "http://", 7) == 0) {
        host = url + 7;

    } else if (strncmp(url, "https://", 8) == 0) {
        host = url + 8;

    } else {
        return 0;
    }

    return *host != '\0' && *host != '/' && strchr(url, ' ') == NULL;
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

    return 0;
}


static int
invsync_cfg_fail(invsync_cfg_t *c, const char *path, const char *fmt, ...)
{
    int      n;
    va_list  args;

    n = snprintf(c->err, c->len, "%s: %s: ", c->file, path);
    if (n < 0 || (size_t) n >= c->len) {
        return -1;
    }

    va_start(args, fmt);
    vsnprintf(c->err + n, c->len - n, fmt, args);
    va_end(args);

    return -1;
}


static int
invsync_cfg_keys(invsync_cfg_t *c, json_t *obj, const char *path,
    const char **allowed)
{
    size_t       i;
    json_t      *value;
    const char  *key;

    json_object_foreach(obj, key, value) {
        for (i = 0; allowed[i] != NULL; i++) {
            if (strcmp(key, allowed[i]) == 0) {
                break;
            }
        }

        if (allowed[i] == NULL) {
            return invsync_cfg_fail(c, path, "unknown key \"%s\"", key);
        }
    }

    return 0;
}


/* the member object, or NULL: absent (no error) or not an object (error) */

static json_t *
invsync_cfg_object(invsync_cfg_t *c, json_t *parent, const char *path,
    const char *key)
{
    json_t  *obj;

    obj = json_object_get(parent, key);

    if (obj != NULL && !json_is_object(obj)) {
        invsync_cfg_fail(c, path, "\"%s\" must be an object", key);
        return NULL;
    }

    return obj;
}


static int
invsync_cfg_int(invsync_cfg_t *c, json_t *obj, const char *path,
    const char *key, long min, long max, long dflt, long *out)
{
    json_t      *v;
    json_int_t   n;

    v = obj ? json_object_get(obj, key) : NULL;

    if (v == NULL) {
        *out = dflt;
        return 0;
    }

    if (!json_is_integer(v)) {
        return invsync_cfg_fail(c, path, "\"%s\" must be an integer", key);
    }

    n = json_integer_value(v);

    if (n < min || n > max) {
        return invsync_cfg_fail(c, path, "\"%s\" must be between %ld and %ld",
                                key, min, max);
    }

    *out = (long) n;

    return 0;
}


static int
invsync_cfg_str(invsync_cfg_t *c, json_t *obj, const char *path,
    const char *key, const char *dflt, char **out)
{
    json_t      *v;
    const char  *s;

    v = obj ? json_object_get(obj, key) : NULL;
    *out = NULL;

    if (v == NULL || json_is_null(v)) {
        s = dflt;

    } else if (!json_is_string(v) || json_string_length(v) == 0) {
        return invsync_cfg_fail(c, path, "\"%s\" must be a non-empty string",
                                key);

    } else {
        s = json_string_value(v);
    }

    if (s == NULL) {
        return 0;
    }

    *out = strdup(s);

    if (*out == NULL) {
        return invsync_cfg_fail(c, path, "out of memory");
    }

    return 0;
}


static int
invsync_cfg_bool(invsync_cfg_t *c, json_t *obj, const char *path,
    const char *key, int dflt, int *out)
{
    json_t  *v;

    v = obj ? json_object_get(obj, key) : NULL;

    if (v == NULL) {
        *out = dflt;
        return 0;
    }

    if (!json_is_boolean(v)) {
        return invsync_cfg_fail(c, path, "\"%s\" must be true or false", key);
    }

    *out = json_is_true(v);

    return 0;
}


static int
invsync_cfg_name(const char *s)
{
    if (*s == '\0') {
        return 0;
    }

    for ( /* void */ ; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
              || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'
              || *s == '.' || *s == ':'))
        {
            return 0;
        }
    }

    return 1;
}


/* a small secret file, trailing newline removed */

static int
invsync_cfg_file(invsync_cfg_t *c, const char *path, const char *name,
    char **content)
{
    FILE    *f;
    char     buf[INVSYNC_MAX_SECRET + 2];
    size_t   n;

    f = fopen(name, "r");
    if (f == NULL) {
        return invsync_cfg_fail(c, path, "\"%s\": %s", name, strerror(errno));
    }

    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);

    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }

    if (n == 0 || n > INVSYNC_MAX_SECRET) {
        explicit_bzero(buf, sizeof(buf));
        return invsync_cfg_fail(c, path, "\"%s\" is empty or larger than %d "
                                "bytes", name, INVSYNC_MAX_SECRET);
    }

    buf[n] = '\0';
    *content = strdup(buf);
    explicit_bzero(buf, sizeof(buf));

    if (*content == NULL) {
        return invsync_cfg_fail(c, path, "out of memory");
    }

    return 0;
}
