#!/usr/bin/perl

# ship_3pl.lua against a real Redis: a 3PL step's outcome written only
# while the shipment is in the state the step found it (a shipment the
# webhook confirmed meanwhile, or one cancelled, is left as it is), with
# its next time on fulfil:due, or taken off it.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use InvsyncTest;

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');
$t->run_redis;
$t->plan(9);

my $K = 'p:{p}:';
my $lua = $t->read_file($t->root . '/src/core/lua/ship_3pl.lua');
my $id = 'woo:727@3pl-us';
my $sh = "${K}shipment:$id";
my $due = "${K}fulfil:due";

sub step { $t->redis('EVAL', $lua, 2, $sh, $due, $id, @_) }
sub field { $t->redis('HGET', $sh, $_[0]) }

$t->redis('HSET', $sh, 'state', 'open', 'kind', '3pl');

is(step('open', '5000', 'state', 'requested', 'provider_ref', '100000001'),
   1, 'open: written');
is_deeply([field('state'), field('provider_ref'),
           $t->redis('ZSCORE', $due, $id)],
          ['requested', '100000001', '5000'], 'fields and the next time');

is(step('open', '6000', 'state', 'requested', 'provider_ref', '2'), 0,
   'from a state it has left: nothing');
is_deeply([field('provider_ref'), $t->redis('ZSCORE', $due, $id)],
          ['100000001', '5000'], 'nothing changed');

is(step('requested', '7000'), 1, 'no fields: only the next time');
is($t->redis('ZSCORE', $due, $id), '7000', 'rescheduled');

# the webhook confirmed it meanwhile: the ask-again's "open" is dropped
$t->redis('HSET', $sh, 'state', 'shipped');
is(step('requested', '9000', 'last_error', 'x'), 0,
   'shipped meanwhile: the step writes nothing');
ok(!defined field('last_error') && $t->redis('ZSCORE', $due, $id) eq '7000',
   'not even the error or the time');

ok(step('shipped', '') == 1 && !defined $t->redis('ZSCORE', $due, $id),
   '"" takes it off fulfil:due');

$t->done;
