#!/usr/bin/perl

# The generic hmac scheme through nginx and Redis: the configured signature
# header in hex or base64, with or without "sha256=", the event id and
# topic from configured headers, the body hash as event id without one, any
# body (not only JSON), rotation, and the 401 and 400 refusals.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(hmac_sha256_hex sha256_hex);
use InvsyncTest qw(hmac_b64);

my $secret = 'generic-s3cret-Key';
my $old = 'generic-old-Key';

my $t = InvsyncTest->setup(
    secrets => {
        'hmac.secret' => $secret,
        'old.secret'  => $old,
    },
    locations => <<'EOF');
        location = /hooks/hex {
            invsync_webhook hmac;
            invsync_channel gen-hex;
            invsync_secret_file %%TESTDIR%%/hmac.secret;
            invsync_hmac_header X-Signature;
            invsync_hmac_encoding hex;
            invsync_id_header X-Event-Id;
            invsync_topic_header X-Topic;
        }

        location = /hooks/b64 {
            invsync_webhook hmac;
            invsync_channel gen-b64;
            invsync_secret_file %%TESTDIR%%/hmac.secret;
            invsync_hmac_header X-Signature;
            invsync_hmac_encoding base64;
            invsync_id_header X-Event-Id;
            invsync_topic_header X-Topic;
        }

        location = /hooks/rot {
            invsync_webhook hmac;
            invsync_channel gen-rot;
            invsync_secret_file %%TESTDIR%%/old.secret;
            invsync_secret_file %%TESTDIR%%/hmac.secret;
            invsync_hmac_header X-Signature;
            invsync_id_header X-Event-Id;
        }
EOF

$t->run;
$t->wait_ready;
$t->plan(28);

sub hex_sig { hmac_sha256_hex($_[0], $_[1] // $secret) }

my %who = (scheme => 'hmac', channel => 'gen-hex', hide => [$secret]);

# hex, id and topic from the headers

my $body = '{"order":1001,"state":"paid"}';
my $r = $t->post('/hooks/hex', $body, 'X-Signature' => hex_sig($body),
                 'X-Event-Id' => 'ev-1', 'X-Topic' => 'order.paid',
                 'Content-Type' => 'application/json');
my $id = $t->accepted($r, 'invsync:other', 'hex signature accepted');
$t->envelope('invsync:other', $id, {
    channel => 'gen-hex', scheme => 'hmac', account => '',
    topic => 'order.paid', event => 'ev-1', body => $body,
}, 'envelope: event id and topic from the headers');

$r = $t->post('/hooks/hex', $body, 'X-Signature' => hex_sig($body),
              'X-Event-Id' => 'ev-1', 'X-Topic' => 'order.paid');
$t->duplicate($r, 'the same event again is a duplicate');
is($t->redis('XLEN', 'invsync:other'), 1, 'duplicate not stored');

my $b2 = '{"order":1002}';
$r = $t->post('/hooks/hex', $b2, 'X-Signature' => 'sha256=' . hex_sig($b2),
              'X-Event-Id' => 'ev-2', 'X-Topic' => 'order.paid');
$t->accepted($r, 'invsync:other', '"sha256=" prefixed signature accepted');

# no id header, not JSON: the body hash is the event id

my $text = "plain text, not JSON\n\x00\xff";
$r = $t->post('/hooks/hex', $text, 'X-Signature' => hex_sig($text),
              'Content-Type' => 'text/plain');
$id = $t->accepted($r, 'invsync:other', 'non-JSON body without id accepted');
$t->envelope('invsync:other', $id, {
    channel => 'gen-hex', scheme => 'hmac', account => '', topic => '',
    event => 'sha256:' . sha256_hex($text), body => $text,
}, 'envelope: event sha256:<hex of body>, body byte for byte');

$r = $t->post('/hooks/hex', $text, 'X-Signature' => hex_sig($text),
              'Content-Type' => 'text/plain');
$t->duplicate($r, 'the same body again is a duplicate');

# base64

my $b3 = '{"order":1003}';
$r = $t->post('/hooks/b64', $b3, 'X-Signature' => hmac_b64($b3, $secret),
              'X-Event-Id' => 'ev-3', 'X-Topic' => 'order.paid');
$id = $t->accepted($r, 'invsync:other', 'base64 signature accepted');
$t->envelope('invsync:other', $id, {
    channel => 'gen-b64', scheme => 'hmac', account => '',
    topic => 'order.paid', event => 'ev-3', body => $b3,
}, 'envelope of the base64 location');

$r = $t->post('/hooks/b64', $b3, 'X-Signature' => 'sha256=' . hmac_b64($b3, $secret),
              'X-Event-Id' => 'ev-3b');
$t->accepted($r, 'invsync:other', 'base64 with "sha256=" accepted');

my $m = $t->mark;
$r = $t->post('/hooks/b64', $b3, 'X-Signature' => hex_sig($b3),
              'X-Event-Id' => 'ev-3c');
$t->refused($m, $r, 401, 'signature mismatch', %who, channel => 'gen-b64',
            name => 'hex signature where base64 is configured');

# refusals

my $b4 = '{"order":1004}';

$m = $t->mark;
$r = $t->post('/hooks/hex', '{"order":1005}', 'X-Signature' => hex_sig($b4),
              'X-Event-Id' => 'ev-4');
$t->refused($m, $r, 401, 'signature mismatch', %who, name => 'tampered body',
            hide => [$secret, hex_sig($b4)]);

$m = $t->mark;
$r = $t->post('/hooks/hex', $b4, 'X-Signature' => hex_sig($b4, 'nope'),
              'X-Event-Id' => 'ev-4');
$t->refused($m, $r, 401, 'signature mismatch', %who, name => 'wrong secret');

$m = $t->mark;
$r = $t->post('/hooks/hex', $b4, 'X-Hub-Signature-256' => hex_sig($b4),
              'X-Event-Id' => 'ev-4');
$t->refused($m, $r, 401, 'missing signature', %who,
            name => 'signature in another header');

$m = $t->mark;
$r = $t->post('/hooks/hex', $b4, 'X-Signature' => hex_sig($b4),
              'X-Event-Id' => 'ev 4');
$t->refused($m, $r, 400,
            'malformed event: id, topic or account too long or not printable',
            %who, name => 'an event id with a space');

# rotation (hex by default)

$r = $t->post('/hooks/rot', $b4, 'X-Signature' => hex_sig($b4, $old),
              'X-Event-Id' => 'ev-5');
$t->accepted($r, 'invsync:other', 'rotation: old secret accepted');
$r = $t->post('/hooks/rot', $b4, 'X-Signature' => hex_sig($b4),
              'X-Event-Id' => 'ev-6');
$t->accepted($r, 'invsync:other', 'rotation: new secret accepted');

$t->done;
