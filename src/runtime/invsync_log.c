
/*
 * The worker's log: one compact JSON object a line on stderr, written with
 * a single write() so lines from several processes never interleave.
 */


#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "invsync_runtime.h"


static invsync_log_level_e  invsync_log_min = INVSYNC_LOG_INFO;

static const char  *invsync_log_names[] = { "debug", "info", "warn", "error" };


void
invsync_log_init(invsync_log_level_e level)
{
    invsync_log_min = level;
}


/* lets callers skip building the context of a line nobody will read */

int
invsync_log_enabled(invsync_log_level_e level)
{
    return level >= invsync_log_min;
}


int
invsync_log_level_parse(const char *name, invsync_log_level_e *level)
{
    size_t  i;

    for (i = 0; i < sizeof(invsync_log_names) / sizeof(char *); i++) {
        if (strcmp(name, invsync_log_names[i]) == 0) {
            *level = (invsync_log_level_e) i;
            return 0;
        }
    }

    return -1;
}


int64_t
invsync_now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);

    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* steals ctx (NULL allowed); its keys follow ts, level and msg */

void
invsync_log(invsync_log_level_e level, const char *msg, json_t *ctx)
{
    char        *line;
    size_t       len;
    ssize_t      n;
    json_t      *obj;
    const char  *key;
    json_t      *value;

    if (level < invsync_log_min) {
        json_decref(ctx);
        return;
    }

    obj = json_pack("{s:I, s:s, s:s}", "ts", (json_int_t) invsync_now_ms(),
                    "level", invsync_log_names[level], "msg", msg);
    if (obj == NULL) {
        json_decref(ctx);
        return;
    }

    if (ctx != NULL) {
        json_object_foreach(ctx, key, value) {
            json_object_set(obj, key, value);
        }

        json_decref(ctx);
    }

    line = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(obj);

    if (line == NULL) {
        return;
    }

    len = strlen(line);
    line[len] = '\n';       /* json_dumps() left room for the NUL */

    do {
        n = write(STDERR_FILENO, line, len + 1);
    } while (n == -1 && errno == EINTR);

    free(line);
}
