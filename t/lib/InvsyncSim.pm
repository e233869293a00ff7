package InvsyncSim;

# Local simulators of the Shopify Admin API (GraphQL inventory, REST orders)
# and of the WooCommerce REST API v3, for invsync's tests: one forked,
# single-process HTTP/1.1 server per channel (IO::Select, keep-alive), with
# a control API under /_sim/ and a Perl client for it.  Core Perl only.
# What is simulated, after which section of the channel reference, and
# where it deliberately differs: docs/simulators.md.

use strict;
use warnings;

use IO::Socket::INET;
use IO::Select;
use JSON::PP;
use Digest::SHA qw(hmac_sha256);
use Digest::MD5 qw(md5_hex);
use MIME::Base64 qw(encode_base64 decode_base64);
use POSIX qw(strftime floor ceil);
use Time::HiRes qw(time sleep);
use Time::Local qw(timegm);
use Socket qw(SOL_SOCKET SO_ERROR);
use HTTP::Tiny;

my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;

# wp_json_encode(): PHP's json_encode escapes "/" and non-ASCII
my $WPJSON = JSON::PP->new->utf8->ascii->escape_slash->canonical
                       ->allow_nonref;

# the same bytes, three times faster for the usual all-ASCII answer: JSON::PP
# escapes character by character, and a 100-product batch answer (65 KB)
# cost 36 ms of the simulator's CPU, paid by the benchmark's 2 cores
sub _wp_encode {
    my ($data) = @_;
    my $s = $JSON->encode($data);
    return $WPJSON->encode($data) if $s =~ /[^\x00-\x7f]/;
    $s =~ s{/}{\\/}g;          # "/" occurs in JSON text only inside strings
    return $s;
}

my $TRUE = JSON::PP::true;
my $FALSE = JSON::PP::false;


# ---- the Perl client (runs in the test) ---------------------------------------

