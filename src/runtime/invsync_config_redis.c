
/*
 * worker.json "redis": where Redis is, how long a command may take, the
 * epoch the worker requires, and the credentials file, parsed by the core
 * as nginx and invsyncctl parse it (src/core/invsync_credentials.c).
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "invsync_config_read.h"
#include "invsync_credentials.h"


static int invsync_cfg_auth_file(invsync_cfg_t *c, invsync_conf_t *conf,
    const char *name);


static const char  *invsync_cfg_redis_keys[] = {
    "address", "auth_file", "timeout_ms", "epoch", NULL
};


int
invsync_cfg_redis(invsync_cfg_t *c, invsync_conf_t *conf, json_t *root)
{
    long     timeout;
    int      rc;
    char    *addr, *auth, *colon, *end, *epoch;
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
        || invsync_cfg_str(c, obj, "$.redis", "auth_file", NULL, &auth) != 0
        || invsync_cfg_str(c, obj, "$.redis", "epoch", "create", &epoch)
           != 0)
    {
        return -1;
    }

    /* require: a worker that knows no epoch yet never makes one
     * (docs/operations.md, "Redis that comes back empty") */
    conf->epoch_require = strcmp(epoch, "require") == 0;

    if (!conf->epoch_require && strcmp(epoch, "create") != 0) {
        free(epoch);
        free(addr);
        free(auth);
        return invsync_cfg_fail(c, "$.redis.epoch",
                                "must be \"create\" or \"require\"");
    }

    free(epoch);

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

    rc = invsync_cfg_auth_file(c, conf, auth);
    free(auth);

    return rc;
}


/* The Redis credentials: the file as it is, parsed by the core, as the
 * nginx module parses it.  The read buffer is wiped. */

static int
invsync_cfg_auth_file(invsync_cfg_t *c, invsync_conf_t *conf,
    const char *name)
{
    FILE                   *f;
    char                    buf[INVSYNC_CREDENTIALS_FILE_MAX];
    size_t                  n;
    const char             *reason;
    invsync_credentials_t   cr;

    f = fopen(name, "r");
    if (f == NULL) {
        return invsync_cfg_fail(c, "$.redis.auth_file", "\"%s\": %s", name,
                                strerror(errno));
    }

    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);

    reason = invsync_credentials_parse(buf, n, &cr);
    if (reason != NULL) {
        explicit_bzero(buf, sizeof(buf));
        return invsync_cfg_fail(c, "$.redis.auth_file", "\"%s\": %s", name,
                                reason);
    }

    conf->redis_password = strndup(cr.password, cr.password_len);
    conf->redis_user = cr.user_len ? strndup(cr.user, cr.user_len) : NULL;
    explicit_bzero(buf, sizeof(buf));

    if (conf->redis_password == NULL || (cr.user_len && !conf->redis_user)) {
        return invsync_cfg_fail(c, "$.redis.auth_file", "out of memory");
    }

    return 0;
}
