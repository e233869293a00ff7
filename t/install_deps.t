#!/usr/bin/perl

# t/install-deps, which make test, make demo and .ci/run start with: a
# copy of it beside a packages.txt of our own.  Everything installed: it
# does nothing and says nothing (no root, no network needed).  A package
# missing and no root: it installs nothing, exits 1 and prints the sudo
# line naming exactly what is missing; --check lists it.  Run as nobody
# when the test runs as root.  It is never run here as root with a
# package missing (that would call apt-get).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Copy qw(copy);
use InvsyncTest;

sub found {
    my ($bin) = @_;
    return grep { -x "$_/$bin" } split /:/, "$ENV{PATH}:/usr/sbin:/usr/bin";
}

plan(skip_all => 'not a Debian system') unless found('dpkg-query');

my $t = InvsyncTest->new;
my $dir = $t->dir;
mkdir "$dir/t" or die "$dir/t: $!";
copy($t->root . '/t/install-deps', "$dir/t/install-deps") or die "copy: $!";
chmod 0755, $dir, "$dir/t", "$dir/t/install-deps";

# as an unprivileged user: ourselves, or nobody when we are root
my @as = ();
if ($> == 0) {
    plan(skip_all => 'root, and no setpriv to run as nobody')
        unless found('setpriv');
    @as = qw(setpriv --reuid=nobody --regid=nogroup --clear-groups --);
}
plan(tests => 7);

sub run {
    my (@args) = @_;
    my $cmd = join ' ', map { "'$_'" } @as, "$dir/t/install-deps", @args;
    my $out = `$cmd 2>&1`;
    return ($? >> 8, $out);
}

# one package every Debian system has, by its status
$t->write_file('t/packages.txt', "dpkg\n");
my ($rc, $out) = run();
is($rc, 0, 'nothing missing: exit 0');
is($out, '', 'and nothing said');

$t->write_file('t/packages.txt', "dpkg\ninvsync-no-such-package\n");
($rc, $out) = run();
is($rc, 1, 'a package missing, no root: exit 1');
like($out, qr/^\s+sudo apt-get install invsync-no-such-package$/m,
     'with the sudo line naming what is missing, and only that');
unlike($out, qr/^install-deps: installing: /m, 'and nothing installed');

($rc, $out) = run('--check');
is($rc, 1, '--check: exit 1');
like($out, qr/missing: invsync-no-such-package$/m, 'and the list');
