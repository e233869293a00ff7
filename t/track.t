#!/usr/bin/perl

# Tracking back to the channels (docs/fulfilment.md, "Tracking back to the
# channel"): shipments shipped as ship_confirm.lua leaves them (state
# shipped, on K track:due) are told by the worker's track driver.  Shopify:
# the fulfillment order Shopify assigned elsewhere is moved to the mapped
# location, then fulfilled with the tracking; a 5xx and 429s on the way
# are retried (Retry-After respected) and make no second fulfillment, nor
# does an attempt whose create reached Shopify with its answer lost;
# an order Shopify does not have opens tracking_push_failed.  WooCommerce:
# the Shipment Tracking item, then status completed.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Time::HiRes qw(time);
use HTTP::Tiny;
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for audit_entries
                     worker_bin);

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');
plan(skip_all => 'invsync-worker not built') unless -x worker_bin($t);
$t->run_redis;
$t->plan(16);

$t->write_file('shop.token', "shpat_test\n");
$t->write_file('woo.keys', "ck_test:cs_test\n");

my $shop = InvsyncSim::start($t, 'shopify');
my $woo = InvsyncSim::start($t, 'woocommerce');

# SKU-A stocked at Shopify locations 9 and 10; the order lands at 9
InvsyncSim::items($t, 'shopify',
    { inventory_item_id => 111, location_id => 9, available => 20,
      sku => 'SKU-A' },
    { inventory_item_id => 111, location_id => 10, available => 20,
      sku => 'SKU-A' });
InvsyncSim::items($t, 'woocommerce',
    { id => 501, sku => 'SKU-A', manage_stock => JSON::PP::true,
      stock_quantity => 20 });

my $K = 'invsync:{invsync}:';

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    limits => { heartbeat_ms => 200, reconcile_s => 0 },
    locations => [ { id => 'wh1' }, { id => 'wh2' } ],
    channels => [
        { id => 'shop-eu', type => 'shopify', api_base => $shop,
          credentials_file => $t->dir . '/shop.token',
          options => { locations => { wh1 => 9, wh2 => 10 } } },
        { id => 'woo-main', type => 'woocommerce', api_base => $woo,
          credentials_file => $t->dir . '/woo.keys' },
    ]);

my $bin = worker_bin($t);
my $out = `$bin -t -c $conf 2>&1`;
is($? >> 8, 0, '-t: options.locations maps ledger locations') or diag($out);
my $bad = worker_conf($t, 'bad.json', locations => [ { id => 'wh1' } ],
    channels => [ { id => 'shop-eu', type => 'shopify', api_base => $shop,
                    credentials_file => $t->dir . '/shop.token',
                    options => { locations => { wh1 => 'Lyon' } } } ]);
$out = `$bin -t -c $bad 2>&1`;
ok($? >> 8 == 1 && $out =~ /"locations"\."wh1" is not a Shopify location id/,
   '-t: a location that is no Shopify id is refused') or diag($out);

# a shipment as ship_confirm.lua leaves it
sub shipped {
    my ($channel, $oid, $loc, $lines, %f) = @_;
    my $id = "$channel:$oid\@$loc";
    $t->redis('HSET', "${K}shipment:$id", order => "$channel:$oid",
        channel => $channel, order_id => $oid, location => $loc,
        kind => 'manual', state => 'shipped', version => '1',
        lines => encode_json($lines), carrier => $f{carrier} // 'UPS',
        service => 'Ground', tracking => $f{tracking} // "1Z$oid",
        tracking_url => $f{url} // '', shipped_at => int(time * 1000),
        attempts => 0);
    $t->redis('SADD', "${K}shipments:$channel:$oid", $id);
    $t->redis('ZADD', "${K}track:due", int(time * 1000), $id);
    return $id;
}

