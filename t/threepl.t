#!/usr/bin/perl

# The 3PL path through nginx, the worker and the 3PL simulator
# (t/lib/InvsyncSim/ThreePL.pm): a shipment at a 3pl location sent once
# (looked up before create; an order whose create answer was lost found,
# not made again), its signed order.shipped notice through nginx
# confirming it, twice with new webhook-ids still once, never sent: the
# GET after ask_after_s confirming it, no shipment by deadline_s:
# fulfilment_stalled (resolved by itself when the late notice ships it),
# a cancelled shipment's 3PL order cancelled, and one
# the 3PL had shipped: cancel_after_shipment.
#
# The shipments are seeded as ship_open.lua makes them; t/threepl_order.t
# starts from a WooCommerce order routed to the 3pl location.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use HTTP::Tiny;
use MIME::Base64 qw(encode_base64);
use Digest::SHA qw(hmac_sha256);
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker wait_for);
use InvsyncSetup qw(hook_locations sb_key sb_secrets start_3pl sb_channel
                    tpl_location route_all open_shipment);

my $J = JSON::PP->new->canonical;

my $t = InvsyncTest->setup(
    programs => ['invsync-worker'],
    secrets => { sb_secrets() },
    locations => hook_locations('shipbob', ['/hooks/shipbob-other',
                                shipbob => 'sb-other', 'sb.secret']));

$t->run;
$t->plan(33);

my $K = 'invsync:{invsync}:';
my $base = start_3pl($t);

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    channels => [ { id => 'woo-main', type => 'woocommerce' },
                  sb_channel($t, $base),
                  { id => 'sb-other', type => 'shipbob',
                    options => { channel_id => 4343 } } ],
    locations => [ tpl_location(2, 5) ],
    routing => route_all('3pl-us'));

$t->redis('HSET', "${K}stock:MUG", 'on_hand:3pl-us', 10);
run_worker($t, 'w1', $conf);

# a shipment as ship_open.lua makes it, due now
sub shipment {
    return open_shipment($t, $_[0], qty => 2,
                         order => { shipping_method => 'flat_rate' });
}

