#!/usr/bin/perl

# invsync-worker -t reads "returns" (docs/returns.md): each mistake is
# refused with its JSON path and the reason, a complete section passes.
# The rules themselves are t/returns/*.json (unit) and t/refund_restock.t.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncWorker qw(worker_conf worker_bin);

my $t = InvsyncTest->new;

# [ name, returns, expected exit, output ]
my @cases = (
    [ 'returns not an object', [], 1, qr/\$: "returns" must be an object/ ],
    [ 'an unknown key', { restock_when => 'refund' }, 1,
      qr/\$\.returns: unknown key "restock_when"/ ],
    [ 'an unknown restock_on', { restock_on => 'ship' }, 1,
      qr/\$\.returns\.restock_on: must be "refund" or "receipt"/ ],
    [ 'a tag not a string', { never_restock_tags => ['ok', 3] }, 1,
      qr/\$\.returns\.never_restock_tags: \[1\] must be a non-empty string/ ],
    [ 'tags not an array', { never_restock_tags => 'perishable' }, 1,
      qr/\$\.returns\.never_restock_tags: must be an array of tags/ ],
    [ 'a reason meaning nothing known', { reasons => { defective => 'broken' } },
      1, qr/\$\.returns\.reasons\.defective: must be "resellable", "damaged" or "no_restock"/ ],
    [ 'opened not a word', { opened => JSON::PP::true }, 1,
      qr/\$\.returns\.opened: must be/ ],
    [ 'an unknown refund_on', { refund_on => 'inspection' }, 1,
      qr/\$\.returns\.refund_on: must be "receipt" or "manual"/ ],
    [ 'a returns_location not among locations',
      { returns_location => 'wh-z' }, 1,
      qr/\$\.returns\.returns_location: "wh-z" is not one of "locations"/ ],
    [ 'a complete section',
      { restock_on => 'refund', returns_location => 'wh-b',
        never_restock_tags => ['perishable', 'hygiene'],
        reasons => { defective => 'damaged', fraudulent => 'no_restock' },
        opened => 'damaged', refund_on => 'receipt' }, 0, qr/is valid/ ],
);

plan(tests => 2 * @cases);

my $n = 0;

for my $c (@cases) {
    my ($name, $returns, $want, $say) = @$c;
    my $file = worker_conf($t, 'case' . $n++ . '.json', returns => $returns,
                           locations => [ { id => 'wh-a' }, { id => 'wh-b' } ]);
    my $out = `@{[worker_bin($t)]} -t -c $file 2>&1`;

    is($? >> 8, $want, "-t: $name: exit $want") or diag($out);
    like($out, $say, "-t: $name: says why") or diag($out);
}
