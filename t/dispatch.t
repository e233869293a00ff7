#!/usr/bin/perl

# Topic to stream dispatch through nginx and Redis: invsync_dispatch exact
# and prefix rows before the scheme's table, "*" as the default for topics
# neither maps, "other" without it, and invsync_prefix naming every stream
# and key.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use InvsyncTest qw(hmac_b64);

my $secret = 'dispatch-secret-K';

my $locations = <<'EOF';
        location = /d/plain {
            invsync_webhook shopify;
            invsync_channel d-plain;
            invsync_secret_file %%TESTDIR%%/shopify.secret;
        }

        location = /d/custom {
            invsync_webhook shopify;
            invsync_channel d-custom;
            invsync_secret_file %%TESTDIR%%/shopify.secret;
            invsync_dispatch orders/create custom;
            invsync_dispatch refunds/create orders;
        }

        location = /d/prefix {
            invsync_webhook shopify;
            invsync_channel d-prefix;
            invsync_secret_file %%TESTDIR%%/shopify.secret;
            invsync_dispatch orders/create first;
            invsync_dispatch 'orders/*' o2;
        }

        location = /d/catchall {
            invsync_webhook shopify;
            invsync_channel d-catchall;
            invsync_secret_file %%TESTDIR%%/shopify.secret;
            invsync_dispatch * catchall;
        }
EOF

my $t = InvsyncTest->setup(secrets => { 'shopify.secret' => $secret },
                           locations => $locations);

$t->run;
$t->wait_ready;
$t->plan(21);

my $n = 0;

# posts one signed shopify event; returns the answer
sub send_topic {
    my ($path, $topic, $id) = @_;
    my $body = '{"id":' . ++$n . '}';
    return $t->post($path, $body,
                    'X-Shopify-Hmac-Sha256' => hmac_b64($body, $secret),
                    'X-Shopify-Topic' => $topic,
                    'X-Shopify-Webhook-Id' => $id // "ev-$n",
                    'Content-Type' => 'application/json');
}

sub routes {
    my ($path, $prefix, %want) = @_;
    for my $topic (sort keys %want) {
        my $r = send_topic($path, $topic);
        my $id = $t->accepted($r, "$prefix:$want{$topic}",
                              "$path: $topic goes to $prefix:$want{$topic}");
    }
}

routes('/d/plain', 'invsync',
       'orders/create' => 'orders',
       'app/uninstalled' => 'other',
       'shop/update' => 'other');

routes('/d/custom', 'invsync',
       'orders/create' => 'custom',
       'orders/paid' => 'orders',
       'refunds/create' => 'orders',
       'fulfillments/create' => 'fulfillments');

routes('/d/prefix', 'invsync',
       'orders/create' => 'first',
       'orders/paid' => 'o2',
       'orders/cancelled' => 'o2',
       'ordersx' => 'other',
       'refunds/create' => 'refunds');

routes('/d/catchall', 'invsync',
       'app/uninstalled' => 'catchall',
       'orders/create' => 'orders',
       'inventory_levels/update' => 'stock');

is($t->redis('XLEN', 'invsync:custom'), 1, 'invsync:custom holds one entry');
is({@{$t->redis('XRANGE', 'invsync:catchall', '-', '+')->[0][1]}}->{topic},
   'app/uninstalled', 'the catch-all entry keeps its topic');

# invsync_prefix

$t->stop_nginx;
$t->redis('FLUSHALL');

$t->nginx_conf(<<"EOF");
    invsync_redis %%REDIS%%;
    invsync_prefix shop1;

    server {
        listen 127.0.0.1:%%PORT%%;

$locations
    }
EOF

my $from = length $t->error_log;
$t->run;
$t->wait_ready(1, $from);

my $r = send_topic('/d/plain', 'orders/create', 'ev-p1');
$t->accepted($r, 'shop1:orders', 'invsync_prefix: shop1:orders');
$r = send_topic('/d/custom', 'orders/create', 'ev-p2');
$t->accepted($r, 'shop1:custom', 'invsync_prefix: a dispatch stream too');

my @keys = sort @{$t->redis('KEYS', '*')};
is_deeply([grep { !/:epoch$/ } @keys],
          [sort 'shop1:orders', 'shop1:custom',
                'shop1:{shop1:orders}:idem:7:d-plain:13:orders/create:5:ev-p1',
                'shop1:{shop1:custom}:idem:8:d-custom:13:orders/create:5:ev-p2'],
          'invsync_prefix names every stream and key');
# the epoch, and a marker for each stream a location may write to
ok(!grep({ !/^shop1:\{shop1(:\w+)?\}:epoch$/ } grep { /:epoch$/ } @keys)
   && (grep { $_ eq 'shop1:{shop1}:epoch' } @keys)
   && (grep { $_ eq 'shop1:{shop1:custom}:epoch' } @keys)
   && (grep { $_ eq 'shop1:{shop1:catchall}:epoch' } @keys)
   && (grep { $_ eq 'shop1:{shop1:other}:epoch' } @keys),
   'invsync_prefix names the epoch and its markers') or diag("@keys");

$t->done;
