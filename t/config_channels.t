#!/usr/bin/perl

# invsync-worker -t follows the channel table: what a channel type cannot
# do (call its API, poll orders, show stock) is refused with the JSON path
# and the types that can, instead of being skipped at run time.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use InvsyncTest;
use InvsyncWorker qw(worker_conf worker_bin);

my $t = InvsyncTest->new;
$t->write_file('api.secret', "token\n");

my $cred = $t->dir . '/api.secret';
my $api = 'http://127.0.0.1:9/';

# [ name, channel, expected exit, what the output must say ]
my @cases = (
    [ 'a type the table does not know',
      { id => 'x', type => 'amazon' }, 1,
      qr/channels\[0\]: "type" must be one of: shipbob, shopify, .*woocommerce/ ],
    [ 'a generic scheme is no channel type',
      { id => 'x', type => 'hmac' }, 1,
      qr/channels\[0\]: "type" must be one of/ ],
    [ 'api_base on a type whose API invsync does not call',
      { id => 'x', type => 'stripe', api_base => $api }, 1,
      qr/channels\[0\]: "api_base": invsync does not call the API of type "stripe" \(types it calls: .*shopify.*woocommerce/ ],
    [ 'poll_s on a type that cannot poll',
      { id => 'x', type => 'tiktok', poll_s => 60,
        credentials_file => $cred }, 1,
      qr/channels\[0\]: "poll_s": orders cannot be polled from type "tiktok" \(only .*shopify.*woocommerce/ ],
    [ 'stock rules on a type that shows no stock',
      { id => 'x', type => 'stripe', stock => { buffer => 1 } }, 1,
      qr/channels\[0\]: "stock": type "stripe" shows no stock \(types that do: .*shopify/ ],
    [ 'a listened-to channel without an API',
      { id => 'x', type => 'stripe' }, 0, qr/is valid/ ],
    [ 'a shopify channel that polls and shows stock',
      { id => 'x', type => 'shopify', api_base => $api, poll_s => 60,
        credentials_file => $cred, stock => { buffer => 1 } }, 0,
      qr/is valid/ ],
    [ 'a woocommerce channel that polls and shows stock',
      { id => 'x', type => 'woocommerce', api_base => $api, poll_s => 60,
        credentials_file => $cred, stock => { max => 50 } }, 0,
      qr/is valid/ ],
);

plan(tests => 2 * @cases);

my $n = 0;

for my $c (@cases) {
    my ($name, $channel, $want, $say) = @$c;
    my $file = worker_conf($t, 'case' . $n++ . '.json',
                           channels => [ $channel ]);
    my $out = `@{[worker_bin($t)]} -t -c $file 2>&1`;

    is($? >> 8, $want, "-t: $name: exit $want") or diag($out);
    like($out, $say, "-t: $name: says why") or diag($out);
}
