#!/usr/bin/perl

# Batches: the events a worker accepts for one stream in one turn of its
# event loop reach Redis in few calls of the ingest script, and each gets
# its own answer.  Many events at once, on two streams, with a duplicate
# among them, are each stored once and in order, in fewer calls than
# events; a stream Redis refuses fails only its own events; after SCRIPT
# FLUSH a whole batch is sent again with EVAL and stored once.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use InvsyncTest qw(hmac_b64);

my $secret = 'hush';

my $t = InvsyncTest->setup(
    secrets => { 'hook.secret' => $secret },
    locations => <<'EOF');
        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/hook.secret;
        }

        location = /hooks/shopify-us {
            invsync_webhook shopify;
            invsync_channel shop-us;
            invsync_secret_file %%TESTDIR%%/hook.secret;
            invsync_dedupe_ttl 1h;
        }

        location = /status {
            invsync_status;
        }
EOF

$t->run;
$t->wait_ready(1) or die "redis not ready\n";
$t->plan(20);

my $ACCEPTED = qr/^200 \{"status":"accepted","stream":"invsync:(?:orders|refunds)","id":"\d+-\d+"\}$/;
my $DUP = '200 {"status":"duplicate"}';
my $REFUSED = '503 {"status":"error","error":"redis refused the write"}';

sub answer { my ($r) = @_; return "$r->{status} $r->{content}" }

sub hook {
    my ($id, $topic, $path) = @_;
    my $body = qq({"id":"$id","total_price":"10.00"});
    return ['POST', $path // '/hooks/shopify', $body, {
        'X-Shopify-Hmac-Sha256' => hmac_b64($body, $secret),
        'X-Shopify-Topic' => $topic // 'orders/create',
        'X-Shopify-Webhook-Id' => $id,
        'X-Shopify-Shop-Domain' => 'shop-eu.myshopify.com',
        'Content-Type' => 'application/json' }];
}

# script calls since the last CONFIG RESETSTAT, EVALSHA and EVAL
sub calls {
    my $n = 0;
    $n += $_ for $t->redis('INFO', 'commandstats')
                 =~ /cmdstat_eval(?:sha)?:calls=(\d+)/g;
    return $n;
}

sub events { my ($stream) = @_; [map { $_->[1]{event} } @{$t->stream($stream)}] }

sub noscript { ($t->get('/status')->{content} =~ /"noscript":(\d+)/)[0] // -1 }

###############################################################################
# 30 orders and 10 refunds at once, with one order sent twice

my @req = ((map { hook("o-$_") } 1 .. 30),
           (map { hook("r-$_", 'refunds/create') } 1 .. 10),
           hook('o-7'));

$t->redis('CONFIG', 'RESETSTAT');
my @a = $t->at_once(@req);
my $calls = calls();

is(scalar(grep { answer($_) =~ $ACCEPTED } @a[0 .. 39]), 40,
   '40 different events accepted')
    or diag(join "\n", map { answer($_) } @a);
is(answer($a[40]), $DUP,
   'the second delivery of o-7, in the same turn, is a duplicate');
is_deeply(events('invsync:orders'), [map { "o-$_" } 1 .. 30],
          'each order stored once, in the order nginx read them');
is_deeply(events('invsync:refunds'), [map { "r-$_" } 1 .. 10],
          'each refund stored once, on its own stream');

my %id;
for (@a[0 .. 39]) {
    $id{"$1 $2"} = 1 if answer($_) =~ /"stream":"([^"]+)","id":"([^"]+)"/;
}
is(scalar keys %id, 40, '40 distinct entries answered');
my %stored = map { my $s = $_; map { ("$s $_->[0]" => 1) } @{$t->stream($s)} }
             qw(invsync:orders invsync:refunds);
is(scalar(grep { $stored{$_} } keys %id), 40,
   'each answered id is a stored entry');

ok($calls >= 2 && $calls <= 20, "41 events on two streams in $calls script calls");

my $e = $t->stream('invsync:refunds')->[0][1];
is_deeply([sort keys %$e],
          [sort qw(v channel scheme account topic event received body)],
          'an entry of a batch has the eight fields of the envelope');
is("$e->{v} $e->{channel} $e->{scheme} $e->{account} $e->{topic} $e->{body}",
   '1 shop-eu shopify shop-eu.myshopify.com refunds/create '
   . '{"id":"r-1","total_price":"10.00"}',
   'with its own values');

###############################################################################
# two locations with different idempotency lifetimes on one stream: their
# events are in separate batches, and still stored in the order they came

@a = $t->at_once(map { $_ % 2 ? hook("x-$_") : hook("x-$_", undef, '/hooks/shopify-us') }
                 1 .. 20);
is(scalar(grep { answer($_) =~ $ACCEPTED } @a), 20, '20 events of two locations accepted');
is_deeply([grep { /^x-/ } @{events('invsync:orders')}], [map { "x-$_" } 1 .. 20],
          'stored in the order they came, across the two lifetimes');

###############################################################################
# a stream Redis refuses (a key of the wrong type) fails only its events

$t->redis('DEL', 'invsync:refunds');
$t->redis('SET', 'invsync:refunds', 'not a stream');

@a = $t->at_once((map { hook("o2-$_") } 1 .. 5),
                 (map { hook("r2-$_", 'refunds/create') } 1 .. 5));

is(scalar(grep { answer($_) =~ $ACCEPTED } @a[0 .. 4]), 5,
   'orders accepted in the turn a refunds write fails');
is(scalar(grep { answer($_) eq $REFUSED } @a[5 .. 9]), 5,
   'refunds answered 503 redis refused the write')
    or diag(join "\n", map { answer($_) } @a[5 .. 9]);
is($t->redis('EXISTS',
             'invsync:{invsync:refunds}:idem:7:shop-eu:14:refunds/create:4:r2-1'),
   0, 'a refused event leaves no idempotency key');

$t->redis('DEL', 'invsync:refunds');
my $retry = hook('r2-1', 'refunds/create');
like(answer($t->post('/hooks/shopify', $retry->[2], %{$retry->[3]})),
     $ACCEPTED, 'its retry is accepted once the stream is writable');

###############################################################################
# SCRIPT FLUSH: a whole batch goes again with EVAL, each event once

is($t->redis('SCRIPT', 'FLUSH'), 'OK', 'SCRIPT FLUSH');
my $before = noscript();

@a = $t->at_once(map { hook("o3-$_") } 1 .. 12);

is(scalar(grep { answer($_) =~ $ACCEPTED } @a), 12,
   '12 events after SCRIPT FLUSH accepted')
    or diag(join "\n", map { answer($_) } @a);
is_deeply([grep { /^o3-/ } @{events('invsync:orders')}],
          [map { "o3-$_" } 1 .. 12], 'each stored once, in order');

my $after = noscript();
ok($before >= 0 && $after > $before,
   'NOSCRIPT counted: ' . ($after - $before) . ' batch(es) sent again');

is($t->redis('EXISTS',
             'invsync:{invsync:orders}:idem:7:shop-eu:13:orders/create:5:o3-12'),
   1, 'the idempotency keys of the batch are set');

$t->done;
