
/*
 * The 3PL rows of the provider table (invsync_provider.h),
 * one per folder of src/channels that speaks to a 3PL.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_provider.h"
#include "invsync_channels.h"


const invsync_3pl_t  *invsync_3pls[] = {
    &invsync_3pl_shipbob,
    NULL
};


const invsync_3pl_t *
invsync_3pl_find(const char *type)
{
    size_t  i;

    if (type == NULL) {
        return NULL;
    }

    for (i = 0; invsync_3pls[i] != NULL; i++) {
        if (strcmp(invsync_3pls[i]->type, type) == 0) {
            return invsync_3pls[i];
        }
    }

    return NULL;
}


const char *
invsync_3pl_types(void)
{
    size_t       i, n;
    static char  buf[256];

    buf[0] = '\0';
    n = 0;

    for (i = 0; invsync_3pls[i] != NULL && n < sizeof(buf); i++) {
        n += snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? ", " : "",
                      invsync_3pls[i]->type);
    }

    return buf;
}


const char *
invsync_3pl_state_name(invsync_3pl_state_e s)
{
    static const char  *names[] = { "none", "duplicate", "open", "shipped",
                                    "cancelled", "refused" };

    return (size_t) s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}
