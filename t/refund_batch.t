#!/usr/bin/perl

# The refunds of one read, pipelined (docs/performance.md, "Refunds with
# the journal"; src/actions/refund/invsync_refund_batch.c): with the worker
# stopped, refunds queue up through nginx, then one read takes them all.
# The batch must come to what the rows alone would: a refund restocked and
# journalled once however often it comes in the read, a refund of an
# unknown order waiting as its exception, a refund whose line's SKU is
# unmapped as refund_sku_unmapped, a second refund of a line beyond what
# was sold as refund_over_quantity, the refunds of one order counted in
# stream order.  Then SCRIPT FLUSH between two reads: the pipelined
# scripts answer NOSCRIPT, are loaded again, and no refund is lost.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for
                     audit_entries map_sku);
use InvsyncSetup qw(hook_locations hook_channels shopify_req send_req
                    on_hand_total accounts audits caught_up);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush' },
    locations => hook_locations('shopify'));

$t->run;
$t->wait_ready;
$t->plan(22);

my $K = 'invsync:{invsync}:';
my $conf = worker_conf($t, 'worker.json',
    log_level => 'debug',
    channels => [ hook_channels('shopify') ],
    consumer => { block_ms => 50, claim_idle_ms => 5000, batch => 64 },
    returns => { restock_on => 'refund' },
    journal => { accounts => { accounts() } });
map_sku($t, 'SKU-A', 111, 601);
map_sku($t, 'SKU-B', 222, 602);
$t->redis('HSET', "${K}sku:SKU-A", 'cost_minor', 712, 'cost_currency', 'EUR');

sub post { send_req($t, shopify_req(@_))->{status} }
sub on_hand { on_hand_total($t, $_[0]) }

sub of { audits($t, $_[0], $_[1] => $_[2]) }

sub journal {
    my ($cause) = @_;
    return scalar(grep { $_->[1]{cause} eq $cause }
                  @{$t->stream("${K}journal")});
}

sub settled { wait_for(60, sub { caught_up($t, 'invsync:refunds') }) }

sub exceptions {
    my ($kind) = @_;
    return scalar grep { /^\Q$kind\E:/ }
        @{$t->redis('ZRANGE', "${K}exceptions:all", 0, -1)};
}

# the "refunds pipelined" lines of the worker's log: [refunds, alone] each
sub pipelined {
    my $log = eval { $t->read_file($t->dir . '/logs/w1.out') } // '';
    return [map { [/"refunds":(\d+)/, /"alone":(\d+)/] }
            grep { /"msg":"refunds pipelined"/ } split /\n/, $log];
}

sub order {
    my ($id, @lines) = @_;
    return encode_json({ id => $id, name => "#$id",
        created_at => '2026-11-20T10:00:00Z',
        updated_at => '2026-11-20T10:00:00Z', currency => 'EUR',
        total_price => '49.97', financial_status => 'paid', refunds => [],
        line_items => \@lines });
}

# a refund of lines [line id, SKU, quantity], each restocked as returned
sub refund {
    my ($id, $oid, @lines) = @_;
    return encode_json({ id => $id, order_id => $oid,
        created_at => '2026-11-21T10:00:00Z', restock => JSON::PP::false,
        refund_line_items => [ map {
            { id => $_->[0], line_item_id => $_->[0], quantity => $_->[2],
              restock_type => 'return', subtotal => 10, total_tax => 0,
              line_item => { id => $_->[0], sku => $_->[1] } } } @lines ],
        transactions => [ { id => 1, kind => 'refund', status => 'success',
                            amount => '10.00', currency => 'EUR' } ] });
}

run_worker($t, 'w1', $conf);
post('orders/create', 'o-601', order(601,
    { id => 6011, sku => 'SKU-A', quantity => 3, price => '19.99' },
    { id => 6012, sku => 'SKU-X', quantity => 1, price => '9.99' }));
post('orders/create', 'o-602', order(602,
    { id => 6021, sku => 'SKU-B', quantity => 1, price => '9.99' }));
ok(wait_for(10, sub { $t->redis('HGET', "${K}order:shop-eu:601", 'data')
                      && $t->redis('HGET', "${K}order:shop-eu:602", 'data') }),
   'the two orders recorded');
stop_worker($t, 'w1');
unlink $t->dir . '/logs/w1.out';

