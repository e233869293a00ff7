#!/usr/bin/perl

# A 3PL's shipment notice with a bad tracking number (docs/fulfilment.md
# "Bad provider input"): the ShipBob simulator ships the order with a
# tracking number holding a newline, its signed webhook comes through
# nginx to the worker; the confirmation is refused with the reason (a
# dead letter), nothing is stored or pushed, no stock moves, and the
# shipment stays due: the 3PL is asked again, and its answer refused the
# same way leaves last_error saying why.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker wait_for);
use InvsyncSetup qw(hook_locations sb_secrets start_3pl sb_channel
                    tpl_location route_all open_shipment);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { sb_secrets() },
    locations => hook_locations('shipbob'));

$t->run;
$t->plan(9);

my $K = 'invsync:{invsync}:';
my $base = start_3pl($t);

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    channels => [ { id => 'woo-main', type => 'woocommerce' },
                  sb_channel($t, $base) ],
    locations => [ { id => 'wh-a' }, tpl_location(30, 600) ],
    routing => route_all('3pl-us'));

$t->redis('HSET', "${K}stock:MUG", 'on_hand:3pl-us', 10);
$t->redis('SET', "${K}skuref:woo-main:sku:MUG", 'MUG');
run_worker($t, 'w1', $conf);

sub field { $t->redis('HGET', "${K}shipment:$_[0]", $_[1]) // '' }
sub stock { my %h = @{$t->redis('HGETALL', "${K}stock:$_[0]")}; \%h }
sub dead {
    return join "\n", map { $_->[1]{reason} // '' }
                      @{$t->stream("${K}dlq")};
}

###############################################################################
# a shipment at the 3PL, shipped with a tracking number that has a newline

my $sid = open_shipment($t, 1001, line_id => '7', qty => 3, indexed => 1,
    held => 1, order => { currency => 'USD', shipping_method => 'flat_rate',
        lines => [ { channel_line_id => '7', sku => 'MUG', quantity => 3,
                     price_minor => 1250, refs => ['sku:MUG'] } ] });

ok(wait_for(30, sub { field($sid, 'state') eq 'requested' }),
   'the shipment sent to the 3PL') or diag($t->read_file('logs/w1.out'));
InvsyncSim::call($t, '3pl', 'ship', reference_id => $sid,
                 tracking_number => "9400\n111", carrier => 'USPS');
ok(wait_for(30, sub { dead() =~ /tracking number has a control byte 0x0a/ }),
   'the webhook\'s confirmation refused, a dead letter says why')
    or diag(dead(), $t->read_file('logs/w1.out'));
is(field($sid, 'state'), 'requested', 'the shipment is not shipped');
is(field($sid, 'tracking'), '', 'nothing stored as its tracking');
is(stock('MUG')->{'on_hand:3pl-us'}, 10, 'stock not moved');
ok(!defined $t->redis('ZSCORE', "${K}track:due", $sid),
   'nothing queued for the channel');
ok(defined $t->redis('ZSCORE', "${K}fulfil:due", $sid),
   'still due: the 3PL is asked again');
# asked (ask_after_s): the 3PL's answer is refused the same way, and the
# shipment's last_error says why, for the console and exceptions
ok(wait_for(45, sub { field($sid, 'last_error')
                      =~ /tracking number has a control byte 0x0a/ }),
   'asked again: last_error names the field')
    or diag(field($sid, 'last_error'), $t->read_file('logs/w1.out'));
is(field($sid, 'state'), 'requested', 'still not shipped');

$t->done;
