#!/usr/bin/perl

# The Debian packages (src/pkg/deb/README.md): src/pkg/deb/build makes
# libnginx-mod-http-invsync and invsync from the built tree; their fields
# and contents are checked with dpkg-deb; then they are installed and
# used: nginx -t with the module loaded from the modules-enabled link, a
# signed webhook stored in Redis through that nginx and consumed by the
# packaged worker (each of its system calls within the unit's filter), the
# unit through systemd-analyze, the man pages through man -l.
#
# Installed how: with INVSYNC_DEB_INSTALL=1 (.ci/run sets it: the CI
# machine is disposable) into the machine's dpkg with dpkg -i, the
# maintainer scripts run, the packaged worker run as its user, and both
# packages purged at the end; otherwise extracted with dpkg-deb -x into the
# test's directory, the module's maintainer scripts run under DPKG_ROOT.
# Neither starts or stops the system's nginx, Redis or the service.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest qw(hmac_b64);
use InvsyncWorker qw(wait_for);

my $INSTALL = $ENV{INVSYNC_DEB_INSTALL} ? 1 : 0;
my $SRC = $ENV{NGINX_SRC} || '/usr/share/nginx/src';
my $ABI_FILE = "$SRC/debian/libnginx-mod.abisubstvars";
my $LINK = '/etc/nginx/modules-enabled/50-mod-http-invsync.conf';
my $AVAIL = '/usr/share/nginx/modules-available/mod-http-invsync.conf';
my $UNIT = '/lib/systemd/system/invsync-worker.service';

# the packages hold the plain build for Debian's nginx
plan skip_all => 'the packages are the plain build, not ASan\'s'
    if $ENV{INVSYNC_ASAN};
plan skip_all => 'the packages are for the system nginx'
    if $ENV{INVSYNC_NGINX} || ($ENV{INVSYNC_MODULE} // '') eq 'static';
plan skip_all => "$ABI_FILE missing (nginx-dev)" unless -f $ABI_FILE;
for my $p (qw(dpkg-deb dpkg-shlibdeps systemd-analyze man)) {
    plan skip_all => "$p not installed" if system("command -v $p >/dev/null");
}
plan skip_all => 'installing packages needs root' if $INSTALL && $> != 0;

my $t = InvsyncTest->setup(programs => ['invsync-worker', 'invsyncctl'],
                           secrets => { 'shopify.secret' => 'hush' });
$t->plan($INSTALL ? 39 : 35);

my $root = $t->root;
my $dir = $t->dir;
my $prefix = "$dir/root";

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or return '';
    local $/;
    return scalar <$fh>;
}

sub run {
    my ($cmd) = @_;
    my $out = `$cmd 2>&1`;
    return ($? >> 8, $out);
}

(my $version = slurp("$root/src/pkg/VERSION")) =~ s/\s+//g;
my ($abi) = slurp($ABI_FILE) =~ /^nginx:abi=(\S+)$/m;
my $arch = `dpkg --print-architecture`;
chomp $arch;

# ---- build -----------------------------------------------------------------

my ($rc, $out) = run("$root/src/pkg/deb/build $root/build $dir/deb");
is($rc, 0, 'src/pkg/deb/build') or diag($out);
my %deb = map { $_ => "$dir/deb/${_}_${version}_$arch.deb" }
          qw(libnginx-mod-http-invsync invsync);
ok(-f $deb{'libnginx-mod-http-invsync'} && -f $deb{invsync},
   "both packages, version $version from src/pkg/VERSION");

# ---- dpkg-deb --info -------------------------------------------------------

sub field {
    my ($pkg, $name) = @_;
    my $v = `dpkg-deb --field '$deb{$pkg}' $name`;
    chomp $v;
    return $v;
}

my $mod_deps = field('libnginx-mod-http-invsync', 'Depends');
like($mod_deps, qr/^\Q$abi\E, /, "module: Depends on $abi first");
my $provides = `dpkg-query -W -f '\${Provides}' nginx 2>/dev/null`;
like($provides, qr/(^|, )\Q$abi\E(,|$)/, "the installed nginx provides $abi");
like($mod_deps, qr/libhiredis[\d.]+ \(>= [^)]+\).*libjansson4 \(>= /,
     'module: Depends on the libraries it links, versioned');

my $deps = field('invsync', 'Depends');
like($deps, qr/^adduser, libc6 \(>= [^)]+\), libcurl4 \(>= /,
     'invsync: Depends on adduser and the libraries it links');
is(join(' ', map { field($_, 'Version') } sort keys %deb),
   "$version $version", 'Version fields');
is(`dpkg-deb --info '$deb{invsync}' conffiles`, "/etc/invsync/worker.json\n",
   'invsync: worker.json is a conffile');

