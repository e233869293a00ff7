#!/usr/bin/perl

# One refund, one effect (issue 11; docs/returns.md "Once"): a Shopify
# refund delivered 5 times one after another and 20 times in parallel
# through nginx, worked by two workers of one group, then every delivery
# replayed with `invsyncctl replay`: one refund.record applied, one
# restock (on hand one more, one refund.restock entry), the line counted
# once against the order (K refunded:, no refund_over_quantity), one
# journal entry for the refund and one for its restocked line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for
                     ctl map_sku);
use InvsyncSetup qw(hook_locations hook_channels shopify_req send_req
                    on_hand_total accounts audits caught_up);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush' },
    locations => hook_locations('shopify'));

$t->run;
$t->wait_ready;
$t->plan(14);

my $K = 'invsync:{invsync}:';
my $conf = worker_conf($t, 'worker.json',
    channels => [ hook_channels('shopify') ],
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    returns => { restock_on => 'refund' },
    journal => { accounts => { accounts() } });
run_worker($t, 'w1', $conf);
run_worker($t, 'w2', $conf);
map_sku($t, 'SKU-A', 111, 501);
map_sku($t, 'SKU-B', 222, 502);
my ($rc, $out) = ctl($t, $conf, 'sku', 'set', 'SKU-A', '--cost-minor', '712',
                     '--currency', 'EUR');
is($rc, 0, 'SKU-A costs 7.12 EUR') or diag($out);

sub send_one { send_req($t, shopify_req(@_)) }
sub on_hand { on_hand_total($t, $_[0]) }

sub of { audits($t, $_[0], $_[1] => $_[2]) }

sub journal {
    my ($cause) = @_;
    return scalar(grep { $_->[1]{cause} eq $cause }
                  @{$t->stream("${K}journal")});
}

sub settled { wait_for(60, sub { caught_up($t, 'invsync:refunds') }) }

send_one('orders/create', 'o-501', encode_json({
    id => 501, name => '#501', created_at => '2026-11-20T10:00:00+01:00',
    updated_at => '2026-11-20T10:00:00+01:00', currency => 'EUR',
    total_price => '49.97', financial_status => 'paid', refunds => [],
    line_items => [
        { id => 9001, sku => 'SKU-A', quantity => 2, price => '19.99' },
        { id => 9002, sku => 'SKU-B', quantity => 1, price => '9.99' } ] }));
ok(wait_for(10, sub { $t->redis('HGET', "${K}order:shop-eu:501", 'data') }),
   'the order recorded');
my $a0 = on_hand('SKU-A');

my $refund = encode_json({
    id => 7001, order_id => 501, created_at => '2026-11-21T10:00:00Z',
    processed_at => '2026-11-21T10:00:00Z', restock => JSON::PP::false,
    refund_line_items => [
        { id => 1, line_item_id => 9001, quantity => 1,
          restock_type => 'return', subtotal => 19.99, total_tax => 0,
          line_item => { id => 9001, sku => 'SKU-A', quantity => 2 } } ],
    transactions => [ { id => 1, kind => 'refund', status => 'success',
                        amount => '19.99', currency => 'EUR' } ],
});

my $sent = 0;
for my $i (1 .. 5) {
    $sent += send_one('refunds/create', "r-$i", $refund)->{status} == 200;
}
$sent += grep { $_->{status} == 200 }
         $t->parallel(map { [shopify_req('refunds/create', "r-p$_", $refund)] }
                      1 .. 20);
is($sent, 25, '5 deliveries one after another, 20 in parallel: accepted');
ok(wait_for(60, sub { @{of('refund.record', 'order', 'shop-eu:501')} >= 25
                      && settled() }),
   'two workers worked the 25 through');

# every delivery again, as an operator's replay
my $first = $t->redis('XRANGE', 'invsync:refunds', '-', '+', 'COUNT', 1);
($rc, $out) = ctl($t, $conf, 'replay', '--stream', 'refunds', '--from',
                  $first->[0][0], '--why', 'test');
is($rc, 0, 'replayed') or diag($out);
like($out, qr/^replayed 25 entries/, 'the 25 of them');
# a replay of what was done writes nothing, not even an audit entry: the
# workers' log lines say each was handled
sub handled {
    my $n = 0;
    for my $w ('w1', 'w2') {
        my $log = eval { $t->read_file($t->dir . "/logs/$w.out") } // '';
        $n += () = $log =~ /"msg":"event","stream":"refunds"/g;
    }
    return $n;
}
ok(wait_for(60, sub { handled() >= 50 && settled() }),
   'the replay worked through (50 refund events in the workers\' logs)')
    or diag(handled());

is(scalar(grep { $_->{result} eq 'applied' }
          @{of('refund.record', 'order', 'shop-eu:501')}), 1,
   'one refund.record applied, 25 delivered and 25 replayed');
is(on_hand('SKU-A') - $a0, 1, 'one unit restocked');
is(scalar @{of('refund.restock', 'cause', 'restock:shop-eu:7001:9001')}, 1,
   'one refund.restock entry');
is($t->redis('HGET', "${K}refunded:shop-eu:501", 'units:9001'), 1,
   'the line counted once against the order');
is_deeply([grep { /^refund_/ }
           @{$t->redis('ZRANGE', "${K}exceptions:all", 0, -1)}], [],
          'no exception');
is(journal('refund:shop-eu:7001'), 1, 'one journal entry for the refund');
is(journal('restock:shop-eu:7001:9001'), 1,
   'one for its restocked line');

stop_worker($t, 'w1');
stop_worker($t, 'w2');

$t->done;
