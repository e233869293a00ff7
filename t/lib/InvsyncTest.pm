package InvsyncTest;

# The invsync test harness, on the model of nginx-tests' Test::Nginx: each
# test file gets a temporary directory with its own Redis and nginx on free
# loopback ports, started here and stopped when the object goes away.
# Core Perl only.

use strict;
use warnings;

use Exporter qw(import);
use File::Temp qw(tempdir);
use File::Path qw(make_path);
use IO::Socket::INET;
use IO::Select;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);
use Test::More ();
use HTTP::Tiny;
use Digest::SHA qw(hmac_sha256 hmac_sha256_hex sha256_hex);
use MIME::Base64 qw(encode_base64 decode_base64);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use FindBin;

our @EXPORT_OK = qw(hmac_b64 read_vector answer);

# the repository, from where this file lies (t/lib)
my $ROOT = abs_path(dirname(abs_path(__FILE__)) . "/../..");

sub new {
    my ($class, %opts) = @_;

    my $self = bless {
        dir      => tempdir('invsync-test-XXXXXX', TMPDIR => 1,
                            CLEANUP => !$ENV{INVSYNC_KEEP}),
        nginx    => $ENV{INVSYNC_NGINX} || '/usr/sbin/nginx',
        module   => $ENV{INVSYNC_MODULE}
                    || "$ROOT/build/ngx_http_invsync_module.so",
        pids     => {},
        ports    => {},
        %opts,
    }, $class;

    make_path("$self->{dir}/logs", "$self->{dir}/conf", "$self->{dir}/tmp");
    return $self;
}

sub dir { $_[0]{dir} }
sub root { $ROOT }

# A program of the build (the ASan build under INVSYNC_ASAN).
sub program {
    my ($self, $name) = @_;
    return $ENV{INVSYNC_ASAN} ? "$ROOT/build/asan/$name" : "$ROOT/build/$name";
}

# The prelude most test files share; a new InvsyncTest, in this order:
# - the file is skipped unless redis-server is installed and each program
#   of $o{programs} (names in build/, e.g. 'invsync-worker') is built;
# - Redis is started;
# - each file of $o{secrets} is written, name => content, with a newline;
# - with $o{locations}, nginx.conf: invsync_redis, the lines of $o{http},
#   and one server on %%PORT%% with those locations; $o{workers} worker
#   processes, default 1.
# nginx is not started here: a file may try nginx -t first, and keeps its
# $t->run and wait_ready beside its plan (a branch that changes the plan
# then merges without touching this prelude).
sub setup {
    my ($class, %o) = @_;
    my $self = $class->new;
    $self->has_daemon('redis-server');
    for my $p (@{$o{programs} || []}) {
        Test::More::plan(skip_all => "$p not built")
            unless -x $self->program($p);
    }
    $self->run_redis;
    for my $name (sort keys %{$o{secrets} || {}}) {
        $self->write_file($name, "$o{secrets}{$name}\n");
    }
    return $self unless defined $o{locations};

    my $http = $o{http} // '';
    $self->nginx_conf(<<"EOF", workers => $o{workers} // 1);
    invsync_redis %%REDIS%%;
$http
    server {
        listen 127.0.0.1:%%PORT%%;

$o{locations}    }
EOF
    return $self;
}

# A free loopback port, stable per name within one test file.
sub port {
    my ($self, $name) = @_;
    $name //= 'http';
    return $self->{ports}{$name} if $self->{ports}{$name};

    for (1 .. 50) {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => 0, Listen => 1,
                                      ReuseAddr => 1) or next;
        my $p = $s->sockport;
        close $s;
        next if grep { $_ == $p } values %{$self->{ports}};
        return $self->{ports}{$name} = $p;
    }
    die "no free port\n";
}

sub has_daemon {
    my ($self, $bin) = @_;
    for my $d (split /:/, "$ENV{PATH}:/usr/sbin:/usr/bin") {
        return 1 if -x "$d/$bin";
    }
    Test::More::plan(skip_all => "$bin not installed");
}

# plan() adds the final checks every file makes: no [alert] in the error
# log and, under ASan, no sanitizer report.
sub plan {
    my ($self, $n) = @_;
    Test::More::plan(tests => $n + 2);
    $self->{planned} = 1;
    return $self;
}

