
/*
 * Stripe's row of the channel table: a payment provider, not a store;
 * its webhooks are verified and stored, nothing is pushed or polled.
 */


#include "invsync_channel.h"
#include "invsync_schemes.h"


const invsync_channel_t  invsync_channel_stripe = {
    .type = "stripe",
    .scheme = &invsync_scheme_stripe,
    .may_email_buyers = 0,
};
