package InvsyncSim::Channel;

# What a simulated channel is to the server of t/lib/InvsyncSim.pm: the
# class every t/lib/InvsyncSim/<Channel>.pm inherits, with the default of
# each hook, and the helpers the channels share (answers, JSON, time,
# webhook deliveries).  The server calls every hook as a class method,
# $class->hook($S, ...), where $S is the one simulator's state; a channel
# overrides what it simulates and inherits the rest.  How to add one:
# docs/simulators.md, "Adding a channel".  Core Perl only.

use strict;
use warnings;

use Exporter qw(import);
use JSON::PP;
use POSIX qw(strftime floor);
use Time::HiRes qw(time);
use Time::Local qw(timegm);

our @EXPORT_OK = qw($JSON $TRUE $FALSE %REASON _json _text _html _decode
                    _bool _iso _uuid _utc_micro _local_time _wh_enqueue);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

our $JSON = JSON::PP->new->utf8->canonical->allow_nonref;
our $TRUE = JSON::PP::true;
our $FALSE = JSON::PP::false;

our %REASON = (
    100 => 'Continue', 200 => 'OK', 201 => 'Created', 400 => 'Bad Request',
    401 => 'Unauthorized', 403 => 'Forbidden', 404 => 'Not Found',
    405 => 'Method Not Allowed', 411 => 'Length Required',
    413 => 'Payload Too Large', 429 => 'Too Many Requests',
    431 => 'Request Header Fields Too Large',
    500 => 'Internal Server Error', 502 => 'Bad Gateway',
    503 => 'Service Unavailable', 504 => 'Gateway Timeout',
);


# ---- the hooks and their defaults ----------------------------------------------

# The channel's options and their defaults, over the common ones of
# InvsyncSim (host, webhook_url, webhook_secret, webhook_timeout,
# webhook_delay_ms, utc_offset, items); webhook_retries (seconds before
# each retry) is read by the delivery loop.
sub defaults { return { webhook_retries => [] } }

# A fresh channel state in %$S, after $S->{conf} is set and before the
# start items are defined; the server owns the keys kind, ch, port, init,
# conf, conns, lsock, reqlog, reqn, faults, whq, whlog, whn, wh_cur,
# delay, note and refuse_*.
sub reset { }

# POST /_sim/items and the start option items: an error message or undef.
sub define { return 'this simulator takes no items' }

# An API request (never a control call): the answer, made with _json,
# _text or _html.  $req: {method, target, path, qs, query, headers, body,
# version}; headers have lower-case names.  $S->{delay} is the seconds a
# "delay" fault holds the answer back; $S->{note} goes to the request log.
sub api { return _json(404, { error => 'Not Found' }) }

# GET /_sim/state, without "kind" (the server adds it).
sub state { return {} }

# called every turn of the server's loop (at least twice a second), for a
# simulator's own timed doings: the 3PL's auto_ship
sub tick { }

# InvsyncSim::quantity($t, $name, @key) in the test: one quantity from a
# decoded state.
sub quantity { return undef }

# POST /_sim/admin_set and POST /_sim/orders: (HTTP status, answer).
sub admin_set { return (404, { error => 'admin_set is not simulated' }) }
sub order     { return (404, { error => 'orders are not simulated' }) }

# Any other POST /_sim/<name> (a word): (HTTP status, answer), for the
# channel's own control calls.
sub control {
    my ($class, $S, $name) = @_;
    return (404, { error => "no control call /_sim/$name" });
}

# After POST /_sim/config copied the options in $in to $S->{conf}: for
# options that also change state now.
sub configured { }

# A request as the log keeps it: blanks the secrets in the headers
# (lower-case names, a copy) and returns the target without them.
sub redact {
    my ($class, $hdr, $target) = @_;
    $hdr->{authorization} = '[redacted]' if exists $hdr->{authorization};
    return $target;
}

# The answer to a "429" or "5xx" fault ($f: the rule, with status, body,
# retry_after): what the real service, or the proxy in front of it, sends.
sub fault_answer {
    my ($class, $S, $f) = @_;
    my @ra = defined $f->{retry_after}
             ? ('Retry-After' => $f->{retry_after}) : ();
    my $st = $f->{mode} eq '429' ? 429 : $f->{status} // 503;
    my $t = "$st " . ($REASON{$st} // 'Error');
    return _json($st, { error => $t }, @ra)
        if ($f->{body} // 'json') eq 'json';
    return _html($st, "<html><head><title>$t</title></head><body><h1>$t"
                 . "</h1></body></html>\n", @ra);
}

# Whether a webhook delivery that got HTTP $status succeeded.
sub webhook_ok {
    my ($class, $status) = @_;
    return $status >= 200 && $status <= 299;
}

# After each delivery attempt was logged ($ok as webhook_ok said), before
# a retry is queued: for per-subscription counters.
sub webhook_done { }


# ---- helpers for the channels ----------------------------------------------------

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

sub _bool {
    my ($v) = @_;
    return 0 unless defined $v;
    return $v ? 1 : 0 if ref $v;
    return $v =~ /^(?:1|true|yes|on)$/i ? 1 : 0;
}

# "2026-11-26T18:40:48+01:00": the shop's offset (utc_offset), whole seconds
sub _local_time {
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

# Queues a webhook delivery to webhook_url.  $d: {topic, body, headers =>
# [name => value, ...], http => '1.1' | '1.0'}, or instead of body and
# headers prepare => sub { my ($d) = @_; ... } to make them when the
# delivery runs (a payload read at delivery time); any other keys stay on
# $d for webhook_done.  The server sends it from its loop, after the
# answer that caused it, and retries as webhook_retries says.
sub _wh_enqueue {
    my ($S, $d, $now) = @_;
    $d->{attempt} = 1;
    $d->{url} = $S->{conf}{webhook_url};
    $d->{next_at} = $now + $S->{conf}{webhook_delay_ms} / 1000;
    push @{$S->{whq}}, $d;
}

1;
