#!/usr/bin/perl

# ship_open.lua, ship_confirm.lua and ship_cancel.lua against a real Redis,
# argument by argument (the worker's calls are t/ship.t's): an order
# routed to two places gets one shipment per place, once per version;
# manual ones wait outside fulfil:due; an edit moves a shipment's lines
# and cancels the one of a place no longer used; a confirmation takes on
# hand and the reservation at that place only (ledger.lua's own code,
# included), marks the channels dirty, queues the tracking, and happens
# once; a cancelled shipment cannot be confirmed; the order's cancellation
# cancels what is not shipped and names what is.

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
$t->plan(33);

my $K = 'p:{p}:';
my $json = JSON::PP->new->canonical;
my $root = $t->root;
# each script as the worker loads it (ship_confirm.lua includes ledger.lua)
my %lua = map { $_ => lua($_) }
          qw(route ledger ship_open ship_confirm ship_cancel);
# each location's kind as invsync_ship.c gives them: "\0\0<id>\0<kind>\0\0"...
my $kinds = join('', "\0\0", map { "$_->[0]\0$_->[1]\0\0" }
                 [ w1 => 'warehouse' ], [ w2 => 'warehouse' ],
                 [ m1 => 'manual' ]);
my $n = 0;

sub lua {
    my $gen = "$root/src/core/gen_scripts.pl";
    my $out = `perl $gen --lua $root/src/core/lua/$_[0].lua`;
    die "gen_scripts.pl --lua $_[0]: $?\n" if $? != 0;
    return $out;
}

# route.lua's ARGV[6]: '1', some channel counts only some locations; no
# channel (ARGV[7]): the shipments are left to ship_open.lua, called here
sub route_call {
    my ($v, $seen, @lines) = @_;
    return $t->redis('EVAL', $lua{route}, 2, "${K}done:ledger:route:$v",
                     "${K}audit", 3600, 1000 + $n++, $K, $json->encode({
                         order => 'shop:1', exception => '', version => $v,
                         seen => $seen, rule => 'r1',
                         lines => [ map { { line => $_->[0], sku => $_->[1],
                                            loc => $_->[2], qty => $_->[3] } }
                                    @lines ] }),
                     1000, '1', '', '', 'action', 'order.route',
                     'inputs', '{}');
}

sub ledger_call {
    my ($cause, %m) = @_;
    return $t->redis('EVAL', $lua{ledger}, 2, "${K}done:ledger:$cause",
                     "${K}audit", 3600, 1000 + $n++, $K,
                     $json->encode({ order => 'shop:1', lines => [], %m }),
                     1000, 'action', "stock.$m{kind}");
}

sub open_call {
    return $t->redis('EVAL', $lua{ship_open}, 1, "${K}audit", 2000 + $n++,
                     $K, 'shop:1', 'shop', $kinds, 1000);
}

sub confirm_call {
    my ($id, %c) = @_;
    return $t->redis('EVAL', $lua{ship_confirm}, 2,
                     "${K}done:ledger:ship:$id", "${K}audit", 3600,
                     3000 + $n++, $K, $id, $json->encode(\%c), 1000,
                     'action', 'shipment.confirm', 'shipment', $id);
}

sub stock {
    my %h = @{$t->redis('HGETALL', "${K}stock:$_[0]")};
    return { map { $_ => $h{$_} + 0 } grep { $h{$_} != 0 } keys %h };
}

sub ship { return { @{$t->redis('HGETALL', "${K}shipment:shop:1\@$_[0]")} } }

$t->redis('HSET', "${K}stock:A", 'on_hand:w1', 5, 'on_hand:w2', 5);
$t->redis('HSET', "${K}stock:B", 'on_hand:w2', 3, 'on_hand:m1', 3);
$t->redis('HSET', "${K}skumap:A", 'shop', 'x');
ledger_call('r1', kind => 'reserve',
            lines => [ { sku => 'A', qty => 2 }, { sku => 'B', qty => 1 } ]);
is(route_call(1, '', [ '1', 'A', 'w1', 2 ], [ '2', 'B', 'w2', 1 ])->[0], 1,
   'routed to w1 and w2');

