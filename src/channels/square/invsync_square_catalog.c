
/*
 * Square's read back, second request: what the catalog says of the
 * variations that have no count at their location.  Square's counts do
 * not tell a variation it never counted there from one it does not know
 * (both are absent from BatchRetrieveInventoryCounts), and only the
 * second is an item the mapping names wrongly.  BatchRetrieveCatalogObjects
 * (POST /v2/catalog/batch-retrieve) answers the objects it knows; one it
 * does not, or a deleted one, is left out or marked is_deleted.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_square.h"


#define INVSYNC_SQUARE_CATALOG  "/v2/catalog/batch-retrieve"


static json_t *invsync_square_object(json_t *objects, const char *id);
static int invsync_square_at(json_t *obj, const char *loc);
static int invsync_square_tracked(json_t *obj, const char *loc);
static int invsync_square_in(json_t *list, const char *s);


/* 1 when an item of the page waits for the catalog (step 1) */

int
invsync_square_catalog_wanted(const invsync_read_item_t *items, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (items[i].step == INVSYNC_SQUARE_STEP_CATALOG) {
            return 1;
        }
    }

    return 0;
}


/* the variations of the items that wait for it, each once; takes all n */

size_t
invsync_square_catalog_build(const invsync_channel_ctx_t *ctx,
    invsync_read_item_t *items, size_t n, invsync_request_t *rq)
{
    size_t   i;
    json_t  *ids;

    rq->method = "POST";

    if (invsync_request_api(rq, ctx, "%s", INVSYNC_SQUARE_CATALOG) != 0) {
        return 0;
    }

    ids = json_array();

    for (i = 0; i < n; i++) {
        if (items[i].step == INVSYNC_SQUARE_STEP_CATALOG
            && !invsync_square_in(ids, items[i].id))
        {
            json_array_append_new(ids, json_string(items[i].id));
        }
    }

    return invsync_request_json(rq, json_pack("{s:o, s:b}",
                                              "object_ids", ids,
                                              "include_related_objects", 0))
           == 0 ? n : 0;
}


/*
 * Each waiting item by its variation: unknown or deleted, or not present
 * at the item's location, is missing; a variation whose inventory is not
 * tracked there (track_inventory false) is untracked; else it has no
 * count yet and shows 0.
 */

invsync_channel_rc_e
invsync_square_catalog_parse(const invsync_answer_t *a,
    invsync_read_item_t *items, size_t n)
{
    size_t                 i;
    json_t                *doc, *objects, *obj;
    invsync_channel_rc_e   rc;

    doc = json_loadb(a->body, a->len, 0, NULL);
    objects = json_object_get(doc, "objects");

    if (a->status != 200 || !json_is_object(doc)
        || json_array_size(json_object_get(doc, "errors")) > 0
        || (objects != NULL && !json_is_array(objects)))
    {
        rc = invsync_answer_retry(a, "catalog: HTTP %ld%s", a->status,
                                  json_is_object(doc) ? "" : ", not JSON");
        json_decref(doc);
        return rc;
    }

    for (i = 0; i < n; i++) {
        if (items[i].step != INVSYNC_SQUARE_STEP_CATALOG) {
            continue;
        }

        items[i].step = INVSYNC_SQUARE_STEP_DONE;
        obj = invsync_square_object(objects, items[i].id);

        if (obj == NULL) {
            items[i].read = INVSYNC_READ_MISSING;
            items[i].why = "Square does not know the variation";

        } else if (!invsync_square_at(obj, items[i].at)) {
            items[i].read = INVSYNC_READ_MISSING;
            items[i].why = "the variation is not at the location";

        } else if (!invsync_square_tracked(obj, items[i].at)) {
            items[i].read = INVSYNC_READ_UNTRACKED;

        } else {
            items[i].read = INVSYNC_READ_SHOWS;
            items[i].shows = 0;
        }
    }

    json_decref(doc);

    return INVSYNC_CH_DONE;
}


/* the live variation of that id in objects, or NULL */

static json_t *
invsync_square_object(json_t *objects, const char *id)
{
    size_t       i;
    json_t      *o;
    const char  *oid, *type;

    json_array_foreach(objects, i, o) {
        oid = json_string_value(json_object_get(o, "id"));
        type = json_string_value(json_object_get(o, "type"));

        if (oid != NULL && strcmp(oid, id) == 0 && type != NULL
            && strcmp(type, "ITEM_VARIATION") == 0
            && !json_is_true(json_object_get(o, "is_deleted")))
        {
            return o;
        }
    }

    return NULL;
}


/*
 * Present at loc: everywhere but absent_at_location_ids when
 * present_at_all_locations is true or absent (Square's default), else
 * only at present_at_location_ids.
 */

static int
invsync_square_at(json_t *obj, const char *loc)
{
    json_t  *all;

    all = json_object_get(obj, "present_at_all_locations");

    if (all == NULL || json_is_true(all)) {
        return !invsync_square_in(json_object_get(obj,
                                                  "absent_at_location_ids"),
                                  loc);
    }

    return invsync_square_in(json_object_get(obj, "present_at_location_ids"),
                             loc);
}


/* tracked at loc: the location's override, else the variation's
 * track_inventory; only an explicit false is untracked */

static int
invsync_square_tracked(json_t *obj, const char *loc)
{
    size_t       i;
    json_t      *data, *o, *t;
    const char  *l;

    data = json_object_get(obj, "item_variation_data");

    json_array_foreach(json_object_get(data, "location_overrides"), i, o) {
        l = json_string_value(json_object_get(o, "location_id"));
        t = json_object_get(o, "track_inventory");

        if (l != NULL && strcmp(l, loc) == 0 && json_is_boolean(t)) {
            return json_is_true(t);
        }
    }

    t = json_object_get(data, "track_inventory");

    return !json_is_false(t);
}


static int
invsync_square_in(json_t *list, const char *s)
{
    size_t       i;
    json_t      *v;
    const char  *t;

    json_array_foreach(list, i, v) {
        t = json_string_value(v);

        if (t != NULL && strcmp(t, s) == 0) {
            return 1;
        }
    }

    return 0;
}
