#!/usr/bin/perl

# The woocommerce scheme through nginx and Redis: base64 HMAC of the body
# keyed with the entity-decoded secret, the unsigned ping answered as a
# handshake (nothing stored, counted as ignored), the event id taken from
# the body (never the delivery id), the default routes, rotation, and the
# 401 and 400 refusals.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Digest::SHA qw(sha256_hex);
use InvsyncTest qw(hmac_b64);

# the secret as WooCommerce's settings page may store it, and as it signs
my $stored = 'wc_k&amp;y&lt;Z&quot;q&#039;9';
my $secret = q{wc_k&y<Z"q'9};
my $old = 'wc_old_secret';

my $t = InvsyncTest->setup(
    secrets => {
        'woo.secret' => $stored,
        'old.secret' => $old,
    },
    locations => <<'EOF');
        location = /hooks/woo {
            invsync_webhook woocommerce;
            invsync_channel woo-main;
            invsync_secret_file %%TESTDIR%%/woo.secret;
        }

        location = /hooks/woo-rot {
            invsync_webhook woocommerce;
            invsync_channel woo-rot;
            invsync_secret_file %%TESTDIR%%/old.secret;
            invsync_secret_file %%TESTDIR%%/woo.secret;
        }

        location = /invsync/status {
            invsync_status;
        }
EOF

$t->run;
$t->wait_ready;
$t->plan(28);

my $source = 'https://shop.example.com/';

sub headers {
    my ($body, %o) = @_;
    my $topic = $o{topic} // 'order.updated';
    (my $resource = $topic) =~ s/\..*//;
    my %h = (
        'X-WC-Webhook-Signature' => hmac_b64($body, $o{key} // $secret),
        'X-WC-Webhook-Topic' => $topic,
        'X-WC-Webhook-Resource' => $resource,
        'X-WC-Webhook-Event' => 'updated',
        'X-WC-Webhook-Source' => $source,
        'X-WC-Webhook-ID' => '12',
        'X-WC-Webhook-Delivery-ID' => $o{delivery} // 'd41d8cd98f00b204e9800998ecf8427e',
        'Content-Type' => 'application/json',
    );
    delete $h{'X-WC-Webhook-Signature'} if $o{nosig};
    return %h;
}

my %who = (scheme => 'woocommerce', channel => 'woo-main',
           hide => [$secret, $stored]);

sub ignored {
    my $s = eval { decode_json($t->get('/invsync/status')->{content}) };
    return $s ? $s->{channels}{'woo-main'}{ignored} : 'no status';
}

sub event {
    my ($stream, $id) = @_;
    my $e = $t->redis('XRANGE', $stream, $id, $id);
    return ref $e && @$e ? {@{$e->[0][1]}}->{event} : undef;
}

# the ping sent when a webhook is saved

my $m = $t->mark;
my $r = $t->post('/hooks/woo', 'webhook_id=12',
                 'Content-Type' => 'application/x-www-form-urlencoded');
is(InvsyncTest::answer($r),
   '200 application/json {"status":"ok","handshake":"woocommerce"}',
   'ping answered with the handshake');
is($t->redis('DBSIZE'), $m->{keys}, 'ping: nothing stored');
is(ignored(), 1, 'ping counted as ignored');

# accepted; the entity-encoded stored secret verifies

# WooCommerce's event id: resource, id, date_modified and a digest of the
# body (date_modified has a one-second grain)
sub woo_event {
    my ($res, $id, $date, $body) = @_;
    return "$res:$id:$date:" . substr(Digest::SHA::sha256_hex($body), 0, 16);
}

my $order = '{"id":123,"status":"processing","date_modified":"2024-08-02T21:26:52",'
    . '"date_modified_gmt":"2024-08-02T19:26:52","line_items":[]}';
$r = $t->post('/hooks/woo', $order, headers($order));
my $id = $t->accepted($r, 'invsync:orders',
                      'order.updated accepted (entity-encoded secret)');
$t->envelope('invsync:orders', $id, {
    channel => 'woo-main', scheme => 'woocommerce', account => $source,
    topic => 'order.updated',
    event => woo_event('order', 123, '2024-08-02T19:26:52', $order),
    body => $order,
}, 'envelope: event id from the body');

# a retry gets another delivery id: still the same event
$r = $t->post('/hooks/woo', $order,
              headers($order, delivery => 'ffffffffffffffffffffffffffffffff'));
$t->duplicate($r, 'retry with a new delivery id is a duplicate');
is($t->redis('XLEN', 'invsync:orders'), 1, 'duplicate not stored');

# two events in one second share a delivery id: both are kept
my $order2 = $order =~ s/"id":123/"id":124/r;
$r = $t->post('/hooks/woo', $order2, headers($order2));
$id = $t->accepted($r, 'invsync:orders',
                   'another order with the same delivery id accepted');
is(event('invsync:orders', $id),
   woo_event('order', 124, '2024-08-02T19:26:52', $order2), 'its own event id');

my $product = '{"id":799,"stock_quantity":7,"date_modified_gmt":"2024-08-03T10:00:00"}';
$r = $t->post('/hooks/woo', $product,
              headers($product, topic => 'product.updated'));
$id = $t->accepted($r, 'invsync:stock', 'product.updated goes to stock');
$t->envelope('invsync:stock', $id, {
    channel => 'woo-main', scheme => 'woocommerce', account => $source,
    topic => 'product.updated',
    event => woo_event('product', 799, '2024-08-03T10:00:00', $product),
    body => $product,
}, 'envelope of product.updated');

# no id and date in the body: the body hash is the event id
my $coupon = '{"code":"SUMMER"}';
$r = $t->post('/hooks/woo', $coupon, headers($coupon, topic => 'coupon.created'));
$id = $t->accepted($r, 'invsync:other', 'coupon.created goes to other');
is(event('invsync:other', $id),
   'sha256:' . sha256_hex($coupon), 'no id in the body: body hash');

# refusals

$m = $t->mark;
my %h = headers($order);
$r = $t->post('/hooks/woo', $order2, %h);
$t->refused($m, $r, 401, 'signature mismatch', %who, name => 'tampered body',
            hide => [$secret, $stored, $h{'X-WC-Webhook-Signature'}]);

$m = $t->mark;
%h = headers($order, key => $stored);
$r = $t->post('/hooks/woo', $order, %h);
$t->refused($m, $r, 401, 'signature mismatch', %who,
            name => 'signed with the undecoded secret',
            hide => [$secret, $stored, $h{'X-WC-Webhook-Signature'}]);

$m = $t->mark;
$r = $t->post('/hooks/woo', $order, headers($order, nosig => 1));
$t->refused($m, $r, 401, 'missing signature', %who,
            name => 'no signature header');

$m = $t->mark;
$r = $t->post('/hooks/woo', 'webhook_id=13', headers('webhook_id=13'));
$t->refused($m, $r, 400, 'body is not valid JSON', %who,
            name => 'signed form body');

# rotation

$r = $t->post('/hooks/woo-rot', $order, headers($order, key => $old));
$t->accepted($r, 'invsync:orders', 'rotation: old secret accepted');
$r = $t->post('/hooks/woo-rot', $order2, headers($order2));
$t->accepted($r, 'invsync:orders', 'rotation: new secret accepted');

is(ignored(), 1, 'only the ping was ignored');

$t->done;
