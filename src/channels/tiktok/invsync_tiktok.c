
/*
 * TikTok Shop's row of the channel table: its scheme so far; a
 * marketplace does not let sellers write to its buyers.
 */


#include "invsync_channel.h"
#include "invsync_schemes.h"


const invsync_channel_t  invsync_channel_tiktok = {
    .type = "tiktok",
    .scheme = &invsync_scheme_tiktok,
    .may_email_buyers = 0,
};
