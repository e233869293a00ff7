#!/usr/bin/perl

# The module and the worker agree on what a valid body and envelope are
# (issue 13, defect 3): what the worker could only dead-letter is refused
# at the edge with 400 and its own reason, counted as "unusable", and
# nothing is stored; what the module accepts, the worker applies with no
# dead letter.  Each case is sent signed through nginx, to the Shopify
# location (simdjson's check) and the WooCommerce one (jansson, the
# worker's parser): a NUL (\u0000) in a string or a key, a key repeated in
# one object, an integer beyond int64, an array body, an event id, topic
# or account that is not UTF-8; and their neighbours that are fine.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest qw(hmac_b64);
use InvsyncWorker qw(worker_conf run_worker wait_for audit_entries);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker'],
    secrets => { 'shopify.secret' => 'hush', 'woo.secret' => 'wsecret' },
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

        location = /status {
            invsync_status;
        }
EOF

my $NUL = 'body holds a NUL character in a string';
my $DUP = 'body repeats a key in an object';
my $RANGE = 'body holds a number out of range';
my $ARRAY = 'body is not a JSON object';
my $UTF8 = 'id, topic or account is not UTF-8';
my $JSON = 'body is not valid JSON';

# A Shopify order the worker applies, as text: cases splice members in
# after its opening brace, so that only what a case adds differs.
my $order = JSON::PP->new->canonical->encode({
    id => 501, name => '#501', email => 'jon@example.com',
    created_at => '2026-11-20T10:00:00+01:00',
    updated_at => '2026-11-20T10:00:00+01:00',
    currency => 'EUR', total_price => '19.98', financial_status => 'paid',
    cancelled_at => undef,
    line_items => [ { id => 1001, sku => 'SKU-1', quantity => 2,
                      price => '9.99', title => 'Mug', product_id => 7,
                      variant_id => 8 },
                    { id => 1002, sku => 'SKU-2', quantity => 1,
                      price => '0.00', title => 'Gift', product_id => 9,
                      variant_id => 10 } ],
});
my $woo = do {
    open my $fh, '<:raw',
        "$FindBin::Bin/fixtures/woocommerce/order_updated_processing/body.json"
        or die "woo fixture: $!\n";
    local $/;
    <$fh>;
};

