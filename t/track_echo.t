#!/usr/bin/perl

# The channel's echo of a shipment invsync told it (Shopify's
# fulfillments/create, WooCommerce's order.updated "completed"): the
# order-level ship movement it causes moves nothing once the order has
# shipments, which took the stock at their locations (ship_confirm.lua);
# an order without shipments still ships as before.  ledger.lua against a
# real Redis, argument by argument.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');
$t->run_redis;
$t->plan(4);

my $K = 'p:{p}:';
my $json = JSON::PP->new->canonical;
my $gen = $t->root . '/src/core/gen_scripts.pl';
my $ledger = `perl $gen --lua ${\ $t->root}/src/core/lua/ledger.lua`;
die "gen_scripts.pl: $?\n" if $? != 0;
my $n = 0;

sub ledger_call {
    my ($cause, %m) = @_;
    return $t->redis('EVAL', $ledger, 2, "${K}done:ledger:$cause",
                     "${K}audit", 3600, 1000 + $n++, $K,
                     $json->encode(\%m), 1000, 'action', "stock.$m{kind}");
}

sub on_hand { $t->redis('HGET', "${K}stock:$_[0]", 'on_hand:w1') + 0 }

$t->redis('HSET', "${K}stock:A", 'on_hand:w1', 10);
$t->redis('HSET', "${K}stock:B", 'on_hand:w1', 10);

# order woo:7 was shipped by its shipment (as ship_confirm.lua does)
ledger_call('reserve:7', kind => 'reserve', order => 'woo:7',
            lines => [ { sku => 'A', qty => 2, loc => 'w1' } ]);
ledger_call('ship:woo:7@w1', kind => 'ship', order => 'woo:7', at => 'w1',
            lines => [ { sku => 'A', qty => 2, loc => 'w1' } ]);
$t->redis('SADD', "${K}shipments:woo:7", 'woo:7@w1');
is(on_hand('A'), 8, 'the shipment took 2');

# WooCommerce's "completed" after the tracking: the order-level ship
my $r = ledger_call('ship:7', kind => 'ship', order => 'woo:7',
                    lines => [ { sku => 'A', qty => 2, loc => 'w1' } ]);
is(on_hand('A'), 8, 'the echo moves nothing: still 8');
like($r->[2], qr/"by_shipments":true/, 'its audit detail says why');

# an order with no shipments ships as before
ledger_call('reserve:8', kind => 'reserve', order => 'woo:8',
            lines => [ { sku => 'B', qty => 3, loc => 'w1' } ]);
ledger_call('ship:8', kind => 'ship', order => 'woo:8',
            lines => [ { sku => 'B', qty => 3, loc => 'w1' } ]);
is(on_hand('B'), 7, 'an order without shipments still ships');

$t->done;