sub write_file {
    my ($self, $name, $content) = @_;
    my $path = $name =~ m{^/} ? $name : "$self->{dir}/$name";
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $content;
    close $fh;
    return $path;
}

sub read_file {
    my ($self, $name) = @_;
    my $path = $name =~ m{^/} ? $name : "$self->{dir}/$name";
    open my $fh, '<:raw', $path or return '';
    local $/;
    my $c = <$fh>;
    close $fh;
    return $c;
}

# nginx.conf from a template: %%PORT%%, %%PORT_<name>%%, %%REDIS%%,
# %%TESTDIR%% and %%MODULE%% are replaced; load_module and the common
# main-context settings are added around it.
sub write_file_expand {
    my ($self, $name, $content) = @_;
    $content =~ s/%%PORT_(\w+)%%/$self->port($1)/ge;
    $content =~ s/%%PORT%%/$self->port('http')/ge;
    $content =~ s/%%REDIS%%/'127.0.0.1:' . $self->port('redis')/ge;
    $content =~ s/%%TESTDIR%%/$self->{dir}/g;
    # INVSYNC_MODULE=static: an INVSYNC_NGINX built with --add-module
    $content =~ s/^load_module %%MODULE%%;\n//mg
        if $self->{module} eq 'static';
    $content =~ s/%%MODULE%%/$self->{module}/g;
    return $self->write_file($name, $content);
}

sub nginx_conf {
    my ($self, $body, %o) = @_;
    my $workers = $o{workers} // 1;
    my $user = $> == 0 ? "user root;\n" : '';
    my $conf = <<"EOF";
load_module %%MODULE%%;
daemon on;
master_process on;
worker_processes $workers;
${user}pid %%TESTDIR%%/logs/nginx.pid;
error_log %%TESTDIR%%/logs/error.log debug;
events { worker_connections 1024; }

http {
    access_log off;
    client_body_temp_path %%TESTDIR%%/tmp/body;
    proxy_temp_path %%TESTDIR%%/tmp/proxy;
    fastcgi_temp_path %%TESTDIR%%/tmp/fastcgi;
    uwsgi_temp_path %%TESTDIR%%/tmp/uwsgi;
    scgi_temp_path %%TESTDIR%%/tmp/scgi;

$body
}
EOF
    return $self->write_file_expand('conf/nginx.conf', $conf);
}

sub _env {
    my ($self, $log) = @_;
    return () unless $ENV{INVSYNC_ASAN};
    chomp(my $lib = `gcc -print-file-name=libasan.so`);
    $log //= 'asan';
    return (LD_PRELOAD => $lib,
            ASAN_OPTIONS => "detect_leaks=1:log_path=$self->{dir}/logs/$log"
                            . ':fast_unwind_on_malloc=0:malloc_context_size=30');
}

# Runs nginx -t; returns (exit status, output).  Under ASan its reports go
# to logs/asan-conftest.*: `nginx -t` exits without freeing the parsed
# configuration (ours included), so only memory errors count there.
sub nginx_test {
    my ($self) = @_;
    local %ENV = (%ENV, $self->_env('asan-conftest'));
    my $out = `$self->{nginx} -p $self->{dir}/ -c conf/nginx.conf -t 2>&1`;
    return ($? >> 8, $out);
}

sub run {
    my ($self) = @_;
    local %ENV = (%ENV, $self->_env);
    my $out = `$self->{nginx} -p $self->{dir}/ -c conf/nginx.conf 2>&1`;
    die "nginx failed to start: $out" if $?;
    $self->waitforsocket('127.0.0.1:' . $self->port('http'))
        or die "nginx did not listen\n";
    $self->{nginx_running} = 1;
    $self->nginx_pid;
    return $self;
}

# The master's pid, also remembered: when a test dies before done(),
# File::Temp's END block may remove its directory before the object goes,
# and its nginx must still be stopped then.
sub nginx_pid {
    my ($self) = @_;
    my $file = "$self->{dir}/logs/nginx.pid";
    return $self->{nginx_master} // '' unless -e $file;
    my $pid = $self->read_file('logs/nginx.pid');
    chomp $pid;
    $self->{nginx_master} = $pid if $pid;
    return $pid;
}

sub reload {
    my ($self) = @_;
    kill 'HUP', $self->nginx_pid;
    sleep 1;
}

