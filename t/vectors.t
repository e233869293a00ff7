#!/usr/bin/perl

# Every signature vector of t/vectors/<scheme>/<case>/ replayed through
# nginx and Redis, one location per case configured from its files (secret
# lines as rotated secret files, url, app_key, encoding): "ok" is accepted
# with the expected event, topic and account, "handshake" gets its reply,
# signature and timestamp errors get 401, body errors 400, each with the
# text of invsync_strerror() and nothing stored.  Vectors dated long ago
# run under a huge invsync_tolerance, so their stale and future cases are
# skipped; "config" cases are nginx -t matters, not requests.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use InvsyncTest qw(read_vector);

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');

my $dir = "$FindBin::Bin/vectors";

# invsync_rc_name() => (status, invsync_strerror())
my %expect = (
    no_signature => [401, 'missing signature'],
    signature    => [401, 'signature mismatch'],
    timestamp    => [401, 'missing or malformed timestamp'],
    stale        => [401, 'timestamp too old'],
    future       => [401, 'timestamp in the future'],
    json         => [400, 'body is not valid JSON'],
    no_event_id  => [400, 'no event id'],
    no_topic     => [400, 'no topic'],
    format       => [400, 'malformed event: id, topic or account too long '
                          . 'or not printable'],
);

sub trim { my $s = shift // ''; $s =~ s/\r?\n\z//; return $s }

my @cases;
opendir my $sd, $dir or plan(skip_all => "no $dir");
for my $scheme (sort grep { !/^\./ && -d "$dir/$_" } readdir $sd) {
    opendir my $cd, "$dir/$scheme" or next;
    for my $case (sort grep { !/^\./ && -d "$dir/$scheme/$_" } readdir $cd) {
        my $v = read_vector("$dir/$scheme/$case");
        $v->{$_} = trim($v->{$_}) for grep { !/^(headers|body|secret)$/ } keys %$v;
        push @cases, { scheme => $scheme, case => $case, v => $v };
    }
}
plan(skip_all => 'no vectors yet') unless @cases;

$t->run_redis;

my $time = time;
my $conf = '';
my $n = 0;

for my $c (@cases) {
    my ($v, $scheme, $case) = @$c{qw(v scheme case)};
    my $exp = $v->{expect} // '';
    my $tol = $v->{tolerance} || 300;

    # a vector of another day is replayable only with a huge tolerance
    my $old = defined $v->{now} && abs($time - $v->{now}) > $tol / 2;

    if ($exp eq 'config') {
        $c->{skip} = 'a configuration error, for nginx -t';
    } elsif ($old && ($exp eq 'stale' || $exp eq 'future')) {
        $c->{skip} = "dated $v->{now}: replayed under a huge tolerance";
    } elsif ($exp ne 'ok' && $exp ne 'handshake' && !$expect{$exp}) {
        $c->{skip} = "unknown expect \"$exp\"";
    }
    next if $c->{skip};

    my $loc = "/v/$scheme/$case";
    $c->{path} = $loc;
    my $secrets = '';
    my $i = 0;
    for my $s (grep { length } split /\r?\n/, $v->{secret} // '') {
        my $f = $t->write_file("secret.$scheme.$case." . $i++, "$s\n");
        $secrets .= "            invsync_secret_file $f;\n";
    }
    my $extra = '';
    $extra .= "            invsync_notification_url \"$v->{url}\";\n"
        if defined $v->{url} && length $v->{url};
    $extra .= "            invsync_app_key \"$v->{app_key}\";\n"
        if defined $v->{app_key} && length $v->{app_key};
    $extra .= $old ? "            invsync_tolerance 100000d;\n"
                   : "            invsync_tolerance ${tol}s;\n";
    $extra .= "            invsync_hmac_header x-signature;\n"
           . "            invsync_id_header x-event-id;\n"
           . "            invsync_topic_header x-topic;\n"
           . '            invsync_hmac_encoding ' . ($v->{encoding} || 'hex')
           . ";\n"
        if $scheme eq 'hmac';

    $conf .= <<"EOF";
        location = $loc {
            invsync_webhook $scheme;
            invsync_channel v-$scheme;
$secrets$extra        }

EOF
    $n++;
}

$t->nginx_conf(<<"EOF");
    invsync_redis %%REDIS%%;

    server {
        listen 127.0.0.1:%%PORT%%;
        client_body_buffer_size 64k;

$conf    }
EOF

$t->run;
$t->wait_ready;
$t->plan(2 * @cases);

for my $c (@cases) {
    my ($v, $scheme, $case) = @$c{qw(v scheme case)};
    my $name = "$scheme/$case";

    SKIP: {
        skip("$name: $c->{skip}", 2) if $c->{skip};

        $t->flush;
        my $empty = $t->redis('DBSIZE');    # the epoch and its markers

        my %h;
        for my $line (split /\r?\n/, $v->{headers} // '') {
            next unless $line =~ /^([^:]+): ?(.*)$/;
            $h{$1} = $2;
        }
        $h{'Content-Type'} = $v->{content_type} // 'application/json';

        my $r = $t->post($c->{path}, $v->{body} // '', %h);
        my $exp = $v->{expect};

        if ($exp eq 'ok') {
            my $id = $t->accepted($r, undef, "$name: accepted");
            my $want = { body => $v->{body} // '' };
            $want->{$_} = $v->{$_}
                for grep { defined $v->{$_} } qw(event topic account);
            my ($stream) = $r->{content} =~ /"stream":"([^"]+)"/;
            my $e = $stream ? $t->redis('XRANGE', $stream, $id, $id) : [];
            my %f = ref $e && @$e ? @{$e->[0][1]} : ();
            is_deeply({ map { $_ => $f{$_} } keys %$want }, $want,
                      "$name: stored as expected");

        } elsif ($exp eq 'handshake') {
            my $reply = $v->{reply} // '{"status":"ok","handshake":"' . $scheme . '"}';
            is(InvsyncTest::answer($r), "200 application/json $reply",
               "$name: handshake answered");
            is($t->redis('DBSIZE'), $empty, "$name: nothing stored");

        } else {
            my ($status, $text) = @{$expect{$exp}};
            is(InvsyncTest::answer($r), "$status application/json "
               . qq({"status":"error","error":"$text"}), "$name: $status $exp");
            is($t->redis('DBSIZE'), $empty, "$name: nothing stored");
        }
    }
}

$t->done;
