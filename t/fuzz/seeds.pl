#!/usr/bin/perl

# Seed corpora and dictionaries of the fuzz targets, made at build time
# from the tree (t/fuzz/README.md): the signature vectors (t/vectors/) and
# the normalizers' fixtures (t/fixtures/) in each target's input format,
# t/fuzz/json.dict with the header names, JSON member names and topics
# they hold.  Usage: seeds.pl OUTDIR; writes OUTDIR/seeds/<target>/ and
# OUTDIR/<target>.dict, replacing what was there.

use strict;
use warnings;

use File::Path qw(make_path remove_tree);
use JSON::PP;

my $out = shift or die "usage: $0 OUTDIR\n";
my $root = '.';

# the tables' order is the targets' first byte (src/channels/*.c)
my @schemes = table("$root/src/channels/invsync_schemes.c", 'scheme');
my @types = grep { -f "$root/src/channels/$_/invsync_normalize_$_.c" }
            table("$root/src/channels/invsync_channel.c", 'channel');
my %scheme_ix = map { $schemes[$_] => $_ } 0 .. $#schemes;
my %type_ix = map { $types[$_] => $_ } 0 .. $#types;

@schemes or die "$0: no scheme in src/channels/invsync_schemes.c\n";
@types or die "$0: no channel with a normalizer\n";

my (%seeds, %dict);

sub table {
    my ($file, $kind) = @_;
    my $text = slurp($file);
    return $text =~ /&invsync_${kind}_(\w+)/g;
}

sub slurp {
    my ($file) = @_;
    open my $fh, '<:raw', $file or die "$0: $file: $!\n";
    local $/;
    my $s = <$fh>;
    return $s // '';
}

# a vector's optional file, trailing newline stripped (t/vectors/README.md)
sub field {
    my ($dir, $name) = @_;
    return undef unless -f "$dir/$name";
    my $s = slurp("$dir/$name");
    $s =~ s/\n\z//;
    return $s;
}

sub seed {
    my ($target, $name, $bytes) = @_;
    $seeds{$target}{$name} = $bytes;
}

sub word {
    my ($target, $word) = @_;
    utf8::encode($word) if utf8::is_utf8($word);
    $dict{$target}{$word} = 1 if length $word && length $word <= 64;
}

# every member name of a JSON document, for the normalizers' dictionary
sub names {
    my ($v, $acc) = @_;
    if (ref $v eq 'HASH') {
        for my $k (keys %$v) {
            $acc->{$k} = 1;
            names($v->{$k}, $acc);
        }
    } elsif (ref $v eq 'ARRAY') {
        names($_, $acc) for @$v;
    }
}

my $json = JSON::PP->new->utf8->allow_nonref;

