#!/usr/bin/perl

# Request bodies: bodies larger than client_body_buffer_size (written to a
# temporary file by nginx) are verified and stored byte for byte, as is a
# body holding every escaped control character but NUL (which the worker
# cannot read: t/body_agree.t), every printable ASCII
# character and multibyte UTF-8, and a chunked request; a body over
# client_max_body_size gets 413 and nothing is stored; an empty body is not
# JSON (400); other methods than POST get 405 with Allow: POST, and every
# refusal is counted.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use JSON::PP;
use InvsyncTest qw(hmac_b64);

my $secret = 'hush';

my $t = InvsyncTest->setup(
    secrets => { 'hook.secret' => $secret },
    locations => <<'EOF');
        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/hook.secret;
            client_body_buffer_size 1k;
            client_max_body_size 4m;
        }

        location = /status {
            invsync_status;
        }
EOF

$t->run;
$t->wait_ready(1) or die "redis not ready\n";
$t->plan(28);

my $n = 0;

sub headers {
    my ($body, %o) = @_;
    $n++;
    return ('X-Shopify-Hmac-Sha256' => hmac_b64($body, $secret),
            'X-Shopify-Topic' => 'orders/create',
            'X-Shopify-Webhook-Id' => "wh-$n",
            'Content-Type' => 'application/json', %o);
}

sub answer {
    my ($r) = @_;
    return join ' ', $r->{status}, $r->{headers}{'content-type'} // '-',
                     $r->{content};
}

my $ACCEPTED = qr/^200 application\/json \{"status":"accepted","stream":"invsync:orders","id":"(\d+-\d+)"\}$/;

# the body of the entry $id
sub stored {
    my ($id) = @_;
    my $r = $t->redis('XRANGE', 'invsync:orders', $id, $id);
    return undef unless ref $r && @$r;
    my %f = @{$r->[0][1]};
    return $f{body};
}

###############################################################################
# bodies written to a temporary file

