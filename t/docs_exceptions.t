#!/usr/bin/perl

# Every exception kind the worker, the actions or their scripts can open
# has its row in docs/worker.md's "Exception kinds" table (id, when, the
# members of its data, what to do), so that a script reading `exceptions
# list --json` finds each kind's data documented in one place.  The kinds
# are read from the source: an exception's kind is named where it is
# opened, by one of the few calls that open one.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Find;
use InvsyncTest;

my $root = InvsyncTest->new->root;

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or die "$path: $!\n";
    local $/;
    return scalar <$fh>;
}

# the kinds, each with the file it was found in
my %kind;
find(sub {
    return unless /\.(c|lua)$/;
    my $src = slurp($_);
    my $file = $File::Find::name =~ s{^\Q$root\E/}{}r;
    my @found = (
        $src =~ /\bx\.kind\s*=\s*"([a-z0-9_]+)"/g,
        $src =~ /\binvsync_action_exception\([^;"]*?"([a-z0-9_]+)"/g,
        $src =~ /\binvsync_3pl_exception\(\s*\w+,\s*\w+,\s*"([a-z0-9_]+)"/g,
        $src =~ /\blocal xid = '([a-z0-9_]+):'/g,
    );
    $kind{$_} //= $file for @found;
}, "$root/src");

my $doc = slurp("$root/docs/worker.md");
my ($table) = $doc =~ /^### Exception kinds\n(.*?)^#/ms;
my %row = map { $_ => 1 } ($table // '') =~ /^\| `([a-z0-9_]+)` \|/mg;

plan(tests => 2 + keys %kind);

# the readers above must keep finding what they look for
ok(keys %kind >= 20, scalar(keys %kind) . ' kinds found in src/')
    or diag(explain \%kind);
ok(keys %row >= 20, scalar(keys %row) . ' rows in worker.md\'s table');

for my $k (sort keys %kind) {
    ok($row{$k}, "$k ($kind{$k}) has its row in docs/worker.md");
}
