#!/usr/bin/perl

# The standard scheme (Standard Webhooks and Svix) through nginx and Redis:
# webhook-* and svix-* headers, the base64 "whsec_" secret, signature lists
# (a wrong v1 before the right one, v1a ignored), stale, future and
# non-canonical timestamps, the published vector of the project notes
# (section 15.1) under a huge invsync_tolerance, the webhook id as event id,
# rotation, and the 401 and 400 refusals.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64 decode_base64);
use InvsyncTest;

my $key = 'standard-webhooks key of 32 byte';
my $secret = 'whsec_' . encode_base64($key, '');
my $oldkey = 'the old key, 24 bytes!!!';
my $old = 'whsec_' . encode_base64($oldkey, '');

my $t = InvsyncTest->setup(
    secrets => {
        'std.secret'    => $secret,
        'old.secret'    => $old,
        'vector.secret' => 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    },
    locations => <<'EOF');
        location = /hooks/std {
            invsync_webhook standard;
            invsync_channel std-main;
            invsync_secret_file %%TESTDIR%%/std.secret;
        }

        location = /hooks/std-rot {
            invsync_webhook standard;
            invsync_channel std-rot;
            invsync_secret_file %%TESTDIR%%/old.secret;
            invsync_secret_file %%TESTDIR%%/std.secret;
        }

        location = /hooks/std-vector {
            invsync_webhook standard;
            invsync_channel std-vector;
            invsync_secret_file %%TESTDIR%%/vector.secret;
            invsync_tolerance 100000d;
        }
EOF

$t->run;
$t->wait_ready;
$t->plan(47);