# ---- dpkg-deb --contents ---------------------------------------------------

# "mode path" of each file or link, directories left out
sub contents {
    my ($pkg) = @_;
    my @rows;
    for (split /\n/, `dpkg-deb --contents '$deb{$pkg}'`) {
        my ($mode, $own, $path) = (split ' ')[0, 1, 5];
        next if $mode =~ /^d/;
        $path =~ s{^\./}{/};
        push @rows, "$mode $own $path";
    }
    return [sort @rows];
}

my $docs = sub {
    ("-rw-r--r-- root/root /usr/share/doc/$_[0]/changelog.gz",
     "-rw-r--r-- root/root /usr/share/doc/$_[0]/copyright");
};

is_deeply(contents('libnginx-mod-http-invsync'), [sort
    '-rw-r--r-- root/root /usr/lib/nginx/modules/ngx_http_invsync_module.so',
    "-rw-r--r-- root/root $AVAIL",
    $docs->('libnginx-mod-http-invsync')], 'module: contents');
is_deeply(contents('invsync'), [sort
    '-rw-r--r-- root/root /etc/invsync/worker.json',
    "-rw-r--r-- root/root $UNIT",
    '-rwxr-xr-x root/root /usr/bin/invsync-worker',
    '-rwxr-xr-x root/root /usr/bin/invsyncctl',
    '-rw-r--r-- root/root /usr/share/man/man1/invsyncctl.1.gz',
    '-rw-r--r-- root/root /usr/share/man/man8/invsync-worker.8.gz',
    $docs->('invsync')], 'invsync: contents');

# both extracted in every mode: the man pages are read from here (a
# Docker image's dpkg may be told to leave /usr/share/man out)
for my $pkg (sort keys %deb) {
    system("dpkg-deb -x '$deb{$pkg}' '$prefix'") == 0 or die "dpkg-deb -x";
    system("dpkg-deb -e '$deb{$pkg}' '$dir/ctl-$pkg'") == 0 or die "-e";
}
is(slurp("$prefix$AVAIL"), "load_module modules/ngx_http_invsync_module.so;\n",
   'mod-http-invsync.conf: the load_module line');
unlike(`readelf -S '$prefix/usr/bin/invsync-worker'`, qr/\.symtab|\.debug_/,
     'the programs are stripped');

# ---- installed -------------------------------------------------------------

my $sys = $INSTALL ? '' : $prefix;     # where the packages' files are

if ($INSTALL) {
    ($rc, $out) = run("dpkg -i '$deb{'libnginx-mod-http-invsync'}' "
                      . "'$deb{invsync}'");
    is($rc, 0, 'dpkg -i both') or diag($out);
    is(readlink($LINK), $AVAIL, 'postinst: the modules-enabled link');
    ok(scalar getpwnam('invsync'), 'postinst: the system user invsync');
    my @st = stat '/etc/invsync';
    is(sprintf('%s:%s %o', scalar getpwuid($st[4]), scalar getgrgid($st[5]),
               $st[2] & 07777), 'root:invsync 750',
       '/etc/invsync: root:invsync 0750');
    ok(!-e '/etc/systemd/system/multi-user.target.wants/'
       . 'invsync-worker.service', 'the service is not enabled');
} else {
    ($rc, $out) = run("DPKG_ROOT='$prefix' sh "
                      . "'$dir/ctl-libnginx-mod-http-invsync/postinst' "
                      . 'configure');
    is($rc, 0, 'postinst configure under DPKG_ROOT') or diag($out);
    is(readlink("$prefix$LINK"), $AVAIL, 'postinst: the modules-enabled link');
}

# ---- nginx -t and a webhook ------------------------------------------------

# Debian's nginx finds modules/ under its prefix, /usr/share/nginx, where
# a link points at /usr/lib/nginx/modules: the test's prefix gets the same
symlink("$sys/usr/lib/nginx/modules", "$dir/modules") or die "modules: $!";
# extracted, the link names a path of the prefix: followed there
my $include = $INSTALL ? $LINK : $prefix . readlink("$prefix$LINK");

my $user = $> == 0 ? "user root;\n" : '';
$t->write_file_expand('conf/nginx.conf', <<"EOF");
include $include;
daemon on;
worker_processes 1;
${user}pid %%TESTDIR%%/logs/nginx.pid;
error_log %%TESTDIR%%/logs/error.log info;
events { worker_connections 64; }

http {
    access_log off;
    client_body_temp_path %%TESTDIR%%/tmp/body;
    proxy_temp_path %%TESTDIR%%/tmp/proxy;
    fastcgi_temp_path %%TESTDIR%%/tmp/fastcgi;
    uwsgi_temp_path %%TESTDIR%%/tmp/uwsgi;
    scgi_temp_path %%TESTDIR%%/tmp/scgi;
    invsync_redis %%REDIS%%;

    server {
        listen 127.0.0.1:%%PORT%%;
        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/shopify.secret;
        }
    }
}
EOF

