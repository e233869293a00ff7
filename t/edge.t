#!/usr/bin/perl

# Bad input at the edge (issue 13), one table through nginx: truncated and
# oversized headers, signatures that are not base64 or hex, wrong methods,
# chunked bodies and bodies spilled to a file, slow senders, bodies over
# the limit, topic and id headers with control characters, ':' and long
# values.  Each row is a raw exchange on its own connection with the
# answer it must get (status, and the module's reason or nginx's page)
# and whether it is stored: a stream entry exists only for a correctly
# signed event, and every other row leaves Redis's keys as they were.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(sleep time);
use Digest::SHA qw(hmac_sha256_hex);
use InvsyncTest qw(hmac_b64);

my $t = InvsyncTest->setup(
    secrets => { 'shopify.secret' => 'hush', 'hmac.secret' => 'hsecret' },
    locations => <<'EOF');
        client_header_timeout 2s;
        client_body_timeout 2s;

        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/shopify.secret;
            client_body_buffer_size 1k;
            client_max_body_size 64k;
        }

        location = /hooks/hmac {
            invsync_webhook hmac;
            invsync_channel gen;
            invsync_secret_file %%TESTDIR%%/hmac.secret;
            invsync_hmac_header X-Signature;
            invsync_hmac_encoding hex;
            invsync_id_header X-Event-Id;
            invsync_topic_header X-Topic;
            client_max_body_size 64k;
        }

        location = /status {
            invsync_status;
        }
EOF

###############################################################################
# building requests

my $n = 0;
my $body = '{"id":1,"line_items":[{"sku":"SKU-1","quantity":1}]}';

# a signed Shopify request's header lines: %o overrides (undef drops one)
sub shopify_headers {
    my ($b, %o) = @_;
    $n++;
    my %h = ('X-Shopify-Hmac-Sha256' => hmac_b64($b, 'hush'),
             'X-Shopify-Topic' => 'orders/create',
             'X-Shopify-Webhook-Id' => "edge-$n",
             'Content-Type' => 'application/json', %o);
    return join '', map { "$_: $h{$_}\r\n" } grep { defined $h{$_} } sort keys %h;
}

sub shopify {
    my ($b, %o) = @_;
    my $method = delete $o{method} // 'POST';
    return "$method /hooks/shopify HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nContent-Length: " . length($b) . "\r\n"
        . shopify_headers($b, %o) . "\r\n" . $b;
}

sub hmac_req {
    my ($b, %o) = @_;
    $n++;
    my %h = ('X-Signature' => hmac_sha256_hex($b, 'hsecret'),
             'X-Topic' => 'thing/made', 'X-Event-Id' => "hm-$n", %o);
    return "POST /hooks/hmac HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nContent-Length: " . length($b) . "\r\n"
        . join('', map { "$_: $h{$_}\r\n" } grep { defined $h{$_} }
               sort keys %h) . "\r\n" . $b;
}

sub chunked {
    my ($b, $size) = @_;
    my $out = '';
    for (my $i = 0; $i < length $b; $i += $size) {
        my $c = substr($b, $i, $size);
        $out .= sprintf("%x\r\n", length $c) . "$c\r\n";
    }
    return "${out}0\r\n\r\n";
}

sub shopify_chunked {
    my ($b, $size, %o) = @_;
    return "POST /hooks/shopify HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nTransfer-Encoding: chunked\r\n"
        . shopify_headers($b, %o) . "\r\n" . chunked($b, $size);
}

my $big = '{"id":2,"note":"' . ('n' x 20_000) . '"}';      # over 1k: a file
my $over = '{"id":3,"note":"' . ('o' x 70_000) . '"}';     # over 64k
my $b64 = hmac_b64($body, 'hush');
(my $url = $b64) =~ tr{+/}{-_};

# The module's answers, and nginx's own pages.
sub err { [shift, qq({"status":"error","error":"$_[0]"})] }
my $SIG = 'signature mismatch';
my $MALFORMED = 'malformed event: id, topic or account too long or not printable';
my $METHOD = 'method not allowed';

