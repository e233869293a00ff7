#!/usr/bin/perl

# Deduplication: the same event sent again, one after another or by 50
# clients at once, is stored exactly once and answered "duplicate"; the
# idempotency key lives for invsync_dedupe_ttl; WooCommerce's event id comes
# from the body (resource, id, modification date; the delivery id does not
# count), the topic is part of the key, and a body without an id is keyed by
# its hash.  50 different events at once are all stored.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(sha256_hex);
use InvsyncTest qw(hmac_b64);

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');
$t->run_redis;

my $secret = 'hush';
$t->write_file('hook.secret', "$secret\n");

$t->nginx_conf(<<'EOF');
    invsync_redis %%REDIS%%;

    server {
        listen 127.0.0.1:%%PORT%%;

        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/hook.secret;
            invsync_dedupe_ttl 2h;
        }

        location = /hooks/woo {
            invsync_webhook woocommerce;
            invsync_channel woo-main;
            invsync_secret_file %%TESTDIR%%/hook.secret;
        }
    }
EOF

$t->run;
$t->wait_ready(1) or die "redis not ready\n";
$t->plan(37);

my $ACCEPTED = qr/^200 application\/json \{"status":"accepted","stream":"invsync:orders","id":"\d+-\d+"\}$/;
my $DUP = '200 application/json {"status":"duplicate"}';

sub answer {
    my ($r) = @_;
    return join ' ', $r->{status}, $r->{headers}{'content-type'} // '-',
                     $r->{content};
}

sub shop_headers {
    my ($body, $id) = @_;
    return ('X-Shopify-Hmac-Sha256' => hmac_b64($body, $secret),
            'X-Shopify-Topic' => 'orders/create',
            'X-Shopify-Webhook-Id' => $id,
            'X-Shopify-Shop-Domain' => 'shop-eu.myshopify.com',
            'Content-Type' => 'application/json');
}

sub woo_headers {
    my ($body, $topic, $delivery) = @_;
    my ($resource) = $topic =~ /^(\w+)\./;
    return ('X-WC-Webhook-Signature' => hmac_b64($body, $secret),
            'X-WC-Webhook-Topic' => $topic,
            'X-WC-Webhook-Resource' => $resource,
            'X-WC-Webhook-Source' => 'https://woo.example.com/',
            'X-WC-Webhook-Delivery-ID' => $delivery,
            'X-WC-Webhook-ID' => 7,
            'Content-Type' => 'application/json');
}

sub count { my ($re, @a) = @_; return scalar grep { answer($_) =~ $re } @a }

###############################################################################
# one after another

my $body = '{"id":1001,"total_price":"10.00"}';
my @a = map { $t->post('/hooks/shopify', $body, shop_headers($body, 'wh-1')) }
        1 .. 3;
like(answer($a[0]), $ACCEPTED, 'first delivery accepted');
is(answer($a[1]), $DUP, 'second delivery duplicate');
is(answer($a[2]), $DUP, 'third delivery duplicate');

my $s = $t->stream('invsync:orders');
is(scalar @$s, 1, 'one stream entry for three deliveries');
is($s->[0][1]{event}, 'wh-1', 'the entry is the event');

my $key = 'invsync:{invsync:orders}:seen:shop-eu:orders/create:wh-1';
my $ttl = $t->redis('TTL', $key);
ok($ttl > 7100 && $ttl <= 7200, "dedupe key lives invsync_dedupe_ttl 2h")
    or diag("TTL $key: $ttl");
is($t->redis('GET', $key), $s->[0][1]{received},
   'dedupe key holds the time the event was received');

###############################################################################
# 50 identical deliveries at once

$body = '{"id":1002,"total_price":"20.00"}';
my @req = (['POST', '/hooks/shopify', $body, { shop_headers($body, 'wh-2') }]);
@a = $t->parallel(map { [@req] } 1 .. 50);

is(scalar @a, 50, '50 answers');
is(count($ACCEPTED, @a), 1, 'exactly one accepted')
    or diag(join "\n", map { answer($_) } @a);
is(count(qr/^\Q$DUP\E$/, @a), 49, '49 duplicates');
$s = $t->stream('invsync:orders');
is(scalar(grep { $_->[1]{event} eq 'wh-2' } @$s), 1,
   'one stream entry for 50 parallel deliveries');
is(scalar @$s, 2, 'two entries in all');

###############################################################################
# 50 different events at once

@a = $t->parallel(map {
    my $b = qq({"id":${\ (2000 + $_)}});
    [['POST', '/hooks/shopify', $b, { shop_headers($b, "wh-p$_") }]]
} 1 .. 50);
is(count($ACCEPTED, @a), 50, '50 different events accepted')
    or diag(join "\n", map { answer($_) } grep { answer($_) !~ $ACCEPTED } @a);
