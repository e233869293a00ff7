#!/usr/bin/perl

# route.lua and ledger.lua's routed paths against a real Redis, argument
# by argument (the worker's calls are t/route.t's): the move from unrouted
# to reserved:<loc>; the re-check that answers "stale" and writes nothing
# when a location no longer has the stock or the allocation changed since
# the decision read it; an older version refused; the same cause applied
# once; an edit that moves the allocation; an unroutable decision only
# audited and waiting; a shipment from the allocated place; a release of
# both shares; route:arrived counted only while an order waits; the
# dirty marks only when a channel counts some locations.

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
$t->plan(27);

my $K = 'p:{p}:';
my $json = JSON::PP->new->canonical;
# as the worker loads it: route.lua includes ship_open.lua
my $route = `perl ${\$t->root}/src/core/gen_scripts.pl --lua ${\$t->root}/src/core/lua/route.lua`;
die "gen_scripts.pl --lua route: $?\n" if $? != 0;
my $ledger = $t->read_file($t->root . '/src/core/lua/ledger.lua');
my $n = 0;
my $located = '1';      # route.lua's ARGV[6]; no channel (ARGV[7]): no
                        # shipments opened (t/ship_ledger.t has them)

sub route_call {
    my ($cause, %d) = @_;
    return $t->redis('EVAL', $route, 2, "${K}done:ledger:$cause",
                     "${K}audit", 3600, 1000 + $n++, $K, $json->encode({
                         order => 'shop:1', exception => '', %d }),
                     1000, $located, '', '', 'action', 'order.route',
                     'inputs', '{}');
}

sub ledger_call {
    my ($cause, %m) = @_;
    return $t->redis('EVAL', $ledger, 2, "${K}done:ledger:$cause",
                     "${K}audit", 3600, 1000 + $n++, $K,
                     $json->encode({ order => 'shop:1', lines => [], %m }),
                     1000, 'action', "stock.$m{kind}");
}

sub stock {
    my %h = @{$t->redis('HGETALL', "${K}stock:$_[0]")};
    return { map { $_ => $h{$_} + 0 } grep { $h{$_} != 0 } keys %h };
}

sub line { return { line => $_[0], sku => $_[1], loc => $_[2], qty => $_[3] } }

$t->redis('HSET', "${K}stock:A", 'on_hand:w1', 5, 'on_hand:w2', 5);
$t->redis('HSET', "${K}stock:B", 'on_hand:w2', 3);
ledger_call('r1', kind => 'reserve',
            lines => [ { sku => 'A', qty => 2 }, { sku => 'B', qty => 1 } ]);
is_deeply([stock('A'), stock('B')], [{ 'on_hand:w1' => 5, 'on_hand:w2' => 5,
                                      unrouted => 2 },
                                    { 'on_hand:w2' => 3, unrouted => 1 }],
          'reserved, unrouted');

# a decision made on stock that is no longer there: stale, nothing written
my $r = route_call('route:shop:1:1', version => 1, seen => '',
                   lines => [ line('1', 'A', 'w1', 6) ]);
is_deeply([@$r[0, 1, 2, 3]], ['stale', 'A', 'w1', '5'],
          'stale: the sku, the place and what it has');
is_deeply([stock('A')->{unrouted}, $t->redis('EXISTS', "${K}alloc:shop:1"),
           $t->redis('EXISTS', "${K}done:ledger:route:shop:1:1")], [2, 0, 0],
          'nothing written, no done key');

$r = route_call('route:shop:1:1', version => 1, seen => '',
                lines => [ line('1', 'A', 'w1', 2), line('2', 'B', 'w2', 1) ]);
is($r->[0], 1, 'routed');
is_deeply([stock('A'), stock('B')], [{ 'on_hand:w1' => 5, 'on_hand:w2' => 5,
                                      'reserved:w1' => 2 },
                                    { 'on_hand:w2' => 3, 'reserved:w2' => 1 }],
          'unrouted -> reserved:<loc>');
