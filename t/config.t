#!/usr/bin/perl

# Configuration checks at nginx -t: each mistake in the invsync directives
# fails with an [emerg] naming the problem (scheme without secret, unknown
# scheme, missing or empty secret file, tiktok without app key, hmac without
# header, bad channel or stream names, bad Redis address, zero dedupe ttl,
# and a few more); a configuration using every directive of CONTRACT
# section 2 passes, runs, and invsync_prefix and invsync_dispatch decide
# the stream.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use InvsyncTest qw(hmac_b64);

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');

my $secret = 'hush';
$t->write_file('hook.secret', "$secret\n");
$t->write_file('empty.secret', "\n");
$t->write_file('redis.auth', "s3cret\n");
$t->write_file('long.secret', 'x' x 600);

my @bad = (
    ['scheme without secret file',
     'invsync_webhook shopify;',
     qr/"invsync_webhook shopify" requires "invsync_secret_file"/],
    ['unknown scheme',
     'invsync_webhook shopfiy; invsync_secret_file %%TESTDIR%%/hook.secret;',
     qr/unknown invsync_webhook scheme "shopfiy", known: .*shopify.*woocommerce/],
    ['missing secret file',
     'invsync_webhook shopify; invsync_secret_file %%TESTDIR%%/nope.secret;',
     qr/open\(\) ".*nope\.secret" failed/],
    ['empty secret file',
     'invsync_webhook shopify; invsync_secret_file %%TESTDIR%%/empty.secret;',
     qr/secret file ".*empty\.secret" is empty/],
    ['secret file too large',
     'invsync_webhook shopify; invsync_secret_file %%TESTDIR%%/long.secret;',
     qr/secret file ".*long\.secret" is larger than 512 bytes/],
    ['tiktok without app key',
     'invsync_webhook tiktok; invsync_secret_file %%TESTDIR%%/hook.secret;',
     qr/"invsync_webhook tiktok" requires "invsync_app_key"/],
    ['hmac without header',
     'invsync_webhook hmac; invsync_secret_file %%TESTDIR%%/hook.secret;',
     qr/"invsync_webhook hmac" requires "invsync_hmac_header"/],
    ['channel with a quote',
     'invsync_webhook shopify; invsync_secret_file %%TESTDIR%%/hook.secret; '
     . q(invsync_channel 'a"b';),
     qr/invalid "invsync_channel" "a"b"/],
    ['channel with a space',
     'invsync_webhook shopify; invsync_secret_file %%TESTDIR%%/hook.secret; '
     . 'invsync_channel "shop eu";',
     qr/invalid "invsync_channel" "shop eu"/],
    ['channel too long',
     'invsync_webhook shopify; invsync_secret_file %%TESTDIR%%/hook.secret; '
     . 'invsync_channel ' . ('c' x 64) . ';',
     qr/"invsync_channel" is longer than 63 bytes/],
    ['bad dispatch stream',
     'invsync_webhook shopify; invsync_secret_file %%TESTDIR%%/hook.secret; '
     . 'invsync_dispatch orders/create "my stream";',
     qr/invalid "invsync_dispatch" stream "my stream"/],
    ['bad hmac encoding',
     'invsync_webhook hmac; invsync_secret_file %%TESTDIR%%/hook.secret; '
     . 'invsync_hmac_header X-Sig; invsync_hmac_encoding base32;',
     qr/invalid value "base32"/],
    ['dedupe ttl 0',
     'invsync_webhook shopify; invsync_secret_file %%TESTDIR%%/hook.secret; '
     . 'invsync_dedupe_ttl 0;',
     qr/"invsync_dedupe_ttl" must be positive/],
    ['duplicate invsync_webhook',
     'invsync_webhook shopify; invsync_webhook stripe; '
     . 'invsync_secret_file %%TESTDIR%%/hook.secret;',
     qr/"invsync_webhook" directive is duplicate/],
);

my @bad_http = (
    ['bad redis port', 'invsync_redis 1.2.3.4:notaport;',
     qr/invalid "invsync_redis" address "1\.2\.3\.4:notaport"/],
    ['redis auth file missing', 'invsync_redis_auth_file %%TESTDIR%%/nope;',
     qr/open\(\) ".*nope" failed/],
    ['invsync_redis twice', 'invsync_redis 127.0.0.1:1; invsync_redis 127.0.0.1:2;',
     qr/"invsync_redis" directive is duplicate/],
    ['invsync_redis_timeout not a time', 'invsync_redis_timeout soon;',
     qr/"invsync_redis_timeout" directive invalid value/],
);

$t->plan(2 * (@bad + @bad_http) + 8);

sub conf {
    my ($http, $loc) = @_;
    $t->nginx_conf(<<"EOF");
    $http
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /hook {
            $loc
        }
    }
EOF
}

sub fails {
    my ($name, $re) = @_;
    my ($rc, $out) = $t->nginx_test;
    isnt($rc, 0, "$name: nginx -t fails");
    like($out, qr/\[emerg\] .*$re.* in \Q${\ $t->dir}\E\/conf\/nginx\.conf:\d+/,
         "$name: [emerg] names it") or diag($out);
}

for my $c (@bad) {
    conf('', $c->[1]);
    fails($c->[0], $c->[2]);
}

