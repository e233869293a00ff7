
/*
 * The label providers' table (invsync_provider.h): one row per folder
 * that implements one.  The first is the default of a warehouse that
 * names none.
 */


#include <string.h>

#include "invsync_provider.h"
#include "easypost/invsync_easypost.h"


static const invsync_provider_t  *invsync_providers[] = {
    &invsync_provider_easypost,
    NULL
};


const invsync_provider_t *
invsync_provider_find(const char *name)
{
    size_t  i;

    if (name == NULL) {
        return invsync_providers[0];
    }

    for (i = 0; invsync_providers[i] != NULL; i++) {
        if (strcmp(invsync_providers[i]->name, name) == 0) {
            return invsync_providers[i];
        }
    }

    return NULL;
}


const char *
invsync_provider_names(void)
{
    return "easypost";
}