my %a = @{$t->redis('HGETALL', "${K}alloc:shop:1")};
is_deeply([$a{version}, $a{seq}, $json->decode($a{held})],
          [1, 1, { w1 => { A => 2 }, w2 => { B => 1 } }], 'alloc:<order>');
is(route_call('route:shop:1:1', version => 1, seen => '',
              lines => [ line('1', 'A', 'w2', 2) ])->[0], 0,
   'the same cause again: applied before');
is_deeply(route_call('route:shop:1:0', version => 0, seen => '1',
                     lines => [ line('1', 'A', 'w2', 2) ]), ['older', '1'],
          'an older version: refused');
is(route_call('route:shop:1:2', version => 2, seen => '',
              lines => [ line('1', 'A', 'w2', 2) ])->[0], 'stale',
   'decided on an older seq: stale');

# the edit: A 2 -> 4 at w2, B stays: the old w1 share released at once
$r = route_call('route:shop:1:2', version => 2, seen => '1',
                lines => [ line('1', 'A', 'w2', 4), line('2', 'B', 'w2', 1) ]);
is($r->[0], 1, 'an edit routed');
is_deeply([stock('A'), stock('B'),
           { @{$t->redis('HGETALL', "${K}reservation:shop:1")} }],
          [{ 'on_hand:w1' => 5, 'on_hand:w2' => 5, 'reserved:w2' => 4 },
           { 'on_hand:w2' => 3, 'reserved:w2' => 1 }, { A => 4, B => 1 }],
          'w1 released, w2 holds the new quantity, the reservation follows');

# its own share counts as free: 5 at w2, 4 of them its own
is(route_call('route:shop:1:3', version => 3, seen => '2',
              lines => [ line('1', 'A', 'w2', 5), line('2', 'B', 'w2', 1) ])
   ->[0], 1, 'what the order holds there counts as free');

# shipping takes from where it is allocated, not the line's location
ledger_call('ship1', kind => 'ship',
            lines => [ { sku => 'A', qty => 3, loc => 'w1' } ]);
is_deeply(stock('A'), { 'on_hand:w1' => 5, 'on_hand:w2' => 2,
                        'reserved:w2' => 2 }, 'shipped from w2');
%a = @{$t->redis('HGETALL', "${K}alloc:shop:1")};
is_deeply($json->decode($a{held}), { w2 => { A => 2, B => 1 } },
          'the allocation holds the rest');

# unroutable: audited, waiting, nothing moved
$r = route_call('route:shop:2:1', order => 'shop:2', version => 1,
                unroutable => JSON::PP::true, lines => []);
is($r->[0], 2, 'unroutable recorded');
ok($t->redis('ZSCORE', "${K}route:waiting", 'shop:2'), 'it waits');
is($t->redis('GET', "${K}route:arrived"), undef, 'nothing arrived yet');
ledger_call('adj', kind => 'adjust', order => '',
            lines => [ { sku => 'C', qty => 1, loc => 'w1' } ]);
is($t->redis('GET', "${K}route:arrived"), 1,
   'stock arriving while an order waits is counted');

# the release gives back both shares
ledger_call('r2', kind => 'reserve', lines => [ { sku => 'B', qty => 1 } ]);
is_deeply(stock('B'), { 'on_hand:w2' => 3, 'reserved:w2' => 1,
                        unrouted => 1 }, 'one more, unrouted');
ledger_call('rel', kind => 'release');
is_deeply([stock('A'), stock('B')],
          [{ 'on_hand:w1' => 5, 'on_hand:w2' => 2 }, { 'on_hand:w2' => 3 }],
          'released: reserved:<loc> and unrouted');
is_deeply([$t->redis('EXISTS', "${K}alloc:shop:1", "${K}reservation:shop:1")],
          [0], 'the allocation and the reservation are gone');

