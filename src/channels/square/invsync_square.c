
/*
 * Square's row of the channel table (channels.md section 5): its scheme;
 * the rest of its operations come with the Square channel work.
 */


#include "invsync_channel.h"
#include "invsync_schemes.h"


const invsync_channel_t  invsync_channel_square = {
    .type = "square",
    .scheme = &invsync_scheme_square,
    .may_email_buyers = 1,
};