for my $c (@bad_http) {
    conf($c->[1], 'return 204;');
    fails($c->[0], $c->[2]);
}

# the failures above logged their [emerg]: start the log afresh for the
# final no-alert check of the running configuration
$t->write_file('logs/error.log', '');

###############################################################################
# every directive

$t->run_redis('--requirepass', 's3cret');

$t->nginx_conf(<<'EOF');
    invsync_redis %%REDIS%%;
    invsync_redis_auth_file %%TESTDIR%%/redis.auth;
    invsync_redis_timeout 2s;
    invsync_prefix shop1;

    server {
        listen 127.0.0.1:%%PORT%%;

        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/empty-not.secret;
            invsync_secret_file %%TESTDIR%%/hook.secret;
            invsync_tolerance 10m;
            invsync_dedupe_ttl 96h;
            invsync_dispatch customers/* crm;
            invsync_dispatch * misc;
        }

        location = /hooks/generic {
            invsync_webhook hmac;
            invsync_channel erp.main_1:x;
            invsync_secret_file %%TESTDIR%%/hook.secret;
            invsync_hmac_header X-Signature;
            invsync_hmac_encoding base64;
            invsync_id_header X-Event-Id;
            invsync_topic_header X-Event-Type;
        }

        location = /hooks/square {
            invsync_webhook square;
            invsync_secret_file %%TESTDIR%%/hook.secret;
            invsync_notification_url https://example.com$request_uri;
        }

        location = /hooks/tiktok {
            invsync_webhook tiktok;
            invsync_secret_file %%TESTDIR%%/hook.secret;
            invsync_app_key app123;
        }

        location = /hooks/stripe {
            invsync_webhook stripe;
            invsync_secret_file %%TESTDIR%%/hook.secret;
        }

        location = /hooks/standard {
            invsync_webhook standard;
            invsync_secret_file %%TESTDIR%%/std.secret;
        }

        location = /hooks/woo {
            invsync_webhook woocommerce;
            invsync_secret_file %%TESTDIR%%/hook.secret;
        }

        location = /status {
            invsync_status;
        }
    }
EOF
$t->write_file('empty-not.secret', "old-secret\n");
$t->write_file('std.secret', "whsec_" . MIME::Base64::encode_base64('k' x 32, '') . "\n");

my ($rc, $out) = $t->nginx_test;
# under ASan the exit code also counts the leaks nginx itself leaves at exit
ok(($rc == 0 || $ENV{INVSYNC_ASAN}) && $out =~ /test is successful/
   && $out !~ /\[(emerg|warn)\]/, 'every directive: nginx -t passes')
    or diag($out);

forget_nginx_t_leaks();
$t->run;
$t->wait_ready(1) or diag('not ready');
$t->redis("AUTH", "s3cret");

# nginx -t exits without freeing its configuration cycle, so under ASan
# every block of it (some allocated from our create_loc_conf) is reported
# as a leak of that short-lived process: keep its memory errors, drop its
# leak reports.
sub forget_nginx_t_leaks {
    opendir my $dh, $t->dir . '/logs' or return;
    for my $f (grep { /^asan/ } readdir $dh) {
        my $p = $t->dir . "/logs/$f";
        unlink $p unless $t->read_file($p) =~ /ERROR: AddressSanitizer|runtime error/;
    }
}

sub shop {
    my ($topic, $id) = @_;
    my $body = qq({"id":"$id"});
    return $t->post('/hooks/shopify', $body,
                    'X-Shopify-Hmac-Sha256' => hmac_b64($body, $secret),
                    'X-Shopify-Topic' => $topic,
                    'X-Shopify-Webhook-Id' => $id);
}

my $r = shop('orders/create', 'e1');
like($r->{content}, qr/^\{"status":"accepted","stream":"shop1:orders","id":"\d+-\d+"\}$/,
     'invsync_prefix: shop1:orders');
is($t->stream('shop1:orders')->[0][1]{event}, 'e1', 'stored in shop1:orders');
ok($t->redis('TTL', 'shop1:{shop1:orders}:idem:7:shop-eu:13:orders/create:2:e1')
   > 95 * 3600, 'dedupe key under the prefix, with invsync_dedupe_ttl');

like(shop('customers/create', 'e2')->{content},
     qr/"stream":"shop1:crm"/, 'invsync_dispatch row');
like(shop('app/uninstalled', 'e3')->{content},
     qr/"stream":"shop1:misc"/, 'invsync_dispatch *');

# a rotated secret: any one of the files verifies
my $body = '{"id":"e4"}';
like($t->post('/hooks/shopify', $body,
              'X-Shopify-Hmac-Sha256' => hmac_b64($body, 'old-secret'),
              'X-Shopify-Topic' => 'orders/create',
              'X-Shopify-Webhook-Id' => 'e4')->{content},
     qr/"status":"accepted"/, 'second invsync_secret_file verifies too');

$body = '{"n":1}';
my $st = $t->post('/hooks/generic', $body,
                  'X-Signature' => hmac_b64($body, $secret),
                  'X-Event-Id' => 'g1', 'X-Event-Type' => 'order.paid');
like($st->{content}, qr/"status":"accepted"/, 'generic hmac, base64, accepted')
    or diag("$st->{status} $st->{content}");

$t->done;