sub field { $t->redis('HGET', "${K}shipment:$_[0]", $_[1]) // '' }
sub sim_order {
    my ($ref) = @_;
    my ($o) = grep { $_->{reference_id} eq $ref }
              @{InvsyncSim::state($t, '3pl')->{orders}};
    return $o;
}
sub confirms {
    my ($id) = @_;
    return scalar grep { my %e = %{$_->[1]};
                         ($e{action} // '') eq 'shipment.confirm'
                         && ($e{shipment} // '') eq $id }
                  @{$t->stream("${K}audit")};
}
sub last_n { my $w = InvsyncSim::webhooks($t, '3pl'); @$w ? $w->[-1]{n} : 0 }

# sent once; the notice confirms it

my $s1 = shipment(1001);
ok(wait_for(20, sub { field($s1, 'state') eq 'requested' }),
   'sent: the shipment is requested');
my $o1 = sim_order($s1);
ok($o1 && $o1->{creates} == 1, 'the 3PL received the order once');
is(field($s1, 'provider_ref'), $o1->{id}, 'provider_ref: the 3PL order id');
ok(field($s1, 'requested_at') > 0, 'requested_at');

my $w0 = last_n();
InvsyncSim::call($t, '3pl', 'ship', reference_id => $s1,
                 tracking_number => '9400111', carrier => 'USPS',
                 times => 2, same_id => JSON::PP::false);
ok(wait_for(20, sub { field($s1, 'state') =~ /^(shipped|tracked)$/ }),
   'the notice through nginx confirmed it');
is_deeply([map { field($s1, $_) } qw(carrier service tracking)],
          ['USPS', 'Ground', '9400111'], 'with its tracking');
InvsyncSim::wait_webhooks($t, '3pl', 2, since => $w0);
ok(wait_for(10, sub {
       my $p = $t->redis('XPENDING', 'invsync:fulfillments', 'invsync');
       @{$t->stream('invsync:fulfillments')} == 2 && $p->[0] == 0
   }) && !@{$t->stream("${K}dlq")}, 'both notices acted on, none dead');
is(confirms($s1), 1, 'two notices, one confirm');
is($t->redis('HGET', "${K}stock:MUG", 'on_hand:3pl-us'), 8,
   'on hand down at the 3PL location');

# a create whose answer was lost: the order exists, found, not made again

my $s2id = 'woo-main:1002@3pl-us';
my $http = HTTP::Tiny->new(timeout => 5);
my $r = $http->request('POST', "$base/2026-07/order", {
    headers => { Authorization => 'Bearer sb_pat_sim',
                 shipbob_channel_id => 4242,
                 'Content-Type' => 'application/json' },
    content => $J->encode({ reference_id => $s2id,
        shipping_method => 'Standard',
        recipient => { name => 'J', address => { address1 => '1 A St',
                       city => 'Chicago', country => 'US' } },
        products => [{ reference_id => 'MUG', quantity => 2 }] }) });
is($r->{status}, 201, 'the order is at the 3PL already');
my $s2 = shipment(1002);
ok(wait_for(20, sub { field($s2, 'state') eq 'requested' }),
   'requested');
is(sim_order($s2)->{creates}, 1, 'looked up, not created again');

# never notified: the GET after ask_after_s confirms it

InvsyncSim::call($t, '3pl', 'ship', reference_id => $s2,
                 tracking_number => '9400222', notify => JSON::PP::false);
ok(wait_for(20, sub { field($s2, 'state') =~ /^(shipped|tracked)$/ }),
   'no notice: asked again, found shipped, confirmed');
is(field($s2, 'tracking'), '9400222', 'the tracking the GET read');
is(confirms($s2), 1, 'once');

# late: the notice after the GET confirmed it changes nothing
$w0 = last_n();
InvsyncSim::call($t, '3pl', 'ship', reference_id => $s2,
                 tracking_number => '9400222', delay_ms => 300);
InvsyncSim::wait_webhooks($t, '3pl', 1, since => $w0);
ok(wait_for(10, sub {
       my $p = $t->redis('XPENDING', 'invsync:fulfillments', 'invsync');
       @{$t->stream('invsync:fulfillments')} == 3 && $p->[0] == 0 }),
   'a late notice, acted on');
is(confirms($s2), 1, 'still one confirm');

# no shipment by the deadline: fulfilment_stalled

my $s3 = shipment(1003);
ok(wait_for(20, sub { field($s3, 'state') eq 'requested' }), 'requested');
ok(wait_for(30, sub { field($s3, 'state') eq 'stalled' }),
   'nothing by deadline_s: stalled');
my $xid = "fulfilment_stalled:woo-main:$s3";
is($t->redis('HGET', "${K}exception:$xid", 'state'), 'open',
   'a fulfilment_stalled exception');
my $d = eval { $J->decode($t->redis('HGET', "${K}exception:$xid", 'data')) }
        // {};
is_deeply([@$d{qw(shipment location provider provider_ref deadline_s)}],
          [$s3, '3pl-us', 'shipbob', sim_order($s3)->{id}, 5],
          'with the shipment, the location, the 3PL order and the deadline');
ok(!defined $t->redis('ZSCORE', "${K}fulfil:due", $s3), 'no longer due');

# it ships after all: the late notice still confirms it
InvsyncSim::call($t, '3pl', 'ship', reference_id => $s3,
                 tracking_number => '9400333');
ok(wait_for(20, sub { field($s3, 'state') =~ /^(shipped|tracked)$/ }),
   'stalled, then shipped: the late notice confirms it');
is(confirms($s3), 1, 'once');
is_deeply([(map { $t->redis('HGET', "${K}exception:$xid", $_) // '' }
            qw(state resolved_by resolution)),
           scalar(grep { ($_->[1]{action} // '') eq 'exception.resolve'
                         && ($_->[1]{exception} // '') eq $xid }
                  @{$t->stream("${K}audit")}),
           defined $t->redis('ZSCORE', "${K}exceptions:open", $xid) ? 1 : 0],
          ['resolved', 'invsync-worker', 'shipped', 1, 0],
          'its fulfilment_stalled resolved, audited: the cause is gone');

# cancellation: before shipping the 3PL order is cancelled; after: the
# exception

my $s4 = shipment(1004);
ok(wait_for(20, sub { field($s4, 'state') eq 'requested' }), 'requested');
$t->redis('HSET', "${K}shipment:$s4", 'state', 'cancelled');
$t->redis('ZADD', "${K}fulfil:due", int(time * 1000), $s4);
ok(wait_for(20, sub { field($s4, 'provider_state') eq 'cancelled' })
   && sim_order($s4)->{status} eq 'Cancelled', 'the 3PL order cancelled');

$t->redis('HSET', "${K}shipment:$s1", 'state', 'cancelled');
$t->redis('ZADD', "${K}fulfil:due", int(time * 1000), $s1);
ok(wait_for(20, sub { field($s1, 'provider_state') eq 'refused' }),
   'shipped already: the 3PL refuses');
is($t->redis('HGET', "${K}exception:cancel_after_shipment:woo-main:$s1",
             'state'), 'open', 'a cancel_after_shipment exception');

# another 3PL account's notice cannot confirm this account's shipment

my $s5 = shipment(1005);
ok(wait_for(20, sub { field($s5, 'state') eq 'requested' }), 'requested');
my $body = $J->encode({ id => 1, order_id => 1, reference_id => $s5,
    status => 'Completed', tracking => { carrier => 'UPS',
    tracking_number => '1Z999', carrier_service => 'Ground' } });
my $ts = time;
my $r5 = $http->request('POST',
    'http://127.0.0.1:' . $t->port('http') . '/hooks/shipbob-other', {
    headers => { 'Content-Type' => 'application/json',
        'x-webhook-topic' => 'order.shipped', 'webhook-id' => 'msg_other',
        'webhook-timestamp' => $ts, 'webhook-signature' => 'v1,'
        . encode_base64(hmac_sha256("msg_other.$ts.$body",
                                    sb_key()), '') },
    content => $body });
is($r5->{status}, 200, 'a notice on another account\'s channel: stored');
ok(wait_for(20, sub { grep { ($_->[1]{reason} // '') =~ /not one of channel "sb-other"/ }
                      @{$t->stream("${K}dlq")} }),
   'dead-lettered: not one of that account\'s locations');
is(field($s5, 'state'), 'requested', 'the shipment is not confirmed');

$t->done;
