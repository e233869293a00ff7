
/*
 * worker.json's "channels": each channel's id, type, API, credentials,
 * stock rules and polling, checked against what its row of the channel
 * table says the type can do (so -t refuses what run time would skip).
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_config_read.h"
#include "invsync_provider.h"


static int invsync_cfg_poll(invsync_cfg_t *c, invsync_channel_conf_t *cc,
    json_t *ch, const char *path);
static int invsync_cfg_url(const char *url);


static const char  *invsync_cfg_channel_keys[] = {
    "id", "type", "api_base", "credentials_file", "stock", "poll_s",
    "poll_since_s", "options", NULL
};

int
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
            && !invsync_channel_can(row, poll_build)
            && invsync_3pl_find(cc->type) == NULL)
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


/*
 * A 3pl location sends its orders through its fulfilment.channel: that
 * channel's type must have a row in the 3PL table, and an api_base and
 * credentials_file to call it with.
 */

int
invsync_cfg_3pl_channels(invsync_cfg_t *c, invsync_conf_t *conf)
{
    char                           path[96];
    size_t                         i;
    const char                    *id;
    const invsync_location_t      *loc;
    const invsync_channel_conf_t  *cc;

    for (i = 0; conf->routing != NULL && i < conf->routing->nlocations; i++) {
        loc = &conf->routing->locations[i];
        id = json_string_value(json_object_get(loc->fulfilment, "channel"));

        if (loc->kind != INVSYNC_LOC_3PL || id == NULL) {
            continue;
        }

        snprintf(path, sizeof(path), "$.locations[%zu].fulfilment.channel",
                 i);
        cc = invsync_conf_channel(conf, id);

        if (cc == NULL || invsync_3pl_find(cc->type) == NULL) {
            return invsync_cfg_fail(c, path, "channel \"%s\" is of type "
                                    "\"%s\", not a 3PL (3PL types: %s)", id,
                                    cc ? cc->type : "?", invsync_3pl_types());
        }

        if (cc->api_base == NULL || cc->credentials_file == NULL) {
            return invsync_cfg_fail(c, path, "channel \"%s\" needs "
                                    "\"api_base\" and \"credentials_file\" "
                                    "to take orders", id);
        }
    }

    return 0;
}
