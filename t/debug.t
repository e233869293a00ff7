#!/usr/bin/perl

# Debug logging (an nginx built --with-debug, error_log at debug): one
# "invsync ..." line at each decision of an event's way, as nginx's own
# modules log theirs: the Redis connection, the scheme, the verification,
# the stream, the batch, the dedupe result and the answer's status; a
# refused event's verification result; a lost Redis connection's
# reconnection.  No line holds the secret, the signature or the body.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use InvsyncTest qw(hmac_b64);

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');

my $nginx = $t->{nginx};
my $v = `$nginx -V 2>&1`;
plan(skip_all => "$nginx is not built --with-debug")
    unless $v =~ /--with-debug/;

$t->run_redis;

my $secret = 'debug-secret-4f1c';
$t->write_file('hook.secret', "$secret\n");

$t->nginx_conf(<<'EOF');
    invsync_redis %%REDIS%%;

    server {
        listen 127.0.0.1:%%PORT%%;

        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/hook.secret;
        }
    }
EOF

$t->run;
$t->wait_ready(1) or die "redis not ready\n";
$t->plan(16);

my $body = '{"id":4711,"note":"body-marker-9e2d"}';
my $sig = hmac_b64($body, $secret);
my %h = (
    'X-Shopify-Hmac-Sha256' => $sig,
    'X-Shopify-Topic' => 'orders/create',
    'X-Shopify-Webhook-Id' => 'wh-debug-1',
    'X-Shopify-Shop-Domain' => 'shop-eu.myshopify.com',
    'Content-Type' => 'application/json',
);

sub has {
    my ($log, $re, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    ok($log =~ /\[debug\] .*$re/, $name)
        or diag(join "\n", grep { /invsync / } split /\n/, $log);
}

###############################################################################
# the connection, then an accepted event

my $log = $t->error_log;
has($log, qr/invsync redis \S+: connecting, auth none/, 'connect logged');
has($log, qr/invsync redis \S+: connected/, 'connected logged');

my $m = $t->mark;
$t->accepted($t->post('/hooks/shopify', $body, %h), 'invsync:orders',
             'signed event accepted');
$t->wait_log(qr/invsync reply status:200/, from => $m->{log});
$log = $t->log_since($m);

has($log, qr/invsync scheme "shopify", channel "shop-eu", body \d+ bytes/,
    'scheme logged');
has($log, qr/invsync verify: ok, secrets:1/, 'verify result logged');
has($log, qr/invsync stream "orders" for topic "orders\/create"/,
    'stream logged');
has($log, qr/invsync batch \S+ sealed: EVALSHA, events:1,/, 'batch sealed');
has($log, qr/invsync batch \S+ queued/, 'batch sent');
has($log, qr/invsync dedupe: new, entry \d+-\d+ in "invsync:orders"/,
    'dedupe result logged');
has($log, qr/invsync reply status:200/, 'answer status logged');

###############################################################################
# the same event again, then a bad signature

$m = $t->mark;
$t->duplicate($t->post('/hooks/shopify', $body, %h), 'again: duplicate');
$t->wait_log(qr/invsync reply status:200/, from => $m->{log});
has($t->log_since($m), qr/invsync dedupe: duplicate/, 'duplicate logged');

$m = $t->mark;
my $r = $t->post('/hooks/shopify', $body, %h,
                 'X-Shopify-Hmac-Sha256' => hmac_b64($body, 'wrong'));
is($r->{status}, 401, 'bad signature refused');
$t->wait_log(qr/invsync reply status:401/, from => $m->{log});
has($t->log_since($m), qr/invsync verify: signature/,
    'failed verification logged');

###############################################################################
# Redis goes away: the reconnection is planned

$m = $t->mark;
$t->stop_redis;
ok($t->wait_log(qr/invsync redis \S+: reconnect in \d+ ms/,
                from => $m->{log}), 'reconnect logged');

###############################################################################
# nothing secret in any of our lines

my @leak = grep { /invsync/ && (index($_, $secret) >= 0
                                || index($_, $sig) >= 0
                                || index($_, 'body-marker-9e2d') >= 0) }
           split /\n/, $t->error_log;
ok(!@leak, 'no secret, signature or body in a line of ours')
    or diag(join "\n", @leak);

$t->done;
