#!/usr/bin/perl

# Shopify's return webhooks out of order (docs/returns.md "Out of order"):
# Shopify does not keep its webhooks in order and its retries interleave,
# so a return's close, decline or label may come before its request.
# Through nginx and the worker, each webhook 3 times with its own webhook
# id, shuffled (the end first): a return closed before its request is one
# RMA, opened and closed at once with the close as its cause, its label
# applied in between; one declined before its request is closed with the
# decline's reason; one cancelled before its approval likewise; each step
# once in the audit.  The webhooks are the payloads of Shopify's examples
# (t/fixtures/shopify/), signed.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use List::Util qw(shuffle);
use InvsyncTest;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for ctl
                     map_sku);
use InvsyncSetup qw(hook_locations shopify_req send_req audits drained);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush', 'shop.token' => 'shpat_test' },
    locations => hook_locations('shopify'));

$t->run;
$t->plan(14);

my $K = 'invsync:{invsync}:';
my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    limits => { reconcile_s => 0 },
    returns => { restock_on => 'receipt' },
    channels => [
        { id => 'shop-eu', type => 'shopify',
          credentials_file => $t->dir . '/shop.token' } ]);

map_sku($t, 'SKU-A', 111, 501);
run_worker($t, 'w1', $conf);

srand(20261203);    # shuffled, but the same each run

sub rma {
    my ($id) = @_;
    my ($rc, $out) = ctl($t, $conf, 'return', 'show', $id, '--json');
    return $rc == 0 ? decode_json($out) : undef;
}
sub entries { scalar @{audits($t, $_[0], rma => $_[1])} }
sub settled { drained($t, 'invsync:refunds', $_[0]) }
my $wh = 0;
sub send_hook {
    my ($topic, $body) = @_;
    return send_req($t, shopify_req($topic, 'ro-' . ++$wh, encode_json($body),
                                    shop => 'invsync-test.myshopify.com'));
}
sub fixture {
    my ($name, $rid) = @_;
    my $b = decode_json($t->read_file(
        $t->root . "/t/fixtures/shopify/$name/body.json"));
    if ($b->{return}) { $b->{return}{id} = $rid } else { $b->{id} = $rid }
    $b->{order}{id} = 999000111 if $b->{order};
    $b->{order_id} = 999000111 if exists $b->{order_id};
    return $b;
}
# the end first (what the review saw), then the rest, each 3 times, shuffled
sub deliver {
    my ($first, @rest) = @_;
    my $n = @{$t->stream('invsync:refunds')};
    my @all = ($first, shuffle(($first) x 2, map { ($_) x 3 } @rest));
    is(send_hook(@$_)->{status}, 200, "$_->[0] accepted") for $all[0];
    send_hook(@$_) for @all[1 .. $#all];
    return wait_for(30, sub { settled($n + @all) });
}

# the order, as Shopify sends it
is(send_hook('orders/create', { id => 999000111, name => '#999',
    email => 'jon@example.com', currency => 'EUR',
    created_at => '2026-11-20T10:00:00+01:00',
    updated_at => '2026-11-20T10:00:00+01:00', total_price => '27.00',
    financial_status => 'paid', line_items => [
        map { +{ id => $_->[0], sku => 'SKU-A', quantity => $_->[1],
                 price => '9.00', title => 'SKU-A', product_id => 7,
                 variant_id => 70 } } [13000000001, 2], [13000000002, 1] ]
    })->{status}, 200, 'the order');
ok(wait_for(30, sub { defined $t->redis('HGET',
                          "${K}order:shop-eu:999000111", 'data') }),
   'recorded') or diag($t->read_file('logs/w1.out'));

###############################################################################
# closed (and its label attached) before it was requested

my $close = ['returns/close', fixture('returns_close', 7001)];
ok(deliver($close, ['returns/request', fixture('returns_request', 7001)],
           ['reverse_deliveries/attach_deliverable',
            fixture('reverse_deliveries_attach_deliverable', 7001)]),
   'close, request and label, 3 times each, the close first: acted on')
    or diag($t->read_file('logs/w1.out'));
my $r = rma('shop-eu:7001');
is_deeply([ $r->{state}, $r->{tracking},
            [ map { [ $_->{state}, $_->{state} eq 'open' ? 'the request'
                    : $_->{cause}, $_->{why} ] } @{$r->{history}} ] ],
          [ 'closed', '123345345',
            [ [ 'open', 'the request', undef ],
              [ 'in_transit', 'shop-eu:7001:in_transit:9080907654321',
                undef ],
              [ 'closed', 'shop-eu:7001:closed', 'closed' ] ] ],
          'one RMA: opened, in transit with the label, closed by the close')
    or diag(explain $r);
is_deeply([ map { entries($_, 'shop-eu:7001') }
            qw(return.open return.transit return.close) ], [ 1, 1, 1 ],
          'each step once in the audit');

###############################################################################
# declined before it was requested

ok(deliver(['returns/decline', fixture('returns_decline', 7002)],
           ['returns/request', fixture('returns_request', 7002)]),
   'decline and request, 3 times each, the decline first: acted on');
$r = rma('shop-eu:7002');
is_deeply([ $r->{state},
            [ map { [ @$_{qw(state why)} ] } @{$r->{history}} ] ],
          [ 'closed', [ [ 'open', undef ],
                        [ 'closed', 'declined: return_period_ended' ] ] ],
          'one RMA, closed with the decline\'s reason') or diag(explain $r);
is_deeply([ map { entries($_, 'shop-eu:7002') } qw(return.open return.close) ],
          [ 1, 1 ], 'opened once, closed once');

###############################################################################
# cancelled before it was approved (a return the merchant made)

my $appr = fixture('returns_request', 7003);
$appr->{status} = 'open';
ok(deliver(['returns/cancel', fixture('returns_cancel', 7003)],
           ['returns/approve', $appr]),
   'cancel and approval, 3 times each, the cancel first: acted on');
is_deeply([ map { [ $_->{state}, $_->{why} ] }
            @{rma('shop-eu:7003')->{history}} ],
          [ [ 'open', undef ], [ 'closed', 'cancelled' ] ],
          'one RMA, closed by the cancel') or diag(explain rma('shop-eu:7003'));

is(stop_worker($t, 'w1'), 0, 'worker stops cleanly');

$t->done;
