#!/usr/bin/perl

# Square end to end, through nginx with the module, Redis and
# invsync-worker, against the Square and Shopify simulators
# (t/lib/InvsyncSim.pm): counted stock reaches both channels; a Square
# order's signed order.created webhook is accepted and audited as carrying
# no lines, the poller (SearchOrders) brings the order, the ledger reserves
# and both channels follow; a count changed in Square's dashboard
# (inventory.count.updated) is taken as a correction, and the same webhook
# again changes nothing; orders no webhook told of are found by polling,
# over cursor pages; a canceled order releases, a completed one ships;
# invsyncctl reconcile reads Square's counts back
# (BatchRetrieveInventoryCounts) and gets a silent drift put right; a 429
# RATE_LIMITED push is retried later; a change Square refuses opens an
# exception, and the variation Square does not know reads as missing
# (BatchRetrieveCatalogObjects), not as 0; 150 SKUs go in batches and pages
# of at most 100.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use POSIX ();
use HTTP::Tiny;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(sleep time);
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for
                     audit_entries ctl);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => {
        'square.secret' => 'sq_Sig-Key_123',
        'square.token'  => 'EAAAEtest_token',
        'shop.secret'   => 'shpss_hook_secret',
        'shop.token'    => 'shpat_test',
    },
    locations => <<'EOF');
        location = /hooks/square {
            invsync_webhook square;
            invsync_channel sq-main;
            invsync_secret_file %%TESTDIR%%/square.secret;
            invsync_notification_url http://127.0.0.1:%%PORT%%/hooks/square;
        }

        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/shop.secret;
        }
EOF
$t->run;
$t->wait_ready;
$t->plan(75);

my $hooks = 'http://127.0.0.1:' . $t->port('http');
my $sq = InvsyncSim::start($t, 'square', webhook_url => "$hooks/hooks/square",
    webhook_secret => 'sq_Sig-Key_123', merchant_id => 'MSIMSQUARE1',
    items => [
        { catalog_object_id => 'VARMUGBLUE', location_id => 'LOC1',
          quantity => 0, sku => 'MUG-BLUE', price => 1500 },
        { catalog_object_id => 'VARMUGRED', location_id => 'LOC1',
          quantity => 0, sku => 'MUG-RED' },
    ]);
my $shop = InvsyncSim::start($t, 'shopify',
    webhook_url => "$hooks/hooks/shopify",
    webhook_secret => 'shpss_hook_secret',
    items => [
        { inventory_item_id => 111, location_id => 9, available => 0,
          sku => 'MUG-BLUE' },
        { inventory_item_id => 222, location_id => 9, available => 0,
          sku => 'MUG-RED' },
    ]);

my $K = 'invsync:{invsync}:';

# worker.json: Square polled every second, its dashboard changes taken as
# corrections or ($external undef) overwritten
sub conf {
    my ($external, $poll_s) = @_;
    return worker_conf($t, 'worker.json',
        consumer => { block_ms => 50, claim_idle_ms => 5000 },
        limits => { heartbeat_ms => 200, reconcile_s => 0 },
        retry => { attempts => 5, base_ms => 50, max_ms => 1000 },
        locations => [ { id => 'wh1' } ],
        channels => [
            { id => 'sq-main', type => 'square', api_base => $sq,
              credentials_file => $t->dir . '/square.token',
              poll_s => $poll_s // 1,
              options => { locations => ['LOC1'],
                           merchant_id => 'MSIMSQUARE1' },
              stock => { locations => ['wh1'],
                         $external ? (external_changes => $external) : () } },
            { id => 'shop-eu', type => 'shopify', api_base => $shop,
              credentials_file => $t->dir . '/shop.token',
              stock => { locations => ['wh1'] } },
        ]);
}

my $conf = conf();
my $bin = $t->program('invsync-worker');
my $out = `$bin -t -c $conf 2>&1`;
is($? >> 8, 0, '-t: a Square channel that polls is valid') or diag($out);