# scheme: <scheme byte><flags>name: value lines, :pseudo lines, "\n", body
for my $dir (sort glob "$root/t/vectors/*/*") {
    next unless -d $dir;
    my ($scheme, $case) = $dir =~ m{([^/]+)/([^/]+)$};
    next unless exists $scheme_ix{$scheme};

    my $headers = -f "$dir/headers" ? slurp("$dir/headers") : '';
    $headers .= "\n" if length $headers && $headers !~ /\n\z/;
    my $meta = '';

    for my $line (split /\n/, $headers) {
        word('scheme', "$1: ") if $line =~ /^([^:]+):/;
    }

    for my $s (split /\n/, -f "$dir/secret" ? slurp("$dir/secret") : '') {
        $meta .= ":secret: $s\n";
    }

    for (['url', ':url'], ['app_key', ':app-key'], ['now', ':now'],
         ['tolerance', ':tolerance'], ['content_type', ':content-type'])
    {
        my $v = field($dir, $_->[0]);
        $meta .= "$_->[1]: $v\n" if defined $v;
    }

    my $enc = field($dir, 'encoding') // 'hex';
    my $body = -f "$dir/body" ? slurp("$dir/body") : '';

    seed('scheme', "$scheme-$case",
         chr($scheme_ix{$scheme}) . chr($enc eq 'base64' ? 1 : 0)
         . $headers . $meta . "\n" . $body);

    my ($topic, $event) = (field($dir, 'topic'), field($dir, 'event'));

    if (defined $event) {
        $topic //= '';
        seed('keys', "$scheme-$case",
             join("\n", 'invsync', 'orders', $scheme, $topic, $event,
                  $scheme, $topic, $event));
        word('keys', $_) for grep { length } $topic, $event;
    }

    if (exists $type_ix{$scheme} && defined $topic && length $topic) {
        my $account = field($dir, 'account') // '';
        seed('normalize', "$scheme-$case",
             chr($type_ix{$scheme}) . "$topic\n$account\n"
             . ($event // '') . "\n$body");
        word('normalize', $topic);
    }
}

word('scheme', "$_: ") for qw(:secret :url :app-key :now :tolerance
                              :content-type x-signature x-event-id x-topic);
word('scheme', $_) for 'sha256=', 'v1=', 't=', 'v1,', 'Bearer ', 'whsec_';

# normalize: <type byte>topic\naccount\nevent\nbody, from the fixtures
# (t/fixtures/<type>/<case>/: its topic and body.json)
for my $dir (sort glob "$root/t/fixtures/*/*") {
    my ($type, $base) = $dir =~ m{([^/]+)/([^/]+)$};
    next unless exists $type_ix{$type} && -f "$dir/body.json";

    my $topic = slurp("$dir/topic");
    $topic =~ s/\s+$//;

    my $body = slurp("$dir/body.json");
    seed('normalize', "$type-$base",
         chr($type_ix{$type}) . "$topic\nshop.example\ne-$base\n$body");
    word('normalize', $topic);

    my %names;
    names(eval { $json->decode($body) }, \%names);
    word('normalize', "\"$_\":") for keys %names;
}

# json: every fixture's body, and the cases the worker refuses
for my $file (sort glob "$root/t/fixtures/*/*/body.json") {
    my ($type, $base) = $file =~ m{([^/]+)/([^/]+)/body\.json$};
    seed('json', "$type-$base", slurp($file));
}

seed('json', 'nul', '{"a":"\\u0000"}');
seed('json', 'duplicate', '{"a":1,"b":{"c":1,"c":2}}');
seed('json', 'range', '[9223372036854775808]');
word('json', $_) for ('\\u0000', '\\\\', '9223372036854775808',
                      '18446744073709551615', '-9223372036854775809');

# keys: the issue's pair, and lengths that look like parts
seed('keys', 'issue-13-pair',
     join("\n", qw(invsync orders shop orders/x aa:bb shop orders/x:aa bb)));
seed('keys', 'empty', '');
word('keys', $_) for (':', '{', '}', '}:idem', ':1:', ':10:', "\n");

# credentials: the file's forms, and the edges of its limits
seed('credentials', 'password', "s3cret\n");
seed('credentials', 'password-crlf', "s3cret\r\n");
seed('credentials', 'user-password', "ingest pw 1 2\n");
seed('credentials', 'empty-user', " password\n");
seed('credentials', 'long', ('u' x 128) . ' ' . ('p' x 512) . "\r\n");
word('credentials', $_) for (' ', "\n", "\r\n", "\t", "\0", 'default ');

# routing: each case of t/routing/ as one document, its file's
# configuration, stock, tags and components with the case's order
for my $file (sort glob "$root/t/routing/*.json") {
    my ($base) = $file =~ m{([^/]+)\.json$};
    my $doc = $json->decode(slurp($file));
    my %names;
    names($doc, \%names);
    word('routing', "\"$_\":") for keys %names;
    word('routing', $_) for qw(priority fewest_shipments nearest most_stock
                               warehouse 3pl manual cheapest fastest);
    my $n = 0;

    for my $case (@{ $doc->{cases} // [ {} ] }) {
        my %in = map { exists $doc->{$_} ? ($_ => $doc->{$_}) : () }
                 qw(locations routing stock tags components);
        $in{order} = $case->{order} if $case->{order};
        seed('routing', "$base-" . $n++, JSON::PP->new->utf8->canonical
                                         ->encode(\%in));
    }
}

# journal: each case of t/journal/ as one document, without its expected
# answer: its refund, costs, accounts (and date)
for my $file (sort glob "$root/t/journal/*.json") {
    my ($base) = $file =~ m{([^/]+)\.json$};
    my $doc = $json->decode(slurp($file));
    my %in = map { exists $doc->{$_} ? ($_ => $doc->{$_}) : () }
             qw(refund costs accounts date);
    my %names;
    names(\%in, \%names);
    word('journal', "\"$_\":") for keys %names;
    word('journal', "\"$_\"") for keys %{ $doc->{accounts} // {} };
    seed('journal', $base, JSON::PP->new->utf8->canonical->encode(\%in));
}

word('journal', $_) for qw("damaged" "none" "refund" "order" "restocked");

# answers: <row><op><case>status\nheaders\n\nbody, every recorded answer
# of t/channels/<type>/<op>/<case>/ (t/channels/README.md), a read's
# next/ answers after it, each behind a form feed's line; the case byte
# is the case's place in its folder, in name order
my @rows = table("$root/src/channels/invsync_channel.c", 'channel');
my %ops = (push => 0, read => 1, poll => 2, track => 3);
my $compact = JSON::PP->new->utf8->canonical->allow_nonref;

sub answer {
    my ($dir) = @_;
    my $a = $json->decode(slurp("$dir/answer.json"));
    my $text = ($a->{status} // 200) . "\n";
    $text .= "Retry-After: $a->{retry_after}\n" if defined $a->{retry_after};

    for my $h (sort keys %{ $a->{headers} // {} }) {
        my $v = $a->{headers}{$h};
        $text .= defined $v ? "$h: $v\n" : "$h\n";
        word('answers', "$h: ");
    }

    my %names;
    names($a->{body}, \%names);
    word('answers', "\"$_\":") for keys %names;

    return $text . "\n" . (-f "$dir/answer.body" ? slurp("$dir/answer.body")
                         : exists $a->{body} ? $compact->encode($a->{body})
                         : '');
}

for my $r (0 .. $#rows) {
    for my $op (sort keys %ops) {
        my @cases = grep { -d } sort glob "$root/t/channels/$rows[$r]/$op/*";

        for my $c (0 .. $#cases) {
            my $dir = $cases[$c];
            next unless -f "$dir/answer.json";
            my ($case) = $dir =~ m{([^/]+)$};
            my $text = answer($dir);

            while (-f "$dir/next/answer.json") {
                $dir .= '/next';
                $text .= "\n\f\n" . answer($dir);
            }

            seed('answers', "$rows[$r]-$op-$case",
                 chr($r) . chr($ops{$op}) . chr($c) . $text);
        }
    }
}

word('answers', $_) for ('Retry-After: ', 'rel="next"', 'rel="previous"',
                         '; ', '<', '>', "\n\n", "\n\f\n", '200', '400',
                         '404');

# replies: <op><row><step>status\nheaders\n\nbody (t/fuzz/fuzz_replies.c):
# the 3PLs' recorded answers of t/providers/, and an answer of each shape
# the other parsers read; the row byte is the place among the rows that
# have the operation, in table order
my @tpls = table("$root/src/channels/invsync_providers_3pl.c", '3pl');
my %tpl_ops = (find => 4, create => 5, get => 6, cancel => 7);

for my $r (0 .. $#tpls) {
    for my $op (sort keys %tpl_ops) {
        for my $dir (grep { -d } sort glob "$root/t/providers/$tpls[$r]/$op/*") {
            next unless -f "$dir/answer.json";
            my ($case) = $dir =~ m{([^/]+)$};
            seed('replies', "$tpls[$r]-$op-$case",
                 chr($tpl_ops{$op}) . chr($r) . chr(0) . answer($dir));
        }
    }
}

# the channel rows that fill an operation, in table order
sub rows_with {
    my ($member) = @_;
    return grep {
        my $type = $_;
        grep { slurp($_) =~ /\.$member\s*=/ } glob "$root/src/channels/$type/*.c"
    } @rows;
}

my %reply_rows = (0 => [ rows_with('refund_parse') ],
                  1 => [ rows_with('refunds_parse') ],
                  2 => [ rows_with('disposition_parse') ]);

sub reply {
    my ($name, $op, $type, $step, $status, $body) = @_;
    my @r = $type eq '' ? (0) : grep { $reply_rows{$op}[$_] eq $type }
                                     0 .. $#{ $reply_rows{$op} };
    return unless @r;
    seed('replies', $name, chr($op) . chr($r[0]) . chr($step)
                           . "$status\n\n" . $body);
    my %names;
    names(eval { $json->decode($body) }, \%names);
    word('replies', "\"$_\":") for keys %names;
}

my $gid = 'gid://shopify';
reply('shopify-refund-look', 0, 'shopify', 0, 200, qq({"data":{"order":{)
      . qq("id":"$gid/Order/1001","currencyCode":"EUR","refunds":[{"id":)
      . qq("$gid/Refund/9","note":"other"}],"lineItems":{"nodes":[{"id":)
      . qq("$gid/LineItem/11","refundableQuantity":2},{"id":)
      . qq("$gid/LineItem/12","refundableQuantity":1}]},"suggestedRefund":)
      . qq({"suggestedTransactions":[{"gateway":"bogus","amountSet":)
      . qq({"shopMoney":{"amount":"35.00"}},"parentTransaction":{"id":)
      . qq("$gid/OrderTransaction/5"}}]}}},"extensions":{"cost":)
      . qq({"requestedQueryCost":10,"actualQueryCost":10,"throttleStatus":)
      . qq({"maximumAvailable":1000,"currentlyAvailable":990,)
      . qq("restoreRate":50}}}}));
reply('shopify-refund-look-ours', 0, 'shopify', 0, 200, qq({"data":{"order":)
      . qq({"id":"$gid/Order/1001","currencyCode":"EUR","refunds":[{"id":)
      . qq("$gid/Refund/9","note":"Returned [invsync:return:shop:RMA-1:1]"}]}}}));
reply('shopify-refund-create', 0, 'shopify', 2, 200, qq({"data":)
      . qq({"refundCreate":{"refund":{"id":"$gid/Refund/77"},"userErrors":[]}}}));
reply('shopify-refund-refused', 0, 'shopify', 2, 200, qq({"data":)
      . qq({"refundCreate":{"refund":null,"userErrors":[{"field":["x"],)
      . qq("message":"Refund amount exceeds"}]}}}));
reply('woo-refund-look', 0, 'woocommerce', 0, 200, qq([{"id":501,"reason":)
      . qq("Damaged","line_items":[{"id":9,"quantity":-1,"meta_data":[{"key":)
      . qq("_refunded_item_id","value":"11"}]}]}]));
reply('woo-refund-order', 0, 'woocommerce', 1, 200, qq({"id":1001,"currency":)
      . qq("EUR","line_items":[{"id":11,"quantity":2,"total":"20.00","taxes":)
      . qq([{"id":1,"total":"3.80"}]},{"id":12,"quantity":1,"total":"15.00",)
      . qq("taxes":[]}]}));
reply('woo-refund-create', 0, 'woocommerce', 2, 201, '{"id":777}');
reply('woo-refund-declined', 0, 'woocommerce', 2, 500, qq({"code":)
      . qq("woocommerce_rest_cannot_create_order_refund","message":"Declined"}));
reply('woo-refunds', 1, 'woocommerce', 0, 200, qq([{"id":502,"amount":"5.00",)
      . qq("reason":"","line_items":[{"id":9,"quantity":-1,"refund_total":-5}]},)
      . qq({"id":88}]));
reply('shopify-disposition', 2, 'shopify', 0, 200, qq({"data":)
      . qq({"reverseFulfillmentOrder":{"return":{"id":"$gid/Return/7"},)
      . qq("order":{"id":"$gid/Order/1001"},"lineItems":{"pageInfo":)
      . qq({"hasNextPage":false},"nodes":[{"id":)
      . qq("$gid/ReverseFulfillmentOrderLineItem/3","fulfillmentLineItem":)
      . qq({"lineItem":{"id":"$gid/LineItem/11"}}}]}}}}));
reply('shopify-disposition-none', 2, 'shopify', 0, 200,
      '{"data":{"reverseFulfillmentOrder":null}}');
reply('label-shipment', 3, '', 0, 200, qq({"id":"shp_1","tracking_code":)
      . qq("9400111899223197428490","postage_label":{"label_url":)
      . qq("https://easypost.example/l.png"},"tracker":{"public_url":)
      . qq("https://track.example/1"},"refund_status":null,"selected_rate":)
      . qq({"id":"rate_1","carrier":"USPS","service":"Priority","currency":)
      . qq("USD","rate":"7.58","delivery_days":2},"rates":[{"id":"rate_1",)
      . qq("carrier":"USPS","service":"Priority","currency":"USD","rate":)
      . qq("7.58","delivery_days":2},{"id":"rate_2","carrier":"UPS",)
      . qq("service":"Ground","currency":"USD","rate":"9.10"}]}));
reply('label-refused', 3, '', 0, 422, qq({"error":{"code":)
      . qq("ADDRESS.VERIFY.FAILURE","message":"Unable to verify address.",)
      . qq("errors":[{"field":"street1","message":"Address not found"}]}}));
word('replies', $_) for ('Retry-After: ', "\n\n", '200', '201', '404',
                         '422', 'gid://shopify/', '[invsync:',
                         '9223372036854775807', '-9223372036854775808',
                         '1e308', '\\u0000', '\\n');

# pairs: what Redis answers to routing's HGETALL stock:<sku>, alone and
# pipelined with what follows it (t/fuzz/fuzz_pairs.c)
sub resp {
    my @v = @_;
    return '*' . @v . "\r\n" . join('', map { '$' . length($_) . "\r\n$_\r\n" } @v);
}
my $ledger = resp(map { ("on_hand:loc-$_", 1000, "reserved:loc-$_", $_) } 0 .. 49);
seed('pairs', 'ledger-50', $ledger);
seed('pairs', 'ledger-pipelined', $ledger . resp('unrouted', 2) . "*0\r\n"
     . ":1\r\n" . $ledger);
seed('pairs', 'empty', "*0\r\n");
seed('pairs', 'wrongtype', "-WRONGTYPE Operation against a key holding the "
     . "wrong kind of value\r\n" . $ledger);
seed('pairs', 'cut-short', substr($ledger, 0, 700));
seed('pairs', 'odd', resp('on_hand:w1', 3, 'reserved:w1'));
seed('pairs', 'nested', "*2\r\n\$2\r\nab\r\n*1\r\n:1\r\n");
seed('pairs', 'nil', "*2\r\n\$2\r\nab\r\n\$-1\r\n*-1\r\n");
seed('pairs', 'long-field', resp('on_hand:' . ('x' x 300), 1));
word('pairs', $_) for ("\r\n", '*2', '*100', '$-1', '-ERR ', '+OK', ':1',
                       'on_hand:', 'reserved:', 'unrouted', 'damaged:');

# the JSON dictionary joins every target that reads JSON
my $base = slurp("$root/t/fuzz/json.dict");

remove_tree("$out/seeds");

for my $target (qw(scheme keys normalize credentials routing json answers
                    journal replies pairs))
{
    make_path("$out/seeds/$target");

    for my $name (keys %{ $seeds{$target} // {} }) {
        open my $fh, '>:raw', "$out/seeds/$target/$name"
            or die "$0: $out/seeds/$target/$name: $!\n";
        print $fh $seeds{$target}{$name};
        close $fh;
    }

    open my $fh, '>:raw', "$out/$target.dict"
        or die "$0: $out/$target.dict: $!\n";
    print $fh $base if $target ne 'keys' && $target ne 'credentials'
                       && $target ne 'pairs';
    print $fh "# from the tree\n";
    for my $w (sort keys %{ $dict{$target} // {} }) {
        (my $e = $w) =~ s/([\\"]|[^\x20-\x7e])/sprintf('\\x%02X', ord $1)/ge;
        print $fh "\"$e\"\n";
    }
    close $fh;

    printf "fuzz seeds: %s, %d inputs, %d dictionary words\n", $target,
        scalar(keys %{ $seeds{$target} // {} }),
        scalar(keys %{ $dict{$target} // {} });
}