sub sig {
    my ($id, $ts, $body, $k) = @_;
    return 'v1,' . encode_base64(hmac_sha256("$id.$ts.$body", $k // $key), '');
}

sub signed {
    my ($body, %o) = @_;
    my $p = $o{prefix} // 'webhook';
    my $id = $o{id} // 'msg_1';
    my $ts = $o{ts} // time;
    my %h = ("$p-id" => $id, "$p-timestamp" => $ts,
             "$p-signature" => $o{sig} // sig($id, $ts, $body, $o{key}),
             'Content-Type' => 'application/json');
    delete $h{"$p-$_"} for @{$o{drop} || []};
    return %h;
}

my %who = (scheme => 'standard', channel => 'std-main', hide => [$secret]);

# accepted

my $body = '{"type":"invoice.paid","timestamp":"2024-08-02T19:26:52Z","data":{"id":1}}';
my $r = $t->post('/hooks/std', $body, signed($body, id => 'msg_1'));
my $id = $t->accepted($r, 'invsync:other', 'webhook-* headers accepted');
$t->envelope('invsync:other', $id, {
    channel => 'std-main', scheme => 'standard', account => '',
    topic => 'invoice.paid', event => 'msg_1', body => $body,
}, 'envelope: webhook-id as event, type as topic');

$r = $t->post('/hooks/std', $body, signed($body, id => 'msg_1', ts => time - 2));
$t->duplicate($r, 'a retry of the same message is a duplicate');
is($t->redis('XLEN', 'invsync:other'), 1, 'duplicate not stored');

my $b2 = '{"type":"order.created","data":{"id":2}}';
$r = $t->post('/hooks/std', $b2, signed($b2, prefix => 'svix', id => 'msg_2'));
$id = $t->accepted($r, 'invsync:other', 'svix-* headers accepted');
$t->envelope('invsync:other', $id, {
    channel => 'std-main', scheme => 'standard', account => '',
    topic => 'order.created', event => 'msg_2', body => $b2,
}, 'envelope: svix-id as event');

# no type: an empty topic
my $b3 = '[1,2,3]';
$r = $t->post('/hooks/std', $b3, signed($b3, id => 'msg_3'));
$id = $t->accepted($r, 'invsync:other', 'a JSON array without a type accepted');
is({@{$t->redis('XRANGE', 'invsync:other', $id, $id)->[0][1]}}->{topic}, '',
   'empty topic');

# signature lists

my $now = time;
my $b4 = '{"type":"x","n":4}';
my $right = sig('msg_4', $now, $b4);
my $wrong = sig('msg_4', $now, $b4, 'another key');
$r = $t->post('/hooks/std', $b4,
              signed($b4, id => 'msg_4', ts => $now, sig => "$wrong $right"));
$t->accepted($r, 'invsync:other', 'a wrong v1 then the right one: accepted');

my $b5 = '{"type":"x","n":5}';
$right = sig('msg_5', $now, $b5);
(my $v1a = $right) =~ s/^v1,/v1a,/;
$r = $t->post('/hooks/std', $b5,
              signed($b5, id => 'msg_5', ts => $now,
                     sig => "v1a,AAAA v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= $right"));
$t->accepted($r, 'invsync:other', 'v1a entries skipped, the right v1 accepted');

my $m = $t->mark;
$r = $t->post('/hooks/std', $b5,
              signed($b5, id => 'msg_5', ts => $now, sig => "$v1a $wrong"));
$t->refused($m, $r, 401, 'signature mismatch', %who,
            name => 'the right MAC as v1a only');

# timestamps

my $b6 = '{"type":"x","n":6}';

$m = $t->mark;
$r = $t->post('/hooks/std', $b6, signed($b6, id => 'msg_6', ts => time - 400));
$t->refused($m, $r, 401, 'timestamp too old', %who, name => 'now - 400');

$m = $t->mark;
$r = $t->post('/hooks/std', $b6, signed($b6, id => 'msg_6', ts => time + 400));
$t->refused($m, $r, 401, 'timestamp in the future', %who, name => 'now + 400');

$m = $t->mark;
$r = $t->post('/hooks/std', $b6, signed($b6, id => 'msg_6', ts => '0' . time));
$t->refused($m, $r, 401, 'missing or malformed timestamp', %who,
            name => 'a leading zero');

$m = $t->mark;
$r = $t->post('/hooks/std', $b6,
              signed($b6, id => 'msg_6', drop => ['timestamp']));
$t->refused($m, $r, 401, 'missing or malformed timestamp', %who,
            name => 'no webhook-timestamp');

# 401

my %h;
$m = $t->mark;
%h = signed($b6, id => 'msg_6');
$r = $t->post('/hooks/std', '{"type":"x","n":7}', %h);
$t->refused($m, $r, 401, 'signature mismatch', %who, name => 'tampered body',
            hide => [$secret, substr($h{'webhook-signature'}, 3)]);

$m = $t->mark;
$r = $t->post('/hooks/std', $b6, signed($b6, id => 'msg_6', key => 'wrong'));
$t->refused($m, $r, 401, 'signature mismatch', %who, name => 'wrong secret');

$m = $t->mark;
$r = $t->post('/hooks/std', $b6,
              signed($b6, id => 'msg_6', drop => ['signature']));
$t->refused($m, $r, 401, 'missing signature', %who,
            name => 'no webhook-signature');

# 400

$m = $t->mark;
$r = $t->post('/hooks/std', 'hello', signed('hello', id => 'msg_8'));
$t->refused($m, $r, 400, 'body is not valid JSON', %who, name => 'not JSON');

$m = $t->mark;
$r = $t->post('/hooks/std', $b6, signed($b6, id => 'msg_6', drop => ['id']));
$t->refused($m, $r, 400, 'no event id', %who, name => 'no webhook-id');

# rotation

my $b9 = '{"type":"x","n":9}';
$r = $t->post('/hooks/std-rot', $b9, signed($b9, id => 'msg_9', key => $oldkey));
$t->accepted($r, 'invsync:other', 'rotation: old secret accepted');
$r = $t->post('/hooks/std-rot', $b9, signed($b9, id => 'msg_10'));
$t->accepted($r, 'invsync:other', 'rotation: new secret accepted');

# the published vector of section 15.1, from 2021: invsync_tolerance 100000d

my $vb = '{"test": 2432232314}';
my %vh = ('webhook-id' => 'msg_p5jXN8AQM9LWM0D4loKWxJek',
          'webhook-timestamp' => '1614265330',
          'webhook-signature' => 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
          'Content-Type' => 'application/json');
$r = $t->post('/hooks/std-vector', $vb, %vh);
$id = $t->accepted($r, 'invsync:other', 'published vector accepted');
$t->envelope('invsync:other', $id, {
    channel => 'std-vector', scheme => 'standard', account => '',
    topic => '', event => 'msg_p5jXN8AQM9LWM0D4loKWxJek', body => $vb,
}, 'envelope of the published vector');

$m = $t->mark;
$r = $t->post('/hooks/std-vector', $vb, %vh, 'webhook-signature'
              => 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=');
$t->refused($m, $r, 401, 'signature mismatch', %who, channel => 'std-vector',
            name => 'published negative: last character changed');

$t->done;