# the SKUs mapped as an operator maps them
for (['MUG-BLUE', 'VARMUGBLUE', 111], ['MUG-RED', 'VARMUGRED', 222]) {
    my ($sku, $var, $item) = @$_;
    my ($rc, $said) = ctl($t, $conf, 'sku', 'map', $sku, '--channel',
                          'sq-main', '--variation-id', $var,
                          '--location', 'LOC1');
    is($rc, 0, "$sku mapped on Square") or diag($said);
    ($rc, $said) = ctl($t, $conf, 'sku', 'map', $sku, '--channel', 'shop-eu',
                       '--inventory-item', $item, '--location', 9);
    is($rc, 0, "$sku mapped on Shopify") or diag($said);
}

run_worker($t, 'w', $conf);

sub square { InvsyncSim::quantity($t, 'square', $_[0], 'LOC1') // -1 }
sub shopify { InvsyncSim::quantity($t, 'shopify', $_[0], 9) // -1 }

sub both_show {
    my ($want, $secs) = @_;
    return wait_for($secs // 15, sub {
        square('VARMUGBLUE') == $want && shopify(111) == $want });
}

sub ledger { return { @{$t->redis('HGETALL', "${K}stock:MUG-BLUE")} } }

sub count {
    my ($sku, $qty) = @_;
    my ($rc, $said) = ctl($t, $conf, 'stock', 'set', $sku, '--location',
                          'wh1', '--qty', $qty, '--why', 'count');
    return $rc == 0 ? 1 : diag($said);
}

sub sq_requests {
    my ($path, $since) = @_;
    return [grep { $_->{path} eq $path }
            @{InvsyncSim::requests($t, 'square', $since)}];
}

sub log_has { return $t->read_file('logs/w.out') =~ $_[0] }

# an inventory.count.updated of one count, signed as Square signs it;
# returns {status, event}
sub signed_count {
    my ($var, $qty, $at) = @_;
    my $event = sprintf('test-%s-%d', $var, int(rand(1e9)));
    my $body = encode_json({ merchant_id => 'MSIMSQUARE1',
        type => 'inventory.count.updated', event_id => $event,
        created_at => $at,
        data => { type => 'inventory', id => $event, object => {
            inventory_counts => [ { catalog_object_id => $var,
                catalog_object_type => 'ITEM_VARIATION', state => 'IN_STOCK',
                location_id => 'LOC1', quantity => "$qty",
                calculated_at => $at } ] } } });
    my $url = "$hooks/hooks/square";
    my $sig = encode_base64(hmac_sha256($url . $body, 'sq_Sig-Key_123'), '');
    my $r = HTTP::Tiny->new(timeout => 10)->request('POST', $url,
        { headers => { 'Content-Type' => 'application/json',
                       'X-Square-HmacSha256-Signature' => $sig },
          content => $body });
    return { status => $r->{status}, event => $event };
}

# counted stock reaches both channels

ok(count('MUG-BLUE', 20) && count('MUG-RED', 5), 'stock counted');
ok(both_show(20), 'both channels show 20')
    or diag(explain [square('VARMUGBLUE'), shopify(111)]);
# the last one: mapping a SKU marks it for a push (of 0, before the count)
my ($push) = reverse grep { ($_->{body} // '')
                            =~ /"catalog_object_id":"VARMUGBLUE"/ }
             @{sq_requests('/v2/inventory/changes/batch-create')};
my $b = decode_json($push->{body});
my ($pc) = map { $_->{physical_count} }
           grep { $_->{physical_count}{catalog_object_id} eq 'VARMUGBLUE' }
           @{$b->{changes}};
is_deeply([$pc->{quantity}, $pc->{location_id}, $pc->{state},
           $push->{headers}{'square-version'},
           $push->{headers}{authorization}],
          ['20', 'LOC1', 'IN_STOCK', '2025-10-16', '[redacted]'],
          'pushed as a PHYSICAL_COUNT, a decimal string, with Square-Version '
          . 'and the token');
like($b->{idempotency_key}, qr/^invsync-sq-main-\d+$/,
     'with an idempotency key');
ok(wait_for(10, sub { square('VARMUGRED') == 5 }), 'the other SKU too');

# a Square order: its webhook says no lines, the poller brings it

my $nwh = scalar @{InvsyncSim::webhooks($t, 'square')};
my $nbefore = InvsyncSim::requests($t, 'square')->[-1]{n};
my $o1 = InvsyncSim::order($t, 'square', reference_id => 'R-1',
    line_items => [ { catalog_object_id => 'VARMUGBLUE', quantity => 3 } ]);
my ($wh, $created);
wait_for(10, sub {
    ($created) = grep { $_->{topic} eq 'order.created' }
                 @{InvsyncSim::webhooks($t, 'square', $nwh)};
    return $created && defined $created->{status} });
is($created && $created->{status}, 200,
   'the signed order.created webhook is accepted by nginx');
ok(wait_for(10, sub { grep { ($_->{action} // '') eq 'event.ignore'
                             && ($_->{channel} // '') eq 'sq-main'
                             && ($_->{inputs} // '') =~ /"order\.created"/ }
                      @{audit_entries($t)} }),
   'and audited as ignored (a Square order notice carries no lines)')
    or diag(explain [map { join ' ', map { $_ // '' } @$_{qw(action result inputs)} }
                     @{audit_entries($t)}]);
ok(wait_for(15, sub { (ledger()->{unrouted} // 0) == 3 }),
   'the poller finds the order: 3 reserved')
    or diag(explain ledger());
ok(both_show(17), 'both channels show 17')
    or diag(explain [square('VARMUGBLUE'), shopify(111)]);
# Square took the 3 units itself and said so at once, before the poll
# brought the order: that count notice was held until a poll round had
# read the orders, then found consistent (docs/channels/square.md, "Orders
# come by polling"); Square was never sent the old 20 again
sub observed {
    my ($decision, $qty) = @_;
    return [grep { ($_->{action} // '') eq 'inventory.observe'
                   && ($_->{channel} // '') eq 'sq-main'
                   && ($_->{inputs} // '') =~ /"decision":"$decision"/
                   && $_->{inputs} =~ /"available":$qty\b/ }
            @{audit_entries($t)}];
}
ok(wait_for(10, sub { @{observed('held', 17)}
                      && @{observed('(?:consistent|echo)', 17)} }),
   'the order\'s own count notice, ahead of the poll, held, then '
   . 'consistent (or the echo of the push that followed the order)')
    or diag(explain [map { $_->{inputs} } @{audit_entries($t)}]);
my ($held) = @{observed('held', 17)};
my ($back) = @{observed('(?:consistent|echo)', 17)};
ok($held && $back->{event} eq "held:1:$held->{event}",
   'handed back once, as held:1:<event>') or diag(explain [$held, $back]);
# the same notice's second count, the SOLD one of the sale's state change
# (docs/channels/square.md, "Count notices"): not what Square sells from
my ($sold) = grep { ($_->{action} // '') eq 'inventory.observe'
                    && $_->{event} eq $held->{event}
                    && ($_->{inputs} // '') =~ /"part":1\b/ }
             @{audit_entries($t)};
is_deeply($sold && decode_json($sold->{inputs}),
          { decision => 'not_available', channel_state => 'SOLD',
            location_id => 'LOC1', available => undef, part => 1,
            ref => 'item:VARMUGBLUE' },
          'the sale\'s SOLD count, in the same notice: not_available')
    or diag(explain [map { $_->{inputs} } @{audit_entries($t)}]);
is_deeply([grep { ($_->{body} // '') =~ /"catalog_object_id":"VARMUGBLUE"/
                  && $_->{body} =~ /"quantity":"20"/ }
           @{sq_requests('/v2/inventory/changes/batch-create', $nbefore)}],
          [], 'Square never shown the sold units as available again');
is_deeply(observed('overwrite', '-?\d+'), [], 'no notice overwritten');
my @polls = @{sq_requests('/v2/orders/search')};
my $pb = decode_json($polls[-1]{body});
is_deeply([$pb->{location_ids}, $pb->{query}{sort}{sort_field}],
          [['LOC1'], 'UPDATED_AT'], 'polled by SearchOrders on the location');
my ($entry) = grep { $_->[1]{channel} eq 'sq-main'
                     && $_->[1]{event} =~ /^poll:\Q$o1->{id}\E:/ }
              @{$t->stream('invsync:orders')};
is_deeply([map { $entry->[1]{$_} } qw(scheme topic account)],
          ['square', 'order.polled', 'MSIMSQUARE1'],
          'a polled envelope, its account the merchant');

# two variations' counts at one location, taken at the same instant: each
# is the state of its own variation (inventory:<channel>:item:<id>:<loc>),
# so neither notice is compared with the other's version

my $now = time;
my $instant = POSIX::strftime('%Y-%m-%dT%H:%M:%S', gmtime($now))
              . sprintf('.%03dZ', ($now - int $now) * 1000);
my @pair = map { signed_count($_->[0], $_->[1], $instant) }
           ['VARMUGRED', 5], ['VARMUGBLUE', 17];
is_deeply([map { $_->{status} } @pair], [200, 200],
          'two count notices of one instant accepted');
my %seen_result;
ok(wait_for(10, sub {
       %seen_result = map { $_->{event} => $_->{result} }
                      grep { ($_->{action} // '') eq 'inventory.observe' }
                      @{audit_entries($t)};
       return !grep { !defined $seen_result{$_->{event}} } @pair }),
   'both observed');
is_deeply([map { $seen_result{$_->{event}} } @pair], ['applied', 'applied'],
          'each applied to its own variation\'s state, not "unchanged"');
ok($t->redis('EXISTS', "${K}inventory:sq-main:item:VARMUGBLUE:LOC1"),
   'the state named by the level\'s ref and location');

# a count changed in Square's dashboard, taken as a correction

$conf = conf('correct');
kill 'HUP', $t->{pids}{w};
ok(wait_for(5, sub { log_has(qr/configuration reloaded/) }), 'reloaded');
$nwh = scalar @{InvsyncSim::webhooks($t, 'square')};
InvsyncSim::admin_set($t, 'square', catalog_object_id => 'VARMUGBLUE',
                      location_id => 'LOC1', quantity => 25);
ok(wait_for(10, sub { (ledger()->{'on_hand:wh1'} // 0) == 28 }),
   'inventory.count.updated: the ledger counts 8 more on hand')
    or diag(explain ledger());
ok(wait_for(10, sub { shopify(111) == 25 }), 'and Shopify follows: 25');
($wh) = grep { $_->{topic} eq 'inventory.count.updated' }
        @{InvsyncSim::webhooks($t, 'square', $nwh)};

# a Square order under external_changes correct: Square's own count
# notice is held until the poll reserved the order, so the sale is
# counted once (before: on hand 26 with 5 reserved, both showing 21)

my $o2 = InvsyncSim::order($t, 'square', reference_id => 'R-2',
    line_items => [ { catalog_object_id => 'VARMUGBLUE', quantity => 2 } ]);
ok(wait_for(15, sub { (ledger()->{unrouted} // 0) == 5 }),
   'correct: the poller reserves the order of 2') or diag(explain ledger());
ok(both_show(23), 'correct: both channels show 23')
    or diag(explain [square('VARMUGBLUE'), shopify(111)]);
ok(wait_for(10, sub { @{observed('held', 23)}
                      && @{observed('(?:consistent|echo)', 23)} }),
   'correct: Square\'s own notice of 23 held, then consistent')
    or diag(explain [map { $_->{inputs} } @{audit_entries($t)}]);
is(ledger()->{'on_hand:wh1'}, 28, 'correct: on hand still 28: the sale '
   . 'counted once') or diag(explain ledger());
InvsyncSim::order($t, 'square', id => $o2->{id}, state => 'CANCELED');
ok(wait_for(15, sub { (ledger()->{unrouted} // 0) == 3 }),
   'the order canceled releases its 2') or diag(explain ledger());
ok(both_show(25), 'both channels show 25 again');

# a sale and a count in Square's dashboard before the poll (correct): the
# sale is reserved once, the count's difference corrected once; MUG-RED
# (on hand 5): an order of 2 (Square 3), then counted 9 (+6)

my $red = sub { +{ @{$t->redis('HGETALL', "${K}stock:MUG-RED")} } };
my $o3 = InvsyncSim::order($t, 'square', reference_id => 'R-3',
    line_items => [ { catalog_object_id => 'VARMUGRED', quantity => 2 } ]);
InvsyncSim::admin_set($t, 'square', catalog_object_id => 'VARMUGRED',
                      location_id => 'LOC1', quantity => 9);
ok(wait_for(20, sub { ($red->()->{unrouted} // 0) == 2
                      && ($red->()->{'on_hand:wh1'} // 0) == 11
                      && square('VARMUGRED') == 9
                      && shopify(222) == 9 }),
   'sale and count at once: on hand 11, 2 reserved, both show 9')
    or diag(explain [$red->(), square('VARMUGRED'), shopify(222)]);
sleep 1;
is($red->()->{'on_hand:wh1'}, 11, 'and corrected once') or diag(explain $red->());
InvsyncSim::order($t, 'square', id => $o3->{id}, state => 'CANCELED');
ok(wait_for(15, sub { ($red->()->{unrouted} // 0) == 0 }),
   'that order canceled') or diag(explain $red->());
ok(count('MUG-RED', 5) && wait_for(15, sub { square('VARMUGRED') == 5
                                           && shopify(222) == 5 }),
   'MUG-RED counted 5 again');

# the same delivery again, twice: nginx knows its event_id

my $http = HTTP::Tiny->new(timeout => 10);
my @again = map { $http->request('POST', "$hooks/hooks/square",
                                 { headers => $wh->{headers},
                                   content => $wh->{body} })->{status} }
            1 .. 2;
is_deeply(\@again, [200, 200], 'the same webhook twice more: accepted');
sleep 1;
is(ledger()->{'on_hand:wh1'}, 28, 'and counted once');
my $bad = $http->request('POST', "$hooks/hooks/square",
    { headers => { %{$wh->{headers}}, 'X-Square-HmacSha256-Signature'
                   => 'AAAA' . substr($wh->{headers}
                                      {'X-Square-HmacSha256-Signature'}, 4) },
      content => $wh->{body} });
is($bad->{status}, 401, 'a forged signature: 401');

# orders no webhook told of: found by polling, over cursor pages

$conf = conf();
kill 'HUP', $t->{pids}{w};
sleep 0.5;
InvsyncSim::configure($t, 'square', orders_page => 2);
my $before = ledger()->{unrouted};
my @missed = map { InvsyncSim::order($t, 'square', webhook => 0,
                   line_items => [ { sku => 'MUG-BLUE', quantity => 1 } ]) }
             1 .. 5;
ok(wait_for(15, sub { (ledger()->{unrouted} // 0) == $before + 5 }),
   'five orders no webhook announced are reserved by polling')
    or diag(explain ledger());
ok(log_has(qr/"channel":"sq-main","pages":[3-9]/),
   'read over several cursor pages');
ok(both_show(20), 'both channels show 20');
sleep 2;
is(ledger()->{unrouted}, $before + 5, 'each reserved once, polled again');

# a Square order canceled releases what it reserved; one completed (every
# fulfillment done) ships: its units leave on hand

InvsyncSim::order($t, 'square', id => $missed[0]{id}, state => 'CANCELED');
ok(wait_for(15, sub { (ledger()->{unrouted} // 0) == $before + 4 }),
   'a canceled order releases its unit') or diag(explain ledger());
InvsyncSim::order($t, 'square', id => $missed[1]{id}, state => 'COMPLETED');
ok(wait_for(15, sub { (ledger()->{unrouted} // 0) == $before + 3
                      && (ledger()->{'on_hand:wh1'} // 0) == 27 }),
   'a completed order ships: one fewer on hand, one fewer reserved')
    or diag(explain ledger());
ok(both_show(21), 'both channels show 21');

# a drift nobody told: invsyncctl reconcile reads Square's counts back

InvsyncSim::configure($t, 'square', webhook_url => undef);
InvsyncSim::admin_set($t, 'square', catalog_object_id => 'VARMUGRED',
                      location_id => 'LOC1', quantity => 2);
# while a count notice of the SKU is held for the next poll, the drift is
# Square's own sale the ledger does not know yet: skipped, not pushed over
$t->redis('HSET', "${K}held:sq-main", 'MUG-RED',
          encode_json({ n => 0, received => int(time * 1000) + 3600000 }));
my ($rc, $said) = ctl($t, $conf, 'reconcile', '--channel', 'sq-main');
like($said, qr/^sq-main\s+square\s+1\s+0\s+0\s+0\s+1\s/m,
     'a SKU with a held notice is skipped by reconciliation') or diag($said);
$t->redis('HDEL', "${K}held:sq-main", 'MUG-RED');
my $nread = scalar @{sq_requests('/v2/inventory/counts/batch-retrieve')};
($rc, $said) = ctl($t, $conf, 'reconcile', '--channel', 'sq-main',
                   '--why', 'drill');
is($rc, 0, 'invsyncctl reconcile') or diag($said);
like($said, qr/^sq-main\s+MUG-RED\s+2\s+5\s/m,
     'reports the drift: shows 2, should show 5') or diag($said);
ok(@{sq_requests('/v2/inventory/counts/batch-retrieve')} > $nread,
   'read by BatchRetrieveInventoryCounts');
ok(wait_for(10, sub { square('VARMUGRED') == 5 }),
   'and the worker puts it right');
($rc, $said) = ctl($t, $conf, 'reconcile', '--channel', 'sq-main');
like($said, qr/^sq-main\s+square\s+2\s+0\s/m, 'the next pass finds none')
    or diag($said);

# 429 RATE_LIMITED: the push waits and is sent again

my $n0 = InvsyncSim::requests($t, 'square')->[-1]{n};
InvsyncSim::fail($t, 'square', mode => '429', count => 1,
                 match => 'changes/batch-create');
ok(count('MUG-BLUE', 30), 'stock counted again');
ok(both_show(24), 'after a 429 Square shows 24 too (30 - 6 reserved)')
    or diag(explain [square('VARMUGBLUE'), shopify(111)]);
my @st = map { $_->{status} } @{sq_requests('/v2/inventory/changes/batch-create',
                                             $n0)};
is_deeply([@st[0, 1]], [429, 200], 'the first push got 429, the next 200');
my @retried = grep { /"msg":"channel push will be retried"/
                     && /"channel":"sq-main"/ }
              split /\n/, $t->read_file('logs/w.out');
ok((grep { /"http_status":429/ && /"why":"throttled"/ } @retried),
   'logged as throttled') or diag(explain \@retried);

# a change Square refuses: an exception, never a silent drift

($rc, $said) = ctl($t, $conf, 'sku', 'map', 'MUG-GONE', '--channel',
                   'sq-main', '--variation-id', 'VARGONE', '--location',
                   'LOC1');
count('MUG-GONE', 4);
ok(wait_for(10, sub { grep { /^push_rejected:sq-main:/ }
                      @{$t->redis('ZRANGE', "${K}exceptions:open", 0, -1)} }),
   'a variation Square does not know: push_rejected')
    or diag(explain $t->redis('ZRANGE', "${K}exceptions:open", 0, -1));

# 150 SKUs imported at once: pushed in batches of at most 100 changes,
# read back by pages of at most 100

InvsyncSim::items($t, 'square', map { { catalog_object_id => sprintf('VARBULK%03d', $_),
                                        location_id => 'LOC1', quantity => 0,
                                        sku => sprintf('BULK-%03d', $_) } }
                               0 .. 149);
$t->write_file('bulk.csv', join '', "sku,channel,catalog_object_id,location_id\n",
               map { sprintf "BULK-%03d,sq-main,VARBULK%03d,LOC1\n", $_, $_ }
               0 .. 149);
($rc, $said) = ctl($t, $conf, 'sku', 'import', $t->dir . '/bulk.csv');
is($rc, 0, '150 SKUs imported') or diag($said);
$n0 = InvsyncSim::requests($t, 'square')->[-1]{n};
for my $i (0 .. 149) {
    $t->redis('HSET', sprintf("${K}stock:BULK-%03d", $i), 'on_hand:wh1', $i + 1);
    $t->redis('SADD', "${K}dirty:sq-main", sprintf('BULK-%03d', $i));
}
ok(wait_for(20, sub { !grep { square(sprintf 'VARBULK%03d', $_) != $_ + 1 }
                      0 .. 149 }), 'Square shows all 150 counts');
my @sizes = map { scalar @{decode_json($_->{body})->{changes}} }
            @{sq_requests('/v2/inventory/changes/batch-create', $n0)};
ok(@sizes >= 2 && !grep({ $_ > 100 } @sizes),
   "in batches of at most 100 changes (@sizes)");
$n0 = InvsyncSim::requests($t, 'square')->[-1]{n};
my $rejected = sub { scalar grep { /^push_rejected:sq-main:/ }
                     @{$t->redis('ZRANGE', "${K}exceptions:open", 0, -1)} };
my $nrejected = $rejected->();
($rc, $said) = ctl($t, $conf, 'reconcile', '--channel', 'sq-main');
# MUG-GONE, the variation Square does not know, has no count: the catalog
# says Square does not know it, so it is missing (one item_missing), not a
# drift pushed and refused again each pass
like($said, qr/^sq-main\s+square\s+152\s+0\s+1\s+0\s/m,
     'reconcile reads all 153 back: 152 checked, 1 missing') or diag($said);
is_deeply([$said =~ /^sq-main\s+(\S+)\s+-?\d+\s+-?\d+\s+\d+-\d+$/mg],
          [], 'no drift') or diag($said);
like($said, qr/^sq-main\s+MUG-GONE\s+missing\s.*item_missing:sq-main:MUG-GONE:VARGONE\@LOC1/m,
     'the unknown variation is missing') or diag($said);
@sizes = map { scalar @{decode_json($_->{body})->{catalog_object_ids}} }
         @{sq_requests('/v2/inventory/counts/batch-retrieve', $n0)};
ok(@sizes >= 2 && !grep({ $_ > 100 } @sizes),
   "by pages of at most 100 variations (@sizes)");
is_deeply([map { decode_json($_->{body})->{object_ids} }
           @{sq_requests('/v2/catalog/batch-retrieve', $n0)}],
          [['VARGONE']], 'the catalog asked of the one variation with no count');

# a second pass: still one exception of each kind, nothing pushed
($rc, $said) = ctl($t, $conf, 'reconcile', '--channel', 'sq-main');
like($said, qr/^sq-main\s+square\s+152\s+0\s+1\s+0\s/m,
     'the next pass: the same') or diag($said);
sleep 1;
my @open = @{$t->redis('ZRANGE', "${K}exceptions:open", 0, -1)};
is_deeply([$rejected->(),
           scalar(grep { /^item_missing:sq-main:MUG-GONE:/ } @open)],
          [$nrejected, 1],
          'no push_rejected more than its pushes opened, one item_missing')
    or diag(explain \@open);
is_deeply([grep { ($_->{body} // '') =~ /"catalog_object_id":"VARGONE"/ }
           @{sq_requests('/v2/inventory/changes/batch-create', $n0)}], [],
          'the unknown variation is not pushed again');

# polled once a minute: Square's own count notice asks for a round before
# its turn, so the order is reserved (and Shopify follows) a round trip
# after the sale, not up to a minute later

InvsyncSim::configure($t, 'square', webhook_url => "$hooks/hooks/square");
$conf = conf(undef, 60);
my $reloads = sub { scalar(() = $t->read_file('logs/w.out')
                                 =~ /"configuration reloaded"/g) };
my $nreload = $reloads->();
kill 'HUP', $t->{pids}{w};
ok(wait_for(5, sub { $reloads->() > $nreload }), 'reloaded with poll_s 60');
# the last round's lock (poll_s 1) has gone: the next round is up to a
# minute away
sleep 2;
# (MUG-RED: Square's count after the sale, 4, is no value pushed before,
# which would be taken for the echo of a push)
$before = $red->()->{unrouted} // 0;
my $t0 = time;
InvsyncSim::order($t, 'square', reference_id => 'R-SOON',
    line_items => [ { catalog_object_id => 'VARMUGRED', quantity => 1 } ]);
ok(wait_for(30, sub { ($red->()->{unrouted} // 0) == $before + 1 }),
   'the held notice brings the next round forward: reserved long before '
   . 'poll_s') or diag(explain $red->());
note(sprintf('order reserved %.1f s after the sale, poll_s 60', time - $t0));
ok(@{observed('held', 4)} && @{observed('(?:consistent|echo)', 4)},
   'its count notice held, then handed back by that round, consistent');

unlike($t->read_file('logs/w.out'), qr/EAAAEtest_token|sq_Sig-Key/,
       'no token or key in the log');
is(stop_worker($t, 'w'), 0, 'worker stops cleanly');

$t->done;