sub field { $t->redis('HGET', "${K}shipment:$_[0]", $_[1]) // '' }

# the first look answers 503, then two 429s with Retry-After: 1
InvsyncSim::fail($t, 'shopify', mode => '5xx', count => 1, status => 503,
                 match => 'graphql');
my $o1 = InvsyncSim::order($t, 'shopify', location_id => 9,
    line_items => [ { sku => 'SKU-A', quantity => 2 } ]);
my $s1 = shipped('shop-eu', $o1->{id}, 'wh2',
    [ { line_id => "$o1->{line_items}[0]{id}", sku => 'SKU-A', qty => 2 } ]);

run_worker($t, 'w', $conf);

ok(wait_for(30, sub { field($s1, 'state') eq 'tracked' }),
   'Shopify: the shipment is tracked after a 503')
    or diag(explain [{ @{$t->redis('HGETALL', "${K}shipment:$s1")} },
                     $t->read_file('logs/w.out')]);

my $st = InvsyncSim::state($t, 'shopify');
my @f = grep { $_->{order_id} == $o1->{id} } @{$st->{fulfillments}};
is(scalar @f, 1, 'one fulfillment');
is_deeply([$f[0]{location_id}, $f[0]{tracking}[0]{company},
           $f[0]{tracking}[0]{number}, $f[0]{lines}[0]{quantity}],
          [10, 'UPS', "1Z$o1->{id}", 2],
          'at the location invsync chose (moved from 9 to 10), with the '
          . 'tracking') or diag(explain \@f);
is(field($s1, 'tracked_ref'), "gid://shopify/Fulfillment/$f[0]{id}",
   'tracked_ref is the fulfillment');
ok((grep { ($_->{action} // '') eq 'shipment.track'
           && ($_->{shipment} // '') eq $s1 } @{audit_entries($t)}),
   'audit entry shipment.track');

# 429s: waited for as long as Retry-After says
InvsyncSim::fail($t, 'shopify', mode => '429', count => 2, retry_after => 1,
                 match => 'graphql');
my $o2 = InvsyncSim::order($t, 'shopify', location_id => 10,
    line_items => [ { sku => 'SKU-A', quantity => 1 } ]);
my $s2 = shipped('shop-eu', $o2->{id}, 'wh2',
    [ { line_id => "$o2->{line_items}[0]{id}", sku => 'SKU-A', qty => 1 } ],
    carrier => 'Local Couriers', url => 'https://lc.example/t/1');
ok(wait_for(30, sub { field($s2, 'state') eq 'tracked' }),
   'Shopify: tracked after two 429s');
my @rq = grep { $_->{path} =~ /graphql/ }
         @{InvsyncSim::requests($t, 'shopify')};
my ($gap) = map { $rq[$_ + 1]{time} - $rq[$_]{time} }
            grep { $rq[$_]{status} == 429 } 0 .. $#rq - 1;
ok(defined $gap && $gap >= 0.9, 'the next request waited for Retry-After')
    or diag("gap " . ($gap // 'none'));
@f = grep { $_->{order_id} == $o2->{id} }
     @{InvsyncSim::state($t, 'shopify')->{fulfillments}};
is_deeply([scalar @f, $f[0]{tracking}[0]{url}],
          [1, 'https://lc.example/t/1'],
          'a carrier Shopify does not know goes with its URL');

# an order Shopify does not have: refused, an exception
my $s3 = shipped('shop-eu', '999999', 'wh1',
    [ { line_id => '1', sku => 'SKU-A', qty => 1 } ]);
ok(wait_for(30, sub { $t->redis('ZSCORE', "${K}exceptions:open",
                                "tracking_push_failed:$s3") }),
   'tracking_push_failed for an order Shopify does not have')
    or diag(explain [$t->redis('ZRANGE', "${K}exceptions:open", 0, -1)]);

# an attempt whose fulfillmentCreate reached Shopify but whose answer was
# lost: the fulfillment is there already; the next attempt finds it
my $o5 = InvsyncSim::order($t, 'shopify', location_id => 10,
    line_items => [ { sku => 'SKU-A', quantity => 1 } ]);
my $fo = (grep { $_->{order_id} == $o5->{id} }
          @{InvsyncSim::state($t, 'shopify')->{fulfillment_orders}})[0];
my $gql = HTTP::Tiny->new->post(
    InvsyncSim::url($t, 'shopify', '/admin/api/2026-04/graphql.json'),
    { headers => { 'Content-Type' => 'application/json',
                   'X-Shopify-Access-Token' => 'shpat_test' },
      content => encode_json({ query => 'mutation M($f: FulfillmentInput!) '
          . '{ fulfillmentCreate(fulfillment: $f) { fulfillment { id } '
          . 'userErrors { message } } }',
          variables => { f => { lineItemsByFulfillmentOrder => [
              { fulfillmentOrderId => "gid://shopify/FulfillmentOrder/$fo->{id}" } ],
              trackingInfo => { company => 'UPS',
                                number => "1Z$o5->{id}" } } } }) });
my $s5 = shipped('shop-eu', $o5->{id}, 'wh2',
    [ { line_id => "$o5->{line_items}[0]{id}", sku => 'SKU-A', qty => 1 } ]);
ok(wait_for(30, sub { field($s5, 'state') eq 'tracked' }),
   'a shipment Shopify has a fulfillment of already is tracked')
    or diag($gql->{content});
@f = grep { $_->{order_id} == $o5->{id} }
     @{InvsyncSim::state($t, 'shopify')->{fulfillments}};
is_deeply([scalar @f, field($s5, 'tracked_ref')],
          [1, "gid://shopify/Fulfillment/$f[0]{id}"],
          'no second fulfillment: the one found is its tracked_ref');

# WooCommerce: the tracking item, then completed
my $w1 = InvsyncSim::order($t, 'woocommerce',
    line_items => [ { product_id => 501, quantity => 1 } ]);
my $s4 = shipped('woo-main', $w1->{id}, 'wh1',
    [ { line_id => "$w1->{line_items}[0]{id}", sku => 'SKU-A', qty => 1 } ],
    carrier => 'USPS', tracking => '9400100000000000000001');
ok(wait_for(30, sub { field($s4, 'state') eq 'tracked' }), 'WooCommerce: '
   . 'tracked');
my ($wo) = grep { $_->{id} == $w1->{id} }
           @{InvsyncSim::state($t, 'woocommerce')->{shipped}};
is_deeply([$wo->{status}, scalar @{$wo->{trackings}},
           $wo->{trackings}[0]{tracking_number},
           $wo->{trackings}[0]{tracking_provider}],
          ['completed', 1, '9400100000000000000001', 'USPS'],
          'one tracking item and status completed') or diag(explain $wo);

is(stop_worker($t, 'w'), 0, 'worker stops cleanly');

$t->done;
