#!/usr/bin/perl

# Refunds made on the channels (docs/refunds.md), through invsyncctl, the
# worker's refund driver and the simulators: an operator's refund made on
# Shopify once (a 429 and a 503 on the way retried) and on WooCommerce
# once; the same request opened twice is one; the worker killed with
# SIGKILL after Shopify made the refund and before the worker recorded it
# makes no second one (the look finds it); Shopify refusing opens
# refund_refused with Shopify's message; the channel's refunds/create of
# our refund, back through nginx (twice), is recorded as ours, once: one
# journal entry, one restock decision per line, no stock moved, no second
# refund.  A request for units the channel refunded itself (WooCommerce's
# admin, Shopify's admin) is covered: nothing made.  WooCommerce's gateway
# declining (HTTP 500, woocommerce_rest_cannot_create_order_refund) is
# refused at the first attempt with its words, with a Retry-After too; a
# 500 without that code, or with its "please try again", is retried (after
# its Retry-After when it has one).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Time::HiRes qw(time sleep);
use HTTP::Tiny;
use InvsyncTest qw(hmac_b64);
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for
                     audit_entries ctl map_sku);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush', 'woo.secret' => 'wsec' },
    locations => <<'EOF');
        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/shopify.secret;
        }
        location = /hooks/woo {
            invsync_webhook woocommerce;
            invsync_channel woo-main;
            invsync_secret_file %%TESTDIR%%/woo.secret;
        }
EOF
$t->run;
$t->wait_ready;
$t->plan(46);

my $K = 'invsync:{invsync}:';
my $hooks = 'http://127.0.0.1:' . $t->port('http');

$t->write_file('shop.token', "shpat_test\n");
$t->write_file('woo.keys', "ck_test:cs_test\n");

my $shop = InvsyncSim::start($t, 'shopify', webhook_secret => 'hush',
    webhook_url => "$hooks/hooks/shopify",
    webhook_topics => ['orders/create', 'refunds/create'],
    items => [{ inventory_item_id => 111, location_id => 9,
                available => 20, sku => 'SKU-A', price => '9.00' }]);
my $woo = InvsyncSim::start($t, 'woocommerce', webhook_secret => 'wsec',
    webhook_url => "$hooks/hooks/woo",
    webhook_topics => ['order.created', 'order.updated'],
    items => [{ id => 501, sku => 'SKU-A', manage_stock => JSON::PP::true,
                stock_quantity => 20, price => '9.00' }]);

my %acc = (sales_returns => '4010', tax_payable => '2200',
           shipping_income => '4020', fees_income => '4030',
           refunds_payable => '2110', refunds_paid => '1210',
           inventory => '1400', cost_of_goods => '5000',
           write_offs => '5100');
my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    limits => { heartbeat_ms => 200, reconcile_s => 0 },
    locations => [ { id => 'wh1' } ],
    returns => { restock_on => 'refund' },
    journal => { accounts => \%acc },
    channels => [
        { id => 'shop-eu', type => 'shopify', api_base => $shop,
          credentials_file => $t->dir . '/shop.token' },
        { id => 'woo-main', type => 'woocommerce', api_base => $woo,
          credentials_file => $t->dir . '/woo.keys' },
    ]);

map_sku($t, 'SKU-A', 111, 501);
$t->redis('HSET', "${K}stock:SKU-A", 'on_hand:wh1', 50);
run_worker($t, 'w', $conf);