sub with {
    my ($json, $members) = @_;
    (my $b = $json) =~ s/^\s*\{/{$members,/ or die "not an object\n";
    return $b;
}

my $n = 0;

# raw: HTTP::Tiny sends no header value beyond ASCII
sub post_raw {
    my ($path, $body, %h) = @_;
    return InvsyncTest::parse_response(
        $t->raw($t->http_request('POST', $path, $body, %h)));
}

sub send_event {
    my ($where, $body, %h) = @_;
    $n++;
    if ($where eq 'shopify') {
        return post_raw('/hooks/shopify', $body,
            'X-Shopify-Hmac-Sha256' => hmac_b64($body, 'hush'),
            'X-Shopify-Topic' => 'orders/create',
            'X-Shopify-Webhook-Id' => "agree-$n",
            'X-Shopify-Shop-Domain' => 'shop-eu.myshopify.com',
            'Content-Type' => 'application/json', %h);
    }
    return post_raw('/hooks/woo', $body,
        'X-WC-Webhook-Signature' => hmac_b64($body, 'wsecret'),
        'X-WC-Webhook-Topic' => 'order.updated',
        'X-WC-Webhook-Resource' => 'order',
        'X-WC-Webhook-Event' => 'updated',
        'X-WC-Webhook-Source' => 'https://shop.example.com/',
        'X-WC-Webhook-Delivery-ID' => "agree-$n",
        'Content-Type' => 'application/json', %h);
}

my %base = (shopify => $order, woo => $woo);

# [name, location, body, reason, headers]: the worker would dead-letter
# each one, so the module refuses it
my @refused = (
    ['NUL in a string', 'shopify', with($order, '"note":"a\u0000b"'), $NUL],
    ['NUL in a string', 'woo', with($woo, '"note":"a\u0000b"'), $NUL],
    ['NUL in a key', 'shopify', with($order, '"no\u0000te":1'), $NUL],
    ['NUL in a key', 'woo', with($woo, '"no\u0000te":1'), $NUL],
    ['NUL after escaped backslashes', 'shopify',
     with($order, '"note":"\\\\\\u0000"'), $NUL],
    ['a top-level key twice', 'shopify', with($order, '"id":502'), $DUP],
    ['a top-level key twice', 'woo', with($woo, '"id":1'), $DUP],
    ['a key twice in a line item', 'shopify',
     with($order, '"x":[{"sku":"A","sku":"B"}]'), $DUP],
    ['a key twice in a nested object', 'woo',
     with($woo, '"x":{"y":{"a":1,"b":2,"a":3}}'), $DUP],
    ['a key twice, once escaped', 'shopify',
     with($order, '"n\u006fte":"x","note":"y"'), $DUP],
    ['2^63', 'shopify', with($order, '"big":9223372036854775808'), $RANGE],
    ['2^63', 'woo', with($woo, '"big":9223372036854775808'), $RANGE],
    ['2^64 - 1', 'shopify', with($order, '"big":18446744073709551615'),
     $RANGE],
    ['-2^63 - 1', 'woo', with($woo, '"big":-9223372036854775809'), $RANGE],
    ['1e400', 'woo', with($woo, '"big":1e400'), $RANGE],
    # beyond uint64 and double simdjson stops reading: not JSON to it
    ['2^64', 'shopify', with($order, '"big":18446744073709551616'), $JSON],
    ['1e400', 'shopify', with($order, '"big":1e400'), $JSON],
    ['an array', 'shopify', "[$order]", $ARRAY],
    ['an array', 'woo', "[$woo]", $ARRAY],
    ['event id not UTF-8', 'shopify', $order, $UTF8,
     'X-Shopify-Webhook-Id' => "agree-\xff"],
    ['event id in Latin-1', 'shopify', $order, $UTF8,
     'X-Shopify-Event-Id' => "caf\xe9"],
    ['shop domain not UTF-8', 'shopify', $order, $UTF8,
     'X-Shopify-Shop-Domain' => "caf\xe9.myshopify.com"],
    ['topic with an overlong /', 'shopify', $order, $UTF8,
     'X-Shopify-Topic' => "orders\xc0\xafcreate"],
    ['topic with a surrogate', 'woo', $woo, $UTF8,
     'X-WC-Webhook-Topic' => "order.\xed\xa0\x80"],
    ['source not UTF-8', 'woo', $woo, $UTF8,
     'X-WC-Webhook-Source' => "https://caf\xe9.example/"],
);

# [name, location, body, headers]: fine for both; the worker applies them
my @fine = (
    ['an escaped backslash before u0000', 'shopify',
     with($order, '"note":"\\\\u0000"')],
    ['an escaped backslash before u0000', 'woo',
     with($woo, '"note":"\\\\u0000"')],
    ['control characters but NUL', 'shopify',
     with($order, '"note":"\u0001\u001f\u007f"')],
    ['one key in many objects', 'shopify',
     with($order, '"x":[{"id":1},{"id":1,"y":{"id":1}}]')],
    ['keys alike but for case or length', 'woo',
     with($woo, '"k":1,"K":2,"kk":3,"k ":4')],
    ['int64 limits', 'shopify',
     with($order, '"big":9223372036854775807,"small":-9223372036854775808')],
    ['int64 limits', 'woo',
     with($woo, '"big":9223372036854775807,"small":-9223372036854775808')],
    ['a real that underflows', 'shopify', with($order, '"tiny":1e-400')],
    ['UTF-8 shop domain and event id', 'shopify', $order,
     'X-Shopify-Shop-Domain' => "caf\xc3\xa9.myshopify.com",
     'X-Shopify-Event-Id' => "\xf0\x9f\x93\xa6-agree"],
    ['UTF-8 source', 'woo', $woo,
     'X-WC-Webhook-Source' => "https://caf\xc3\xa9.example/"],
);

$t->run;
$t->wait_ready(1) or die "redis not ready\n";
$t->plan(3 * @refused + 3 + 3 * @fine);

my %who = (shopify => { scheme => 'shopify', channel => 'shop-eu' },
           woo => { scheme => 'woocommerce', channel => 'woo-main' });

# the entries of every stream, by event id
sub stored_events {
    my %e;
    for my $s (qw(orders refunds fulfillments stock other)) {
        $e{$_->[1]{event}} = $_->[0] for @{$t->stream("invsync:$s")};
    }
    return \%e;
}

###############################################################################
# refused, before the worker runs (it writes keys of its own)

my $unusable = 0;
for my $c (@refused) {
    my ($name, $where, $body, $reason, %h) = @$c;
    my $m = $t->mark;
    my $r = send_event($where, $body, %h);
    $t->refused($m, $r, 400, $reason, %{$who{$where}},
                name => "$where: $name");
    $unusable++ if $reason ne $JSON;
}

is(scalar keys %{stored_events()}, 0, 'no refused event in any stream');

my $st = decode_json($t->get('/status')->{content})->{channels};
is($st->{'shop-eu'}{reasons}{unusable} + $st->{'woo-main'}{reasons}{unusable},
   $unusable, 'refusals counted as unusable');
is($st->{'shop-eu'}{reasons}{format}, 2,
   'what simdjson cannot read counted as format');

###############################################################################
# accepted, and applied by the worker with no dead letter

run_worker($t, 'w1', worker_conf($t, 'worker.json'));

for my $c (@fine) {
    my ($name, $where, $body, %h) = @$c;
    my $r = send_event($where, $body, %h);
    my $id = $t->accepted($r, 'invsync:orders', "$where: $name: accepted");
    my $e = $t->redis('XRANGE', 'invsync:orders', $id || '0', $id || '0');
    my %f = ref $e && @$e ? @{$e->[0][1]} : ();
    my $event = $f{event} // '-';

    my $audit = wait_for(15, sub {
        (grep { ($_->{event} // '') eq $event
                && ($_->{action} // '') eq 'order.record' }
         @{audit_entries($t)})[0] });
    ok($audit && $audit->{result} =~ /^(applied|unchanged|duplicate|stale)$/,
       "$where: $name: applied by the worker")
        or diag(explain $audit);
    ok(!grep({ ($_->[1]{event} // '') eq $event }
             @{$t->stream('invsync:{invsync}:dlq')}),
       "$where: $name: no dead letter");
}

$t->done;