sub stop_nginx {
    my ($self) = @_;
    return unless $self->{nginx_running};
    my $pid = $self->nginx_pid;
    if ($pid && _alive($pid)) {
        kill 'QUIT', $pid;
        for (1 .. 100) {
            last unless _alive($pid);
            sleep 0.05;
        }
        kill 'KILL', $pid if _alive($pid);
    }
    $self->{nginx_running} = 0;
    # workers flush sanitizer reports as they exit
    sleep 0.2;
}

# A process that exists and is not a zombie waiting to be reaped (the
# daemonized master is reaped by init, which may take its time).
sub _alive {
    my ($pid) = @_;
    return 0 unless kill 0, $pid;
    open my $fh, '<', "/proc/$pid/stat" or return 0;
    my $stat = <$fh> // '';
    close $fh;
    return $stat !~ /^\d+ \(.*\) Z/;
}

sub waitforsocket {
    my ($self, $addr) = @_;
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(PeerAddr => $addr, Timeout => 1);
        return 1 if $s;
        sleep 0.05;
    }
    return 0;
}

# A daemon of our own: forked, its pid remembered for stop().
sub run_daemon {
    my ($self, $name, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        if (ref $cmd[0] eq 'CODE') {
            $cmd[0]->(@cmd[1 .. $#cmd]);
            POSIX::_exit(0);
        }
        open STDOUT, '>>', "$self->{dir}/logs/$name.out";
        open STDERR, '>&', \*STDOUT;
        exec @cmd or POSIX::_exit(127);
    }
    $self->{pids}{$name} = $pid;
    return $pid;
}

sub stop_daemon {
    my ($self, $name, $sig) = @_;
    my $pid = delete $self->{pids}{$name} or return;
    kill $sig // 'TERM', $pid;
    for (1 .. 100) {
        return if waitpid($pid, WNOHANG) == $pid;
        sleep 0.05;
    }
    kill 'KILL', $pid;
    waitpid($pid, 0);
}

# A real redis-server on a free port, no persistence.
sub run_redis {
    my ($self, @extra) = @_;
    $self->has_daemon('redis-server');
    my $port = $self->port('redis');
    make_path("$self->{dir}/redis");
    $self->run_daemon('redis', 'redis-server', '--port', $port,
                      '--bind', '127.0.0.1', '--save', '',
                      '--appendonly', 'no', '--daemonize', 'no',
                      '--dir', "$self->{dir}/redis", @extra);
    $self->waitforsocket("127.0.0.1:$port") or die "redis did not start\n";
    return $self;
}

sub stop_redis { $_[0]->stop_daemon('redis') }

# FLUSHALL in one transaction with the deployment's epoch and its markers
# set back (docs/keys.md, "The epoch"): an empty Redis of the same
# deployment, which nginx and the workers go on using.  A plain FLUSHALL
# is a data loss they refuse (t/redis_epoch.t).
sub flush {
    my ($self) = @_;
    my @keys = @{$self->redis('KEYS', '*:epoch')};
    my @kv = map { ($_, $self->redis('GET', $_)) } @keys;
    $self->redis('MULTI');
    $self->redis('FLUSHALL');
    $self->redis('SET', splice(@kv, 0, 2)) while @kv;
    return $self->redis('EXEC');
}

# ---- a minimal RESP client for assertions --------------------------------

sub redis {
    my ($self, @cmd) = @_;
    my $s = $self->{redis_sock};
    if (!$s || !$s->connected) {
        $s = $self->{redis_sock} = IO::Socket::INET->new(
            PeerAddr => '127.0.0.1:' . $self->port('redis'), Timeout => 3)
            or die "redis connect: $!\n";
        binmode $s;
    }
    my $req = '*' . @cmd . "\r\n";
    $req .= '$' . length($_) . "\r\n$_\r\n" for @cmd;
    print $s $req;
    return _resp($s);
}

sub _resp {
    my ($s) = @_;
    my $line = <$s>;
    die "redis: connection closed\n" unless defined $line;
    $line =~ s/\r\n$//;
    my ($t, $v) = (substr($line, 0, 1), substr($line, 1));
    return $v if $t eq '+' || $t eq ':';
    return "ERR:$v" if $t eq '-';
    if ($t eq '$') {
        return undef if $v < 0;
        my $buf = '';
        while (length($buf) < $v + 2) {
            read($s, $buf, $v + 2 - length($buf), length($buf)) or last;
        }
        return substr($buf, 0, $v);
    }
    if ($t eq '*') {
        return undef if $v < 0;
        return [map { _resp($s) } 1 .. $v];
    }
    die "redis: bad reply '$line'\n";
}

# Stream entries as [id, {field => value}].
sub stream {
    my ($self, $name) = @_;
    my $r = $self->redis('XRANGE', $name, '-', '+');
    return [map { [$_->[0], {@{$_->[1]}}] } @$r];
}

# ---- HTTP ------------------------------------------------------------------

sub http {
    my ($self) = @_;
    return $self->{http} //= HTTP::Tiny->new(timeout => 10, keep_alive => 0);
}

sub url {
    my ($self, $path) = @_;
    return 'http://127.0.0.1:' . $self->port('http') . $path;
}

sub post {
    my ($self, $path, $body, %headers) = @_;
    return $self->http->request('POST', $self->url($path),
                                { content => $body, headers => \%headers });
}

sub get {
    my ($self, $path, %headers) = @_;
    return $self->http->request('GET', $self->url($path),
                                { headers => \%headers });
}

# Raw request over a socket, for what HTTP::Tiny will not send.
sub raw {
    my ($self, $req, %o) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:'
                                  . $self->port('http'), Timeout => 5)
        or die "connect: $!\n";
    binmode $s;
    print $s $req;
    return $s if $o{keep};
    local $/;
    my $sel = IO::Select->new($s);
    my $out = '';
    while ($sel->can_read(5)) {
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $out .= $buf;
    }
    return $out;
}

sub error_log { $_[0]->read_file('logs/error.log') }

# ---- waiting and concurrency ---------------------------------------------------

# Polls the error log (from byte $o{from} on) until $re matches $o{count}
# times (default 1), for up to $o{timeout} seconds (default 10).
sub wait_log {
    my ($self, $re, %o) = @_;
    my $end = time + ($o{timeout} // 10);
    my $want = $o{count} // 1;
    while (1) {
        my $log = substr($self->error_log, $o{from} // 0);
        my $n = () = $log =~ /$re/g;
        return 1 if $n >= $want;
        return 0 if time > $end;
        sleep 0.05;
    }
}

# Waits until $n worker processes (default 1) logged their Redis connection
# ready, counting from byte $from of the error log.
sub wait_ready {
    my ($self, $n, $from) = @_;
    return $self->wait_log(qr/invsync: redis \S+: ready/, count => $n // 1,
                           from => $from);
}

# Another Redis connection for redis(): a unix socket path.
sub redis_unix {
    my ($self, $path) = @_;
    require IO::Socket::UNIX;
    $self->{redis_sock} = IO::Socket::UNIX->new(Peer => $path)
        or die "redis connect $path: $!\n";
    binmode $self->{redis_sock};
    return $self;
}

# One raw HTTP/1.1 request, "Connection: close", as a string.
sub http_request {
    my ($self, $method, $path, $body, %h) = @_;
    $body //= '';
    my $req = "$method $path HTTP/1.1\r\nHost: localhost\r\n"
              . "Connection: close\r\n";
    $req .= "Content-Length: " . length($body) . "\r\n"
        if $method ne 'GET' && $method ne 'HEAD';
    $req .= "$_: $h{$_}\r\n" for sort keys %h;
    return "$req\r\n$body";
}

# A raw answer parsed as HTTP::Tiny's: {status, headers, content}.
sub parse_response {
    my ($raw) = @_;
    my ($head, $content) = split /\r\n\r\n/, $raw // '', 2;
    my ($status) = ($head // '') =~ m{^HTTP/1\.\d (\d{3})};
    my %h;
    for (split /\r\n/, $head // '') {
        $h{lc $1} = $2 if /^([^:\s]+):\s*(.*)$/;
    }
    return { status => $status // 599, headers => \%h,
             content => $content // '' };
}

# Concurrent requests.  Each element of @groups is a list of requests
# [method, path, body, {headers}] run in order by one child process, each
# on a new connection; every child connects its first connection, then
# all are released at once.  Returns the parsed answers, group after group.
sub parallel {
    my ($self, @groups) = @_;
    my $addr = '127.0.0.1:' . $self->port('http');
    pipe(my $go_r, my $go_w) or die "pipe: $!";
    my (@pids, @files);

    for my $g (0 .. $#groups) {
        my $file = "$self->{dir}/tmp/par.$$.$g";
        push @files, $file;
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            close $go_w;
            my @out;
            my $s = IO::Socket::INET->new(PeerAddr => $addr, Timeout => 10);
            sysread($go_r, my $x, 1);       # EOF: the parent let go
            for my $req (@{$groups[$g]}) {
                my ($m, $p, $b, $h) = @$req;
                $s //= IO::Socket::INET->new(PeerAddr => $addr,
                                             Timeout => 10);
                my $raw = '';
                if ($s) {
                    binmode $s;
                    syswrite($s, $self->http_request($m, $p, $b, %{$h || {}}));
                    $raw = read_to_close($s);
                }
                undef $s;
                push @out, $raw;
            }
            open my $fh, '>:raw', $file or POSIX::_exit(1);
            print $fh join("\0\0\0", @out);
            close $fh;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }

    close $go_r;
    sleep 0.2;                              # let every child connect
    close $go_w;
    waitpid($_, 0) for @pids;

    my @answers;
    for my $g (0 .. $#groups) {
        my @raw = split /\0\0\0/, $self->read_file($files[$g]), -1;
        unlink $files[$g];
        push @answers, map { parse_response($raw[$_]) }
                       0 .. $#{$groups[$g]};
    }
    return @answers;
}

# What a connection sends until it closes (or is quiet for 10 s); closes it.
sub read_to_close {
    my ($s) = @_;
    my ($raw, $sel) = ('', IO::Select->new($s));
    while ($sel->can_read(10)) {
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $raw .= $buf;
    }
    close $s;
    return $raw;
}

# Requests that reach nginx together.  Every request gets its own
# connection, which nginx accepts first (it accepts one per turn); then its
# worker processes are stopped (SIGSTOP) while every request is written,
# and let go: one turn of a worker's event loop finds them all ready.
# Answers in the order of @requests.
sub at_once {
    my ($self, @requests) = @_;
    my $addr = '127.0.0.1:' . $self->port('http');
    my $master = $self->nginx_pid;
    my (@workers, @socks);

    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // '';
        push @workers, $1
            if $line =~ /^(\d+) \(nginx\) \S+ (\d+) / && $2 == $master;
    }

    die "at_once: no nginx worker\n" unless @workers;

    for (@requests) {
        my $s = IO::Socket::INET->new(PeerAddr => $addr, Timeout => 10)
            or die "at_once: connect: $!\n";
        binmode $s;
        push @socks, $s;
    }

    sleep 0.5;                              # let nginx accept them all
    kill 'STOP', @workers;

    for my $i (0 .. $#requests) {
        my ($m, $p, $b, $h) = @{$requests[$i]};
        syswrite($socks[$i], $self->http_request($m, $p, $b, %{$h || {}}));
    }

    kill 'CONT', @workers;

    my @answers;
    for my $s (@socks) {
        push @answers, parse_response(read_to_close($s));
    }
    return @answers;
}

# ---- signing helpers ---------------------------------------------------------

sub hmac_b64 {
    my ($data, $key) = @_;
    return encode_base64(hmac_sha256($data, $key), '');
}

# A vector directory of t/vectors as a hash of its files.
sub read_vector {
    my ($dir) = @_;
    my %v;
    opendir my $dh, $dir or die "$dir: $!";
    for my $f (grep { !/^\./ } readdir $dh) {
        open my $fh, '<:raw', "$dir/$f" or next;
        local $/;
        $v{$f} = <$fh>;
        close $fh;
    }
    closedir $dh;
    return \%v;
}

# ---- assertions shared by the scheme tests -------------------------------------

# An answer as one line, "<status> <content-type> <body>", to compare whole.
sub answer {
    my ($r) = @_;
    return join ' ', $r->{status}, $r->{headers}{'content-type'} // '-',
                     $r->{content} // '';
}

# Where the error log and the Redis key count stand now.
sub mark {
    my ($self) = @_;
    return { log => length($self->error_log), keys => $self->redis('DBSIZE') };
}

# The error log written since a mark.
sub log_since {
    my ($self, $m) = @_;
    return substr($self->error_log, $m->{log});
}

# A refusal, three checks: the answer (status, application/json, exact
# {"status":"error","error":"<reason>"}); no Redis key written since the
# mark; a [warn] line naming the reason, scheme and channel, while no line
# but nginx's own debug dump of the request holds one of $o{hide}.
sub refused {
    my ($self, $m, $r, $status, $reason, %o) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $name = $o{name} // $reason;

    Test::More::is(answer($r), "$status application/json "
                   . qq({"status":"error","error":"$reason"}), "$name: answer");
    Test::More::is($self->redis('DBSIZE'), $m->{keys},
                   "$name: nothing written to redis");

    my $log = $self->log_since($m);
    my $want = qr/\[warn\] .*invsync: \Q$reason\E, scheme "\Q$o{scheme}\E", channel "\Q$o{channel}\E"/;
    my @leak;
    for my $line (split /\n/, $log) {
        next if $line =~ /\[debug\]/ && $line !~ /invsync/;
        for my $s (grep { defined && length } @{$o{hide} || []}) {
            push @leak, $line if index($line, $s) >= 0;
        }
    }
    Test::More::ok($log =~ $want && !@leak, "$name: logged at warn")
        or Test::More::diag(@leak ? "leaked: @leak"
                            : join "\n", grep { /^\d{4}\/.* \[(?!debug)/ } split /\n/, $log);
}

# An accepted event, one check: 200, application/json and exactly
# {"status":"accepted","stream":"<stream>","id":"<id>"} (any stream if
# $stream is undef); returns the id.
sub accepted {
    my ($self, $r, $stream, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $a = answer($r);
    my $s = defined $stream ? quotemeta $stream : '[^"]+';
    my ($id) = $a =~ /^200 application\/json \{"status":"accepted","stream":"$s","id":"(\d+-\d+)"\}$/;
    Test::More::ok(defined $id, $name) or Test::More::diag($a);
    return $id // '';
}

# A duplicate, one check.
sub duplicate {
    my ($self, $r, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    Test::More::is(answer($r), '200 application/json {"status":"duplicate"}',
                   $name);
}

# The stream entry $id, one check: its fields are exactly %$want plus
# "received", Unix milliseconds within the last minute.
sub envelope {
    my ($self, $stream, $id, $want, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $r = $self->redis('XRANGE', $stream, $id || '0', $id || '0');
    my %got = ref $r && @$r ? @{$r->[0][1]} : ();
    my $now = time * 1000;
    my $rcv = delete $got{received} // '';
    $got{received} = ($rcv =~ /^\d+$/ && $rcv > $now - 60000
                      && $rcv <= $now + 1000) ? 'ok' : $rcv;
    Test::More::is_deeply(\%got, { v => 1, %$want, received => 'ok' }, $name);
}

# ---- the end -------------------------------------------------------------------

sub done {
    my ($self) = @_;
    return if $self->{done}++;
    $self->stop_nginx;
    for my $name (keys %{$self->{pids}}) {
        $self->stop_daemon($name);
    }
    if ($self->{planned}) {
        my $log = $self->error_log;
        my @alerts = grep { /\[(alert|emerg|crit)\]/ } split /\n/, $log;
        Test::More::ok(!@alerts, 'no alerts in error.log')
            or Test::More::diag(join "\n", @alerts[0 .. ($#alerts > 9 ? 9 : $#alerts)]);

        my $asan = $self->sanitizer_reports;
        Test::More::ok($asan eq '', 'no sanitizer reports')
            or Test::More::diag(substr($asan, 0, 6000));
    }
}

# Sanitizer findings that concern us.  Any memory error counts.  Of the
# leak reports only those whose allocation stack passes through our module
# or the libraries it drives count: the system nginx itself leaves its
# event arrays allocated at exit (ngx_event_process_init), which is not
# ours to fix.  nginx unloads modules before exiting, so frames of our
# module show as "<unknown module>".
sub sanitizer_reports {
    my ($self) = @_;
    my $found = '';
    opendir my $dh, "$self->{dir}/logs" or return '';
    for my $f (sort grep { /^asan/ } readdir $dh) {
        my $conftest = $f =~ /^asan-conftest/;
        for my $block (split /\n\s*\n/, $self->read_file("logs/$f")) {
            if ($block =~ /ERROR: AddressSanitizer|runtime error/) {
                $found .= "$block\n\n";
            } elsif (!$conftest && $block =~ /^(Direct|Indirect) leak/m
                     && $block =~ /invsync|hiredis|jansson|unknown module/) {
                $found .= "$block\n\n";
            }
        }
    }
    return $found;
}

sub DESTROY {
    my ($self) = @_;
    local $?;
    $self->done;
}

1;
