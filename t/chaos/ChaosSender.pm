package ChaosSender;

# The sender of the fault run: signed Shopify orders/create webhooks and
# refunds/create for some of their orders, every event several times, in
# one shuffled order split over several child processes, each on its own
# keep-alive connection.  A delivery that gets
# no answer or a 5xx is sent again after a pause, as a channel retries,
# until it gets another answer or its retry deadline passes.  Each child
# writes one line per delivery, with every answer it got, to its own file:
# the sender's record, independent of anything the system under test keeps.

use strict;
use warnings;

use IO::Socket::INET;
use IO::Select;
use POSIX ();
use Time::HiRes qw(sleep time);
use JSON::PP;
use List::Util qw(shuffle);
use InvsyncTest qw(hmac_b64);

my $JSON = JSON::PP->new->canonical;

# The events: $n orders, 1 to 3 lines each over $skus SKUs; a seeded
# random, so that a seed gives the same run; after every $every-th order
# (0: none) a refund of one unit of its first line, restocked, as its own
# event next to it (so that it may come before its order, as Shopify's
# webhooks may).  Each is {kind => 'order' or 'refund', id, event, topic,
# body, lines => [[sku, qty, line id]]}, a refund's {order} its order id.
sub orders {
    my ($n, $skus, $seed, $every) = @_;
    srand($seed);
    my @o;
    for my $i (1 .. $n) {
        my $id = 7_000_000_000 + $i;
        my (@lines, @items);
        for my $k (1 .. 1 + int rand 3) {
            my $sku = sprintf 'CH-%03d', int rand $skus;
            my $qty = 1 + int rand 3;
            my $lid = $id * 10 + $k;
            push @lines, [$sku, $qty, $lid];
            push @items, { id => $lid, sku => $sku, quantity => $qty,
                           price => '2.50' };
        }
        my $ts = '2026-11-20T10:00:00Z';
        my $body = $JSON->encode({ id => $id, created_at => $ts,
            updated_at => $ts, currency => 'EUR', total_price => '1.00',
            financial_status => 'paid', line_items => \@items,
            # where a label or a 3PL order sends it (CHAOS_SHIP)
            shipping_address => { name => "Buyer $i", address1 => '1 Rue',
                city => 'Paris', zip => '75001', country_code => 'FR' } });
        push @o, { kind => 'order', id => $id, event => "chaos-$seed-$i",
                   topic => 'orders/create', body => $body,
                   lines => \@lines };
        push @o, refund($id, $i, $seed, $lines[0]) if $every && !($i % $every);
    }
    return \@o;
}

sub refund {
    my ($order, $i, $seed, $line) = @_;
    my ($sku, $qty, $lid) = @$line;
    my $id = 8_000_000_000 + $i;
    my $ts = '2026-11-21T10:00:00Z';
    my $body = $JSON->encode({ id => $id, order_id => $order,
        created_at => $ts, processed_at => $ts, restock => JSON::PP::false,
        refund_line_items => [ { id => $i, line_item_id => $lid,
            quantity => 1, restock_type => 'return', subtotal => 2.5,
            total_tax => 0, line_item => { id => $lid, sku => $sku,
                                           quantity => $qty } } ],
        transactions => [ { id => $i, kind => 'refund', status => 'success',
                            amount => '2.50', currency => 'EUR' } ] });
    return { kind => 'refund', id => $id, order => $order,
             event => "chaos-$seed-r$i", topic => 'refunds/create',
             body => $body, lines => [[$sku, 1, $lid]] };
}

# One request, as Shopify sends it.
sub request {
    my ($o, $secret) = @_;
    my $b = $o->{body};
    return "POST /hooks/shopify HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: application/json\r\n"
        . 'Content-Length: ' . length($b) . "\r\n"
        . "X-Shopify-Topic: $o->{topic}\r\n"
        . 'X-Shopify-Hmac-Sha256: ' . hmac_b64($b, $secret) . "\r\n"
        . "X-Shopify-Shop-Domain: chaos.myshopify.com\r\n"
        . "X-Shopify-API-Version: 2026-04\r\n"
        . "X-Shopify-Webhook-Id: $o->{event}\r\n"
        . "X-Shopify-Event-Id: $o->{event}\r\n\r\n$b";
}

# Starts $o{senders} children over the deliveries ($o{copies} of each
# order, shuffled by windows of $o{window} orders); returns their pids and
# result files.  Delivery k of the shuffled list goes to child
# k % senders, which sends it only once the gate (gate(), a file) is above
# k: the faults are made while the senders have work, and the number sent
# before the gate stops them is exactly the gate.
sub start {
    my ($t, $orders, %o) = @_;
    my @d = deliveries(scalar @$orders, $o{copies}, $o{window});
    my (@pids, @files);
    for my $c (0 .. $o{senders} - 1) {
        my $file = $t->dir . "/sender.$c";
        push @files, $file;
        my @mine = map { [$_, @{$d[$_]}] }
                   grep { $_ % $o{senders} == $c } 0 .. $#d;
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            # never through the parent's destructors: they stop the run
            my $ok = eval { child($t, $orders, \@mine, $file, %o); 1 };
            print STDERR "chaos: sender $c: $@" unless $ok;
            POSIX::_exit($ok ? 0 : 1);
        }
        push @pids, $pid;
    }
    return (\@pids, \@files);
}