# start($t, 'shopify'|'woocommerce', %opts): forks the simulator with
# $t->run_daemon on $t->port('sim_<name>'), waits for it, returns its base
# URL.  $opts{name} (default: the kind) names it for the other calls.
sub start {
    my ($t, $kind, %o) = @_;
    die "unknown simulator kind '$kind'\n"
        unless $kind eq 'shopify' || $kind eq 'woocommerce';
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

# The current quantity: Shopify (item id, location id, name) with name
# 'available' by default; WooCommerce (product or variation id).
sub quantity {
    my ($t, $name, @k) = @_;
    my $s = state($t, $name);
    if ($s->{kind} eq 'shopify') {
        my ($item, $loc, $q) = @k;
        for my $l (@{$s->{levels}}) {
            return $l->{$q // 'available'}
                if $l->{inventory_item_id} == $item
                   && (!defined $loc || $l->{location_id} == $loc);
        }
        return undef;
    }
    for my $p (@{$s->{products}}) {
        return $p->{stock_quantity} if $p->{id} == $k[0];
    }
    return undef;
}


# ---- the server (runs in the forked daemon) -----------------------------------

my %DEFAULTS = (
    common => {
        host             => '127.0.0.1',
        webhook_url      => undef,
        webhook_secret   => undef,
        webhook_timeout  => 5,
        webhook_delay_ms => 0,
        utc_offset       => 60,         # minutes: the shop's time zone
        items            => [],
    },
    shopify => {
        token            => 'shpat_test',
        shop             => 'invsync-test.myshopify.com',
        api_version      => '2026-04',  # of the webhooks sent
        bucket_max       => 1000,
        restore_rate     => 100,
        set_cost         => 10,
        max_quantities   => 250,
        rest_bucket      => 40,
        rest_leak        => 2,
        idempotency_ttl  => 86400,
        atomic           => 1,
        webhook_retries  => [0.5, 1, 2],
        webhook_topics   => ['inventory_levels/update', 'orders/create'],
    },
    woocommerce => {
        consumer_key       => 'ck_test',
        consumer_secret    => 'cs_test',
        strict_ssl         => 0,
        site               => 'https://shop.example.com/',
        product_webhook_id => 11,
        order_webhook_id   => 12,
        coalesce           => 1,
        noop_webhooks      => 1,
        variation_webhooks => 'parent',
        max_failures       => 5,
        batch_limit        => 100,
        webhook_retries    => [],
        wc_version         => '9.4.2',
        wp_version         => '6.7.1',
        webhook_topics     => ['product.updated', 'order.created'],
    },
);

my %REASON = (
    100 => 'Continue', 200 => 'OK', 201 => 'Created', 400 => 'Bad Request',
    401 => 'Unauthorized', 403 => 'Forbidden', 404 => 'Not Found',
    405 => 'Method Not Allowed', 411 => 'Length Required',
    413 => 'Payload Too Large', 429 => 'Too Many Requests',
    431 => 'Request Header Fields Too Large',
    500 => 'Internal Server Error', 502 => 'Bad Gateway',
    503 => 'Service Unavailable', 504 => 'Gateway Timeout',
);

my @SHOPIFY_REASONS = qw(correction cycle_count_available damaged
    movement_canceled movement_created movement_received movement_updated
    other promotion quality_control received reservation_created
    reservation_deleted reservation_updated restock safety_stock shrinkage);

# serve(kind => ..., port => ..., %opts): never returns.
sub serve {
    my (%o) = @_;
    if (my $log = delete $o{log}) {
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        STDOUT->autoflush(1);
    }
    $SIG{PIPE} = 'IGNORE';
    my $S = { kind => delete $o{kind}, port => delete $o{port},
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
    my $kind = $S->{kind};
    $S->{conf} = { %{$DEFAULTS{common}}, %{$DEFAULTS{$kind}},
                   %{$S->{init}} };
    if (my $w = $S->{wh_cur}) {
        close $w->{sock} if $w->{sock};
        $S->{wh_cur} = undef;
    }
    %$S = (%$S, levels => {}, by_item => {}, locations => {},
           products => {}, orders => [], reqlog => [],
           reqn => 0, faults => [], whq => [], whlog => [], whn => 0,
           idem => {}, hooks => {}, groups => 0, seq => 1000,
           bucket => { avail => $S->{conf}{bucket_max}, at => time },
           rest => { used => 0, at => time });
    _define($S, @{$S->{conf}{items}});
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

sub _uri_escape {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9\-._~])/sprintf '%%%02X', ord $1/ge;
    return $s;
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

sub _json {
    my ($status, $data, @h) = @_;
    return { status => $status, body => $JSON->encode($data),
             ctype => 'application/json; charset=utf-8', headers => \@h };
}

sub _text {
    my ($status, $text, @h) = @_;
    return { status => $status, body => "$text\n", ctype => 'text/plain',
             headers => \@h };
}

sub _html {
    my ($status, $html, @h) = @_;
    return { status => $status, body => $html,
             ctype => 'text/html; charset=utf-8', headers => \@h };
}

sub _decode {
    my ($body) = @_;
    my $d = eval { $JSON->decode($body) };
    return $d;
}

# ---- dispatch, request log, failure injection ------------------------------------

sub _handle {
    my ($S, $req) = @_;
    return _control($S, $req) if $req->{path} =~ m{^/_sim/};

    my %hdr = %{$req->{headers}};
    for (qw(x-shopify-access-token authorization)) {
        $hdr{$_} = '[redacted]' if exists $hdr{$_};
    }
    my $target = $req->{target};
    $target =~ s/(consumer_secret=)[^&]*/$1\[redacted]/g;
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

sub _api {
    my ($S, $req) = @_;
    return $S->{kind} eq 'shopify' ? _shopify($S, $req) : _woo($S, $req);
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
        $f->{count}-- if defined $f->{count};
        return $f;
    }
    return undef;
}

sub _fault_answer {
    my ($S, $f) = @_;
    my $shop = $S->{kind} eq 'shopify';
    my @ra = defined $f->{retry_after}
             ? ('Retry-After' => $f->{retry_after}) : ();
    return { drop => 1 } if $f->{mode} eq 'down';

    if ($f->{mode} eq '429') {
        if ($shop) {
            @ra = ('Retry-After' => '2.0') unless @ra;
            return _json(429, { errors => 'Exceeded 2 calls per second for '
                . 'api client. Reduce request rates to resume uninterrupted '
                . 'service.' }, @ra, 'X-Shopify-Shop-Api-Call-Limit' => '40/40');
        }
        return ($f->{body} // 'html') eq 'json'
            ? _json(429, { code => 'rest_too_many_requests',
                           message => 'Too many requests.',
                           data => { status => 429 } }, @ra)
            : _html(429, "<html>\r\n<head><title>429 Too Many Requests</title>"
                . "</head>\r\n<body>\r\n<center><h1>429 Too Many Requests"
                . "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>"
                . "\r\n</html>\r\n", @ra);
    }

    my $st = $f->{status} // 503;
    my $kind = $f->{body} // ($st == 500 ? 'json' : 'html');
    if ($kind eq 'json') {
        return _json($st, { errors => $REASON{$st} // 'Error' }, @ra) if $shop;
        return _json($st, { code => 'internal_server_error',
            message => '<p>There has been a critical error on this website.'
                . '</p><p><a href="https://wordpress.org/documentation/article/'
                . 'faq-troubleshooting/">Learn more about troubleshooting '
                . 'WordPress.</a></p>',
            data => { status => $st }, additional_errors => [] }, @ra);
    }
    my $t = "$st " . ($REASON{$st} // 'Error');
    return _html($st, "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta "
        . "charset=\"utf-8\"><title>Shopify &middot; $t</title></head>\n<body>"
        . "<h1>There was a problem loading this website</h1><p>Try refreshing "
        . "the page.</p></body>\n</html>\n", @ra) if $shop;
    return _html($st, "<html>\r\n<head><title>$t</title></head>\r\n<body>\r\n"
        . "<center><h1>$t</h1></center>\r\n<hr><center>nginx</center>\r\n"
        . "</body>\r\n</html>\r\n", @ra);
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
        # bucket_available: what other clients of the token left in it
        my %in = %$in;
        my $avail = delete $in{bucket_available};
        $S->{conf}{$_} = $in{$_} for keys %in;
        if (exists $in{bucket_max}) {
            $S->{bucket} = { avail => $in{bucket_max}, at => time };
        }
        if (defined $avail) {
            _bucket($S)->{avail} = $avail + 0;
        }
        return _json(200, { ok => $TRUE });
    }
    if ($p eq '/_sim/items') {
        my $items = ref $in eq 'ARRAY' ? $in : $in->{items} || [];
        my $err = _define($S, @$items);
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
        my ($st, $out) = $S->{kind} eq 'shopify'
            ? _shopify_admin_set($S, $in) : _woo_admin_set($S, $in);
        return _json($st, $out);
    }
    if ($p eq '/_sim/orders') {
        my ($st, $out) = $S->{kind} eq 'shopify'
            ? _shopify_order($S, $in) : _woo_order($S, $in);
        return _json($st, $out);
    }
    return _json(404, { error => "no control call $p" });
}

sub _state {
    my ($S) = @_;
    if ($S->{kind} eq 'shopify') {
        my $bk = _bucket($S);
        return { kind => 'shopify', orders => scalar @{$S->{orders}},
            bucket => { maximumAvailable => $S->{conf}{bucket_max} + 0,
                        currentlyAvailable => floor($bk->{avail}),
                        restoreRate => $S->{conf}{restore_rate} + 0 },
            levels => [map { _level_state($_) }
                       sort { $a->{inventory_item_id} <=> $b->{inventory_item_id}
                              || $a->{location_id} <=> $b->{location_id} }
                       values %{$S->{levels}}] };
    }
    return { kind => 'woocommerce', orders => scalar @{$S->{orders}},
        webhooks => $S->{hooks},
        products => [map { my $p = $_; +{ map { $_ => $p->{$_} }
                           qw(id parent_id type sku stock_quantity
                              manage_stock stock_status) } }
                     sort { $a->{id} <=> $b->{id} }
                     values %{$S->{products}}] };
}

sub _level_state {
    my ($l) = @_;
    return { map { $_ => $l->{$_} } qw(inventory_item_id location_id
             available on_hand sku variant_id product_id updated_at) };
}

# Items from the control API or the start options.
sub _define {
    my ($S, @items) = @_;
    my $now = time;
    for my $it (@items) {
        return 'an item must be an object' unless ref $it eq 'HASH';
        if ($S->{kind} eq 'shopify') {
            my $id = $it->{inventory_item_id}
                or return 'inventory_item_id required';
            my $loc = $it->{location_id} // 1;
            my $av = $it->{available} // 0;
            # by_item and locations index the levels: a mutation of 250
            # quantities must not scan every level 250 times
            $S->{by_item}{$id + 0}{$loc + 0} =
            $S->{levels}{"$id/$loc"} = {
                inventory_item_id => $id + 0, location_id => $loc + 0,
                available => $av + 0, on_hand => ($it->{on_hand} // $av) + 0,
                sku => $it->{sku} // "SKU-$id",
                variant_id => ($it->{variant_id} // $id + 100000000) + 0,
                product_id => ($it->{product_id} // $id + 200000000) + 0,
                title => $it->{title} // "Item $id",
                price => $it->{price} // '9.99',
                updated_at => _shop_time($S, $now),
            };
            $S->{locations}{$loc + 0} = 1;
        } else {
            my $id = $it->{id} or return 'id required';
            my $pid = $it->{parent_id} // 0;
            if ($pid && !$S->{products}{$pid}) {
                $S->{products}{$pid} = _woo_new($S, { id => $pid,
                    type => 'variable', manage_stock => $FALSE }, $now);
            }
            my $p = _woo_new($S, $it, $now);
            $S->{products}{$id} = $p;
            if ($pid) {
                my $v = $S->{products}{$pid}{variations};
                push @$v, $id + 0 unless grep { $_ == $id } @$v;
                $S->{products}{$pid}{type} = 'variable';
            }
        }
    }
    return undef;
}

sub _woo_new {
    my ($S, $it, $now) = @_;
    my $id = $it->{id} + 0;
    my $pid = ($it->{parent_id} // 0) + 0;
    my $manage = exists $it->{manage_stock} ? _bool($it->{manage_stock}) : 1;
    my $p = {
        id => $id, parent_id => $pid,
        type => $it->{type} // ($pid ? 'variation' : 'simple'),
        sku => $it->{sku} // "SKU-$id",
        name => $it->{name} // "Product $id",
        price => $it->{price} // '9.99',
        manage_stock => $manage ? $TRUE : $FALSE,
        stock_quantity => $manage ? ($it->{stock_quantity} // 0) + 0 : undef,
        variations => [],
        created => $now, modified => $now,
    };
    _woo_status($p);
    return $p;
}

sub _bool {
    my ($v) = @_;
    return 0 unless defined $v;
    return $v ? 1 : 0 if ref $v;
    return $v =~ /^(?:1|true|yes|on)$/i ? 1 : 0;
}

# ---- time ------------------------------------------------------------------------

# "2026-11-26T18:40:48+01:00": the shop's offset, whole seconds
sub _shop_time {
    my ($S, $t) = @_;
    my $off = $S->{conf}{utc_offset};
    my $s = strftime('%Y-%m-%dT%H:%M:%S', gmtime(floor($t) + $off * 60));
    return $s . sprintf('%s%02d:%02d', $off < 0 ? '-' : '+',
                        abs($off) / 60, abs($off) % 60);
}

sub _utc_micro {
    my ($t) = @_;
    return strftime('%Y-%m-%dT%H:%M:%S', gmtime(floor($t)))
        . sprintf('.%06dZ', ($t - floor($t)) * 1e6);
}

# WooCommerce: site local and GMT, no offset
sub _wc_local { strftime('%Y-%m-%dT%H:%M:%S', gmtime(floor($_[1]) + $_[0]{conf}{utc_offset} * 60)) }
sub _wc_gmt   { strftime('%Y-%m-%dT%H:%M:%S', gmtime(floor($_[0]))) }

# ISO 8601 to epoch; without an offset the time is $local_off minutes east
sub _iso {
    my ($s, $local_off) = @_;
    return undef unless defined $s && $s =~
        /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?)?\s*(Z|[+-]\d\d:?\d\d)?$/i;
    my $t = eval { timegm($6 // 0, $5 // 0, $4 // 0, $3, $2 - 1, $1) };
    return undef unless defined $t;
    $t += $7 if $7;
    my $z = $8;
    if (!defined $z) {
        $t -= ($local_off // 0) * 60;
    } elsif (uc $z ne 'Z') {
        my ($sg, $h, $m) = $z =~ /([+-])(\d\d):?(\d\d)/;
        $t -= ($sg eq '-' ? -1 : 1) * ($h * 3600 + $m * 60);
    }
    return $t;
}

sub _uuid {
    my $h = join '', map { sprintf '%04x', int rand 65536 } 1 .. 8;
    substr($h, 12, 1, '4');
    substr($h, 16, 1, (qw(8 9 a b))[int rand 4]);
    return join '-', substr($h, 0, 8), substr($h, 8, 4), substr($h, 12, 4),
                     substr($h, 16, 4), substr($h, 20);
}

# ---- Shopify ---------------------------------------------------------------------

sub _shopify {
    my ($S, $req) = @_;
    my $c = $S->{conf};
    my ($ver, $rest) =
        $req->{path} =~ m{^/admin/api/(\d{4}-\d\d|unstable)/(.+)$};
    return _json(404, { errors => 'Not Found' }) unless $ver;
    my @h = ('X-Shopify-API-Version' => $ver, 'X-Request-Id' => _uuid());
    my $tok = $req->{headers}{'x-shopify-access-token'};
    if (!defined $tok || $tok ne $c->{token}) {
        return _json(401, { errors => '[API] Invalid API key or access token '
            . '(unrecognized login or wrong password)' }, @h);
    }
    if ($rest eq 'graphql.json') {
        return _json(405, { errors => 'Method Not Allowed' }, @h)
            unless $req->{method} eq 'POST';
        return _gql($S, $req, @h);
    }
    if ($rest eq 'orders.json' && $req->{method} eq 'GET') {
        return _rest_orders($S, $req, $ver, @h);
    }
    return _json(404, { errors => 'Not Found' }, @h);
}

sub _bucket {
    my ($S) = @_;
    my $b = $S->{bucket};
    my $now = time;
    my $max = $S->{conf}{bucket_max};
    $b->{avail} += ($now - $b->{at}) * $S->{conf}{restore_rate};
    $b->{avail} = $max if $b->{avail} > $max;
    $b->{at} = $now;
    return $b;
}

sub _cost {
    my ($S, $req, $act) = @_;
    my $b = _bucket($S);
    return { requestedQueryCost => $req + 0,
             actualQueryCost => defined $act ? $act + 0 : undef,
             throttleStatus => {
                 maximumAvailable => $S->{conf}{bucket_max} + 0,
                 currentlyAvailable => floor($b->{avail}),
                 restoreRate => $S->{conf}{restore_rate} + 0 } };
}

sub _gerr {
    my ($msg, $code, %x) = @_;
    return { errors => [{ message => $msg,
                          extensions => { code => $code, %x } }] };
}

sub _gql {
    my ($S, $req, @h) = @_;
    my $c = $S->{conf};
    my $in = _decode($req->{body});
    if (ref $in ne 'HASH' || !defined $in->{query} || ref $in->{query}) {
        return _json(400, { errors => { query =>
                          'Required parameter missing or invalid' } }, @h);
    }
    my $q = $in->{query};
    my $v = ref $in->{variables} eq 'HASH' ? $in->{variables} : {};

    my ($op, $cost, $ids);
    if ($q =~ /\binventorySetQuantities\b/) {
        ($op, $cost) = ('set', $c->{set_cost});
    } elsif ($q =~ /\bnodes\s*\(\s*ids\s*:\s*(?:\$(\w+)|\[([^\]]*)\])/) {
        $ids = defined $1 ? $v->{$1} : [$2 =~ /"([^"]*)"/g];
        $ids = [] unless ref $ids eq 'ARRAY';
        my ($first) = $q =~ /inventoryLevels\s*\(\s*first\s*:\s*(\d+)/;
        ($op, $cost) = ('nodes', 1 + @$ids * (2 + ($first // 10)));
    } elsif ($q =~ /\binventoryItem\s*\(/) {
        ($op, $cost) = ('item', 3);
    } else {
        my $out = _gerr('simulator: unsupported operation (supported: '
            . 'inventorySetQuantities, nodes(ids:), inventoryItem(id:))',
            'SIMULATOR_UNSUPPORTED');
        $out->{extensions}{cost} = _cost($S, 1, 1);
        return _json(200, $out, @h);
    }

    if ($cost > $c->{bucket_max}) {
        my $out = _gerr("Query cost is $cost, which exceeds the single query "
            . "max cost limit ($c->{bucket_max}).", 'MAX_COST_EXCEEDED',
            cost => $cost + 0, maxCost => $c->{bucket_max} + 0);
        $out->{extensions}{cost} = _cost($S, $cost, undef);
        return _json(200, $out, @h);
    }
    my $b = _bucket($S);
    if ($cost > $b->{avail}) {
        $S->{note} = 'throttled';
        my $out = _gerr('Throttled', 'THROTTLED',
            documentation => 'https://shopify.dev/api/usage/limits#rate-limits');
        $out->{extensions}{cost} = _cost($S, $cost, undef);
        return _json(200, $out, @h);
    }
    $b->{avail} -= $cost;

    my ($out, $actual);
    if ($op eq 'set') {
        $out = _gql_set($S, $q, $v);
        $actual = $cost;
    } elsif ($op eq 'nodes') {
        ($out, $actual) = _gql_nodes($S, $q, $v, $ids);
    } else {
        ($out, $actual) = _gql_item($S, $q, $v);
    }
    $b->{avail} += $cost - $actual;
    $out->{extensions}{cost} = _cost($S, $cost, $actual);
    return _json(200, $out, @h);
}

sub _gid {
    my ($type, $s) = @_;
    return undef unless defined $s && !ref $s;
    return $s =~ m{^gid://shopify/\Q$type\E/(\d+)$} ? $1 : undef;
}

sub _varerr {
    my ($var, $type, $path, $why, $value) = @_;
    my $p = join '.', @$path;
    return { errors => [{
        message => "Variable \$$var of type $type was provided invalid value"
                   . (length $p ? " for $p" : '') . " ($why)",
        locations => [{ line => 1, column => 1 }],
        extensions => { value => $value,
                        problems => [{ path => $path, explanation => $why }] },
    }] };
}

sub _set_result {
    my ($group, @errors) = @_;
    return { data => { inventorySetQuantities => {
        inventoryAdjustmentGroup => $group, userErrors => \@errors } } };
}

sub _uerr {
    my ($field, $msg, $code) = @_;
    return { field => $field, message => $msg, code => $code };
}

my %SET_INPUT = map { $_ => 1 } qw(name reason referenceDocumentUri quantities);
my %SET_QTY = map { $_ => 1 }
              qw(inventoryItemId locationId quantity changeFromQuantity);

# inventorySetQuantities(input: $input) @idempotent(key: ...)
sub _gql_set {
    my ($S, $q, $v) = @_;
    my $c = $S->{conf};
    my $now = time;

    my ($args, $dir) = $q =~
        /\binventorySetQuantities\s*\(([^()]*)\)\s*(\@idempotent\s*\([^()]*\))?/s;
    return _gerr('simulator: cannot parse the inventorySetQuantities call',
                 'SIMULATOR_UNSUPPORTED') unless defined $args;
    my ($ivar) = $args =~ /^\s*input\s*:\s*\$(\w+)\s*$/;
    return _gerr('simulator: pass the input as a variable ($input); inline '
                 . 'input objects are not parsed', 'SIMULATOR_UNSUPPORTED')
        unless $ivar;
    return _gerr('The @idempotent directive is required for this mutation.',
                 'BAD_REQUEST') unless $dir;

    my $key;
    if ($dir =~ /\bkey\s*:\s*"((?:[^"\\]|\\.)*)"/) {
        $key = $1;
    } elsif ($dir =~ /\bkey\s*:\s*\$(\w+)/) {
        my $kv = $1;
        $key = $v->{$kv};
        return _varerr($kv, 'String!', [], 'Expected value to not be null',
                       $key) if !defined $key || ref $key;
    } else {
        return _gerr('The @idempotent directive is required for this mutation.',
                     'BAD_REQUEST');
    }
    return _gerr('Idempotency key must not be blank.', 'BAD_REQUEST')
        unless length $key;

    my $T = 'InventorySetQuantitiesInput!';
    my $input = $v->{$ivar};
    return _varerr($ivar, $T, [], 'Expected value to not be null', $input)
        unless ref $input eq 'HASH';
    for my $k (sort keys %$input) {
        return _varerr($ivar, $T, [$k], 'Field is not defined on '
                       . 'InventorySetQuantitiesInput', $input)
            unless $SET_INPUT{$k};
    }
    for my $k (qw(name reason quantities)) {
        return _varerr($ivar, $T, [$k], 'Expected value to not be null',
                       $input) unless defined $input->{$k};
    }
    return _varerr($ivar, $T, ['quantities'], 'Expected an array', $input)
        unless ref $input->{quantities} eq 'ARRAY';
    my $qs = $input->{quantities};
    for my $i (0 .. $#$qs) {
        my $e = $qs->[$i];
        return _varerr($ivar, $T, ['quantities', $i], 'Expected an object',
                       $input) unless ref $e eq 'HASH';
        for my $k (sort keys %$e) {
            return _varerr($ivar, $T, ['quantities', $i, $k], 'Field is not '
                           . 'defined on InventoryQuantityInput', $input)
                unless $SET_QTY{$k};
        }
        for my $k (qw(inventoryItemId locationId quantity)) {
            return _varerr($ivar, $T, ['quantities', $i, $k],
                           'Expected value to not be null', $input)
                unless defined $e->{$k};
        }
        for my $k (qw(quantity changeFromQuantity)) {
            next unless defined $e->{$k};
            return _varerr($ivar, $T, ['quantities', $i, $k], 'Could not '
                           . 'coerce value to Int', $input)
                if ref $e->{$k} || $e->{$k} !~ /^-?\d+$/;
        }
    }
    if (@$qs > $c->{max_quantities}) {
        return _gerr('The input array size of ' . @$qs . ' is greater than '
                     . "the maximum allowed of $c->{max_quantities}.",
                     'MAX_INPUT_SIZE_EXCEEDED');
    }

    # idempotency: keyed per shop, the input compared canonically
    my $fp = $JSON->encode($input);
    my $ent = $S->{idem}{$key};
    if ($ent && $now - $ent->{at} > $c->{idempotency_ttl}) {
        delete $S->{idem}{$key};
        $ent = undef;
    }
    if ($ent) {
        if ($ent->{fp} ne $fp) {
            $S->{note} = 'idempotency key mismatch';
            return _set_result(undef, _uerr(undef, 'The same idempotency key '
                . 'cannot be used with different operation parameters.',
                'IDEMPOTENCY_KEY_PARAMETER_MISMATCH'));
        }
        if ($ent->{pending_until} > $now) {
            $S->{note} = 'idempotency concurrent';
            return _set_result(undef, _uerr(undef, 'This request is currently '
                . 'in progress, please try again.',
                'IDEMPOTENCY_CONCURRENT_REQUEST'));
        }
        $S->{note} = 'idempotent replay';
        return $JSON->decode($ent->{out});
    }

    my $out = _set_apply($S, $input, $now);
    $S->{idem}{$key} = { fp => $fp, at => $now, out => $JSON->encode($out),
                         pending_until => $now + $S->{delay} };
    return $out;
}

sub _set_apply {
    my ($S, $input, $now) = @_;
    my $name = $input->{name};
    my @err;
    push @err, _uerr(['input', 'name'], "The quantity name must be either "
                     . "'available' or 'on_hand'.", 'INVALID_NAME')
        unless !ref $name && ($name eq 'available' || $name eq 'on_hand');
    push @err, _uerr(['input', 'reason'], 'The specified reason is invalid.',
                     'INVALID_REASON')
        unless !ref $input->{reason}
               && grep { $_ eq $input->{reason} } @SHOPIFY_REASONS;
    my $doc = $input->{referenceDocumentUri};
    push @err, _uerr(['input', 'referenceDocumentUri'], 'The specified '
                     . 'reference document is invalid.',
                     'INVALID_REFERENCE_DOCUMENT')
        if defined $doc && (ref $doc || $doc !~ m{^[a-z][a-z0-9+.-]*://\S+$}i);

    my (%seen, @todo);
    my $input_errors = @err;
    my $qs = $input->{quantities};
    for my $i (0 .. $#$qs) {
        my $e = $qs->[$i];
        my $before = @err;
        my $f = sub { ['input', 'quantities', "$i", $_[0]] };
        my $item = _gid('InventoryItem', $e->{inventoryItemId});
        my $loc = _gid('Location', $e->{locationId});
        if (!defined $item || !$S->{by_item}{$item}) {
            push @err, _uerr($f->('inventoryItemId'), 'The specified '
                . 'inventory item could not be found.',
                'INVALID_INVENTORY_ITEM');
            next;
        }
        if (!defined $loc || !$S->{locations}{$loc}) {
            push @err, _uerr($f->('locationId'), 'The specified location '
                . 'could not be found.', 'INVALID_LOCATION');
            next;
        }
        my $l = $S->{levels}{"$item/$loc"};
        if (!$l) {
            push @err, _uerr($f->('locationId'), 'The specified inventory '
                . 'item is not stocked at the location.',
                'ITEM_NOT_STOCKED_AT_LOCATION');
            next;
        }
        if ($seen{"$item/$loc"}++) {
            push @err, _uerr($f->('inventoryItemId'), 'The combination of '
                . 'inventoryItemId and locationId must be unique.',
                'NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR');
            next;
        }
        my $qty = $e->{quantity};
        if ($qty > 1_000_000_000) {
            push @err, _uerr($f->('quantity'), "The quantity can't be higher "
                . 'than 1,000,000,000.', 'INVALID_QUANTITY_TOO_HIGH');
        } elsif ($qty < -1_000_000_000) {
            push @err, _uerr($f->('quantity'), "The quantity can't be lower "
                . 'than -1,000,000,000.', 'INVALID_QUANTITY_TOO_LOW');
        } elsif ($qty < 0 && ($name // '') eq 'on_hand') {
            push @err, _uerr($f->('quantity'), "The quantity can't be "
                . 'negative.', 'INVALID_QUANTITY_NEGATIVE');
        }
        if (!exists $e->{changeFromQuantity}) {
            push @err, _uerr($f->('changeFromQuantity'),
                'changeFromQuantity is required', 'INVALID');
        } elsif (defined $e->{changeFromQuantity} && !ref $name
                 && exists $l->{$name}
                 && $e->{changeFromQuantity} != $l->{$name}) {
            push @err, _uerr($f->('changeFromQuantity'), 'The specified '
                . 'changeFromQuantity does not match the current quantity.',
                'CHANGE_FROM_QUANTITY_STALE');
        }
        push @todo, [$l, $qty] if @err == $before;
    }
    if (@err) {
        $S->{note} = 'user errors: ' . join ',', map { $_->{code} } @err;
        # atomic (the default): one error refuses the whole mutation
        return _set_result(undef, @err)
            if $S->{conf}{atomic} || $input_errors || !@todo;
    }

    my $other = $name eq 'available' ? 'on_hand' : 'available';
    my @changes;
    for (@todo) {
        my ($l, $qty) = @$_;
        my $delta = $qty - $l->{$name};
        $l->{$name} = $qty + 0;
        $l->{$other} += $delta;
        push @changes,
            { name => $name, delta => $delta + 0,
              quantityAfterChange => $l->{$name} + 0 },
            { name => $other, delta => $delta + 0,
              quantityAfterChange => $l->{$other} + 0 };
        if ($delta) {
            $l->{updated_at} = _shop_time($S, $now);
            _shopify_level_hook($S, $l, $now);
        }
    }
    my $gid = 'gid://shopify/InventoryAdjustmentGroup/' . ++$S->{groups};
    return _set_result({ id => $gid, createdAt => _utc_micro($now) =~ s/\.\d+Z$/Z/r,
                         reason => $input->{reason},
                         referenceDocumentUri => $doc, changes => \@changes },
                       @err);
}

sub _quantities {
    my ($l, $names) = @_;
    my %q = (available => $l->{available}, on_hand => $l->{on_hand},
             committed => $l->{on_hand} - $l->{available}, incoming => 0,
             reserved => 0, damaged => 0, safety_stock => 0,
             quality_control => 0);
    return [map { +{ name => $_, quantity => ($q{$_} // 0) + 0 } } @$names];
}

sub _names {
    my ($q, $v) = @_;
    if ($q =~ /quantities\s*\(\s*names\s*:\s*\[([^\]]*)\]/) {
        my @n = $1 =~ /"([^"]*)"/g;
        return \@n if @n;
    }
    if ($q =~ /quantities\s*\(\s*names\s*:\s*\$(\w+)/
        && ref $v->{$1} eq 'ARRAY') {
        return $v->{$1};
    }
    return ['available'];
}

sub _level_gid {
    my ($l) = @_;
    return "gid://shopify/InventoryLevel/$l->{location_id}"
         . "?inventory_item_id=$l->{inventory_item_id}";
}

sub _level_node {
    my ($l, $names) = @_;
    return { id => _level_gid($l),
             location => { id => "gid://shopify/Location/$l->{location_id}" },
             quantities => _quantities($l, $names),
             updatedAt => $l->{updated_at} };
}

# nodes(ids: [...]) { ... on InventoryItem { id inventoryLevels(first: N)
# { edges { node { location { id } quantities(names: [...]) { ... } } } } } }
sub _gql_nodes {
    my ($S, $q, $v, $ids) = @_;
    my $names = _names($q, $v);
    my ($first) = $q =~ /inventoryLevels\s*\(\s*first\s*:\s*(\d+)/;
    $first //= 10;
    my ($actual, @nodes) = (1);
    for my $gid (@$ids) {
        my $item = _gid('InventoryItem', $gid);
        my @l = defined $item
            ? sort { $a->{location_id} <=> $b->{location_id} }
              values %{$S->{by_item}{$item} // {}}
            : ();
        if (!@l) {
            push @nodes, undef;
            next;
        }
        my @page = @l > $first ? @l[0 .. $first - 1] : @l;
        $actual += 2 + @page;
        push @nodes, { id => $gid, sku => $l[0]{sku}, tracked => $TRUE,
            inventoryLevels => {
                edges => [map { +{ node => _level_node($_, $names) } } @page],
                pageInfo => { hasNextPage => @l > $first ? $TRUE : $FALSE } } };
    }
    return ({ data => { nodes => \@nodes } }, $actual);
}

# inventoryItem(id: ...) { id inventoryLevel(locationId: ...) { quantities } }
sub _gql_item {
    my ($S, $q, $v) = @_;
    my $arg = sub {
        my ($re) = @_;
        return undef unless $q =~ /$re\s*:\s*(?:\$(\w+)|"([^"]*)")/;
        return defined $1 ? $v->{$1} : $2;
    };
    my $item = _gid('InventoryItem', $arg->(qr/inventoryItem\s*\(\s*id/));
    my $loc = _gid('Location', $arg->(qr/inventoryLevel\s*\(\s*locationId/));
    my @l = defined $item
        ? values %{$S->{by_item}{$item} // {}} : ();
    return ({ data => { inventoryItem => undef } }, 1) unless @l;
    my $level;
    if (defined $loc) {
        my $l = $S->{levels}{"$item/$loc"};
        $level = $l ? _level_node($l, _names($q, $v)) : undef;
    }
    return ({ data => { inventoryItem => {
        id => "gid://shopify/InventoryItem/$item", sku => $l[0]{sku},
        tracked => $TRUE, inventoryLevel => $level } } }, 3);
}

# inventory_levels/update, the payload of the Addendum
sub _shopify_level_hook {
    my ($S, $l, $now) = @_;
    _shopify_hook($S, 'inventory_levels/update', {
        inventory_item_id => $l->{inventory_item_id} + 0,
        location_id => $l->{location_id} + 0,
        available => $l->{available} + 0,
        updated_at => $l->{updated_at},
        admin_graphql_api_id => _level_gid($l),
    }, $now);
}

sub _shopify_hook {
    my ($S, $topic, $payload, $now) = @_;
    my $c = $S->{conf};
    return unless $c->{webhook_url};
    return unless grep { $_ eq $topic } @{$c->{webhook_topics}};
    my $body = $JSON->encode($payload);
    my $sig = encode_base64(hmac_sha256($body, $c->{webhook_secret} // ''), '');
    _wh_enqueue($S, { topic => $topic, body => $body, http => '1.1',
        headers => [
            'Content-Type' => 'application/json',
            'User-Agent' => 'Shopify-Captain-Hook',
            'X-Shopify-Topic' => $topic,
            'X-Shopify-Hmac-Sha256' => $sig,
            'X-Shopify-Shop-Domain' => $c->{shop},
            'X-Shopify-API-Version' => $c->{api_version},
            'X-Shopify-Webhook-Id' => _uuid(),
            'X-Shopify-Event-Id' => _uuid(),
            'X-Shopify-Triggered-At' => _utc_micro($now),
        ] }, $now);
}

sub _find_level {
    my ($S, $in) = @_;
    my @l = values %{$S->{levels}};
    @l = grep { $_->{inventory_item_id} == $in->{inventory_item_id} } @l
        if defined $in->{inventory_item_id};
    @l = grep { $_->{variant_id} == $in->{variant_id} } @l
        if defined $in->{variant_id};
    @l = grep { $_->{sku} eq $in->{sku} } @l if defined $in->{sku};
    @l = grep { $_->{location_id} == $in->{location_id} } @l
        if defined $in->{location_id};
    return (sort { $a->{location_id} <=> $b->{location_id} } @l)[0];
}

# An operator changes "available" in Shopify's admin.
sub _shopify_admin_set {
    my ($S, $in) = @_;
    my $l = _find_level($S, $in) or return (404, { error => 'no such level' });
    return (400, { error => 'available required' })
        unless defined $in->{available};
    my $now = time;
    my $delta = $in->{available} - $l->{available};
    $l->{available} = $in->{available} + 0;
    $l->{on_hand} += $delta;
    if ($delta) {
        $l->{updated_at} = _shop_time($S, $now);
        _shopify_level_hook($S, $l, $now);
    }
    return (200, _level_state($l));
}

sub _shopify_order {
    my ($S, $in) = @_;
    my $now = time;
    my $n = @{$S->{orders}} + 1;
    my $id = $in->{id} // 5_000_000_000 + $n;
    my $ts = defined $in->{created_at} ? $in->{created_at}
                                       : _shop_time($S, $now);
    my (@li, @touched, $total);
    for my $x (@{$in->{line_items} || []}) {
        my $l = _find_level($S, { %$x, location_id => $x->{location_id}
                                       // $in->{location_id} })
            or return (400, { error => 'line item matches no item' });
        my $qty = $x->{quantity} // 1;
        my $price = $x->{price} // $l->{price};
        $total += $price * $qty;
        my $lid = 13_000_000_000 + ++$S->{seq};
        push @li, {
            id => $lid, admin_graphql_api_id => "gid://shopify/LineItem/$lid",
            variant_id => $l->{variant_id}, product_id => $l->{product_id},
            sku => $l->{sku}, title => $l->{title}, name => $l->{title},
            variant_title => undef, vendor => 'invsync',
            quantity => $qty + 0, current_quantity => $qty + 0,
            fulfillable_quantity => $qty + 0, price => sprintf('%.2f', $price),
            requires_shipping => $TRUE, taxable => $TRUE, grams => 0,
            fulfillment_status => undef, fulfillment_service => 'manual',
        };
        push @touched, [$l, $qty];
    }
    my $order = {
        id => $id + 0, admin_graphql_api_id => "gid://shopify/Order/$id",
        name => '#' . (1000 + $n), order_number => 1000 + $n, number => $n,
        email => $in->{email} // 'jon@example.com', contact_email => undef,
        created_at => $ts, updated_at => $in->{updated_at} // $ts,
        processed_at => $ts, closed_at => undef, cancelled_at => undef,
        cancel_reason => undef, confirmed => $TRUE, test => $FALSE,
        currency => $in->{currency} // 'EUR',
        presentment_currency => $in->{currency} // 'EUR',
        financial_status => $in->{financial_status} // 'paid',
        fulfillment_status => undef, tags => '',
        subtotal_price => sprintf('%.2f', $total // 0),
        total_price => sprintf('%.2f', $total // 0), total_tax => '0.00',
        line_items => \@li, location_id => undef,
        customer => { id => 7000000001, email => $in->{email}
                      // 'jon@example.com', first_name => 'Jon',
                      last_name => 'Doe' },
    };
    $order->{contact_email} = $order->{email};
    push @{$S->{orders}}, $order;
    _shopify_hook($S, 'orders/create', $order, $now);
    if ($in->{adjust_inventory} // 1) {
        for (@touched) {
            my ($l, $qty) = @$_;
            next unless $qty;
            $l->{available} -= $qty;       # committed: on_hand stays
            $l->{updated_at} = _shop_time($S, $now);
            _shopify_level_hook($S, $l, $now);
        }
    }
    return (200, $order);
}

# GET /admin/api/{v}/orders.json (legacy REST, for the backfill poller)
sub _rest_orders {
    my ($S, $req, $ver, @h) = @_;
    my $c = $S->{conf};
    my $r = $S->{rest};
    my $now = time;
    $r->{used} -= ($now - $r->{at}) * $c->{rest_leak};
    $r->{used} = 0 if $r->{used} < 0;
    $r->{at} = $now;
    if ($r->{used} + 1 > $c->{rest_bucket}) {
        $S->{note} = 'rest throttled';
        return _json(429, { errors => 'Exceeded 2 calls per second for api '
            . 'client. Reduce request rates to resume uninterrupted service.' },
            @h, 'Retry-After' => '2.0',
            'X-Shopify-Shop-Api-Call-Limit' => "$c->{rest_bucket}/$c->{rest_bucket}");
    }
    $r->{used}++;
    push @h, 'X-Shopify-Shop-Api-Call-Limit' => ceil($r->{used})
                                                . "/$c->{rest_bucket}";

    my %p = %{$req->{query}};
    my $off = 0;
    if (defined $p{page_info}) {
        my $pi = _decode(decode_base64($p{page_info} =~ tr/-_/+\//r));
        return _json(400, { errors => { page_info => 'Invalid value.' } }, @h)
            unless ref $pi eq 'HASH';
        $off = $pi->{o};
        %p = (%{$pi->{q}}, limit => $p{limit} // $pi->{q}{limit});
    }
    my $limit = $p{limit} // 50;
    $limit = 250 if $limit > 250;
    $limit = 1 if $limit < 1;
    my $loff = $c->{utc_offset};
    my @o = @{$S->{orders}};
    for (['updated_at_min', 'updated_at', 1], ['updated_at_max', 'updated_at', -1],
         ['created_at_min', 'created_at', 1], ['created_at_max', 'created_at', -1]) {
        my ($param, $field, $dir) = @$_;
        next unless defined $p{$param};
        my $t = _iso($p{$param}, $loff);
        return _json(400, { errors => { $param => 'Invalid date.' } }, @h)
            unless defined $t;
        @o = grep { my $x = _iso($_->{$field}, $loff);
                    $dir > 0 ? $x >= $t : $x <= $t } @o;
    }
    my $status = $p{status} // 'open';
    @o = grep { !defined $_->{cancelled_at} && !defined $_->{closed_at} } @o
        if $status eq 'open';
    @o = grep { defined $_->{closed_at} } @o if $status eq 'closed';
    @o = grep { defined $_->{cancelled_at} } @o if $status eq 'cancelled';
    @o = grep { $_->{id} > $p{since_id} } @o if defined $p{since_id};
    @o = sort { $a->{id} <=> $b->{id} } @o;

    my @page = grep { defined } @o[$off .. $off + $limit - 1];
    my @links;
    my $mk = sub {
        my ($o2, $rel) = @_;
        my %q = %p;
        delete @q{qw(page_info limit)};
        my $pi = encode_base64($JSON->encode({ o => $o2, q => \%q }), '')
                 =~ tr/+\//-_/r;
        $pi =~ s/=+$//;
        return '<http://127.0.0.1:' . $S->{port}
             . "/admin/api/$ver/orders.json?limit=$limit&page_info=$pi>; "
             . "rel=\"$rel\"";
    };
    push @links, $mk->($off - $limit < 0 ? 0 : $off - $limit, 'previous')
        if $off > 0;
    push @links, $mk->($off + $limit, 'next') if $off + $limit < @o;
    push @h, Link => join ', ', @links if @links;
    return _json(200, { orders => \@page }, @h);
}

# ---- WooCommerce -----------------------------------------------------------------

sub _wjson {
    my ($status, $data, @h) = @_;
    return { status => $status, body => _wp_encode($data),
             ctype => 'application/json; charset=UTF-8', headers => \@h };
}

sub _werr {
    my ($status, $code, $msg, %x) = @_;
    return _wjson($status, { code => $code, message => $msg,
                             data => { status => $status + 0, %x } });
}

my %DENY = (
    list  => ['woocommerce_rest_cannot_view', 'Sorry, you cannot list resources.'],
    view  => ['woocommerce_rest_cannot_view', 'Sorry, you cannot view this resource.'],
    edit  => ['woocommerce_rest_cannot_edit', 'Sorry, you are not allowed to edit this resource.'],
    batch => ['woocommerce_rest_cannot_batch', 'Sorry, you are not allowed to batch manipulate this resource.'],
);

sub _woo {
    my ($S, $req) = @_;
    my $c = $S->{conf};
    my $m = $req->{method};
    my $edit = $m eq 'PUT' || $m eq 'POST' || $m eq 'PATCH';
    my $path = $req->{path};
    my $nr = _werr(404, 'rest_no_route',
                   'No route was found matching the URL and request method.');
    return $nr unless $path =~ s{^/wp-json/wc/v3}{};
    $path =~ s{/$}{};

    my ($perm, $run);
    if ($path eq '/products' && $m eq 'GET') {
        ($perm, $run) = ('list', sub { _woo_list($S, $req, undef) });
    } elsif ($path eq '/products/batch' && $m eq 'POST') {
        ($perm, $run) = ('batch', sub { _woo_batch($S, $req, undef) });
    } elsif ($path =~ m{^/products/(\d+)$}) {
        my $id = $1;
        ($perm, $run) = $m eq 'GET' ? ('view', sub { _woo_get($S, $id, undef) })
                      : $edit ? ('edit', sub { _woo_put($S, $req, $id, undef) })
                      : ();
    } elsif ($path =~ m{^/products/(\d+)/variations$} && $m eq 'GET') {
        my $pid = $1;
        ($perm, $run) = ('list', sub { _woo_list($S, $req, $pid) });
    } elsif ($path =~ m{^/products/(\d+)/variations/batch$} && $m eq 'POST') {
        my $pid = $1;
        ($perm, $run) = ('batch', sub { _woo_batch($S, $req, $pid) });
    } elsif ($path =~ m{^/products/(\d+)/variations/(\d+)$}) {
        my ($pid, $id) = ($1, $2);
        ($perm, $run) = $m eq 'GET' ? ('view', sub { _woo_get($S, $id, $pid) })
                      : $edit ? ('edit', sub { _woo_put($S, $req, $id, $pid) })
                      : ();
    } elsif ($path eq '/orders' && $m eq 'GET') {
        ($perm, $run) = ('list', sub { _woo_orders($S, $req) });
    } elsif ($path =~ m{^/orders/(\d+)$} && $m eq 'GET') {
        my $id = $1;
        ($perm, $run) = ('view', sub {
            my ($o) = grep { $_->{id} == $id } @{$S->{orders}};
            my %pub = %{$o || {}};
            delete $pub{_t};
            return $o ? _wjson(200, \%pub)
                      : _werr(404, 'woocommerce_rest_shop_order_invalid_id',
                              'Invalid ID.');
        });
    }
    return $nr unless $run;

    # Basic or query-string credentials count only over HTTPS (is_ssl());
    # over plain HTTP only OAuth 1.0a would, which is not simulated.
    my ($ck, $cs);
    if (!$c->{strict_ssl}) {
        if (($req->{headers}{authorization} // '') =~ /^Basic\s+(\S+)/i) {
            ($ck, $cs) = split /:/, decode_base64($1), 2;
        } elsif (defined $req->{query}{consumer_key}) {
            ($ck, $cs) = @{$req->{query}}{qw(consumer_key consumer_secret)};
        }
    }
    if (defined $ck && $ck eq $c->{consumer_key}) {
        return _werr(401, 'woocommerce_rest_authentication_error',
                     'Consumer secret is invalid.')
            unless defined $cs && $cs eq $c->{consumer_secret};
        return $run->();
    }
    return _werr(401, @{$DENY{$perm}});
}

sub _woo_status {
    my ($p) = @_;
    return unless $p->{manage_stock};
    $p->{stock_status} = $p->{stock_quantity} > 0 ? 'instock' : 'outofstock';
}

sub _woo_json {
    my ($S, $p) = @_;
    my $base = $S->{conf}{site} . 'wp-json/wc/v3/products';
    my $self = $p->{parent_id} ? "$base/$p->{parent_id}/variations/$p->{id}"
                               : "$base/$p->{id}";
    my $slug = lc($p->{name}) =~ s/[^a-z0-9]+/-/gr;
    my $j = {
        id => $p->{id} + 0, name => $p->{name}, slug => $slug,
        permalink => $S->{conf}{site} . "product/$slug/",
        date_created => _wc_local($S, $p->{created}),
        date_created_gmt => _wc_gmt($p->{created}),
        date_modified => _wc_local($S, $p->{modified}),
        date_modified_gmt => _wc_gmt($p->{modified}),
        type => $p->{type}, status => 'publish', sku => $p->{sku},
        price => $p->{price}, regular_price => $p->{price}, sale_price => '',
        manage_stock => $p->{manage_stock},
        stock_quantity => $p->{manage_stock} ? $p->{stock_quantity} + 0 : undef,
        stock_status => $p->{stock_status} // 'instock',
        backorders => 'no', backorders_allowed => $FALSE,
        parent_id => $p->{parent_id} + 0, meta_data => [],
        _links => { self => [{ href => $self }],
                    collection => [{ href => $self =~ s{/\d+$}{}r }] },
    };
    $j->{variations} = [@{$p->{variations}}] unless $p->{parent_id};
    return $j;
}

sub _woo_find {
    my ($S, $id, $pid) = @_;
    my $p = $S->{products}{$id};
    return undef unless $p;
    if (defined $pid) {
        return undef unless $p->{parent_id} == $pid;
    } else {
        return undef if $p->{parent_id};
    }
    return $p;
}

sub _woo_invalid {
    my ($pid, $status) = @_;
    return (defined $pid ? 'woocommerce_rest_product_variation_invalid_id'
                         : 'woocommerce_rest_product_invalid_id',
            'Invalid ID.', $status);
}

sub _woo_get {
    my ($S, $id, $pid) = @_;
    my $p = _woo_find($S, $id, $pid);
    return $p ? _wjson(200, _woo_json($S, $p))
              : _werr(404, (_woo_invalid($pid))[0, 1]);
}

# Applies stock fields to a product; returns an error [code, message,
# params] or undef.  Other fields are accepted and ignored.
sub _woo_update {
    my ($S, $p, $in, $now) = @_;
    if (exists $in->{stock_quantity} && defined $in->{stock_quantity}
        && (ref $in->{stock_quantity}
            || $in->{stock_quantity} !~ /^-?\d+$/)) {
        return ['rest_invalid_param', 'Invalid parameter(s): stock_quantity',
                { stock_quantity => 'stock_quantity is not of type integer.' }];
    }
    my $old = join ',', $p->{manage_stock} ? 1 : 0,
                        $p->{stock_quantity} // '';
    if (exists $in->{manage_stock}) {
        my $m = _bool($in->{manage_stock});
        $p->{manage_stock} = $m ? $TRUE : $FALSE;
        $p->{stock_quantity} //= 0 if $m;
    }
    # WooCommerce sets the quantity only on products that manage stock
    if ($p->{manage_stock} && defined $in->{stock_quantity}) {
        $p->{stock_quantity} = $in->{stock_quantity} + 0;
    }
    $p->{stock_quantity} = undef unless $p->{manage_stock};
    _woo_status($p);
    $p->{modified} = $now;
    my $new = join ',', $p->{manage_stock} ? 1 : 0,
                        $p->{stock_quantity} // '';
    _woo_product_hook($S, $p, $now) if $old ne $new || $S->{conf}{noop_webhooks};
    return undef;
}

sub _woo_put {
    my ($S, $req, $id, $pid) = @_;
    my ($in, $err) = _woo_body($req);
    return $err if $err;
    my $p = _woo_find($S, $id, $pid)
        or return _werr(404, (_woo_invalid($pid))[0, 1]);
    my $e = _woo_update($S, $p, $in, time);
    return _werr(400, $e->[0], $e->[1], params => $e->[2]) if $e;
    return _wjson(200, _woo_json($S, $p));
}

sub _woo_body {
    my ($req) = @_;
    my $in = length $req->{body} ? _decode($req->{body}) : {};
    return (undef, _werr(400, 'rest_invalid_json',
            'Invalid JSON body passed.', json_error_code => 4,
            json_error_message => 'Syntax error'))
        unless ref $in eq 'HASH';
    return ($in);
}

sub _woo_batch {
    my ($S, $req, $pid) = @_;
    my ($in, $err) = _woo_body($req);
    return $err if $err;
    my $n = 0;
    for (qw(create update delete)) {
        $n += @{$in->{$_}} if ref $in->{$_} eq 'ARRAY';
    }
    my $limit = $S->{conf}{batch_limit};
    return _werr(413, 'woocommerce_rest_request_entity_too_large',
                 "Unable to accept more than $limit items for this request.")
        if $n > $limit;
    my $now = time;
    my %out;
    for my $act (qw(create update delete)) {
        next unless ref $in->{$act} eq 'ARRAY';
        $out{$act} = [];
        for my $it (@{$in->{$act}}) {
            my $id = ref $it eq 'HASH' ? $it->{id} : $it;
            $id = 0 unless defined $id && !ref $id && $id =~ /^\d+$/;
            if ($act ne 'update') {
                push @{$out{$act}}, { id => $id + 0, error => {
                    code => 'woocommerce_rest_simulator_unsupported',
                    message => "The simulator does not $act products.",
                    data => { status => 400 } } };
                next;
            }
            my $p = $id ? _woo_find($S, $id, $pid) : undef;
            if (!$p) {
                my ($code, $msg) = _woo_invalid($pid);
                push @{$out{$act}}, { id => $id + 0, error => { code => $code,
                    message => $msg, data => { status => 400 } } };
                next;
            }
            my $e = _woo_update($S, $p, $it, $now);
            push @{$out{$act}}, $e
                ? { id => $id + 0, error => { code => $e->[0],
                    message => $e->[1],
                    data => { status => 400, params => $e->[2] } } }
                : _woo_json($S, $p);
        }
    }
    return _wjson(200, \%out);
}

sub _woo_page {
    my ($req, $items) = @_;
    my $q = $req->{query};
    my $per = $q->{per_page} // 10;
    my $page = $q->{page} // 1;
    if ($per !~ /^\d+$/ || $per < 1 || $per > 100) {
        return (undef, _werr(400, 'rest_invalid_param',
            'Invalid parameter(s): per_page', params => { per_page =>
            'per_page must be between 1 (inclusive) and 100 (inclusive)' }));
    }
    if ($page !~ /^\d+$/ || $page < 1) {
        return (undef, _werr(400, 'rest_invalid_param',
            'Invalid parameter(s): page',
            params => { page => 'page must be greater than or equal to 1' }));
    }
    my $total = @$items;
    my $pages = ceil($total / $per);
    my @slice = grep { defined } @$items[($page - 1) * $per .. $page * $per - 1];
    return (\@slice, undef, 'X-WP-Total' => $total,
            'X-WP-TotalPages' => $pages);
}

sub _woo_sort {
    my ($req, @items) = @_;
    my $by = $req->{query}{orderby} // 'date';
    my $desc = lc($req->{query}{order} // 'desc') eq 'desc';
    @items = $by eq 'id'
        ? sort { $a->{id} <=> $b->{id} } @items
        : sort { $a->{created} <=> $b->{created} || $a->{id} <=> $b->{id} }
          @items;
    return $desc ? reverse @items : @items;
}

sub _woo_list {
    my ($S, $req, $pid) = @_;
    my @p = values %{$S->{products}};
    if (defined $pid) {
        return _werr(404, 'woocommerce_rest_product_invalid_id', 'Invalid ID.')
            unless _woo_find($S, $pid, undef);
        @p = grep { $_->{parent_id} == $pid } @p;
    } elsif (defined(my $sku = $req->{query}{sku})) {
        # with sku, WooCommerce searches variations too
        my %want = map { $_ => 1 } $sku, split /,/, $sku;
        @p = grep { $want{$_->{sku}} } @p;
    } else {
        @p = grep { !$_->{parent_id} } @p;
    }
    # include=1,2,3 (an id list, as wp_parse_id_list reads it; empty: no
    # limit): only those; ids that are not there (or are variations, on
    # /products) are left out without an error
    my %inc = map { $_ + 0 => 1 } grep { /^\d+$/ && $_ > 0 }
              split /[,\s]+/, $req->{query}{include} // '';
    @p = grep { $inc{$_->{id}} } @p if %inc;
    my ($page, $err, @h) = _woo_page($req, [_woo_sort($req, @p)]);
    return $err if $err;
    my $r = _wjson(200, [map { _woo_json($S, $_) } @$page], @h);
    return $r;
}

sub _woo_orders {
    my ($S, $req) = @_;
    my $q = $req->{query};
    my $gmt = _bool($q->{dates_are_gmt});
    my $off = $gmt ? 0 : $S->{conf}{utc_offset};
    my @o = @{$S->{orders}};
    for (['modified_after', 'modified', 1], ['modified_before', 'modified', -1],
         ['after', 'created', 1], ['before', 'created', -1]) {
        my ($param, $field, $dir) = @$_;
        next unless defined $q->{$param};
        my $t = _iso($q->{$param}, $off);
        return _werr(400, 'rest_invalid_param', "Invalid parameter(s): $param",
                     params => { $param => 'Invalid date.' })
            unless defined $t;
        @o = grep { $dir > 0 ? $_->{_t}{$field} > $t
                             : $_->{_t}{$field} < $t } @o;
    }
    if (defined $q->{status} && $q->{status} ne 'any') {
        my %st = map { $_ => 1 } split /,/, $q->{status};
        @o = grep { $st{$_->{status}} } @o;
    }
    @o = map { +{ %$_, created => $_->{_t}{created} } } @o;
    my ($page, $err, @h) = _woo_page($req, [_woo_sort($req, @o)]);
    return $err if $err;
    return _wjson(200, [map { my %x = %$_; delete @x{qw(_t created)}; \%x }
                        @$page], @h);
}

sub _woo_product_hook {
    my ($S, $p, $now) = @_;
    my $c = $S->{conf};
    if ($p->{parent_id}) {
        my $mode = $c->{variation_webhooks};
        return if $mode eq 'none';
        $p = $S->{products}{$p->{parent_id}} if $mode eq 'parent';
    }
    my $id = $p->{id};
    _woo_hook($S, 'product.updated', $c->{product_webhook_id}, $id,
              sub { _woo_json($S, $S->{products}{$id}) }, $now);
}

sub _woo_hook {
    my ($S, $topic, $hook_id, $rid, $build, $now) = @_;
    my $c = $S->{conf};
    return unless $c->{webhook_url};
    return unless grep { $_ eq $topic } @{$c->{webhook_topics}};
    my $h = $S->{hooks}{$hook_id} //= { topic => $topic, status => 'active',
                                        failure_count => 0 };
    return if $h->{status} ne 'active';
    # one pending delivery per webhook and resource: later changes coalesce
    return if $c->{coalesce}
        && grep { $_->{hook_id} == $hook_id && $_->{rid} == $rid }
           @{$S->{whq}};
    my ($res, $ev) = split /\./, $topic;
    _wh_enqueue($S, { topic => $topic, hook_id => $hook_id, rid => $rid,
                      build => $build, http => '1.0', resource => $res,
                      event => $ev }, $now);
}

# Woo headers are made when the delivery runs, with the payload.
sub _woo_prepare {
    my ($S, $d) = @_;
    my $c = $S->{conf};
    my $body = _wp_encode($d->{build}->());
    my $secret = $c->{webhook_secret} // '';
    $d->{body} = $body;
    $d->{headers} = [
        'User-Agent' => "WooCommerce/$c->{wc_version} Hookshot "
                        . "(WordPress/$c->{wp_version})",
        'Content-Type' => 'application/json',
        'X-WC-Webhook-Source' => $c->{site},
        'X-WC-Webhook-Topic' => $d->{topic},
        'X-WC-Webhook-Resource' => $d->{resource},
        'X-WC-Webhook-Event' => $d->{event},
        'X-WC-Webhook-Signature' =>
            encode_base64(hmac_sha256($body, $secret), ''),
        'X-WC-Webhook-ID' => $d->{hook_id},
        'X-WC-Webhook-Delivery-ID' => md5_hex('invsync-sim-salt'
                                              . $d->{hook_id} . int time),
    ];
}

sub _woo_find_product {
    my ($S, $in) = @_;
    my @p = values %{$S->{products}};
    my $id = $in->{variation_id} || $in->{product_id} || $in->{id};
    return $S->{products}{$id} if $id;
    return (grep { defined $in->{sku} && $_->{sku} eq $in->{sku} } @p)[0];
}

sub _woo_admin_set {
    my ($S, $in) = @_;
    my $p = _woo_find_product($S, $in)
        or return (404, { error => 'no such product' });
    my $e = _woo_update($S, $p, { %$in, manage_stock =>
                        $in->{manage_stock} // $p->{manage_stock} }, time);
    return (400, { error => $e->[1] }) if $e;
    return (200, _woo_json($S, $p));
}

sub _woo_order {
    my ($S, $in) = @_;
    my $now = time;
    my $id = $in->{id} // 5000 + @{$S->{orders}} + 1;
    my $created = defined $in->{date_created_gmt}
        ? _iso($in->{date_created_gmt}, 0) // $now : $now;
    my (@li, @touched, $total);
    for my $x (@{$in->{line_items} || []}) {
        my $p = _woo_find_product($S, $x)
            or return (400, { error => 'line item matches no product' });
        my $qty = $x->{quantity} // 1;
        my $price = $x->{price} // $p->{price};
        my $sum = sprintf '%.2f', $price * $qty;
        $total += $sum;
        push @li, { id => ++$S->{seq}, name => $p->{name},
            product_id => ($p->{parent_id} || $p->{id}) + 0,
            variation_id => ($p->{parent_id} ? $p->{id} : 0) + 0,
            quantity => $qty + 0, tax_class => '', subtotal => $sum,
            subtotal_tax => '0.00', total => $sum, total_tax => '0.00',
            taxes => [], meta_data => [], sku => $p->{sku},
            price => $price + 0 };
        push @touched, [$p, $qty];
    }
    my $order = {
        id => $id + 0, parent_id => 0, number => "$id",
        order_key => 'wc_order_' . substr(md5_hex($id . $now), 0, 13),
        created_via => 'checkout', version => $S->{conf}{wc_version},
        status => $in->{status} // 'processing',
        currency => $in->{currency} // 'EUR',
        date_created => _wc_local($S, $created),
        date_created_gmt => _wc_gmt($created),
        date_modified => _wc_local($S, $now), date_modified_gmt => _wc_gmt($now),
        date_paid => _wc_local($S, $now), date_paid_gmt => _wc_gmt($now),
        date_completed => undef, date_completed_gmt => undef,
        discount_total => '0.00', shipping_total => '0.00',
        total => sprintf('%.2f', $total // 0), total_tax => '0.00',
        prices_include_tax => $FALSE, customer_id => 0,
        billing => { first_name => 'Jon', last_name => 'Doe',
                     email => $in->{email} // 'jon@example.com' },
        shipping => {}, payment_method => 'bacs',
        line_items => \@li, refunds => [], meta_data => [],
        _t => { created => $created, modified => $now },
    };
    push @{$S->{orders}}, $order;
    my %pub = %$order;
    delete $pub{_t};
    _woo_hook($S, 'order.created', $S->{conf}{order_webhook_id}, $id,
              sub { \%pub }, $now);
    if ($in->{adjust_inventory} // 1) {
        for (@touched) {
            my ($p, $qty) = @$_;
            next unless $p->{manage_stock} && $qty;
            _woo_update($S, $p, { stock_quantity => $p->{stock_quantity}
                                  - $qty }, $now);
        }
    }
    return (200, \%pub);
}

# ---- webhook deliveries: one at a time, non-blocking, in the loop --------------

sub _wh_enqueue {
    my ($S, $d, $now) = @_;
    $d->{attempt} = 1;
    $d->{url} = $S->{conf}{webhook_url};
    $d->{next_at} = $now + $S->{conf}{webhook_delay_ms} / 1000;
    push @{$S->{whq}}, $d;
}

sub _wh_pump {
    my ($S, $now) = @_;
    if (my $w = $S->{wh_cur}) {
        _wh_done($S, $w, 0, 'timeout') if $now > $w->{deadline};
        return;
    }
    my ($i) = grep { $S->{whq}[$_]{next_at} <= $now } 0 .. $#{$S->{whq}};
    return unless defined $i;
    my $d = splice @{$S->{whq}}, $i, 1;
    _woo_prepare($S, $d) if $d->{build};
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
    my $shop = $S->{kind} eq 'shopify';
    my $ok = $status >= 200 && $status <= ($shop ? 299 : 302);
    push @{$S->{whlog}}, { n => ++$S->{whn}, topic => $d->{topic},
        url => $d->{url}, attempt => $d->{attempt}, status => $status + 0,
        ok => $ok ? $TRUE : $FALSE, error => $err, time => $d->{time},
        headers => { @{$d->{headers} || []} }, body => $d->{body} };
    delete @$d{qw(sock phase out in deadline)};

    if (!$shop) {
        my $h = $S->{hooks}{$d->{hook_id}};
        if ($ok) {
            $h->{failure_count} = 0;
        } elsif ($h->{failure_count} > $c->{max_failures}) {
            # checked before it is incremented: the 7th failure disables
            $h->{status} = 'disabled';
        } else {
            $h->{failure_count}++;
        }
    }
    my $retries = $c->{webhook_retries} || [];
    if (!$ok && $d->{attempt} <= @$retries) {
        $d->{next_at} = time + $retries->[$d->{attempt} - 1];
        $d->{attempt}++;
        push @{$S->{whq}}, $d;
    }
}

1;