is_deeply(open_call(), [2, 0, 0], 'two shipments opened');
my $s = ship('w1');
is_deeply([@$s{qw(order channel order_id location kind state version rule)},
           $json->decode($s->{lines})],
          ['shop:1', 'shop', '1', 'w1', 'warehouse', 'open', 1, 'r1',
           [ { line_id => '1', sku => 'A', qty => 2 } ]], 'shipment:<id>');
is_deeply([sort @{$t->redis('SMEMBERS', "${K}shipments:shop:1")}],
          ['shop:1@w1', 'shop:1@w2'], 'shipments:<order>');
is_deeply($t->redis('ZRANGE', "${K}fulfil:due", 0, -1),
          ['shop:1@w1', 'shop:1@w2'], 'both due for the engine');
is_deeply(open_call(), [0, 0, 0], 'the same version again: nothing');

# the edit: B moves to the manual place; w2's shipment is cancelled
is(route_call(2, '1', [ '1', 'A', 'w1', 2 ], [ '2', 'B', 'm1', 1 ])->[0], 1,
   'an edit routed');
$t->redis('ZREM', "${K}fulfil:due", 'shop:1@w1', 'shop:1@w2');
is_deeply(open_call(), [1, 1, 1], 'm1 opened, w1 updated, w2 cancelled');
is_deeply([ship('w1')->{version}, ship('w2')->{state}, ship('m1')->{kind},
           ship('m1')->{state}], [2, 'cancelled', 'manual', 'open'],
          'versions and states');
is_deeply($t->redis('ZRANGE', "${K}fulfil:due", 0, -1),
          ['shop:1@w1', 'shop:1@w2'],
          'w1 due again, w2 due to be voided, the manual one waits');

# confirm w1: on hand and the reservation there, nothing elsewhere
my $r = confirm_call('shop:1@w1', carrier => 'USPS', service => 'Priority',
                     tracking => '9400', tracking_url => 'https://t/9400',
                     label_url => 'https://l/1', cost_minor => 512,
                     currency => 'USD', provider_ref => 'shp_1');
is($r->[0], 1, 'confirmed');
is_deeply($json->decode($r->[2])->{moved}, { A => -2 }, 'on hand moved');
is_deeply([stock('A'), stock('B')],
          [{ 'on_hand:w1' => 3, 'on_hand:w2' => 5 },
           { 'on_hand:w2' => 3, 'on_hand:m1' => 3, 'reserved:m1' => 1 }],
          'w1 shipped; m1 still holds B');
$s = ship('w1');
is_deeply([@$s{qw(state carrier service tracking tracking_url label_url
                  cost_minor currency provider_ref)}],
          ['shipped', 'USPS', 'Priority', '9400', 'https://t/9400',
           'https://l/1', 512, 'USD', 'shp_1'], 'recorded on the shipment');
ok($s->{shipped_at} > 0, 'shipped_at');
is_deeply([$t->redis('ZRANGE', "${K}track:due", 0, -1),
           $t->redis('ZSCORE', "${K}fulfil:due", 'shop:1@w1')],
          [['shop:1@w1'], undef], 'tracking due, no longer due to fulfil');
ok($t->redis('SISMEMBER', "${K}dirty:shop", 'A'), 'the channel marked dirty');
is_deeply($json->decode($t->redis('HGET', "${K}alloc:shop:1", 'held')),
          { w1 => { A => 0 }, m1 => { B => 1 } },
          "the allocation holds the rest (w1's share shipped)");

is_deeply(confirm_call('shop:1@w1', carrier => 'X'), [0, 'shipped'],
          'confirmed twice: once');
is_deeply(stock('A'), { 'on_hand:w1' => 3, 'on_hand:w2' => 5 },
          'nothing moved again');
is_deeply(confirm_call('shop:1@w2', carrier => 'X'), ['cancelled',
                                                     'cancelled'],
          'a cancelled shipment is not confirmed');
my $e = eval { confirm_call('shop:1@zz') } // $@;
like(ref $e ? $json->encode($e) : $e, qr/no shipment shop:1\@zz/,
     'no such shipment: refused, named');

# the cancellation: m1 cancelled, w1 shipped
is_deeply($t->redis('EVAL', $lua{ship_cancel}, 1, "${K}audit", 5000, $K,
                    'shop:1', 1000),
          [['shop:1@m1'], ['shop:1@w1']], 'cancel: not shipped, shipped');
