
/*
 * Stripe's row of the channel table: a payment provider, not a store;
 * its webhooks are verified and stored, its refunds normalized (matched
 * to a store's order by payment reference), nothing is pushed or polled.
 */


#include "invsync_stripe.h"


const invsync_channel_t  invsync_channel_stripe = {
    .type = "stripe",
    .scheme = &invsync_scheme_stripe,
    .normalizer = &invsync_normalizer_stripe,
    .may_email_buyers = 0,
};
