#!/usr/bin/perl

# The order backfill poller (channels[].poll_s): with no webhooks at all,
# the orders of the Shopify and WooCommerce simulators reach the worker by
# polling their REST APIs, are recorded and reserved once although every
# round polls them again (the overlap window), the mark moves, 429 with
# Retry-After is honoured; then with webhooks through nginx as well, an
# order delivered both ways is reserved exactly once.  And -t refuses a
# poll_s the poller cannot serve.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Time::HiRes qw(sleep time);
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for
                     audit_entries worker_bin map_sku);

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');
plan(skip_all => 'invsync-worker not built') unless -x worker_bin($t);
$t->run_redis;
$t->plan(27);

$t->write_file('shop.secret', "shpss_hook_secret\n");
$t->write_file('woo.secret', "woo&amp;secret\n");
$t->write_file('shop.token', "shpat_test\n");
$t->write_file('woo.keys', "ck_test:cs_test\n");

# no webhook_url: the channels send nothing, as if every webhook was lost
my $shop = InvsyncSim::start($t, 'shopify');
my $woo = InvsyncSim::start($t, 'woocommerce');

InvsyncSim::items($t, 'shopify',
    { inventory_item_id => 111, location_id => 9, available => 20,
      sku => 'SKU-A' },
    { inventory_item_id => 222, location_id => 9, available => 10,
      sku => 'SKU-B' },
    { inventory_item_id => 333, location_id => 9, available => 1000,
      sku => 'SKU-C' });
InvsyncSim::items($t, 'woocommerce',
    { id => 501, sku => 'SKU-A', manage_stock => JSON::PP::true,
      stock_quantity => 20 },
    { id => 502, sku => 'SKU-B', manage_stock => JSON::PP::true,
      stock_quantity => 10 },
    { id => 503, sku => 'SKU-C', manage_stock => JSON::PP::true,
      stock_quantity => 1000 });

my $K = 'invsync:{invsync}:';

# the counted stock, as invsyncctl writes it
map_sku($t, 'SKU-A', 111, 501);
map_sku($t, 'SKU-B', 222, 502);
map_sku($t, 'SKU-C', 333, 503);
$t->redis('HSET', "${K}stock:SKU-A", 'on_hand:wh1', 20);
$t->redis('HSET', "${K}stock:SKU-B", 'on_hand:wh1', 10);
$t->redis('HSET', "${K}stock:SKU-C", 'on_hand:wh1', 1000);

sub conf {
    my (%ch) = @_;
    return worker_conf($t, 'worker.json',
        consumer => { block_ms => 50, claim_idle_ms => 5000 },
        limits => { heartbeat_ms => 200, reconcile_s => 0 },
        retry => { attempts => 5, base_ms => 50, max_ms => 1000 },
        locations => [ { id => 'wh1' } ],
        channels => [
            { id => 'shop-eu', type => 'shopify', api_base => $shop,
              credentials_file => $t->dir . '/shop.token', poll_s => 1,
              stock => { locations => ['wh1'] }, %ch },
            { id => 'woo-main', type => 'woocommerce', api_base => $woo,
              credentials_file => $t->dir . '/woo.keys', poll_s => 1,
              stock => { locations => ['wh1'] } },
        ]);
}

# the configuration

my $bin = worker_bin($t);
my $bad = conf(api_base => undef);
my $out = `$bin -t -c $bad 2>&1`;
ok($? >> 8 == 1 && $out =~ /channels\[0\]: "poll_s" needs "api_base"/,
   '-t: poll_s without api_base is refused') or diag($out);
$bad = conf(poll_s => 0, poll_since_s => 60);
$out = `$bin -t -c $bad 2>&1`;
ok($? >> 8 == 1 && $out =~ /"poll_since_s" needs "poll_s"/,
   '-t: poll_since_s without poll_s is refused') or diag($out);

my $conf = conf();
$out = `$bin -t -c $conf 2>&1`;
is($? >> 8, 0, '-t: poll_s 1 on both channels is valid') or diag($out);
run_worker($t, 'w', $conf);