$s = $t->stream('invsync:orders');
is(scalar @$s, 52, '50 more entries');
my %ev = map { $_->[1]{event} => 1 } @$s;
is(scalar(grep { $ev{"wh-p$_"} } 1 .. 50), 50, 'each event stored');
my %ids = map { (decode_id($_) // '') => 1 } @a;
is(scalar keys %ids, 50, '50 distinct entry ids answered');

sub decode_id { $_[0]{content} =~ /"id":"(\d+-\d+)"/ ? $1 : undef }

###############################################################################
# WooCommerce: the event is the order modification

# WooCommerce's event id: resource, id, date_modified and a digest of the
# body (date_modified has a one-second grain)
sub woo_event {
    my ($res, $id, $date, $body) = @_;
    return "$res:$id:$date:" . substr(Digest::SHA::sha256_hex($body), 0, 16);
}

my $order = '{"id":555,"status":"processing","date_modified_gmt":'
    . '"2024-05-01T10:00:00","date_modified":"2024-05-01T12:00:00"}';

my $r = $t->post('/hooks/woo', $order,
                 woo_headers($order, 'order.updated', 'd-1'));
like(answer($r), $ACCEPTED, 'woo order modification accepted');
is(answer($t->post('/hooks/woo', $order,
                   woo_headers($order, 'order.updated', 'd-2'))),
   $DUP, 'same modification, another delivery id: duplicate');

my $o = $t->stream('invsync:orders')->[-1][1];
is($o->{event}, woo_event('order', 555, '2024-05-01T10:00:00', $order),
   'woo event id is resource:id:date_modified_gmt:digest');
is($o->{channel} . '|' . $o->{account}, 'woo-main|https://woo.example.com/',
   'woo channel and account');

(my $order2 = $order) =~ s/10:00:00/10:05:00/;
$r = $t->post('/hooks/woo', $order2,
              woo_headers($order2, 'order.updated', 'd-3'));
like(answer($r), $ACCEPTED, 'same order, new date_modified_gmt: accepted');
is($t->stream('invsync:orders')->[-1][1]{event},
   woo_event('order', 555, '2024-05-01T10:05:00', $order2),
   'new modification stored');

# date_modified serves when date_modified_gmt is absent
my $order3 = '{"id":556,"date_modified":"2024-05-02T09:00:00"}';
$r = $t->post('/hooks/woo', $order3,
              woo_headers($order3, 'order.updated', 'd-4'));
like(answer($r), $ACCEPTED, 'order with date_modified only accepted');
is($t->stream('invsync:orders')->[-1][1]{event},
   woo_event('order', 556, '2024-05-02T09:00:00', $order3),
   'event id from date_modified');

# the topic is part of the key
my $order4 = '{"id":557,"date_modified_gmt":"2024-05-03T08:00:00"}';
like(answer($t->post('/hooks/woo', $order4,
                     woo_headers($order4, 'order.created', 'd-5'))),
     $ACCEPTED, 'order.created accepted');
like(answer($t->post('/hooks/woo', $order4,
                     woo_headers($order4, 'order.updated', 'd-6'))),
     $ACCEPTED, 'order.updated with the same body accepted too');
my $ev4 = woo_event('order', 557, '2024-05-03T08:00:00', $order4);
my @e = grep { $_->[1]{event} eq $ev4 } @{$t->stream('invsync:orders')};
is(join(',', map { $_->[1]{topic} } @e), 'order.created,order.updated',
   'both topics stored');
ok($t->redis('EXISTS', 'invsync:{invsync:orders}:seen:woo-main:'
             . "order.created:$ev4")
   && $t->redis('EXISTS', 'invsync:{invsync:orders}:seen:woo-main:'
                . "order.updated:$ev4"),
   'one dedupe key per topic');

# no id: the hash of the body
my $noid = '{"status":"processing","note":"no id here"}';
like(answer($t->post('/hooks/woo', $noid,
                     woo_headers($noid, 'order.updated', 'd-7'))),
     $ACCEPTED, 'woo body without id accepted');
is($t->stream('invsync:orders')->[-1][1]{event}, 'sha256:' . sha256_hex($noid),
   'event id is sha256 of the body');
is(answer($t->post('/hooks/woo', $noid,
                   woo_headers($noid, 'order.updated', 'd-8'))),
   $DUP, 'same body again: duplicate');
my $ttl2 = $t->redis('TTL', 'invsync:{invsync:orders}:seen:woo-main:'
                     . 'order.updated:sha256:' . sha256_hex($noid));
ok($ttl2 > 72 * 3600 - 100 && $ttl2 <= 72 * 3600,
   'default dedupe ttl is 72h') or diag("TTL $ttl2");

###############################################################################
# a write Redis refuses leaves no idempotency key behind: the sender's retry
# must be stored, not answered "duplicate" (CONTRACT section 7, 1)

$t->redis('SET', 'invsync:refunds', 'not a stream');
my $refund = '{"id":77,"order_id":1001}';
my %rh = (shop_headers($refund, 'wh-refund'),
          'X-Shopify-Topic' => 'refunds/create');
my $mark = length $t->error_log;
$r = $t->post('/hooks/shopify', $refund, %rh);
is(answer($r) . ' ' . ($r->{headers}{'retry-after'} // '-'),
   '503 application/json {"status":"error","error":"redis refused the write"} 1',
   'XADD refused (WRONGTYPE): 503 with Retry-After');
like(substr($t->error_log, $mark),
     qr/\[error\] .*invsync: redis refused the write for channel "shop-eu": WRONGTYPE/,
     'logged at error');
$t->redis('DEL', 'invsync:refunds');

{
    is($t->redis('EXISTS', 'invsync:{invsync:refunds}:seen:shop-eu:'
                 . 'refunds/create:wh-refund'), 0,
       'no idempotency key left by the failed write');
    like(answer($t->post('/hooks/shopify', $refund, %rh)),
         qr/^200 application\/json \{"status":"accepted","stream":"invsync:refunds"/,
         'the retry is accepted');
    is(scalar @{$t->stream('invsync:refunds')}, 1, 'and stored');
}

$t->done;
