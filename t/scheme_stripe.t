#!/usr/bin/perl

# The stripe scheme through nginx and Redis: Stripe-Signature
# "t=<unix>,v1=<hex>" keyed with the whole "whsec_..." secret, several v1
# entries, v0 ignored, stale and future timestamps against
# invsync_tolerance, the event id and account from the body, the refund
# routes, rotation, and the 401 and 400 refusals.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(hmac_sha256_hex);
use InvsyncTest;

my $secret = 'whsec_StripeK3y4Tests0nly';
my $old = 'whsec_0ldStripeK3y';

my $t = InvsyncTest->setup(
    secrets => {
        'stripe.secret' => $secret,
        'old.secret'    => $old,
    },
    locations => <<'EOF');
        location = /hooks/stripe {
            invsync_webhook stripe;
            invsync_channel stripe-main;
            invsync_secret_file %%TESTDIR%%/stripe.secret;
        }

        location = /hooks/stripe-10m {
            invsync_webhook stripe;
            invsync_channel stripe-10m;
            invsync_secret_file %%TESTDIR%%/stripe.secret;
            invsync_tolerance 10m;
        }

        location = /hooks/stripe-rot {
            invsync_webhook stripe;
            invsync_channel stripe-rot;
            invsync_secret_file %%TESTDIR%%/old.secret;
            invsync_secret_file %%TESTDIR%%/stripe.secret;
        }
EOF

$t->run;
$t->wait_ready;
$t->plan(46);