($rc, $out) = $t->nginx_test;
ok($rc == 0 && $out =~ /test is successful/,
   'nginx -t with the module from modules-enabled') or diag($out);

$t->run;
$t->wait_ready;

my $body = encode_json({ id => 820982911946154508, line_items => [] });
my $r = $t->post('/hooks/shopify', $body,
                 'X-Shopify-Hmac-Sha256' => hmac_b64($body, 'hush'),
                 'X-Shopify-Topic' => 'orders/create',
                 'X-Shopify-Webhook-Id' => 'deb-1',
                 'X-Shopify-Shop-Domain' => 'shop-eu.myshopify.com',
                 'Content-Type' => 'application/json');
my $id = $t->accepted($r, 'invsync:orders', 'a signed webhook accepted');
my ($entry) = grep { $_->[0] eq $id } @{$t->stream('invsync:orders')};
is($entry && $entry->[1]{channel}, 'shop-eu', 'and stored in the stream');

# ---- the programs ----------------------------------------------------------

($rc, $out) = run("$sys/usr/bin/invsync-worker -t "
                  . "-c $sys/etc/invsync/worker.json");
is($rc, 0, 'the sample worker.json passes invsync-worker -t') or diag($out);
($rc, $out) = run("$sys/usr/bin/invsyncctl --help");
like($out, qr/^usage: invsyncctl /, 'invsyncctl runs');

run_packaged_worker();

# ---- the unit --------------------------------------------------------------

# verify checks each command exists and each Documentation= page opens
# with man; it exits 0 even for unknown keys, so its output must be empty
my $unit = "$sys$UNIT";
if (!$INSTALL) {
    $unit = "$dir/invsync-worker.service";
    $t->write_file($unit, slurp("$sys$UNIT") =~ s{/usr/bin/}{$sys/usr/bin/}gr);
}
($rc, $out) = run("MANPATH='$prefix/usr/share/man' systemd-analyze verify "
                  . "'$unit'");
is("$rc $out", '0 ', 'systemd-analyze verify: no complaint');

like(slurp($unit), qr/^User=invsync\n/m, 'the unit runs as invsync');
for my $opt ('NoNewPrivileges=yes', 'ProtectSystem=strict',
             'CapabilityBoundingSet=',
             'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
             'SystemCallFilter=@system-service', 'Restart=on-failure') {
    like(slurp($unit), qr/^\Q$opt\E$/m, "the unit: $opt");
}