is_deeply($t->redis('EVAL', $lua{ship_cancel}, 1, "${K}audit", 5001, $K,
                    'shop:1', 1000),
          [[], ['shop:1@w1']], 'cancelled twice: nothing more');

# the release after a shipment: the shipped share is held as 0
is(ledger_call('rel', kind => 'release')->[0], 1, 'released after shipping');
is_deeply([stock('A'), stock('B')],
          [{ 'on_hand:w1' => 3, 'on_hand:w2' => 5 },
           { 'on_hand:w2' => 3, 'on_hand:m1' => 3 }],
          'what m1 held is given back, the shipped stays shipped');

# with the order's channel (ARGV[7]) route.lua opens the shipments itself,
# in the same step (ship_open.lua included): its answer goes on with the
# counts; what was opened for this version is not opened again
sub route_some {
    my ($v, $seen, $some, @lines) = @_;
    return $t->redis('EVAL', $lua{route}, 2, "${K}done:ledger:route:s2:$v",
                     "${K}audit", 3600, 6000 + $n++, $K, $json->encode({
                         order => 'shop:2', exception => '', version => $v,
                         seen => $seen, rule => 'r2',
                         lines => [ map { { line => $_->[0], sku => $_->[1],
                                            loc => $_->[2], qty => $_->[3] } }
                                    @lines ] }),
                     1000, '0', 'shop', $some, 'action', 'order.route',
                     'inputs', '{}');
}
sub route_ship {
    my ($v, $seen, @lines) = @_;
    return route_some($v, $seen, $kinds, @lines);
}
sub ship2 {
    return { @{$t->redis('HGETALL', "${K}shipment:shop:2\@$_[0]")} };
}

$t->redis('HSET', "${K}stock:C", 'on_hand:w1', 4, 'on_hand:m1', 4);
my $rs = route_ship(1, '', [ '1', 'C', 'w1', 1 ]);
is_deeply([ @$rs[0, 2, 3, 4], @{ship2('w1')}{qw(order kind state version
                                                   rule)} ],
          [ 1, 1, 0, 0, 'shop:2', 'warehouse', 'open', 1, 'r2' ],
          'route.lua with a channel: routed, its shipment opened with it');
# the order's audit index holds both entries, the routing first (route.lua
# indexes them in one ZADD)
is_deeply([ map { my %e = @{$_->[1]}; $e{action} }
            map { @{$t->redis('XRANGE', "${K}audit", $_, $_)} }
            @{$t->redis('ZRANGE', "${K}audit:order:shop:2", 0, -1)} ],
          [ 'order.route', 'shipment.open' ],
          'audit:order: the routing and its shipments, in order');
is_deeply([ @{route_ship(1, '', [ '1', 'C', 'w1', 1 ])}[0, 2, 3, 4] ],
          [ 0, 0, 0, 0 ], 'the same version again: nothing opened twice');
$rs = route_ship(2, '1', [ '1', 'C', 'm1', 1 ]);
is_deeply([ @$rs[0, 2, 3, 4], ship2('w1')->{state}, ship2('m1')->{kind} ],
          [ 1, 1, 0, 1, 'cancelled', 'manual' ],
          'an edit: m1 opened, w1 cancelled, in the routing step');
is_deeply([ @{route_ship(1, '', [ '1', 'C', 'w1', 1 ])}[0, 2, 3, 4] ],
          [ 0, 0, 0, 0 ], 'the older version again: the newer one stays');

# ARGV[8] of only some locations ("\1" first, the decision's): an
# allocation found that uses another is left to the caller, nothing opened
# (route_some, defined above, is route_ship with its own kinds)
my $opened = $t->redis('SCARD', "${K}shipments:shop:2");
is_deeply([ @{route_some(2, '1', "\1\0\0w1\0warehouse\0\0",
                         [ '1', 'C', 'w1', 1 ])}, $t->redis('SCARD',
                         "${K}shipments:shop:2") ],
          [ 0, $rs->[1], $opened ],
          'kinds of some locations: m1 not among them, left to the caller');
is_deeply([ @{route_some(2, '1', "\1\0\0m1\0manual\0\0",
                         [ '1', 'C', 'm1', 1 ])}[0, 2, 3, 4] ],
          [ 0, 0, 0, 0 ], 'with m1 among them: opened in the step (none new)');

$t->done;