# The deliveries, [order index, copy]: the copies of each window of
# $window orders shuffled together, window after window, so that new
# events (not only copies) keep coming all through the run, as they do
# from a shop, while every copy of an event comes in any order.
sub deliveries {
    my ($n, $copies, $window) = @_;
    my @d;
    for (my $w = 0; $w < $n; $w += $window) {
        my $last = $w + $window - 1 < $n ? $w + $window - 1 : $n - 1;
        push @d, shuffle map { my $i = $_; map { [$i, $_] } 1 .. $copies }
                 $w .. $last;
    }
    return @d;
}

# Lets the senders go up to delivery $n (not included).
sub gate {
    my ($t, $n) = @_;
    $t->write_file('gate.tmp', "$n\n");
    rename $t->dir . '/gate.tmp', $t->dir . '/gate' or die "gate: $!";
}

# Waits until the gate is above $k; ends the child if the run has ended.
sub wait_gate {
    my ($t, $k, $gate, $parent) = @_;
    while ($k >= $$gate) {
        POSIX::_exit(1) if getppid != $parent;
        sleep 0.02;
        my $g = $t->read_file('gate');
        $$gate = $1 if $g =~ /^(\d+)\n/;
    }
}

# A child: its deliveries in order, one line each:
# "<order index> <copy> <final status> <answer word> <status,status,...>",
# a status 0 for no answer (connection refused, reset, timeout).
sub child {
    my ($t, $orders, $mine, $file, %o) = @_;
    open my $out, '>', $file or die "$file: $!";
    $out->autoflush(1);
    my $conn = { addr => '127.0.0.1:' . $t->port('http') };
    my ($gate, $parent) = (0, getppid);
    for my $x (@$mine) {
        my ($k, $i, $copy) = @$x;
        wait_gate($t, $k, \$gate, $parent);
        my $req = request($orders->[$i], $o{secret});
        my $until = time + $o{retry_s};
        my ($pause, @seen, $st, $word) = (0.05);
        while (1) {
            POSIX::_exit(1) if getppid != $parent;
            ($st, $word) = exchange($conn, $req);
            push @seen, $st;
            last if $st && $st < 500;
            last if time > $until;
            sleep $pause;
            $pause = $pause * 2 > 1 ? 1 : $pause * 2;
        }
        print $out "$i $copy $st $word " . join(',', @seen) . "\n";
    }
    close $out;
}

# One request on the child's connection, opened again when needed; returns
# (status, word): the status 0 when no whole answer came, the word the
# answer's "status" member ("accepted", "duplicate", "error") or "-".
sub exchange {
    my ($conn, $req) = @_;
    my $s = $conn->{s} //= IO::Socket::INET->new(PeerAddr => $conn->{addr},
                                                 Timeout => 5);
    return (0, '-') unless $s;
    binmode $s;
    my ($st, $body, $close) = (0, '', 1);
    if (defined syswrite($s, $req)) {
        ($st, $body, $close) = answer($s);
    }
    if ($close || !$st) {
        close $s;
        delete $conn->{s};
    }
    my ($w) = $body =~ /"status":"(\w+)"/;
    return ($st, $w // '-');
}

# Reads one answer: (status, body, whether the connection ends), status 0
# if it does not come whole within 30 s.
sub answer {
    my ($s) = @_;
    my ($buf, $sel, $end) = ('', IO::Select->new($s), time + 30);
    my ($head, $need);
    while (1) {
        if (!defined $head && $buf =~ /\r\n\r\n/) {
            ($head) = $buf =~ /^(.*?\r\n)\r\n/s;
            $buf = substr($buf, length($head) + 2);
            ($need) = $head =~ /^Content-Length:\s*(\d+)/mi;
            $need //= 0;
        }
        if (defined $head && length($buf) >= $need) {
            my ($st) = $head =~ m{^HTTP/1\.\d (\d{3})};
            my $close = $head =~ /^Connection:\s*close/mi ? 1 : 0;
            return ($st // 0, substr($buf, 0, $need), $close);
        }
        my $left = $end - time;
        return (0, '', 1) if $left <= 0 || !$sel->can_read($left);
        my $n = sysread($s, $buf, 65536, length $buf);
        return (0, '', 1) unless $n;
    }
}

# The sender's record from the children's files: per order index, the
# final statuses and words of its deliveries, and every answer by status.
sub record {
    my (@files) = @_;
    my (%by_order, %answers, %finals, $deliveries);
    for my $f (@files) {
        open my $fh, '<', $f or die "$f: $!";
        while (my $l = <$fh>) {
            my ($i, $c, $st, $w, $seen) = split ' ', $l;
            next unless defined $seen;
            $deliveries++;
            push @{$by_order{$i}}, [$st, $w, $seen];
            $answers{$_ || 'none'}++ for split /,/, $seen;
            $finals{$st ? "$st $w" : "none"}++;
        }
        close $fh;
    }
    return { by_order => \%by_order, answers => \%answers, finals => \%finals,
             deliveries => $deliveries // 0 };
}

# How many deliveries the children have finished: lines in their files.
sub progress {
    my (@files) = @_;
    my $n = 0;
    for my $f (@files) {
        open my $fh, '<', $f or next;
        $n++ while <$fh>;
        close $fh;
    }
    return $n;
}

1;