# [name, request parts (strings; a number is a pause in seconds), expected
# [status, body (a string is the whole JSON answer, a regex nginx's page)],
# stored, options: half_close (shut the writing side after the parts),
# counts (the status reason of shop-eu an nginx page adds to; the module's
# answers count by their status, anything else must count nothing)]
my @rows = (
    # truncated and oversized headers
    ['headers cut before their end', ["POST /hooks/shopify HTTP/1.1\r\n"
      . "Host: localhost\r\nX-Shopify-Topic: orders/create\r\n"],
     [undef, undef], 0, half_close => 1],
    ['a header line cut in its name', ["POST /hooks/shopify HTTP/1.1\r\n"
      . "Host: localhost\r\nX-Shopi"], [undef, undef], 0, half_close => 1],
    # nginx logs its 400 for this one (the access log says 400) but cannot
    # send it: counted as format
    ['body shorter than Content-Length',
     [substr(shopify($body), 0, -10)], [undef, undef], 0, half_close => 1,
     counts => 'format'],
    ['a 9 KB header line (large_client_header_buffers 8k)',
     [shopify($body, 'X-Filler' => 'f' x 9000)],
     [400, qr/Request Header Or Cookie Too Large/], 0],
    ['a 5 KB signature header', [shopify($body,
      'X-Shopify-Hmac-Sha256' => 'A' x 5000)], err(401, $SIG), 0],
    ['signature header empty', [shopify($body,
      'X-Shopify-Hmac-Sha256' => '')], err(401, 'missing signature'), 0],
    ['no signature header', [shopify($body, 'X-Shopify-Hmac-Sha256' => undef)],
     err(401, 'missing signature'), 0],
    ['header names in lower case',
     [shopify($body) =~ s/^([A-Za-z-]+):/lc $1 . ':'/gmer], ['accepted'], 1],

    # signatures that are not base64 or not hex
    ['base64 with a line break inside', [shopify($body,
      'X-Shopify-Hmac-Sha256' => substr($b64, 0, 20) . ' ' . substr($b64, 20))],
     err(401, $SIG), 0],
    ['base64 in the URL alphabet', [shopify($body,
      'X-Shopify-Hmac-Sha256' => $url)],
     $url eq $b64 ? ['accepted'] : err(401, $SIG), $url eq $b64 ? 1 : 0],
    ['base64 without its padding', [shopify($body,
      'X-Shopify-Hmac-Sha256' => $b64 =~ s/=+$//r)], err(401, $SIG), 0],
    ['base64 of 31 bytes', [shopify($body,
      'X-Shopify-Hmac-Sha256' => hmac_b64('x', 'y') =~ s/^..../AAA=/r)],
     err(401, $SIG), 0],
    ['base64 with a character outside it', [shopify($body,
      'X-Shopify-Hmac-Sha256' => substr($b64, 0, 10) . '*'
                                 . substr($b64, 11))], err(401, $SIG), 0],
    ['two signature headers, the first wrong',
     [shopify($body, 'X-Shopify-Hmac-Sha256' => 'A' x 43 . '=')
      =~ s/\r\n\r\n/\r\nX-Shopify-Hmac-Sha256: $b64\r\n\r\n/r],
     err(401, $SIG), 0],
    ['hex in upper case', [hmac_req($body,
      'X-Signature' => uc hmac_sha256_hex($body, 'hsecret'))], ['accepted'], 1],
    ['hex with sha256= before it', [hmac_req($body,
      'X-Signature' => 'sha256=' . hmac_sha256_hex($body, 'hsecret'))],
     ['accepted'], 1],
    ['hex of odd length', [hmac_req($body,
      'X-Signature' => substr(hmac_sha256_hex($body, 'hsecret'), 1))],
     err(401, $SIG), 0],
    ['hex with a non-hex digit', [hmac_req($body,
      'X-Signature' => 'g' . substr(hmac_sha256_hex($body, 'hsecret'), 1))],
     err(401, $SIG), 0],
    ['hex of 33 bytes', [hmac_req($body,
      'X-Signature' => hmac_sha256_hex($body, 'hsecret') . '00')],
     err(401, $SIG), 0],
    ['base64 to a hex location', [hmac_req($body,
      'X-Signature' => hmac_b64($body, 'hsecret'))], err(401, $SIG), 0],

    # methods
    (map { my $m = $_; ["method $m", [shopify($body, method => $m)],
                        err(405, $METHOD), 0] } qw(GET PUT DELETE PATCH OPTIONS)),
    ['method HEAD', [shopify($body, method => 'HEAD')], [405, ''], 0],
    ['an unknown method', [shopify($body, method => 'BREW')],
     err(405, $METHOD), 0],
    ['method TRACE (nginx refuses it)', [shopify($body, method => 'TRACE')],
     [405, qr/405 Not Allowed/], 0],

    # chunked, spilled to a file, slow
    ['chunked, in 7-byte chunks', [shopify_chunked($body, 7)], ['accepted'], 1],
    ['chunked over the buffer: spilled to a file',
     [shopify_chunked($big, 4000)], ['accepted'], 1],
    ['chunked with a chunk size that is not hex',
     [shopify_chunked($body, 100) =~ s/\r\n\r\n[0-9a-f]+\r\n/\r\n\r\nzz\r\n/r],
     [400, qr/400 Bad Request/], 0, counts => 'format'],
    ['chunked and Content-Length at once',
     [shopify_chunked($body, 100) =~ s/\r\n\r\n/\r\nContent-Length: 5\r\n\r\n/r],
     [400, qr/400 Bad Request/], 0],
    ['Content-Length over the buffer: spilled to a file', [shopify($big)],
     ['accepted'], 1],
    ['a slow sender, within client_body_timeout',
     do { my $r = shopify($big); my $h = index($r, "\r\n\r\n") + 4;
          [substr($r, 0, $h), 0.4, substr($r, $h, 5000), 0.4,
           substr($r, $h + 5000, 5000), 0.4, substr($r, $h + 10000)] },
     ['accepted'], 1],
    ['a sender that stops in the body (client_body_timeout 2s)',
     [substr(shopify($big), 0, 3000), 4], [undef, undef], 0],
    ['a sender that stops in the headers (client_header_timeout 2s)',
     ["POST /hooks/shopify HTTP/1.1\r\nHost: localhost\r\n", 4],
     [undef, undef], 0],
    ['Content-Length over client_max_body_size', [shopify($over)],
     [413, qr/413 Request Entity Too Large/], 0, counts => 'format'],
    ['chunked over client_max_body_size', [shopify_chunked($over, 8000)],
     [413, qr/413 Request Entity Too Large/], 0, counts => 'format'],

    # topic and id headers: control characters, ':', long values
    ['a control character in the topic', [shopify($body,
      'X-Shopify-Topic' => "orders/cre\x01ate")], err(400, $MALFORMED), 0],
    ['a tab in the event id', [shopify($body,
      'X-Shopify-Webhook-Id' => "a\tb")], err(400, $MALFORMED), 0],
    ['a space in the topic', [shopify($body,
      'X-Shopify-Topic' => 'orders create')], err(400, $MALFORMED), 0],
    ['DEL in the event id', [shopify($body,
      'X-Shopify-Webhook-Id' => "a\x7fb")], err(400, $MALFORMED), 0],
    ['ESC in the shop domain', [shopify($body,
      'X-Shopify-Shop-Domain' => "shop\x1b.example")], err(400, $MALFORMED), 0],
    ['NUL in a header (nginx refuses it)', [shopify($body,
      'X-Shopify-Topic' => "orders\x00create")],
     [400, qr/400 Bad Request/], 0],
    ['a control character in the hmac topic', [hmac_req($body,
      'X-Topic' => "thing\x02")], err(400, $MALFORMED), 0],
    ['spaces around the topic (nginx trims them)', [shopify($body,
      'X-Shopify-Topic' => '   orders/create   ')], ['accepted'], 1],
    [': in the topic', [shopify($body, 'X-Shopify-Topic' => 'orders/x:aa',
      'X-Shopify-Webhook-Id' => 'colon-bb')], ['accepted'], 1],
    [': in the event id, the same key text joined', [shopify($body,
      'X-Shopify-Topic' => 'orders/x', 'X-Shopify-Webhook-Id' => 'aa:colon-bb')],
     ['accepted'], 1],
    ['only : in the id and topic', [hmac_req($body, 'X-Topic' => ':::',
      'X-Event-Id' => '::')], ['accepted'], 1],
    ['an event id of 255 bytes', [shopify($body,
      'X-Shopify-Webhook-Id' => 'i' x 255)], ['accepted'], 1],
    ['an event id of 256 bytes', [shopify($body,
      'X-Shopify-Webhook-Id' => 'i' x 256)], err(400, $MALFORMED), 0],
    ['a topic of 127 bytes', [shopify($body,
      'X-Shopify-Topic' => 'orders/' . ('t' x 120))], ['accepted'], 1],
    ['a topic of 128 bytes', [shopify($body,
      'X-Shopify-Topic' => 'orders/' . ('t' x 121))], err(400, $MALFORMED), 0],
    ['a shop domain of 256 bytes', [shopify($body,
      'X-Shopify-Shop-Domain' => 's' x 256)], err(400, $MALFORMED), 0],
    ['an hmac event id of 4 KB', [hmac_req($body, 'X-Event-Id' => 'e' x 4096)],
     err(400, $MALFORMED), 0],
    ['a topic header of 7 KB', [shopify($body,
      'X-Shopify-Topic' => 'orders/' . ('t' x 7000))], err(400, $MALFORMED), 0],
);

###############################################################################
# one exchange

# sends the parts (a number is a pause), then reads the answer to the end
sub exchange {
    my ($parts, %o) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port('http'),
                                  Timeout => 5) or die "connect: $!\n";
    binmode $s;
    local $SIG{PIPE} = 'IGNORE';
    for my $p (@$parts) {
        if ($p =~ /^\d+(\.\d+)?$/) {
            sleep $p;
            next;
        }
        last unless defined syswrite($s, $p);
    }
    shutdown($s, 1) if $o{half_close};
    my $out = '';
    my $sel = IO::Select->new($s);
    my $end = time + 15;
    while (time < $end && $sel->can_read($end - time)) {
        my $got = sysread($s, my $buf, 65536);
        last unless $got;
        $out .= $buf;
    }
    close $s;
    return $out;
}

# the event ids stored in every stream
# shop-eu's counters, results and reasons in one hash
sub counters {
    my $c = decode_json($t->get('/status')->{content})->{channels}{'shop-eu'}
        // {};
    my %r = %{delete $c->{reasons} // {}};
    return { %$c, map { ("reason $_" => $r{$_}) } keys %r };
}

sub stored {
    my %e;
    for my $s (qw(orders refunds fulfillments stock other)) {
        $e{$_->[1]{event}}++ for @{$t->stream("invsync:$s")};
    }
    return \%e;
}

$t->run;
$t->wait_ready(1) or die "redis not ready\n";
$t->plan(3 * @rows + 2);

my %by_status = (401 => 'signature', 405 => 'method', 400 => 'format');

my $ACCEPTED = qr/^\{"status":"accepted","stream":"invsync:\w+","id":"\d+-\d+"\}$/;

for my $row (@rows) {
    my ($name, $parts, $want, $store, %o) = @$row;
    my $before = stored();
    my $count0 = counters();
    my $keys = $t->redis('DBSIZE');

    my $raw = exchange($parts, %o);
    my $r = $raw eq '' ? { status => undef, content => undef }
                       : InvsyncTest::parse_response($raw);
    my ($status, $content) = ($r->{status}, $r->{content});

    my $ok;
    if (!defined $want->[0]) {
        $ok = !defined $status;                     # closed, no answer
    } elsif ($want->[0] eq 'accepted') {
        $ok = ($status // 0) == 200 && ($content // '') =~ $ACCEPTED;
    } elsif (ref $want->[1]) {
        $ok = ($status // 0) == $want->[0] && ($content // '') =~ $want->[1];
    } else {
        $ok = ($status // 0) == $want->[0] && ($content // '') eq $want->[1]
              && ($want->[1] eq '' || ($r->{headers}{'content-type'} // '')
                                      eq 'application/json');
    }
    ok($ok, "$name: answer")
        or diag('got ' . ($status // 'no answer') . ' '
                . substr($content // '', 0, 200));

    # what the row adds to shop-eu's counters
    my %want;
    if ($parts->[0] =~ m{^\w+ /hooks/shopify }) {
        if (defined $o{counts}) {
            %want = (rejected => 1, "reason $o{counts}" => 1);
        } elsif (($want->[0] // '') eq 'accepted') {
            %want = (accepted => 1);
        } elsif (defined $want->[1] && !ref $want->[1]) {
            %want = (rejected => 1, "reason $by_status{$want->[0]}" => 1);
        }
    }
    my $count1 = counters();
    my %got = map { $_ => $count1->{$_} - ($count0->{$_} // 0) }
              grep { $count1->{$_} != ($count0->{$_} // 0) } keys %$count1;
    is_deeply(\%got, \%want, "$name: counted")
        or diag(explain \%got);

    my $after = stored();
    my @new = grep { ($after->{$_} // 0) > ($before->{$_} // 0) } keys %$after;
    if ($store) {
        is(scalar @new, 1, "$name: one stream entry");
    } else {
        ok(!@new && $t->redis('DBSIZE') == $keys,
           "$name: nothing stored, no key written")
            or diag("new entries: @new");
    }
}

# both ':' events of the table are there: their keys differ
my $e = stored();
ok($e->{'colon-bb'} && $e->{'aa:colon-bb'},
   'topic "orders/x:aa" with id "colon-bb" and topic "orders/x" with id '
   . '"aa:colon-bb": two events');

my $st = decode_json($t->get('/status')->{content})->{channels}{'shop-eu'};
is($st->{reasons}{method}, 7, 'the module\'s 405s counted as method')
    or diag(explain $st);

$t->done;
