#!/usr/bin/perl

# The journal through nginx and the worker (docs/journal.md): a Shopify
# refund delivered 5 times one after another and 20 times at once is one
# journal entry (and one for its restocked line, at the SKU's cost); a
# Stripe refund matched to the Shopify order pays the refund payable; a
# partial refund keeps a fee; every entry and the trial balance sum to
# zero per currency; the CSV export parses and has the documented
# columns, in Xero's and QuickBooks Online's layouts.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for map_sku
                     ctl worker_bin audit_entries);
use InvsyncSetup qw(hook_locations hook_channels shopify_req
                    stripe_event_req send_req accounts);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker'],
    secrets => { 'shopify.secret' => 'hush',
                 'stripe.secret'  => 'whsec_test_journal' },
    locations => hook_locations(qw(shopify stripe)));

$t->run;
$t->wait_ready;
$t->plan(24);

my $K = 'invsync:{invsync}:';
my %acc = accounts();
my @channels = hook_channels(qw(shopify stripe));
my $conf = worker_conf($t, 'worker.json', channels => \@channels,
                       returns => { restock_on => 'refund' },
                       journal => { accounts => \%acc });

# a role left out is refused at -t with its JSON path
my %short = %acc;
delete $short{write_offs};
my $bad = worker_conf($t, 'bad.json', channels => \@channels,
                      journal => { accounts => \%short });
my $bin = worker_bin($t);
my $out = `'$bin' -t -c '$bad' 2>&1`;
like($out, qr/\$\.journal\.accounts\.write_offs: is required/,
     'worker -t: a role without an account refused by its path')
    or diag($out);

run_worker($t, 'w', $conf);
map_sku($t, 'SKU-A', 111, 501);
map_sku($t, 'SKU-B', 222, 502);

my ($rc) = ctl($t, $conf, 'sku', 'set', 'SKU-A', '--cost-minor', '712',
               '--currency', 'EUR');
is($rc, 0, 'SKU-A costs 7.12 EUR');

sub send_one { send_req($t, $_[0]) }

sub entries {
    return [map { my %f = %{$_->[1]}; $f{lines} = decode_json($f{lines});
                  \%f } @{$t->stream("${K}journal")}];
}

sub entry {
    my ($cause) = @_;
    return [grep { $_->{cause} eq $cause } @{entries()}];
}

sub zero {
    my ($e) = @_;
    my %sum;
    $sum{$_->{currency}} += $_->{amount_minor} for @{$e->{lines}};
    return !grep { $_ != 0 } values %sum;
}

sub amounts {
    my ($e) = @_;
    return [map { "$_->{account} $_->{amount_minor}" } @{$e->{lines}}];
}

my $order = encode_json({
    id => 501, name => '#501', created_at => '2026-11-20T10:00:00+01:00',
    updated_at => '2026-11-20T10:00:00+01:00', currency => 'EUR',
    total_price => '49.97', financial_status => 'paid',
    line_items => [
        { id => 9001, sku => 'SKU-A', quantity => 2, price => '19.99' },
        { id => 9002, sku => 'SKU-B', quantity => 1, price => '9.99' } ],
    refunds => [],
});
send_one(shopify_req('orders/create', 'o-501', $order));
ok(wait_for(10, sub { $t->redis('HGET', "${K}payref:order:501", 'order') }),
   'the order recorded');

my $refund = encode_json({
    id => 7001, order_id => 501, created_at => '2026-11-21T10:00:00Z',
    processed_at => '2026-11-21T10:00:00Z', restock => JSON::PP::false,
    refund_line_items => [
        { id => 1, line_item_id => 9001, quantity => 1,
          restock_type => 'return', subtotal => 19.99, total_tax => 0,
          line_item => { id => 9001, sku => 'SKU-A', quantity => 2 } },
        { id => 2, line_item_id => 9002, quantity => 1,
          restock_type => 'no_restock', subtotal => 9.99,
          line_item => { id => 9002, sku => 'SKU-B', quantity => 1 } } ],
    order_adjustments => [
        { id => 3, kind => 'shipping_refund', amount => '-4.95',
          tax_amount => '-0.00', reason => 'Shipping refund' } ],
    transactions => [ { id => 1, kind => 'refund', status => 'success',
                        amount => '34.93', currency => 'EUR' } ],
});