sub ledger {
    my ($sku) = @_;
    return { @{$t->redis('HGETALL', "${K}stock:$sku")} };
}

sub entries {
    my ($channel, $order) = @_;
    return [grep { $_->{channel} eq $channel
                   && decode_json($_->{body})->{id} == $order }
            map { $_->[1] } @{$t->stream('invsync:orders')}];
}

sub records {
    my ($channel, $order, $result) = @_;
    return scalar grep { ($_->{action} // '') eq 'order.record'
                         && $_->{channel} eq $channel
                         && ($_->{order} // '') eq "$channel:$order"
                         && (!defined $result || $_->{result} eq $result) }
           @{audit_entries($t)};
}

# orders that only polling can bring

my $s1 = InvsyncSim::order($t, 'shopify',
    line_items => [ { sku => 'SKU-A', quantity => 2 } ]);
my $s2 = InvsyncSim::order($t, 'shopify',
    line_items => [ { sku => 'SKU-B', quantity => 1 } ]);
my $w1 = InvsyncSim::order($t, 'woocommerce',
    line_items => [ { product_id => 501, quantity => 3 } ]);

ok(wait_for(10, sub { (ledger('SKU-A')->{unrouted} // 0) == 5
                      && (ledger('SKU-B')->{unrouted} // 0) == 1 }),
   'orders never sent as webhooks are reserved by polling')
    or diag(explain [ledger('SKU-A'), ledger('SKU-B'),
                     $t->read_file('logs/w.out')]);

ok(records('shop-eu', $s1->{id}, 'applied')
   && records('shop-eu', $s2->{id}, 'applied')
   && records('woo-main', $w1->{id}, 'applied'),
   'order.record audit entries for all three');

my $e = entries('shop-eu', $s1->{id})->[0] // {};
is_deeply([@$e{qw(v channel scheme topic)}],
          [1, 'shop-eu', 'shopify', 'orders/updated'],
          'a Shopify envelope like the module\'s');
is($e->{event}, "poll:$s1->{id}:$s1->{updated_at}",
   'its event is poll:<order id>:<updated_at>');
$e = entries('woo-main', $w1->{id})->[0] // {};
is_deeply([@$e{qw(v channel scheme topic event)}],
          [1, 'woo-main', 'woocommerce', 'order.updated',
           "poll:$w1->{id}:$w1->{date_modified_gmt}"],
          'a WooCommerce envelope like the module\'s');

# several more rounds, each seeing the same orders again (overlap window)

my $n0 = scalar grep { $_->{path} =~ m{/orders\.json\?} }
         @{InvsyncSim::requests($t, 'shopify')};
sleep 3.5;
my @polls = grep { $_->{path} =~ m{/orders\.json\?} }
            @{InvsyncSim::requests($t, 'shopify')};
ok(@polls - $n0 >= 2, sprintf 'Shopify polled again: %d rounds in 3.5 s',
                              @polls - $n0);
ok(scalar(grep { $_->{path} =~ m{/wp-json/wc/v3/orders\?.*modified_after=} }
          @{InvsyncSim::requests($t, 'woocommerce')}) >= 3,
   'WooCommerce polled with modified_after');
ok(!grep({ !defined $_->{headers}{'x-shopify-access-token'} } @polls),
   'each Shopify poll carries the access token');

is(scalar @{entries('shop-eu', $s1->{id})}
   + @{entries('shop-eu', $s2->{id})} + @{entries('woo-main', $w1->{id})},
   3, 'each order version was added to the stream once');
is(records('shop-eu', $s1->{id}) + records('shop-eu', $s2->{id})
   + records('woo-main', $w1->{id}), 3, 'and recorded once');
is_deeply([ledger('SKU-A')->{unrouted}, ledger('SKU-B')->{unrouted}],
          [5, 1], 'the reservations did not move');

my $mark = $t->redis('GET', "${K}pollmark:shop-eu") // '';
ok($mark =~ /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
   "the Shopify mark is an ISO time ($mark)");
like($t->redis('GET', "${K}polled:woo-main:$w1->{id}") // '',
     qr/^\Q$w1->{date_modified_gmt}\E$/, 'the polled key holds the version');

# 429 with Retry-After: the round is skipped, the next waits

InvsyncSim::fail($t, 'shopify', mode => '429', match => 'orders\.json',
                 count => 1, retry_after => '3');
ok(wait_for(5, sub { $t->read_file('logs/w.out')
                     =~ /"order poll throttled".*"delay_ms":3000/ }),
   '429 is logged with its Retry-After');
my $last = InvsyncSim::requests($t, 'shopify')->[-1]{n};
sleep 2;
is(scalar(grep { $_->{path} =~ m{/orders\.json} }
          @{InvsyncSim::requests($t, 'shopify', $last)}), 0,
   'no poll during Retry-After');
ok(wait_for(4, sub { grep { $_->{path} =~ m{/orders\.json} }
                     @{InvsyncSim::requests($t, 'shopify', $last)} }),
   'polling resumes after it');
unlike($t->read_file('logs/w.out'), qr/shpat_test|cs_test/,
       'no credentials in the log');

# more orders than one page holds: Shopify's Link rel="next" (250 a page)
# and WooCommerce's X-WP-TotalPages (100 a page) are followed

InvsyncSim::order($t, 'shopify', line_items => [ { sku => 'SKU-C' } ])
    for 1 .. 251;
InvsyncSim::order($t, 'woocommerce', line_items => [ { product_id => 503 } ])
    for 1 .. 101;
ok(wait_for(15, sub { (ledger('SKU-C')->{unrouted} // 0) == 352 }),
   '352 orders over two pages each: all reserved')
    or diag(explain [ledger('SKU-C')]);
ok($t->read_file('logs/w.out') =~ /"channel":"shop-eu","pages":2,/
   && $t->read_file('logs/w.out') =~ /"channel":"woo-main","pages":2,/,
   'both channels read two pages');

# webhooks as well, through nginx: each order arrives twice, counts once

$t->nginx_conf(<<'EOF');
    invsync_redis %%REDIS%%;

    server {
        listen 127.0.0.1:%%PORT%%;

        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/shop.secret;
        }

        location = /hooks/woo {
            invsync_webhook woocommerce;
            invsync_channel woo-main;
            invsync_secret_file %%TESTDIR%%/woo.secret;
        }
    }
EOF
$t->run;

my $hooks = 'http://127.0.0.1:' . $t->port('http');
InvsyncSim::configure($t, 'shopify', webhook_url => "$hooks/hooks/shopify",
                      webhook_secret => 'shpss_hook_secret');
InvsyncSim::configure($t, 'woocommerce', webhook_url => "$hooks/hooks/woo",
                      webhook_secret => 'woo&secret');

my $s3 = InvsyncSim::order($t, 'shopify',
    line_items => [ { sku => 'SKU-B', quantity => 2 } ]);
my $w2 = InvsyncSim::order($t, 'woocommerce',
    line_items => [ { product_id => 502, quantity => 3 } ]);

sub both_ways {
    my ($channel, $order) = @_;
    my @ev = map { $_->{event} } @{entries($channel, $order)};
    return (scalar grep { /^poll:/ } @ev) == 1
           && (scalar grep { !/^poll:/ } @ev) == 1;
}

ok(wait_for(10, sub { both_ways('shop-eu', $s3->{id})
                      && both_ways('woo-main', $w2->{id}) }),
   'the new orders came by webhook and by poll')
    or diag(explain [entries('shop-eu', $s3->{id}),
                     entries('woo-main', $w2->{id})]);
ok(wait_for(5, sub { (ledger('SKU-B')->{unrouted} // 0) >= 6 }),
   'and were reserved');
sleep 1.5;
is(ledger('SKU-B')->{unrouted}, 6, 'exactly once: 1 + 2 + 3 reserved')
    or diag(explain [ledger('SKU-B')]);
is(records('shop-eu', $s3->{id}, 'applied')
   + records('woo-main', $w2->{id}, 'applied'), 2,
   'one order.record applied each');

is(stop_worker($t, 'w'), 0, 'worker stops cleanly');

$t->done;
