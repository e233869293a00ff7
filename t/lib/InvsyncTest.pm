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
use FindBin;

our @EXPORT_OK = qw(hmac_b64 read_vector);

my $ROOT = abs_path("$FindBin::Bin/..");

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
    plan(skip_all => "$bin not installed");
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
    my ($self) = @_;
    return () unless $ENV{INVSYNC_ASAN};
    chomp(my $lib = `gcc -print-file-name=libasan.so`);
    return (LD_PRELOAD => $lib,
            ASAN_OPTIONS => "detect_leaks=1:log_path=$self->{dir}/logs/asan"
                            . ':fast_unwind_on_malloc=0:malloc_context_size=30');
}

# Runs nginx -t; returns (exit status, output).
sub nginx_test {
    my ($self) = @_;
    local %ENV = (%ENV, $self->_env);
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
    return $self;
}

sub nginx_pid {
    my ($self) = @_;
    my $pid = $self->read_file('logs/nginx.pid');
    chomp $pid;
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
    if ($pid && kill 0, $pid) {
        kill 'QUIT', $pid;
        for (1 .. 100) {
            last unless kill 0, $pid;
            sleep 0.05;
        }
        kill 'KILL', $pid if kill 0, $pid;
    }
    $self->{nginx_running} = 0;
    # workers flush sanitizer reports as they exit
    sleep 0.2;
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
    my $all = '';
    if (opendir my $dh, "$self->{dir}/logs") {
        for my $f (sort grep { /^asan/ } readdir $dh) {
            $all .= $self->read_file("logs/$f") . "\n\n";
        }
    }
    my $found = '';
    for my $block (split /\n\s*\n/, $all) {
        if ($block =~ /ERROR: AddressSanitizer|runtime error/) {
            $found .= "$block\n\n";
        } elsif ($block =~ /^(Direct|Indirect) leak/m
                 && $block =~ /invsync|hiredis|jansson|unknown module/) {
            $found .= "$block\n\n";
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
