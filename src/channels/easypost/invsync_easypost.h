
/*
 * EasyPost's label API (/work/shared/channels.md §13.1): a shipment with
 * addresses and a parcel and its rates, one rate bought, a label
 * refunded, a shipment found again by the reference it was created with.
 */


#ifndef INVSYNC_EASYPOST_H_INCLUDED
#define INVSYNC_EASYPOST_H_INCLUDED


#include "invsync_provider.h"


extern const invsync_provider_t  invsync_provider_easypost;


#endif /* INVSYNC_EASYPOST_H_INCLUDED */
