
/*
 * Stripe's room: a payment provider, not a store.  Its row of the channel
 * table has a scheme and a normalizer (refunds), nothing to push or poll.
 */


#ifndef INVSYNC_STRIPE_H_INCLUDED
#define INVSYNC_STRIPE_H_INCLUDED


#include "invsync_channels.h"
#include "invsync_schemes.h"


extern const invsync_normalizer_t  invsync_normalizer_stripe;


#endif /* INVSYNC_STRIPE_H_INCLUDED */
