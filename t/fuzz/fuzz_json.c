
/*
 * libFuzzer target: the module's JSON checks against the worker's parser
 * (issue 13, defect 3).  The input is a body.  invsync_json_check() (the
 * Shopify scheme's, simdjson) and invsync_json_load() (the other schemes',
 * jansson with the worker's flags) must agree: a body the module passes
 * is one the worker reads, an object when an object was asked for; and a
 * body both refuse for one of the reasons the worker would dead-letter is
 * refused as such by both (simdjson may refuse more: nesting beyond 1024).
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "invsync.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static int t_worker_reason(invsync_rc_e rc);


static int
t_worker_reason(invsync_rc_e rc)
{
    return rc == INVSYNC_ERR_JSON_NUL || rc == INVSYNC_ERR_JSON_DUPLICATE
           || rc == INVSYNC_ERR_JSON_RANGE;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t           *root;
    invsync_rc_e      rc, rc1, jrc;
    invsync_input_t   in;

    memset(&in, 0, sizeof(invsync_input_t));
    in.body.data = data;
    in.body.len = size;

    rc = invsync_json_check(data, size, 0);
    jrc = invsync_json_load(&in, 0, &root);

    /* an object when asked for: the same answer; an array: refused */
    if (jrc == INVSYNC_OK) {
        rc1 = invsync_json_check(data, size, 1);

        if (json_is_object(root) ? rc1 != rc
                                 : rc == INVSYNC_OK
                                   && rc1 != INVSYNC_ERR_JSON_OBJECT)
        {
            abort();
        }

        json_decref(root);
    }

    /* the module passes only what the worker reads */
    if (rc == INVSYNC_OK && jrc != INVSYNC_OK && jrc != INVSYNC_ERR_NOMEM) {
        abort();
    }

    /* refused by both for a worker's reason: a worker's reason from both */
    if (t_worker_reason(rc) && jrc != INVSYNC_ERR_NOMEM
        && !t_worker_reason(jrc))
    {
        abort();
    }

    return 0;
}