my $sent = 0;
for my $i (1 .. 5) {
    $sent += send_one(shopify_req('refunds/create', "r-$i", $refund))->{status}
             == 200;
}
my @par = $t->parallel(map { [shopify_req('refunds/create', "r-p$_",
                                          $refund)] } 1 .. 20);
$sent += grep { $_->{status} == 200 } @par;
is($sent, 25, '25 deliveries of the refund accepted');

ok(wait_for(60, sub {
       25 <= grep { ($_->{action} // '') eq 'refund.record'
                    && ($_->{order} // '') eq 'shop-eu:501' }
                  @{audit_entries($t)} }),
   'the 25 deliveries worked through');

my $e = entry('refund:shop-eu:7001');
is(scalar @$e, 1, 'one journal entry for the refund, 25 deliveries');
is_deeply(amounts($e->[0]),
          ['sales_returns 1999', 'sales_returns 999', 'shipping_income 495',
           'refunds_payable -3493'],
          'revenue reversed per line, shipping refunded, refund payable')
    or diag(explain($e));
my $r = entry('restock:shop-eu:7001:9001');
is(scalar @$r, 1, 'one entry for the restocked line');
is_deeply(amounts($r->[0] // {}), ['inventory 712', 'cost_of_goods -712'],
          'the returned unit back in inventory at its cost')
    or diag(explain(entries()));

# Stripe: the whole order's refund, matched by metadata.order_id; its own
# time (2 December) is the entry's date

my $at = 1796212800;
send_req($t, stripe_event_req('whsec_test_journal', 'evt_full',
    'charge.refunded', {
        id => 'ch_full', object => 'charge', amount => 4997,
        amount_refunded => 4997, currency => 'eur', created => $at,
        metadata => { order_id => '501' }, refunded => JSON::PP::true,
        refunds => { object => 'list', data => [
            { id => 're_full', object => 'refund', amount => 4997,
              charge => 'ch_full', currency => 'eur', created => $at,
              status => 'succeeded', metadata => {} } ] } },
    created => $at));
ok(wait_for(20, sub { @{entry('refund:stripe-main:re_full')} }),
   'the Stripe refund journalled');
is_deeply(amounts(entry('refund:stripe-main:re_full')->[0] // {}),
          ['refunds_payable 4997', 'refunds_paid -4997'],
          'matched to the Shopify order: the payable paid, no second '
          . 'reversal');

# a partial refund: one more SKU-A, 15.00 paid back of 19.99

my $part = encode_json({
    id => 7002, order_id => 501, created_at => '2026-11-25T09:00:00Z',
    processed_at => '2026-11-25T09:00:00Z', restock => JSON::PP::false,
    refund_line_items => [
        { id => 4, line_item_id => 9001, quantity => 1,
          restock_type => 'no_restock', subtotal => 19.99, total_tax => 0,
          line_item => { id => 9001, sku => 'SKU-A', quantity => 2 } } ],
    order_adjustments => [],
    transactions => [ { id => 2, kind => 'refund', status => 'success',
                        amount => '15.00', currency => 'EUR' } ],
});
send_one(shopify_req('refunds/create', 'r-7002', $part));
ok(wait_for(20, sub { @{entry('refund:shop-eu:7002')} }),
   'the partial refund journalled');
is_deeply(amounts(entry('refund:shop-eu:7002')->[0] // {}),
          ['sales_returns 1999', 'fees_income -499', 'refunds_payable -1500'],
          'partial: what was not paid back kept as a fee');

is(scalar(grep { !zero($_) } @{entries()}), 0,
   'every entry sums to zero per currency');

# the exports

my ($docs) = grep { /^\*Narration,/ }
    split /\n/, do { local (@ARGV, $/) = "$FindBin::Bin/../docs/journal.md";
                     <> // '' };
($rc, $out) = ctl($t, $conf, 'journal', 'export', '--from', '2026-01-01',
                  '--to', '2099-12-31');
my @rows = map { [parse_csv($_)] } grep { length } split /\r?\n/, $out;
is(join(',', @{$rows[0] // []}), $docs // '(no header in docs/journal.md)',
   'xero csv: the header docs/journal.md gives');
my $sum = 0;
$sum += $_->[5] for @rows[1 .. $#rows];
ok($rc == 0 && @rows == 1 + 4 + 2 + 2 + 3 && abs($sum) < 0.001
   && (grep { $_->[0] eq 'refund:shop-eu:7001' && $_->[1] eq '21/11/2026'
              && $_->[3] eq '2110' && $_->[5] eq '-34.93' } @rows),
   'xero csv: one row per line, dd/mm/yyyy, signed amounts summing to zero')
    or diag($out);

($rc, $out) = ctl($t, $conf, 'journal', 'export', '--from', '2026-01-01',
                  '--to', '2099-12-31', '--layout', 'quickbooks');
@rows = map { [parse_csv($_)] } grep { length } split /\r?\n/, $out;
my ($dr, $cr) = (0, 0);
for (@rows[1 .. $#rows]) { $dr += $_->[4] || 0; $cr += $_->[5] || 0 }
ok($rc == 0 && join(',', @{$rows[0]}) eq 'Journal No,Journal Date,Currency,'
   . 'Account Name,Debits,Credits,Description,Name'
   && abs($dr - $cr) < 0.001 && $dr > 0
   && (grep { $_->[1] eq '11/21/2026' && $_->[3] eq '4020'
              && $_->[4] eq '4.95' } @rows),
   'quickbooks csv: MM/DD/YYYY, debits equal credits') or diag($out);

($rc, $out) = ctl($t, $conf, '--json', 'journal', 'trial-balance', '--from',
                  '2026-11-01', '--to', '2026-11-30');
my $tb = eval { decode_json($out) } // {};
ok($rc == 0 && $tb->{currencies}{EUR}{balance_minor} == 0
   && $tb->{currencies}{EUR}{debit_minor} == 1999 + 999 + 495 + 712 + 1999,
   'trial balance of November: zero, the Stripe payment of December '
   . 'outside it') or diag($out);

is(stop_worker($t, 'w'), 0, 'worker stops cleanly');

###############################################################################
# restock_on receipt (the default): a return refunded before it is back is
# not inventory yet; the journal books the refund, no unit at cost

my $wait = worker_conf($t, 'wait.json', channels => \@channels,
                       journal => { accounts => \%acc });
run_worker($t, 'w2', $wait);
send_one(shopify_req('orders/create', 'o-503', encode_json({
    id => 503, name => '#503', created_at => '2026-11-20T10:00:00+01:00',
    updated_at => '2026-11-20T10:00:00+01:00', currency => 'EUR',
    total_price => '19.99', financial_status => 'paid',
    line_items => [
        { id => 9031, sku => 'SKU-A', quantity => 1, price => '19.99' } ],
    refunds => [] })));
ok(wait_for(10, sub { $t->redis('HGET', "${K}payref:order:503", 'order') }),
   'another order recorded');
my $later = encode_json({
    id => 7003, order_id => 503, created_at => '2026-11-22T10:00:00Z',
    processed_at => '2026-11-22T10:00:00Z',
    refund_line_items => [
        { id => 31, line_item_id => 9031, quantity => 1,
          restock_type => 'return', subtotal => 19.99, total_tax => 0,
          line_item => { id => 9031, sku => 'SKU-A', quantity => 1 } } ],
    transactions => [ { id => 2, kind => 'refund', status => 'success',
                        amount => '19.99', currency => 'EUR' } ],
});
is(send_one(shopify_req('refunds/create', 'r-later', $later))->{status}, 200,
   'a return refunded before its parcel is back');
ok(wait_for(30, sub { @{entry('refund:shop-eu:7003')} == 1 }),
   'its refund booked') or diag($t->read_file('logs/w2.out'));
is_deeply(entry('restock:shop-eu:7003:9031'), [],
          'no unit back in inventory until the receipt');
is(stop_worker($t, 'w2'), 0, 'the second worker stops cleanly');

$t->done;

# one CSV row (RFC 4180 quotes)
sub parse_csv {
    my ($line) = @_;
    my @f;
    while ($line =~ /\G(?:"((?:[^"]|"")*)"|([^,]*))(,|$)/g) {
        push @f, defined $1 ? $1 =~ s/""/"/gr : $2;
        last if $3 eq '';
    }
    return @f;
}