sub v1 {
    my ($body, $ts, $key) = @_;
    return hmac_sha256_hex("$ts.$body", $key // $secret);
}

sub signed {
    my ($body, %o) = @_;
    my $ts = $o{t} // time;
    my $sig = $o{header} // "t=$ts,v1=" . v1($body, $ts, $o{key});
    return ('Stripe-Signature' => $sig, 'Content-Type' => 'application/json');
}

sub event {
    my ($id, $type, %extra) = @_;
    my $acct = $extra{account} ? qq(,"account":"$extra{account}") : '';
    return qq({"id":"$id","object":"event","type":"$type"$acct,)
        . qq("data":{"object":{"id":"re_$id","object":"refund"}}});
}

my %who = (scheme => 'stripe', channel => 'stripe-main', hide => [$secret]);

# accepted

my $body = event('evt_1', 'refund.created', account => 'acct_1Nv0FG');
my $r = $t->post('/hooks/stripe', $body, signed($body));
my $id = $t->accepted($r, 'invsync:refunds', 'refund.created accepted');
$t->envelope('invsync:refunds', $id, {
    channel => 'stripe-main', scheme => 'stripe', account => 'acct_1Nv0FG',
    topic => 'refund.created', event => 'evt_1', body => $body,
}, 'envelope: event id and account from the body');
is($t->redis('XLEN', 'invsync:refunds'), 1, 'one entry in invsync:refunds');

# a retry is signed again, with a new timestamp
$r = $t->post('/hooks/stripe', $body, signed($body, t => time - 5));
$t->duplicate($r, 'the same event again is a duplicate');
is($t->redis('XLEN', 'invsync:refunds'), 1, 'duplicate not stored');

my $b2 = event('evt_2', 'charge.refunded');
$r = $t->post('/hooks/stripe', $b2, signed($b2));
$id = $t->accepted($r, 'invsync:refunds', 'charge.refunded goes to refunds');
$t->envelope('invsync:refunds', $id, {
    channel => 'stripe-main', scheme => 'stripe', account => '',
    topic => 'charge.refunded', event => 'evt_2', body => $b2,
}, 'envelope without a Connect account');

my $b3 = event('evt_3', 'payment_intent.succeeded');
$r = $t->post('/hooks/stripe', $b3, signed($b3));
$t->accepted($r, 'invsync:other', 'payment_intent.succeeded goes to other');

# several v1 entries, one of them right; v0 and unknown schemes ignored
my $b4 = event('evt_4', 'refund.updated');
my $now = time;
$r = $t->post('/hooks/stripe', $b4, signed($b4, header =>
    "t=$now,v1=" . ('0' x 64) . ",v0=" . v1($b4, $now)
    . ",v1=" . v1($b4, $now) . ",x=1"));
$t->accepted($r, 'invsync:refunds', 'a wrong v1 then the right one: accepted');

# tolerance

my $m;
my $b5 = event('evt_5', 'refund.created');

$m = $t->mark;
$r = $t->post('/hooks/stripe', $b5, signed($b5, t => time - 400));
$t->refused($m, $r, 401, 'timestamp too old', %who, name => 'now - 400');

$m = $t->mark;
$r = $t->post('/hooks/stripe', $b5, signed($b5, t => time + 400));
$t->refused($m, $r, 401, 'timestamp in the future', %who, name => 'now + 400');

$r = $t->post('/hooks/stripe-10m', $b5, signed($b5, t => time - 400));
$t->accepted($r, 'invsync:refunds', 'invsync_tolerance 10m accepts now - 400');

$m = $t->mark;
$r = $t->post('/hooks/stripe-10m', $b5, signed($b5, t => time - 700));
$t->refused($m, $r, 401, 'timestamp too old', %who, channel => 'stripe-10m',
            name => 'invsync_tolerance 10m refuses now - 700');

# 401

my $b6 = event('evt_6', 'refund.created');
my %h;

$m = $t->mark;
%h = signed($b6);
$r = $t->post('/hooks/stripe', $b6 =~ s/re_evt_6/re_evt_7/r, %h);
$t->refused($m, $r, 401, 'signature mismatch', %who, name => 'tampered body',
            hide => [$secret, $h{'Stripe-Signature'} =~ /v1=(\w+)/]);

$m = $t->mark;
%h = signed($b6, key => 'whsec_other');
$r = $t->post('/hooks/stripe', $b6, %h);
$t->refused($m, $r, 401, 'signature mismatch', %who, name => 'wrong secret');

$m = $t->mark;
(my $bare = $secret) =~ s/^whsec_//;
$r = $t->post('/hooks/stripe', $b6, signed($b6, key => $bare));
$t->refused($m, $r, 401, 'signature mismatch', %who,
            name => 'signed without the whsec_ prefix');

$m = $t->mark;
$now = time;
$r = $t->post('/hooks/stripe', $b6,
              signed($b6, header => "t=$now,v0=" . v1($b6, $now)));
$t->refused($m, $r, 401, 'signature mismatch', %who, name => 'v0 only');

$m = $t->mark;
$r = $t->post('/hooks/stripe', $b6,
              signed($b6, header => 'v1=' . v1($b6, time)));
$t->refused($m, $r, 401, 'missing or malformed timestamp', %who,
            name => 'no t=');

$m = $t->mark;
$r = $t->post('/hooks/stripe', $b6, 'Content-Type' => 'application/json');
$t->refused($m, $r, 401, 'missing signature', %who,
            name => 'no Stripe-Signature');

# 400

$m = $t->mark;
$r = $t->post('/hooks/stripe', 'id=evt_8', signed('id=evt_8'));
$t->refused($m, $r, 400, 'body is not valid JSON', %who, name => 'not JSON');

$m = $t->mark;
my $noid = '{"object":"event","type":"refund.created"}';
$r = $t->post('/hooks/stripe', $noid, signed($noid));
$t->refused($m, $r, 400, 'no event id', %who, name => 'no id in the body');

# rotation

my $b9 = event('evt_9', 'refund.created');
$r = $t->post('/hooks/stripe-rot', $b9, signed($b9, key => $old));
$t->accepted($r, 'invsync:refunds', 'rotation: old secret accepted');
my $b10 = event('evt_10', 'refund.created');
$r = $t->post('/hooks/stripe-rot', $b10, signed($b10));
$t->accepted($r, 'invsync:refunds', 'rotation: new secret accepted');

is($t->redis('XLEN', 'invsync:refunds'), 6, 'refunds stream holds six events');

$t->done;