sub field { $t->redis('HGET', "${K}refundout:$_[0]", $_[1]) // '' }
sub recorded { defined $t->redis('HGET', "${K}order:$_[0]", 'data') }
sub refunds {
    my ($name, $oid) = @_;
    return [grep { $_->{order_id} == $oid }
            @{InvsyncSim::state($t, $name)->{refunds}}];
}
sub journal {
    my ($cause) = @_;
    return [grep { $_->[1]{cause} eq $cause } @{$t->stream("${K}journal")}];
}
sub worker_log { join '', map { $t->read_file("logs/$_.out") // '' } @_ }

# ---- Shopify, once, through a 429 and a 503 -------------------------------------

my $o1 = InvsyncSim::order($t, 'shopify', location_id => 9,
    line_items => [ { sku => 'SKU-A', quantity => 2 } ]);
ok(wait_for(30, sub { recorded("shop-eu:$o1->{id}") }),
   'the Shopify order is recorded (orders/create through nginx)');

InvsyncSim::fail($t, 'shopify', mode => '429', count => 1, retry_after => 1,
                 match => 'graphql', match_body => 'suggestedRefund');
InvsyncSim::fail($t, 'shopify', mode => '5xx', count => 1, status => 503,
                 match => 'graphql', match_body => 'refundCreate');
my ($rc, $out) = ctl($t, $conf, 'refund', 'create', $o1->{id}, '--channel',
    'shop-eu', '--line', 'SKU-A:1', '--reason', 'damaged in transit',
    '--note', 'box crushed', '--id', 'op-1');
is($rc, 0, 'refund create: opened') or diag($out);
ok(wait_for(60, sub { field('ctl:op-1', 'state') =~ /created|recorded/ }),
   'the refund is made on Shopify')
    or diag(explain [{ @{$t->redis('HGETALL', "${K}refundout:ctl:op-1")} },
                     worker_log('w')]);
my $r1 = refunds('shopify', $o1->{id});
is_deeply([scalar @$r1, $r1->[0]{lines}[0]{quantity},
           $r1->[0]{lines}[0]{restock_type}, $r1->[0]{amount}],
          [1, 1, 'no_restock', 9], 'one refund: 1 unit, not restocked by '
          . 'Shopify, 9.00 back') or diag(explain $r1);
like($r1->[0]{note} // '',
     qr/^damaged in transit: box crushed \[invsync:ctl:op-1\]$/,
     'its note carries the reason and our reference');
is(field('ctl:op-1', 'refund_ref'), $r1->[0]{id},
   'the request keeps the channel refund id');
my @st = map { $_->{status} } grep { $_->{path} =~ /graphql/ }
         @{InvsyncSim::requests($t, 'shopify')};
ok((grep { $_ == 429 } @st) && (grep { $_ == 503 } @st),
   'a 429 and a 503 were answered and retried') or diag("@st");
ok((grep { ($_->{action} // '') eq 'refund.push'
           && ($_->{cause} // '') eq 'ctl:op-1'
           && ($_->{outcome} // '') eq 'created' } @{audit_entries($t)}),
   'audit entry refund.push');

($rc, $out) = ctl($t, $conf, 'refund', 'create', $o1->{id}, '--channel',
    'shop-eu', '--line', 'SKU-A:1', '--reason', 'damaged in transit',
    '--id', 'op-1');
like($out, qr/opened before/, 'the same --id again: the same request');

# ---- its refunds/create, back through nginx ------------------------------------

my $rid = $r1->[0]{id};
ok(wait_for(30, sub { field('ctl:op-1', 'state') eq 'recorded' }),
   "Shopify's refunds/create of it is recorded as ours")
    or diag(worker_log('w'));
my $canon = decode_json($t->redis('HGET', "${K}refund:shop-eu:$rid", 'data')
                        // '{}');
is($canon->{refund_out} // '', 'ctl:op-1',
   'the canonical refund names its request');
ok(wait_for(30, sub { @{journal("refund:shop-eu:$rid")} == 1 }),
   'one journal entry for it');

my $wh = (grep { $_->{topic} eq 'refunds/create' }
          @{InvsyncSim::webhooks($t, 'shopify')})[-1];
my $again = $t->post('/hooks/shopify', $wh->{body},
    'X-Shopify-Hmac-Sha256' => hmac_b64($wh->{body}, 'hush'),
    'X-Shopify-Topic' => 'refunds/create',
    'X-Shopify-Webhook-Id' => 'redelivered-1',
    'X-Shopify-Shop-Domain' => 'invsync-test.myshopify.com');
like(($again->{status} // '') . ' ' . ($again->{content} // ''),
     qr/^200 .*accepted/s, 'delivered again under a new id');
ok(wait_for(30, sub { grep { ($_->{event} // '') eq 'redelivered-1' }
                           @{audit_entries($t)} }), 'and read by the worker');
my @dec = grep { ($_->{action} // '') eq 'refund.restock'
                 && ($_->{cause} // '') =~ /^restock:shop-eu:$rid:/ }
          @{audit_entries($t)};
is_deeply([scalar @dec, scalar @{journal("refund:shop-eu:$rid")},
           $t->redis('HGET', "${K}stock:SKU-A", 'on_hand:wh1') + 0,
           scalar @{refunds('shopify', $o1->{id})}],
          [1, 1, 50, 1], 'once: one restock decision (no stock: Shopify '
          . 'did not restock), one journal entry, no second refund')
    or diag(explain \@dec);

# ---- SIGKILL between Shopify making it and the worker recording it -------------

my $o3 = InvsyncSim::order($t, 'shopify', location_id => 9,
    line_items => [ { sku => 'SKU-A', quantity => 1 } ]);
ok(wait_for(30, sub { recorded("shop-eu:$o3->{id}") }), 'order 3 recorded');
# its refunds/create would record it too: only the look may find it here
InvsyncSim::configure($t, 'shopify', webhook_topics => ['orders/create']);
InvsyncSim::fail($t, 'shopify', mode => 'delay', delay_ms => 60000,
                 match_body => 'refundCreate');
ctl($t, $conf, 'refund', 'create', $o3->{id}, '--channel', 'shop-eu',
    '--line', 'SKU-A:1', '--reason', 'late', '--id', 'op-3');
wait_for(30, sub { @{refunds('shopify', $o3->{id})} == 1 });
kill 'KILL', $t->{pids}{w};
waitpid($t->{pids}{w}, 0);
delete $t->{pids}{w};
InvsyncSim::fail($t, 'shopify', mode => 'none');
is(field('ctl:op-3', 'refund_ref'), '',
   'killed after Shopify made it: not recorded');
# the killed worker's lease (a minute) ends
$t->redis('ZADD', "${K}refundout:due", 0, 'ctl:op-3');
run_worker($t, 'w2', $conf);
ok(wait_for(60, sub { field('ctl:op-3', 'refund_ref') ne '' }),
   'the next worker finds it') or diag(worker_log('w', 'w2'));
is_deeply([scalar @{refunds('shopify', $o3->{id})},
           field('ctl:op-3', 'refund_ref')],
          [1, refunds('shopify', $o3->{id})->[0]{id}],
          'no second refund: the one found is recorded');

# ---- refused: the channel's message -------------------------------------------

InvsyncSim::configure($t, 'shopify',
    webhook_topics => ['orders/create', 'refunds/create'],
    refund_refuse => "Refunds are disabled\nfor this shop");
my $o4 = InvsyncSim::order($t, 'shopify', location_id => 9,
    line_items => [ { sku => 'SKU-A', quantity => 1 } ]);
wait_for(30, sub { recorded("shop-eu:$o4->{id}") });
ctl($t, $conf, 'refund', 'create', $o4->{id}, '--channel', 'shop-eu',
    '--line', 'SKU-A:1', '--reason', 'late', '--id', 'op-4');
ok(wait_for(30, sub { field('ctl:op-4', 'state') eq 'refused' }),
   'refused by Shopify') or diag(worker_log('w2'));
is($t->redis('HGET', "${K}exception:refund_refused:ctl:op-4", 'summary'),
   'refundCreate: Refunds are disabled?for this shop',
   "refund_refused with Shopify's message, made printable");
InvsyncSim::configure($t, 'shopify', refund_refuse => undef);

# ---- WooCommerce ----------------------------------------------------------------

my $w1 = InvsyncSim::order($t, 'woocommerce',
    line_items => [ { product_id => 501, quantity => 2 } ]);
ok(wait_for(30, sub { recorded("woo-main:$w1->{id}") }),
   'the WooCommerce order is recorded');
ctl($t, $conf, 'refund', 'create', $w1->{id}, '--channel', 'woo-main',
    '--line', 'SKU-A:1', '--reason', 'wrong size', '--id', 'op-5');
ok(wait_for(30, sub { field('ctl:op-5', 'refund_ref') ne '' }),
   'the refund is made on WooCommerce') or diag(worker_log('w2'));
my $wr = refunds('woocommerce', $w1->{id});
is_deeply([scalar @$wr, $wr->[0]{amount}, $wr->[0]{api_restock},
           $wr->[0]{lines}[0]{quantity}, $wr->[0]{reason}],
          [1, '9.00', JSON::PP::false, 1, 'wrong size [invsync:ctl:op-5]'],
          'once: 9.00 for one unit, not restocked by WooCommerce, our '
          . 'reference in its reason') or diag(explain $wr);
($rc, $out) = ctl($t, $conf, '--json', 'refund', 'show', 'ctl:op-5');
is(eval { decode_json($out)->{refund_ref} } // '', $wr->[0]{id},
   'refund show names it') or diag($out);

# ---- covered: the channel refunded those units itself ---------------------------

sub posts {
    my ($name, $re) = @_;
    return [map { $_->{status} } grep { $_->{method} eq 'POST'
                                        && "$_->{path} $_->{body}" =~ $re }
            @{InvsyncSim::requests($t, $name)}];
}
sub pushed {
    my ($cause) = @_;
    return [map { $_->{outcome} } grep { ($_->{action} // '') eq 'refund.push'
                                         && ($_->{cause} // '') eq $cause }
            @{audit_entries($t)}];
}

my $w2 = InvsyncSim::order($t, 'woocommerce',
    line_items => [ { product_id => 501, quantity => 2 } ]);
ok(wait_for(30, sub { recorded("woo-main:$w2->{id}") }), 'order w2 recorded');
my $own = InvsyncSim::call($t, 'woocommerce', 'refund', order_id => $w2->{id},
    reason => 'refunded at the till', refunded_payment => JSON::PP::true,
    line_items => [ { id => $w2->{line_items}[0]{id}, quantity => 2 } ]);
ctl($t, $conf, 'refund', 'create', $w2->{id}, '--channel', 'woo-main',
    '--line', 'SKU-A:2', '--reason', 'wrong size', '--id', 'op-6');
ok(wait_for(30, sub { field('ctl:op-6', 'state') eq 'covered' }),
   'WooCommerce had refunded both units itself: covered')
    or diag(explain [{ @{$t->redis('HGETALL', "${K}refundout:ctl:op-6")} },
                     worker_log('w2')]);
is_deeply([ scalar @{refunds('woocommerce', $w2->{id})},
            field('ctl:op-6', 'refund_ref'), pushed('ctl:op-6'),
            $t->redis('EXISTS', "${K}exception:refund_refused:ctl:op-6") ],
          [ 1, $own->{refund}{id}, ['covered'], 0 ],
          'nothing made: the shop\'s refund named, audit refund.push covered, '
          . 'no exception');

# Shopify: a refund the merchant made in the admin (refundCreate), then ours
my $o5 = InvsyncSim::order($t, 'shopify', location_id => 9,
    line_items => [ { sku => 'SKU-A', quantity => 1 } ]);
ok(wait_for(30, sub { recorded("shop-eu:$o5->{id}") }), 'order 5 recorded');
my $admin = HTTP::Tiny->new->post("$shop/admin/api/2026-04/graphql.json", {
    headers => { 'Content-Type' => 'application/json',
                 'X-Shopify-Access-Token' => 'shpat_test' },
    content => encode_json({
        query => 'mutation R($input: RefundInput!) { refundCreate(input: '
                 . '$input) @idempotent(key: "admin-5") { refund { id } '
                 . 'userErrors { field message } } }',
        variables => { input => {
            orderId => "gid://shopify/Order/$o5->{id}", note => 'admin',
            refundLineItems => [ { lineItemId => $o5->{line_items}[0]
                                       {admin_graphql_api_id},
                                   quantity => 1,
                                   restockType => 'NO_RESTOCK' } ],
            transactions => [ { amount => '9.00', gateway => 'bogus',
                                kind => 'REFUND' } ] } } }) });
my ($adm) = decode_json($admin->{content})->{data}{refundCreate}{refund}{id}
            =~ m{(\d+)$};
ok($adm, 'the merchant refunded it in the Shopify admin')
    or diag($admin->{content});
ctl($t, $conf, 'refund', 'create', $o5->{id}, '--channel', 'shop-eu',
    '--line', 'SKU-A:1', '--reason', 'late', '--id', 'op-10');
ok(wait_for(30, sub { field('ctl:op-10', 'state') eq 'covered' }),
   'Shopify can refund none of it: covered') or diag(worker_log('w2'));
is_deeply([ scalar @{refunds('shopify', $o5->{id})},
            field('ctl:op-10', 'refund_ref'), pushed('ctl:op-10'),
            scalar @{posts('shopify', qr/refundCreate.*op-10|op-10.*refundCreate/)} ],
          [ 1, $adm, ['covered'], 0 ],
          'no refundCreate of ours: one refund on Shopify, the admin\'s');

# ---- WooCommerce's gateway declining: refused at once, in its words -------------

InvsyncSim::configure($t, 'woocommerce', refund_refuse =>
    'The payment gateway for this order does not support automatic refunds.');
my $w4 = InvsyncSim::order($t, 'woocommerce',
    line_items => [ { product_id => 501, quantity => 1 } ]);
ok(wait_for(30, sub { recorded("woo-main:$w4->{id}") }), 'order w4 recorded');
ctl($t, $conf, 'refund', 'create', $w4->{id}, '--channel', 'woo-main',
    '--line', 'SKU-A:1', '--reason', 'late', '--id', 'op-8');
ok(wait_for(30, sub { field('ctl:op-8', 'state') eq 'refused' }),
   'the gateway declined: refused') or diag(worker_log('w2'));
is_deeply([ field('ctl:op-8', 'attempts'),
            posts('woocommerce', qr{/orders/$w4->{id}/refunds}),
            $t->redis('HGET', "${K}exception:refund_refused:ctl:op-8",
                      'summary') ],
          [ 1, [500], 'HTTP 500 woocommerce_rest_cannot_create_order_refund: '
                      . 'The payment gateway for this order does not support '
                      . 'automatic refunds.' ],
          'after one attempt, not five: refund_refused with WooCommerce\'s '
          . 'code and message');
is(scalar @{refunds('woocommerce', $w4->{id})}, 0, 'nothing refunded');

# the same refusal with a Retry-After (a host in front of WordPress adds
# one): the channel reads it first, refused at once; the "please try
# again" with a Retry-After is retried after it
sub post_times {
    my ($name, $re) = @_;
    return [map { $_->{time} } grep { $_->{method} eq 'POST'
                                      && "$_->{path} $_->{body}" =~ $re }
            @{InvsyncSim::requests($t, $name)}];
}
InvsyncSim::configure($t, 'woocommerce', refund_retry_after => 2);
my $w6 = InvsyncSim::order($t, 'woocommerce',
    line_items => [ { product_id => 501, quantity => 1 } ]);
ok(wait_for(30, sub { recorded("woo-main:$w6->{id}") }), 'order w6 recorded');
ctl($t, $conf, 'refund', 'create', $w6->{id}, '--channel', 'woo-main',
    '--line', 'SKU-A:1', '--reason', 'late', '--id', 'op-11');
ok(wait_for(30, sub { field('ctl:op-11', 'state') eq 'refused' }),
   'declined with Retry-After: refused, not throttled')
    or diag(explain [{ @{$t->redis('HGETALL', "${K}refundout:ctl:op-11")} },
                     posts('woocommerce', qr{/orders/$w6->{id}/refunds})]);
sleep 3;
is_deeply([ field('ctl:op-11', 'attempts'),
            posts('woocommerce', qr{/orders/$w6->{id}/refunds}),
            $t->redis('HGET', "${K}exception:refund_refused:ctl:op-11",
                      'summary') ],
          [ 1, [500], 'HTTP 500 woocommerce_rest_cannot_create_order_refund: '
                      . 'The payment gateway for this order does not support '
                      . 'automatic refunds.' ],
          'one POST, WooCommerce\'s words, no second try after Retry-After');
InvsyncSim::configure($t, 'woocommerce', refund_refuse => undef,
                      refund_again => 1);
my $w7 = InvsyncSim::order($t, 'woocommerce',
    line_items => [ { product_id => 501, quantity => 1 } ]);
ok(wait_for(30, sub { recorded("woo-main:$w7->{id}") }), 'order w7 recorded');
ctl($t, $conf, 'refund', 'create', $w7->{id}, '--channel', 'woo-main',
    '--line', 'SKU-A:1', '--reason', 'late', '--id', 'op-12');
ok(wait_for(60, sub { field('ctl:op-12', 'refund_ref') ne '' }),
   '"please try again" with Retry-After: made in the end')
    or diag(worker_log('w2'));
my $pt = post_times('woocommerce', qr{/orders/$w7->{id}/refunds});
is_deeply([ posts('woocommerce', qr{/orders/$w7->{id}/refunds}),
            @$pt == 2 && $pt->[1] - $pt->[0] >= 1.9 ? 'waited' : "@$pt" ],
          [ [500, 201], 'waited' ],
          'retried once, after the Retry-After (2 s)');
InvsyncSim::configure($t, 'woocommerce', refund_retry_after => undef);

# a 500 without that code, and the one that asks to try again: retried
InvsyncSim::configure($t, 'woocommerce', refund_again => 1);
my $w5 = InvsyncSim::order($t, 'woocommerce',
    line_items => [ { product_id => 501, quantity => 1 } ]);
ok(wait_for(30, sub { recorded("woo-main:$w5->{id}") }), 'order w5 recorded');
InvsyncSim::fail($t, 'woocommerce', mode => '5xx', status => 500, count => 1,
                 method => 'POST', match => "/orders/$w5->{id}/refunds");
ctl($t, $conf, 'refund', 'create', $w5->{id}, '--channel', 'woo-main',
    '--line', 'SKU-A:1', '--reason', 'late', '--id', 'op-9');
ok(wait_for(60, sub { field('ctl:op-9', 'refund_ref') ne '' }),
   'made in the end') or diag(worker_log('w2'));
is_deeply([ posts('woocommerce', qr{/orders/$w5->{id}/refunds}),
            scalar @{refunds('woocommerce', $w5->{id})} ],
          [ [500, 500, 201], 1 ],
          'a critical error and a "please try again" retried, then one '
          . 'refund');

is(stop_worker($t, 'w2'), 0, 'worker stops cleanly');

$t->done;