# reserved moving between places changes only what a channel counting
# some locations shows: with one, the SKUs moved are marked dirty
$t->redis('HSET', "${K}stock:D", 'on_hand:w1', 4, 'on_hand:w2', 4);
$t->redis('HSET', "${K}skumap:D", 'shop', 'D');
ledger_call('r9', order => 'shop:9', kind => 'reserve',
            lines => [ { sku => 'D', qty => 2 } ]);
$t->redis('DEL', "${K}dirty:shop");
$located = '0';
$r = route_call('route:shop:9:1', order => 'shop:9', version => 1,
                seen => '', lines => [ line('1', 'D', 'w1', 2) ]);
is_deeply([$r->[0], stock('D'), $t->redis('EXISTS', "${K}dirty:shop")],
          [1, { 'on_hand:w1' => 4, 'on_hand:w2' => 4, 'reserved:w1' => 2 },
           0], 'every channel counts every location: moved, nothing dirty');
$located = '1';
$r = route_call('route:shop:9:2', order => 'shop:9', version => 2,
                seen => '1', lines => [ line('1', 'D', 'w2', 2) ]);
is_deeply([$r->[0], stock('D'), $t->redis('SMEMBERS', "${K}dirty:shop")],
          [1, { 'on_hand:w1' => 4, 'on_hand:w2' => 4, 'reserved:w2' => 2 },
           ['D']], 'a channel counts some locations: the SKU is dirty');

# a bundle's line holds the components the decision read ("comp"; no
# sku:KIT here to read them from)
$t->redis('HSET', "${K}stock:E", 'on_hand:w1', 6);
$t->redis('HSET', "${K}stock:F", 'on_hand:w1', 6);
sub kit { return { %{line('1', 'KIT', 'w1', $_[0])}, comp => { E => 1, F => 2 } } }
$r = route_call('route:shop:5:1', order => 'shop:5', version => 1,
                seen => '', backorder => JSON::PP::true, lines => [ kit(2) ]);
is_deeply([$r->[0], stock('E'), stock('F'),
           $t->redis('ZSCORE', "${K}route:waiting", 'shop:5') ? 1 : 0],
          [1, { 'on_hand:w1' => 6, 'reserved:w1' => 2 },
           { 'on_hand:w1' => 6, 'reserved:w1' => 4 }, 1],
          'a bundle line held as its components; a backorder waits');
# the order leaves route:waiting when it can be there: after a backorder,
# or with its unroutable exception (opened before route.lua records it)
$r = route_call('route:shop:5:2', order => 'shop:5', version => 2,
                seen => '1', lines => [ kit(3) ]);
is_deeply([$r->[0], stock('E'), stock('F'),
           $t->redis('ZSCORE', "${K}route:waiting", 'shop:5')],
          [1, { 'on_hand:w1' => 6, 'reserved:w1' => 3 },
           { 'on_hand:w1' => 6, 'reserved:w1' => 6 }, undef],
          'routed in full: checked, held, no longer waiting');
$r = route_call('route:shop:6:1', order => 'shop:6', version => 1,
                unroutable => JSON::PP::true, lines => []);
$t->redis('HSET', "${K}exception:unroutable:shop:6", 'state', 'open');
$r = route_call('route:shop:6:2', order => 'shop:6', version => 2,
                seen => '', exception => 'unroutable:shop:6',
                lines => [ line('1', 'A', 'w1', 1) ]);
is_deeply([$r->[0], $t->redis('ZSCORE', "${K}route:waiting", 'shop:6'),
           $t->redis('HGET', "${K}exception:unroutable:shop:6", 'state')],
          [1, undef, 'resolved'],
          'an unroutable order routed: no longer waiting, resolved');

# a route.lua refusal names its reason
my $e = eval { route_call('route:x', order => '', lines => []) } // $@;
like(ref $e ? $json->encode($e) : $e, qr/needs an order/, 'no order: refused');

$t->done;