for my $size (300_000, 1_500_000) {
    my $fill = join '', map { chr(97 + $_ % 26) } 0 .. 999;
    my $body = '{"id":1,"lines":"' . ($fill x int($size / 1000)) . '"}';
    my $r = $t->post('/hooks/shopify', $body, headers($body));
    my ($id) = answer($r) =~ $ACCEPTED;
    ok($id, "$size byte body accepted") or diag(substr(answer($r), 0, 300));
    my $got = stored($id // '0');
    ok(defined $got && $got eq $body, "$size byte body stored byte for byte")
        or diag('stored ' . length($got // '') . ' of ' . length($body));
}

# one byte over the buffer, one byte under, exactly at it
for my $size (1023, 1024, 1025) {
    my $body = '{"x":"' . ('y' x ($size - 8)) . '"}';
    my ($id) = answer($t->post('/hooks/shopify', $body, headers($body)))
        =~ $ACCEPTED;
    is(stored($id // '0'), $body, "$size byte body stored");
}

###############################################################################
# every character a JSON string may hold

my $all = join '', map { sprintf '\\u%04x', $_ } 1 .. 0x1f;
$all .= join '', map { my $c = chr; $c eq '"' || $c eq '\\' ? "\\$c" : $c }
        0x20 .. 0x7e;
$all .= '\\u007f';
my $utf8 = "\xc3\xa9\xc3\xbc\xe2\x82\xac\xe4\xb8\xad\xe6\x96\x87"
    . "\xf0\x9f\x93\xa6\xf0\x9f\x98\x80\xd7\xa9\xd0\x96";
my $body = '{"id":2,"all":"' . $all . '","utf8":"' . $utf8 . '"}';
ok(eval { JSON::PP->new->utf8->decode($body) }, 'the body is valid JSON');
my ($id) = answer($t->post('/hooks/shopify', $body, headers($body)))
    =~ $ACCEPTED;
ok($id, 'every character accepted');
is(stored($id // '0'), $body, 'every character stored byte for byte');

###############################################################################
# chunked

$body = '{"id":3,"chunked":"' . ('z' x 3000) . '"}';
my %h = headers($body);
my $req = "POST /hooks/shopify HTTP/1.1\r\nHost: localhost\r\n"
    . "Connection: close\r\nTransfer-Encoding: chunked\r\n"
    . join('', map { "$_: $h{$_}\r\n" } sort keys %h) . "\r\n";
for (my $i = 0; $i < length $body; $i += 700) {
    my $c = substr($body, $i, 700);
    $req .= sprintf("%x\r\n", length $c) . "$c\r\n";
}
$req .= "0\r\n\r\n";
my $r = InvsyncTest::parse_response($t->raw($req));
($id) = answer($r) =~ $ACCEPTED;
ok($id, 'chunked request accepted') or diag(answer($r));
is(stored($id // '0'), $body, 'chunked body stored exactly');

###############################################################################
# refusals

my $before = scalar @{$t->stream('invsync:orders')};
my $keys = $t->redis('DBSIZE');

# over client_max_body_size: nginx answers before the body is sent (and
# before the module runs); chunked, once the limit is passed
$SIG{PIPE} = 'IGNORE';
my $big = "POST /hooks/shopify HTTP/1.1\r\nHost: localhost\r\n"
    . "Connection: close\r\nX-Shopify-Hmac-Sha256: " . hmac_b64('x', $secret)
    . "\r\nX-Shopify-Topic: orders/create\r\nX-Shopify-Webhook-Id: big\r\n";
$r = first_response($t->raw("${big}Content-Length: 5000000\r\n\r\n"
                            . ('a' x 1000), keep => 1));
is($r->{status}, 413, 'Content-Length over client_max_body_size: 413');
my $chunk = 'a' x 65536;
$r = first_response($t->raw("${big}Transfer-Encoding: chunked\r\n\r\n"
    . (sprintf("%x\r\n%s\r\n", length $chunk, $chunk) x 70), keep => 1));
is($r->{status}, 413, 'chunked body over client_max_body_size: 413');
$r = first_response($t->raw("${big}Transfer-Encoding: chunked\r\n\r\n"
                            . "500000\r\n" . ('a' x 100), keep => 1));
is($r->{status}, 413, 'a chunk announced over client_max_body_size: 413');

# reads one answer off a socket, without waiting for the connection to close
sub first_response {
    my ($s) = @_;
    my $raw = '';
    my $sel = IO::Select->new($s);
    while ($sel->can_read(5)) {
        my $got = sysread($s, my $buf, 65536);
        last unless $got;
        $raw .= $buf;
        last if $raw =~ /\r\n\r\n/
                && $raw =~ /Content-Length: (\d+)/i
                && length($raw) >= index($raw, "\r\n\r\n") + 4 + $1;
    }
    close $s;
    return InvsyncTest::parse_response($raw);
}

# empty body, signed
my $mark = length $t->error_log;
$r = $t->post('/hooks/shopify', '', headers(''));
is(answer($r), '400 application/json {"status":"error","error":"body is not valid JSON"}',
   'empty body: 400 not JSON');
like(substr($t->error_log, $mark),
     qr/\[warn\] .*invsync: body is not valid JSON, scheme "shopify", channel "shop-eu", body 0 bytes/,
     'logged at warn');

# not POST
for my $m (qw(GET HEAD PUT DELETE)) {
    my $rr = $t->http->request($m, $t->url('/hooks/shopify'),
                               $m eq 'PUT' ? { content => '{"a":1}' } : {});
    is(join(' ', $rr->{status}, $rr->{headers}{allow} // '-',
            $rr->{headers}{'content-type'} // '-', $rr->{content} // ''),
       "405 POST application/json "
       . ($m eq 'HEAD' ? '' : '{"status":"error","error":"method not allowed"}'),
       "$m: 405 with Allow: POST");
}
like(substr($t->error_log, $mark), qr/\[warn\] .*invsync: method "PUT" not allowed/,
     'method logged at warn');

is(scalar @{$t->stream('invsync:orders')}, $before, 'no refusal stored');
is($t->redis('DBSIZE'), $keys, 'no key written');

my $st = decode_json($t->get('/status')->{content})->{channels}{'shop-eu'};
is($st->{accepted}, 7, 'accepted counted');
is($st->{reasons}{method}, 4, '405s counted as method');
# nginx answers the Content-Length 413 before the handler runs: the
# module's log phase counts it with the two chunked ones
is($st->{rejected}, 8, 'refusals counted: 4 methods, 3 413s, one 400')
    or diag(explain $st);
is($st->{reasons}{format}, 4, 'the 413s and the 400 counted as format');

$t->done;