# the exposure score of systemd's own review, 0 (best) .. 10
($rc, $out) = run("systemd-analyze security --offline=true '$unit'");
my ($score) = $out =~ /Overall exposure level for \S+: ([\d.]+)/;
ok(defined $score && $score <= 2, 'systemd-analyze security: exposure '
   . ($score // '?') . ' (at most 2)') or diag($out);

# ---- the man pages ---------------------------------------------------------

for my $page ('man8/invsync-worker.8.gz', 'man1/invsyncctl.1.gz') {
    my ($name) = $page =~ m{/([^/.]+)\.};
    ($rc, $out) = run("MANWIDTH=80 man --warnings -l "
                      . "'$prefix/usr/share/man/$page'");
    ok($rc == 0 && $out =~ /^NAME\n\s+\Q$name\E\s+-\s/m
       && $out =~ /invsync \Q$version\E/ && $out !~ /warning|@/,
       "man -l $page") or diag($out);
}

# ---- removed ---------------------------------------------------------------

$t->stop_nginx;
if ($INSTALL) {
    reinstall();
    purge();
} else {
    module_scripts_remove();
}

$t->done;


# remove sets the link aside (so that a reinstall links it again), purge
# removes it
sub module_scripts_remove {
    my $ctl = "$dir/ctl-libnginx-mod-http-invsync";
    my @rc = map { system("DPKG_ROOT='$prefix' sh '$ctl/$_->[0]' $_->[1]") }
             ['prerm', 'remove'], ['postrm', 'remove'];
    ok(!grep({ $_ } @rc) && !-e "$prefix$LINK"
       && readlink("$prefix$LINK.removed") eq $AVAIL,
       'prerm remove: the link set aside as .removed');
    system("DPKG_ROOT='$prefix' sh '$ctl/postinst' configure $version");
    is(readlink("$prefix$LINK"), $AVAIL,
       'postinst after a remove: linked again');
    system("DPKG_ROOT='$prefix' sh '$ctl/$_->[0]' $_->[1]")
        for ['prerm', 'remove'], ['postrm', 'remove'], ['postrm', 'purge'];
    ok(!-l "$prefix$LINK" && !-l "$prefix$LINK.removed",
       'postrm purge: no link left');
}

# The same packages again, as an upgrade runs their scripts: an edited
# conffile and a deleted modules-enabled link (the admin's choices) stay.
sub reinstall {
    my $edited = slurp('/etc/invsync/worker.json') =~ s/"info"/"debug"/r;
    $t->write_file('/etc/invsync/worker.json', $edited);
    unlink $LINK;
    my ($rc, $out) = run("dpkg -i '$deb{'libnginx-mod-http-invsync'}' "
                         . "'$deb{invsync}'");
    is($rc, 0, 'dpkg -i both again') or diag($out);
    ok(slurp('/etc/invsync/worker.json') eq $edited && !-l $LINK,
       'upgraded: the edited worker.json and the deleted link stay');
}

sub purge {
    my ($rc, $out) = run('dpkg --purge invsync libnginx-mod-http-invsync');
    is($rc, 0, 'dpkg --purge both') or diag($out);
    ok(!-l $LINK && !-l "$LINK.removed" && !-e $AVAIL
       && !-e '/usr/bin/invsync-worker' && !-e '/etc/invsync/worker.json',
       'purged: no link, no file left');
}

# The packaged worker as the unit runs it, as far as that can be without
# systemd: installed, as user and group invsync with no capability and no
# new privilege, its configuration read from /etc/invsync; it consumes the
# webhook stored above from the test's Redis.  Under strace if installed:
# each system call it made must pass the unit's SystemCallFilter.
sub run_packaged_worker {
    my $conf = $INSTALL ? '/etc/invsync/deb-test.json' : "$dir/deb-test.json";
    $t->write_file($conf, encode_json({
        redis => { address => '127.0.0.1:' . $t->port('redis') },
        consumer => { block_ms => 100 },
        channels => [ { id => 'shop-eu', type => 'shopify' } ] }));
    my @as = ();
    if ($INSTALL) {
        chmod 0640, $conf;
        chown 0, scalar getgrnam('invsync'), $conf;
        @as = ('setpriv', '--reuid=invsync', '--regid=invsync',
               '--clear-groups', '--no-new-privs', '--inh-caps=-all',
               '--bounding-set=-all');
    }
    my $strace = !system('command -v strace >/dev/null');
    my @trace = $strace ? ('strace', '-f', '-qq', '-o', "$dir/worker.strace")
                        : ();
    my $pid = $t->run_daemon('worker', @trace, @as,
                             "$sys/usr/bin/invsync-worker", '-c', $conf);
    my $done = wait_for(30, sub {
        my $g = $t->redis('XINFO', 'GROUPS', 'invsync:orders');
        my %g = ref $g && @$g ? @{$g->[0]} : ();
        return ($g{'last-delivered-id'} // '') eq $id && !$g{pending};
    });
    ok($done, 'the packaged worker' . ($INSTALL ? ', as invsync without '
       . 'privileges,' : '') . ' consumed the webhook')
        or diag($t->read_file('logs/worker.out'));
    # strace does not pass SIGTERM on: the worker, its child, gets it
    kill 'TERM', (split ' ', slurp("/proc/$pid/task/$pid/children")), $pid
        if $strace;
    $t->stop_daemon('worker');
    unlink $conf;
    SKIP: {
        skip 'strace not installed', 1 unless $strace;
        my @out = syscalls_refused("$dir/worker.strace");
        is("@out", '', 'each system call the worker made passes the unit\'s '
           . 'SystemCallFilter');
    }
}

# The system calls of a strace log that the unit's filter refuses ("none"
# if the log holds no execve of the worker):
# @system-service but neither @privileged nor @resources.
sub syscalls_refused {
    my ($log) = @_;
    my %deny = map { $_ => 1 } filter_set('@privileged'),
                               filter_set('@resources');
    my %allow = map { $_ => 1 } grep { !$deny{$_} }
                filter_set('@system-service');
    # from the worker's execve on (not setpriv's own calls)
    my ($calls) = slurp($log) =~ /(^\d+ +execve\("[^"]*invsync-worker".*)/ms;
    my %used = map { /^\d+ +(?:<\.\.\. )?([a-z0-9_]+)[( ]/ ? ($1 => 1) : () }
               split /\n/, $calls // 'none(';
    return sort grep { !$allow{$_} } keys %used;
}

# A systemd system call group, its nested groups expanded.
sub filter_set {
    my ($group) = @_;
    my @names;
    for (split /\n/, `systemd-analyze syscall-filter '$group'`) {
        next unless /^\s+(\@?[a-z0-9_-]+)\s*$/;
        push @names, substr($1, 0, 1) eq '@' ? filter_set($1) : $1;
    }
    return @names;
}
