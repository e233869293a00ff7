#!/usr/bin/perl

# The tiktok scheme through nginx and Redis: Authorization = hex
# HMAC-SHA256(app secret, app key + body) with invsync_app_key, the
# regression vector of the project notes (section 15.6), the numeric type
# routes, tts_notification_id and shop_id from the body, rotation, and the
# 401 and 400 refusals.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(hmac_sha256_hex);
use InvsyncTest;

my $secret = 'test_app_secret';
my $app_key = 'test_app_key';
my $old = 'old_app_secret_42';

my $t = InvsyncTest->setup(
    secrets => {
        'tiktok.secret' => $secret,
        'old.secret'    => $old,
    },
    locations => <<'EOF');
        location = /hooks/tiktok {
            invsync_webhook tiktok;
            invsync_channel tts-us;
            invsync_app_key test_app_key;
            invsync_secret_file %%TESTDIR%%/tiktok.secret;
        }

        location = /hooks/tiktok-rot {
            invsync_webhook tiktok;
            invsync_channel tts-rot;
            invsync_app_key test_app_key;
            invsync_secret_file %%TESTDIR%%/old.secret;
            invsync_secret_file %%TESTDIR%%/tiktok.secret;
        }
EOF

$t->run;
$t->wait_ready;
$t->plan(30);

sub event {
    my ($id, $type) = @_;
    return qq({"type":$type,"tts_notification_id":"$id","shop_id":"7494049642642441621",)
        . qq("timestamp":1644412885,"data":{"order_id":"576461413038785752"}});
}

sub signed {
    my ($body, %o) = @_;
    return ('Authorization' => hmac_sha256_hex(($o{app_key} // $app_key) . $body,
                                               $o{key} // $secret),
            'Content-Type' => 'application/json');
}

my %who = (scheme => 'tiktok', channel => 'tts-us', hide => [$secret]);

# the regression vector of section 15.6

my $vector = '{"type":1,"tts_notification_id":"7327112393057371910",'
    . '"shop_id":"7494049642642441621","timestamp":1644412885,'
    . '"data":{"order_id":"576461413038785752","order_status":"AWAITING_SHIPMENT",'
    . '"update_time":1644412882}}';
my $vsig = '31fe2dff3169fb750adf7805e47442ba8bdb7d26562ab5078a41dd1912ed4eab';

my $r = $t->post('/hooks/tiktok', $vector, 'Authorization' => $vsig,
                 'Content-Type' => 'application/json');
my $id = $t->accepted($r, 'invsync:orders', 'vector of 15.6 accepted');
$t->envelope('invsync:orders', $id, {
    channel => 'tts-us', scheme => 'tiktok', account => '7494049642642441621',
    topic => '1', event => '7327112393057371910', body => $vector,
}, 'envelope: type, tts_notification_id and shop_id from the body');

$r = $t->post('/hooks/tiktok', $vector, 'Authorization' => uc $vsig,
              'Content-Type' => 'application/json');
$t->duplicate($r, 'the same event again (upper-case hex) is a duplicate');
is($t->redis('XLEN', 'invsync:orders'), 1, 'duplicate not stored');

# routes by numeric type

my %routes = (2 => 'refunds', 4 => 'fulfillments', 5 => 'other');
for my $type (sort keys %routes) {
    my $b = event("n-$type", $type);
    $r = $t->post('/hooks/tiktok', $b, signed($b));
    $t->accepted($r, "invsync:$routes{$type}", "type $type goes to $routes{$type}");
}

# refusals

my $b = event('n-10', 1);
my $m;

$m = $t->mark;
$r = $t->post('/hooks/tiktok', $vector =~ s/AWAITING_SHIPMENT/CANCELLED/r,
              'Authorization' => $vsig, 'Content-Type' => 'application/json');
$t->refused($m, $r, 401, 'signature mismatch', %who, name => 'tampered body',
            hide => [$secret, $vsig]);

$m = $t->mark;
$r = $t->post('/hooks/tiktok', $b, signed($b, key => 'other_secret'));
$t->refused($m, $r, 401, 'signature mismatch', %who, name => 'wrong secret');

$m = $t->mark;
$r = $t->post('/hooks/tiktok', $b, signed($b, app_key => ''));
$t->refused($m, $r, 401, 'signature mismatch', %who,
            name => 'signed without the app key');

$m = $t->mark;
my %h = signed($b);
$r = $t->post('/hooks/tiktok', $b, %h,
              'Authorization' => "Bearer $h{Authorization}");
$t->refused($m, $r, 401, 'signature mismatch', %who,
            name => 'a "Bearer" prefix');

$m = $t->mark;
$r = $t->post('/hooks/tiktok', $b, 'Content-Type' => 'application/json');
$t->refused($m, $r, 401, 'missing signature', %who,
            name => 'no Authorization');

$m = $t->mark;
$r = $t->post('/hooks/tiktok', 'type=1', signed('type=1'));
$t->refused($m, $r, 400, 'body is not valid JSON', %who, name => 'not JSON');

$m = $t->mark;
my $noid = '{"type":1,"shop_id":"7494049642642441621","data":{}}';
$r = $t->post('/hooks/tiktok', $noid, signed($noid));
$t->refused($m, $r, 400, 'no event id', %who,
            name => 'no tts_notification_id');

# rotation

$r = $t->post('/hooks/tiktok-rot', $b, signed($b, key => $old));
$t->accepted($r, 'invsync:orders', 'rotation: old secret accepted');
my $b2 = event('n-11', 1);
$r = $t->post('/hooks/tiktok-rot', $b2, signed($b2));
$t->accepted($r, 'invsync:orders', 'rotation: new secret accepted');

$t->done;
