package InvsyncSim;

# Local simulators of the APIs invsync talks to (sales channels, a carrier,
# a 3PL), for its tests: one forked, single-process HTTP/1.1 server per
# simulated service (IO::Select, keep-alive), with a control API under
# /_sim/ and a Perl client for it.
# This file is the server, the control API, fault injection, the request
# log and the webhook delivery loop; what a channel answers is in its own
# file, t/lib/InvsyncSim/<Channel>.pm, a subclass of InvsyncSim::Channel
# listed in %CHANNELS below.  Core Perl only.  What is simulated, after
# which section of the channel reference, where it deliberately differs,
# and how to add a channel: docs/simulators.md.

use strict;
use warnings;

use IO::Socket::INET;
use IO::Select;
use POSIX qw(strftime);
use Time::HiRes qw(time sleep);
use Socket qw(SOL_SOCKET SO_ERROR);
use HTTP::Tiny;
use InvsyncSim::Channel qw($JSON $TRUE $FALSE %REASON _json _text _decode);

# The simulated channels: the kind start() takes => its package, in
# t/lib/InvsyncSim/<Name>.pm.  A new channel is that file and its line here.
my %CHANNELS = (
    shopify     => 'InvsyncSim::Shopify',
    woocommerce => 'InvsyncSim::WooCommerce',
    square      => 'InvsyncSim::Square',
    carrier     => 'InvsyncSim::Carrier',
    '3pl'       => 'InvsyncSim::ThreePL',
);

for my $pkg (values %CHANNELS) {
    (my $file = "$pkg.pm") =~ s{::}{/}g;
    require $file;
}


# ---- the Perl client (runs in the test) ---------------------------------------

# start($t, $kind, %opts), $kind a key of %CHANNELS: forks the simulator
# with $t->run_daemon on $t->port('sim_<name>'), waits for it, returns its
# base URL.  $opts{name} (default: the kind) names it for the other calls.
sub start {
    my ($t, $kind, %o) = @_;
    die "unknown simulator kind '$kind'\n" unless $CHANNELS{$kind};
    my $name = delete $o{name} // $kind;
    my $port = $t->port("sim_$name");
    my $log = $t->dir . "/logs/sim_$name.log";
    $t->run_daemon("sim_$name", \&serve, kind => $kind, port => $port,
                   log => $log, %o);
    $t->waitforsocket("127.0.0.1:$port") or die "sim_$name did not listen\n";
    return base($t, $name);
}

sub stop {
    my ($t, $name) = @_;
    $t->stop_daemon("sim_$name");
}

sub base {
    my ($t, $name) = @_;
    return 'http://127.0.0.1:' . $t->port("sim_$name");
}

sub url {
    my ($t, $name, $path) = @_;
    return base($t, $name) . $path;
}

my $CLIENT;

sub _http {
    return $CLIENT //= HTTP::Tiny->new(timeout => 10, keep_alive => 0);
}

# One control call; dies unless 2xx; the decoded JSON answer.
sub control {
    my ($t, $name, $method, $path, $data) = @_;
    my %req = defined $data
        ? (content => $JSON->encode($data),
           headers => { 'Content-Type' => 'application/json' })
        : ();
    my $r = _http()->request($method, base($t, $name) . $path, \%req);
    die "sim $name: $method $path: $r->{status} $r->{content}\n"
        unless $r->{success};
    return $JSON->decode($r->{content});
}

sub items {
    my ($t, $name, @items) = @_;
    return control($t, $name, 'POST', '/_sim/items', { items => \@items });
}

sub state     { control($_[0], $_[1], 'GET', '/_sim/state') }
sub reset     { control($_[0], $_[1], 'POST', '/_sim/reset', {}) }
sub configure { my ($t, $n, %o) = @_; control($t, $n, 'POST', '/_sim/config', \%o) }
sub fail      { my ($t, $n, %o) = @_; control($t, $n, 'POST', '/_sim/fail', \%o) }
sub admin_set { my ($t, $n, %o) = @_; control($t, $n, 'POST', '/_sim/admin_set', \%o) }
sub order     { my ($t, $n, %o) = @_; control($t, $n, 'POST', '/_sim/orders', \%o) }