my ($a0, $b0) = (on_hand('SKU-A'), on_hand('SKU-B'));
my @sent = (
    post('refunds/create', 'r-1', refund(8001, 601, [6011, 'SKU-A', 1])),
    post('refunds/create', 'r-1-again', refund(8001, 601,
                                                [6011, 'SKU-A', 1])),
    post('refunds/create', 'r-2', refund(8002, 999, [9991, 'SKU-A', 1])),
    post('refunds/create', 'r-3', refund(8003, 601, [6012, 'SKU-X', 1])),
    post('refunds/create', 'r-4', refund(8004, 602, [6021, 'SKU-B', 1])),
    post('refunds/create', 'r-5', refund(8005, 602, [6021, 'SKU-B', 2])),
    post('refunds/create', 'r-6', refund(8006, 601, [6011, 'SKU-A', 1])));
is_deeply(\@sent, [(200) x 7], 'seven refunds queued while no worker runs');

run_worker($t, 'w1', $conf);
ok(settled(), 'one worker worked them through');
my $p = pipelined();
ok(@$p == 1 && $p->[0][0] == 7 && $p->[0][1] == 2,
   'one read of seven refunds, two of them alone (unknown order, unmapped)')
    or diag(explain($p));

is(scalar(grep { $_->{result} eq 'applied' }
          @{of('refund.record', 'order', 'shop-eu:601')}), 3,
   'refund 8001 recorded once of its two deliveries, 8003 and 8006 once');
is(on_hand('SKU-A') - $a0, 2, 'SKU-A: one unit back for 8001, one for 8006');
is(scalar @{of('refund.restock', 'cause', 'restock:shop-eu:8001:6011')}, 1,
   'one refund.restock entry for 8001');
is($t->redis('HGET', "${K}refunded:shop-eu:601", 'units:6011'), 2,
   'the line counted once for 8001 and once for 8006');
is(journal('refund:shop-eu:8001'), 1, 'one journal entry for 8001');
is(journal('restock:shop-eu:8001:6011'), 1, 'one for its restocked line');
is(exceptions('refund_unknown_order'), 1,
   'the refund of an unknown order is an exception');
is(exceptions('refund_sku_unmapped'), 1,
   'the line of an unmapped SKU is refund_sku_unmapped');
is(on_hand('SKU-B') - $b0, 1, 'SKU-B: the one unit sold back once');
is(exceptions('refund_over_quantity'), 1,
   'the second refund of SKU-B, beyond what was sold, is an exception');
my ($over) = grep { $_->{action} eq 'refund.restock'
                    && $_->{cause} eq 'restock:shop-eu:8005:6021' }
             @{audit_entries($t)};
like($over->{decision} // '', qr/"reason":"beyond_sold"/,
     'and restocks nothing: the first refund took the one sold');

# the order arrives: the waiting refund is re-checked and recorded
post('orders/create', 'o-999', order(999,
    { id => 9991, sku => 'SKU-A', quantity => 1, price => '19.99' }));
ok(wait_for(20, sub { scalar @{of('refund.record', 'order',
                                  'shop-eu:999')} }),
   'the refund that waited is recorded when its order comes');
# its restock is a step of its own, after the record: waited for, or the
# next check counts its unit as the next refund's (CI's run, once)
wait_for(20, sub { scalar @{of('refund.restock', 'cause',
                               'restock:shop-eu:8002:9991')} });
settled();

# the script cache lost between two reads of a running worker: the
# pipelined EVALSHAs answer NOSCRIPT, the scripts are loaded again and the
# calls repeated (not sent alone, not lost); the two refunds are added in
# one MULTI so that one read takes both
$t->redis('SCRIPT', 'FLUSH');
my $a1 = on_hand('SKU-A');
my $n0 = @{pipelined()};
$t->redis('MULTI');
for ([8009, 601, [6011, 'SKU-A', 1]], [8010, 602, [6021, 'SKU-B', 1]]) {
    $t->redis('XADD', 'invsync:refunds', '*', v => 1, channel => 'shop-eu',
              scheme => 'shopify', account => 'shop-eu.myshopify.com',
              topic => 'refunds/create', event => "r-$_->[0]",
              received => int(time * 1000), body => refund(@$_));
}
$t->redis('EXEC');
ok(settled(), 'after SCRIPT FLUSH, two refunds of one read worked');
$p = pipelined();
ok(@$p == $n0 + 1 && $p->[-1][0] == 2 && $p->[-1][1] == 0,
   'both in the batch, none sent alone') or diag(explain($p));
is(scalar(grep { $_->{result} eq 'applied' }
          @{of('refund.record', 'order', 'shop-eu:601')}), 4,
   'refund 8009 recorded');
is(on_hand('SKU-A') - $a1, 1, 'and restocked');
is(journal('refund:shop-eu:8009'), 1, 'and journalled');
like($t->read_file($t->dir . '/logs/w1.out'), qr/"result":"applied"/,
     'the worker says so');
stop_worker($t, 'w1');

$t->done;
