
/*
 * invsyncctl ship: a person shipped an order's shipment from a location
 * (a manual one, or any that was handed over outside invsync) and says
 * so.  The same step as the worker's (ship_confirm.lua through
 * src/runtime/invsync_ship.h): on hand and the reservation at that
 * location go down once, the shipment is shipped, its tracking is queued
 * for the channel.
 */


#include <stdio.h>
#include <string.h>

#include "invsyncctl.h"
#include "invsync_ship.h"


const char  invsyncctl_ship_usage[] =
    "usage: invsyncctl ship ORDER --location L --carrier C --tracking N\n"
    "                       [--service S] [--url U] [--by NAME] [--json]\n"
    "       invsyncctl ship ORDER --location L --carrier pickup\n"
    "\n"
    "Confirms that the shipment of ORDER (<channel>:<order id>) from\n"
    "location L left with carrier C under tracking number N\n"
    "(docs/fulfilment.md).  Stock leaves on hand and the reservation at L\n"
    "once; the tracking is pushed to the channel.  Twice is once.\n"
    "--carrier pickup: the buyer collected it at L (no tracking number;\n"
    "a pickup shipment is never tracked on the channel).  Only for a\n"
    "pickup shipment: a parcel's (warehouse, 3pl, manual) is refused.\n"
    "\n"
    "Exit: 0 (also: shipped before), 1 usage, the shipment is cancelled\n"
    "or not a pickup one, 2 no such shipment, 3 Redis.\n";


static int invsyncctl_ship_print(invsyncctl_t *ctl, const char *id,
    invsync_ship_rc_e rc, const char *audit);


int
invsyncctl_ship(invsyncctl_t *ctl, int argc, char **argv)
{
    int                     rc, npos;
    char                    id[INVSYNC_SHIP_ID_LEN], audit[128];
    char                    err[INVSYNC_ERR_LEN];
    const char             *pos[1], *loc, *by, *found, *pick;
    invsync_ship_rc_e       src;
    invsync_ship_record_t   rec;
    const invsyncctl_opt_t  opts[] = {
        { "--location", &loc, NULL }, { "--carrier", &rec.carrier, NULL },
        { "--tracking", &rec.tracking, NULL },
        { "--service", &rec.service, NULL },
        { "--url", &rec.tracking_url, NULL }, { "--by", &by, NULL },
        { NULL, NULL, NULL }
    };

    memset(&rec, 0, sizeof(invsync_ship_record_t));
    loc = NULL;
    by = NULL;

    rc = invsyncctl_args(ctl, "ship", invsyncctl_ship_usage, argc, argv,
                         opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1 || strchr(pos[0], ':') == NULL) {
        return invsyncctl_usage_error("ship", "give the order, "
                                      "<channel>:<order id>");
    }

    /* collected by the buyer: nothing to track */
    if (rec.carrier != NULL && strcmp(rec.carrier, "pickup") == 0
        && rec.tracking == NULL)
    {
        rec.tracking = "";
    }

    if (loc == NULL || rec.carrier == NULL || rec.tracking == NULL
        || loc[0] == '\0' || rec.carrier[0] == '\0'
        || (rec.tracking[0] == '\0' && strcmp(rec.carrier, "pickup") != 0))
    {
        return invsyncctl_usage_error("ship", "--location, --carrier and "
                                      "--tracking are required");
    }

    if (invsync_ship_text_check("--carrier", rec.carrier, 1, 0, err,
                                sizeof(err)) != 0
        || invsync_ship_text_check("--tracking", rec.tracking,
                                   strcmp(rec.carrier, "pickup") != 0, 1,
                                   err, sizeof(err)) != 0)
    {
        return invsyncctl_usage_error("ship", err);
    }

    if (invsync_ship_id(id, sizeof(id), pos[0], loc) == 0) {
        return invsyncctl_usage_error("ship", "the order or location is "
                                      "too long");
    }

    rec.by = invsyncctl_by(by);

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (invsync_redis_load_scripts(&ctl->w, err, sizeof(err)) != 0) {
        fprintf(stderr, "invsyncctl: %s\n", err);
        return INVSYNCCTL_REDIS;
    }

    src = invsync_ship_confirm_call(&ctl->w, id, &rec, audit, sizeof(audit),
                                    err, sizeof(err));

    if (src == INVSYNC_SHIP_LOST) {
        fprintf(stderr, "invsyncctl: ship: %s\n", err);
        return INVSYNCCTL_REDIS;
    }

    if (src == INVSYNC_SHIP_REFUSED) {
        found = strstr(err, "no shipment");
        pick = strstr(err, "not a pickup shipment");
        fprintf(stderr, "invsyncctl: ship: %s\n",
                found != NULL ? found : pick != NULL ? pick : err);
        return found != NULL ? INVSYNCCTL_NOTFOUND
               : pick != NULL ? INVSYNCCTL_USAGE : INVSYNCCTL_REDIS;
    }

    return invsyncctl_ship_print(ctl, id, src, audit);
}


static int
invsyncctl_ship_print(invsyncctl_t *ctl, const char *id,
    invsync_ship_rc_e rc, const char *audit)
{
    static const char  *says[] = { "shipped before", "shipped",
                                   "cancelled" };
    const char         *s;

    s = says[rc];

    if (ctl->json) {
        invsyncctl_print_json(json_pack("{s:s, s:s, s:s}", "shipment", id,
                                        "result", s, rc == INVSYNC_SHIP_DONE
                                        ? "audit" : "state", audit));
    } else if (rc == INVSYNC_SHIP_CANCELLED) {
        fprintf(stderr, "invsyncctl: ship: shipment %s is %s: nothing "
                "shipped\n", id, audit);
    } else {
        printf("shipment %s: %s%s%s\n", id, s,
               rc == INVSYNC_SHIP_DONE ? ", audit " : "",
               rc == INVSYNC_SHIP_DONE ? audit : "");
    }

    return rc == INVSYNC_SHIP_CANCELLED ? INVSYNCCTL_USAGE : INVSYNCCTL_OK;
}