# A channel's own control call, POST /_sim/<call> (e.g. the 3PL's "ship").
sub call {
    my ($t, $n, $call, %o) = @_;
    return control($t, $n, 'POST', "/_sim/$call", \%o);
}

sub requests {
    my ($t, $name, $since) = @_;
    return control($t, $name, 'GET', '/_sim/requests?since=' . ($since // 0))
        ->{requests};
}

sub webhooks {
    my ($t, $name, $since) = @_;
    return control($t, $name, 'GET', '/_sim/webhooks?since=' . ($since // 0))
        ->{webhooks};
}

# Waits until at least $n deliveries after number $o{since} were attempted
# (o{timeout} s, default 5); returns them.
sub wait_webhooks {
    my ($t, $name, $n, %o) = @_;
    my $end = time + ($o{timeout} // 5);
    while (1) {
        my $w = webhooks($t, $name, $o{since});
        return $w if @$w >= $n || time > $end;
        sleep 0.05;
    }
}

# Waits until no delivery is queued or in flight ($timeout s, default 5).
sub settle {
    my ($t, $name, $timeout) = @_;
    my $end = time + ($timeout // 5);
    while (time < $end) {
        my $r = control($t, $name, 'GET', '/_sim/webhooks?since=' . 2**31);
        return 1 unless $r->{pending};
        sleep 0.05;
    }
    return 0;
}

# The current quantity, as the channel keys it: Shopify (item id,
# location id, name) with name 'available' by default; WooCommerce
# (product or variation id); Square (catalog object id, location id).
sub quantity {
    my ($t, $name, @k) = @_;
    my $s = state($t, $name);
    return $CHANNELS{$s->{kind}}->quantity($s, @k);
}


# ---- the server (runs in the forked daemon) -----------------------------------

my %COMMON = (
    host             => '127.0.0.1',
    webhook_url      => undef,
    webhook_secret   => undef,
    webhook_timeout  => 5,
    webhook_delay_ms => 0,
    utc_offset       => 60,         # minutes: the shop's time zone
    items            => [],
);

# serve(kind => ..., port => ..., %opts): never returns.
sub serve {
    my (%o) = @_;
    if (my $log = delete $o{log}) {
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        STDOUT->autoflush(1);
    }
    $SIG{PIPE} = 'IGNORE';
    my $kind = delete $o{kind};
    my $S = { kind => $kind, ch => $CHANNELS{$kind}, port => delete $o{port},
              init => \%o, conns => {} };
    # never return into the forked test script
    eval {
        _reset($S);
        _listen($S);
        _tick($S) while 1;
    };
    print STDERR "sim: $@";
    POSIX::_exit(1);
}

sub _reset {
    my ($S) = @_;
    my $ch = $S->{ch};
    $S->{conf} = { %COMMON, %{$ch->defaults}, %{$S->{init}} };
    if (my $w = $S->{wh_cur}) {
        close $w->{sock} if $w->{sock};
        $S->{wh_cur} = undef;
    }
    %$S = (%$S, reqlog => [], reqn => 0, faults => [], whq => [],
           whlog => [], whn => 0);
    $ch->reset($S);
    $ch->define($S, @{$S->{conf}{items}});
}

sub _listen {
    my ($S) = @_;
    $S->{lsock} = IO::Socket::INET->new(
        LocalAddr => $S->{conf}{host}, LocalPort => $S->{port},
        Listen => 128, ReuseAddr => 1, Blocking => 0)
        or die "sim: listen $S->{port}: $!\n";
}

# One turn of the loop: due answers out, webhooks on, then select.
sub _tick {
    my ($S) = @_;
    my $now = time;

    if (defined(my $secs = delete $S->{refuse_pending})) {
        # the control answer went out; now the port goes away
        $S->{refuse_until} = $now + $secs;
        close $S->{lsock} if $S->{lsock};
        $S->{lsock} = undef;
        _close($S, $_) for values %{$S->{conns}};
    }
    if (!$S->{lsock} && $now >= ($S->{refuse_until} // 0)) {
        _listen($S);
    }
    _flush($S, $_, $now) for values %{$S->{conns}};
    $S->{ch}->tick($S, $now);
    _wh_pump($S, $now);

    my $rs = IO::Select->new;
    my $ws = IO::Select->new;
    $rs->add($S->{lsock}) if $S->{lsock};
    for my $c (values %{$S->{conns}}) {
        $rs->add($c->{sock});
        $ws->add($c->{sock}) if length $c->{out};
    }
    if (my $w = $S->{wh_cur}) {
        ($w->{phase} eq 'read' ? $rs : $ws)->add($w->{sock});
    }

    my ($r, $w) = IO::Select->select($rs, $ws, undef, _next_timer($S, $now));

    for my $fh (@{$r || []}) {
        if ($S->{lsock} && $fh == $S->{lsock}) {
            while (my $s = $S->{lsock}->accept) {
                $s->blocking(0);
                binmode $s;
                $S->{conns}{"$s"} = { sock => $s, in => '', out => '',
                                           q => [] };
            }
        } elsif ($S->{wh_cur} && $fh == $S->{wh_cur}{sock}) {
            _wh_io($S, $S->{wh_cur});
        } elsif (my $c = $S->{conns}{"$fh"}) {
            _read($S, $c);
        }
    }
    for my $fh (@{$w || []}) {
        if ($S->{wh_cur} && $fh == $S->{wh_cur}{sock}) {
            _wh_io($S, $S->{wh_cur});
        } elsif (my $c = $S->{conns}{"$fh"}) {
            _write($S, $c);
        }
    }
}

sub _next_timer {
    my ($S, $now) = @_;
    my $t = 0.5;
    for my $c (values %{$S->{conns}}) {
        my $at = @{$c->{q}} ? $c->{q}[0]{at} : undef;
        $t = $at - $now if defined $at && $at - $now < $t;
    }
    for my $d (@{$S->{whq}}) {
        $t = $d->{next_at} - $now if $d->{next_at} - $now < $t;
    }
    $t = $S->{wh_cur}{deadline} - $now
        if $S->{wh_cur} && $S->{wh_cur}{deadline} - $now < $t;
    $t = $S->{refuse_until} - $now
        if !$S->{lsock} && $S->{refuse_until} - $now < $t;
    return $t < 0 ? 0 : $t;
}

sub _close {
    my ($S, $c) = @_;
    delete $S->{conns}{"$c->{sock}"};
    close $c->{sock};
}

sub _read {
    my ($S, $c) = @_;
    my $n = sysread($c->{sock}, my $buf, 65536);
    if (!defined $n) {
        return if $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
        return _close($S, $c);
    }
    return _close($S, $c) if $n == 0;
    $c->{in} .= $buf;
    _parse($S, $c);
}

sub _write {
    my ($S, $c) = @_;
    if (length $c->{out}) {
        my $n = syswrite($c->{sock}, $c->{out});
        if (!defined $n) {
            return if $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
            return _close($S, $c);
        }
        substr($c->{out}, 0, $n, '');
    }
    _close($S, $c) if !length $c->{out} && !@{$c->{q}} && $c->{closing};
}

# Moves the answers that are due into the output buffer, in order.
sub _flush {
    my ($S, $c, $now) = @_;
    while (@{$c->{q}} && $c->{q}[0]{at} <= $now) {
        my $a = shift @{$c->{q}};
        return _close($S, $c) if $a->{drop};
        $c->{out} .= $a->{data};
    }
    _write($S, $c) if length $c->{out} || $c->{closing};
}

sub _parse {
    my ($S, $c) = @_;
    while (!$c->{closing}) {
        my $i = index($c->{in}, "\r\n\r\n");
        if ($i < 0) {
            _answer($S, $c, _text(431, 'header too large'), 0)
                if length $c->{in} > 65536;
            return;
        }
        my ($line, @lines) = split /\r\n/, substr($c->{in}, 0, $i);
        my ($method, $target, $ver) =
            ($line // '') =~ m{^([A-Z]+) (\S+) HTTP/(1\.[01])$};
        return _answer($S, $c, _text(400, 'bad request line'), 0)
            unless $method;
        my %h;
        for (@lines) {
            next unless /^([^:\s]+):\s*(.*?)\s*$/;
            my $k = lc $1;
            $h{$k} = exists $h{$k} ? "$h{$k}, $2" : $2;
        }
        return _answer($S, $c, _text(411, 'chunked bodies not supported'), 0)
            if ($h{'transfer-encoding'} // '') =~ /chunked/i;
        my $len = $h{'content-length'} // 0;
        return _answer($S, $c, _text(400, 'bad content-length'), 0)
            unless $len =~ /^\d+$/;
        if (length($c->{in}) < $i + 4 + $len) {
            if (lc($h{expect} // '') eq '100-continue' && !$c->{continued}) {
                $c->{continued} = 1;
                push @{$c->{q}}, { at => 0,
                                   data => "HTTP/1.1 100 Continue\r\n\r\n" };
                _flush($S, $c, time);
            }
            return;
        }
        my $body = substr($c->{in}, $i + 4, $len);
        substr($c->{in}, 0, $i + 4 + $len, '');
        $c->{continued} = 0;
        my $conn = lc($h{connection} // '');
        my $keep = $ver eq '1.1' ? $conn !~ /close/ : $conn =~ /keep-alive/;
        my ($path, $qs) = split /\?/, $target, 2;
        my $req = { method => $method, target => $target, path => $path,
                    qs => $qs // '', query => _qs($qs), headers => \%h,
                    body => $body, version => $ver };
        my $resp = eval { _handle($S, $req) };
        if (!$resp) {
            my $e = $@ || 'no answer';
            print STDERR "sim: $method $target: $e";
            $resp = _text(500, "simulator bug: $e");
        }
        _answer($S, $c, $resp, $keep);
    }
}

sub _qs {
    my ($qs) = @_;
    my %q;
    for (split /&/, $qs // '') {
        my ($k, $v) = split /=/, $_, 2;
        next unless defined $k && length $k;
        for ($k, $v) {
            next unless defined;
            tr/+/ /;
            s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
        }
        $q{$k} = $v // '';
    }
    return \%q;
}

# Queues an answer on the connection, after the ones before it.
sub _answer {
    my ($S, $c, $r, $keep) = @_;
    my $now = time;
    my $at = $now + ($r->{delay_ms} // 0) / 1000;
    $at = $c->{last_at} if $c->{last_at} && $c->{last_at} > $at;
    $c->{last_at} = $at;

    if ($r->{drop}) {
        push @{$c->{q}}, { drop => 1, at => $at };
        $c->{closing} = 1;
        return _flush($S, $c, $now);
    }
    $keep = 0 if $r->{close};
    my $body = $r->{body} // '';
    my $head = "HTTP/1.1 $r->{status} " . ($REASON{$r->{status}} // 'Status')
        . "\r\nDate: " . strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime)
        . "\r\nContent-Type: " . ($r->{ctype} // 'application/json')
        . "\r\nContent-Length: " . length($body)
        . "\r\nConnection: " . ($keep ? 'keep-alive' : 'close') . "\r\n";
    my @h = @{$r->{headers} || []};
    while (my ($k, $v) = splice @h, 0, 2) {
        $head .= "$k: $v\r\n";
    }
    push @{$c->{q}}, { at => $at, data => "$head\r\n$body" };
    $c->{closing} = 1 unless $keep;
    _flush($S, $c, $now);
}

# ---- dispatch, request log, failure injection ------------------------------------

sub _handle {
    my ($S, $req) = @_;
    return _control($S, $req) if $req->{path} =~ m{^/_sim/};

    my %hdr = %{$req->{headers}};
    my $target = $S->{ch}->redact(\%hdr, $req->{target});
    my $entry = { n => ++$S->{reqn}, time => time, method => $req->{method},
                  path => $target, headers => \%hdr, body => $req->{body} };
    push @{$S->{reqlog}}, $entry;

    my $f = _take_fault($S, $req);
    my $resp;
    local $S->{delay} = 0;
    local $S->{note};
    if ($f && $f->{mode} eq 'delay') {
        $S->{delay} = ($f->{delay_ms} // 1000) / 1000;
        $resp = _api($S, $req);
        $resp->{delay_ms} = $f->{delay_ms} // 1000;
    } elsif ($f) {
        $resp = _fault_answer($S, $f);
    } else {
        $resp = _api($S, $req);
    }
    $entry->{status} = $resp->{drop} ? 0 : $resp->{status};
    $entry->{fault} = $f->{mode} if $f;
    $entry->{note} = $S->{note} if $S->{note};
    $entry->{answer} = $resp->{body} // '';
    return $resp;
}

sub _take_fault {
    my ($S, $req) = @_;
    my $now = time;
    @{$S->{faults}} = grep {
        (!defined $_->{until} || $_->{until} > $now)
        && (!defined $_->{count} || $_->{count} > 0)
    } @{$S->{faults}};
    for my $f (@{$S->{faults}}) {
        next if defined $f->{match} && $req->{path} !~ /$f->{match}/;
        next if defined $f->{method} && $req->{method} ne $f->{method};
        next if defined $f->{match_body}
                && ($req->{body} // '') !~ /$f->{match_body}/;
        $f->{count}-- if defined $f->{count};
        return $f;
    }
    return undef;
}

sub _api {
    my ($S, $req) = @_;
    return $S->{ch}->api($S, $req);
}

sub _fault_answer {
    my ($S, $f) = @_;
    return { drop => 1 } if $f->{mode} eq 'down';
    return $S->{ch}->fault_answer($S, $f);
}

# ---- the control API ------------------------------------------------------------

sub _control {
    my ($S, $req) = @_;
    my $m = $req->{method};
    my $p = $req->{path};
    my $in = {};
    if (length $req->{body}) {
        $in = _decode($req->{body});
        return _json(400, { error => 'invalid JSON' }) unless ref $in;
    }

    if ($p eq '/_sim/state' && $m eq 'GET') {
        return _json(200, _state($S));
    }
    if ($p eq '/_sim/requests' && $m eq 'GET') {
        my $since = $req->{query}{since} // 0;
        return _json(200, { last => $S->{reqn},
            requests => [grep { $_->{n} > $since } @{$S->{reqlog}}] });
    }
    if ($p eq '/_sim/webhooks' && $m eq 'GET') {
        my $since = $req->{query}{since} // 0;
        return _json(200, { last => $S->{whn},
            pending => @{$S->{whq}} + ($S->{wh_cur} ? 1 : 0),
            webhooks => [grep { $_->{n} > $since } @{$S->{whlog}}] });
    }
    return _json(405, { error => 'POST only' }) unless $m eq 'POST';

    if ($p eq '/_sim/reset') {
        _reset($S);
        return _json(200, { ok => $TRUE });
    }
    if ($p eq '/_sim/config') {
        $S->{conf}{$_} = $in->{$_} for keys %$in;
        $S->{ch}->configured($S, $in);
        return _json(200, { ok => $TRUE });
    }
    if ($p eq '/_sim/items') {
        my $items = ref $in eq 'ARRAY' ? $in : $in->{items} || [];
        my $err = $S->{ch}->define($S, @$items);
        return _json(400, { error => $err }) if $err;
        return _json(200, _state($S));
    }
    if ($p eq '/_sim/fail') {
        my $mode = $in->{mode} // '';
        if ($mode eq 'none' || $mode eq '') {
            $S->{faults} = [];
            return _json(200, { ok => $TRUE });
        }
        return _json(400, { error => "unknown mode '$mode'" })
            unless $mode =~ /^(?:5xx|429|delay|down)$/;
        my %f = (%$in, mode => $mode);
        $f{until} = time + $in->{seconds} if defined $in->{seconds};
        $f{count} = $in->{count} // ($f{until} ? undef : 1);
        if ($mode eq 'down' && $in->{refuse}) {
            # a closed listening socket: connections are refused
            $S->{refuse_pending} = $in->{seconds} // 1;
            return _json(200, { ok => $TRUE });
        }
        push @{$S->{faults}}, \%f;
        return _json(200, { ok => $TRUE });
    }
    if ($p eq '/_sim/admin_set') {
        return _json($S->{ch}->admin_set($S, $in));
    }
    if ($p eq '/_sim/orders') {
        return _json($S->{ch}->order($S, $in));
    }
    if ($p =~ m{^/_sim/(\w+)$}) {
        return _json($S->{ch}->control($S, $1, $in));
    }
    return _json(404, { error => "no control call $p" });
}

sub _state {
    my ($S) = @_;
    return { %{$S->{ch}->state($S)}, kind => $S->{kind} };
}

# ---- webhook deliveries: one at a time, non-blocking, in the loop --------------

sub _wh_pump {
    my ($S, $now) = @_;
    if (my $w = $S->{wh_cur}) {
        _wh_done($S, $w, 0, 'timeout') if $now > $w->{deadline};
        return;
    }
    my ($i) = grep { $S->{whq}[$_]{next_at} <= $now } 0 .. $#{$S->{whq}};
    return unless defined $i;
    my $d = splice @{$S->{whq}}, $i, 1;
    $d->{prepare}->($d) if $d->{prepare};
    $d->{time} = $now;
    my ($host, $port, $path) =
        ($d->{url} // '') =~ m{^http://([^/:]+)(?::(\d+))?(/.*)?$};
    return _wh_done($S, $d, 0, 'unsupported url') unless $host;
    my $sock = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port // 80,
                                     Proto => 'tcp', Blocking => 0);
    return _wh_done($S, $d, 0, "connect: $!") unless $sock;
    binmode $sock;
    my $req = "POST " . ($path // '/') . " HTTP/$d->{http}\r\n"
            . "Host: $host" . ($port ? ":$port" : '') . "\r\n"
            . "Connection: close\r\nContent-Length: " . length($d->{body})
            . "\r\n";
    my @h = @{$d->{headers}};
    while (my ($k, $v) = splice @h, 0, 2) {
        $req .= "$k: $v\r\n";
    }
    @$d{qw(sock phase out in deadline)} =
        ($sock, 'connect', "$req\r\n$d->{body}", '',
         $now + $S->{conf}{webhook_timeout});
    $S->{wh_cur} = $d;
}

sub _wh_io {
    my ($S, $d) = @_;
    if ($d->{phase} eq 'connect') {
        my $err = unpack 'i', getsockopt($d->{sock}, SOL_SOCKET, SO_ERROR);
        if ($err) {
            local $! = $err;
            return _wh_done($S, $d, 0, "connect: $!");
        }
        $d->{phase} = 'write';
    }
    if ($d->{phase} eq 'write') {
        my $n = syswrite($d->{sock}, $d->{out});
        if (!defined $n) {
            return if $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
            return _wh_done($S, $d, 0, "write: $!");
        }
        substr($d->{out}, 0, $n, '');
        $d->{phase} = 'read' unless length $d->{out};
        return;
    }
    my $n = sysread($d->{sock}, my $buf, 65536);
    if (!defined $n) {
        return if $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
        return _wh_done($S, $d, 0, "read: $!");
    }
    $d->{in} .= $buf;
    my ($st) = $d->{in} =~ m{^HTTP/1\.\d (\d{3})};
    my $i = index($d->{in}, "\r\n\r\n");
    my $complete = $n == 0;
    if (!$complete && $i >= 0) {
        my ($len) = substr($d->{in}, 0, $i) =~ /^content-length:\s*(\d+)/mi;
        $complete = defined $len && length($d->{in}) >= $i + 4 + $len;
    }
    return unless $complete;
    return _wh_done($S, $d, $st // 0, $st ? undef : 'no HTTP answer');
}

sub _wh_done {
    my ($S, $d, $status, $err) = @_;
    my $c = $S->{conf};
    close $d->{sock} if $d->{sock};
    $S->{wh_cur} = undef if $S->{wh_cur} && $S->{wh_cur} == $d;
    my $ok = $S->{ch}->webhook_ok($status);
    push @{$S->{whlog}}, { n => ++$S->{whn}, topic => $d->{topic},
        url => $d->{url}, attempt => $d->{attempt}, status => $status + 0,
        ok => $ok ? $TRUE : $FALSE, error => $err, time => $d->{time},
        headers => { @{$d->{headers} || []} }, body => $d->{body} };
    delete @$d{qw(sock phase out in deadline)};

    $S->{ch}->webhook_done($S, $d, $ok);
    my $retries = $c->{webhook_retries} || [];
    if (!$ok && $d->{attempt} <= @$retries) {
        $d->{next_at} = time + $retries->[$d->{attempt} - 1];
        $d->{attempt}++;
        push @{$S->{whq}}, $d;
    }
}

1;
