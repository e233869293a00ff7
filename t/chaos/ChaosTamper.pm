package ChaosTamper;

# The fault run's tampers at the simulators (CHAOS_TAMPER=label|threepl),
# made after the drain through their own APIs, as a worker that bought or
# sent twice would: the check must then fail.

use strict;
use warnings;

use HTTP::Tiny;
use JSON::PP ();
use MIME::Base64 qw(encode_base64);

my $K = 'invsync:{invsync}:';
my $HTTP = HTTP::Tiny->new(timeout => 10);

sub _post {
    my ($url, $body, %h) = @_;
    my $r = $HTTP->post($url, { content => JSON::PP::encode_json($body),
        headers => { 'Content-Type' => 'application/json', %h } });
    die "chaos: tamper: $url: $r->{status} $r->{content}\n"
        unless $r->{success};
    return JSON::PP::decode_json($r->{content});
}

# a second label for the first order's shipment at the own warehouse: a
# carrier shipment created with its reference, and bought
sub label {
    my ($t, $carrier, $o) = @_;
    my ($id) = grep { /\@wh1$/ }
               @{$t->redis('SMEMBERS', "${K}shipments:shop-eu:$o->{id}")};
    ($id) = grep { /\@wh1$/ } map { @{$t->redis('SMEMBERS', $_)} }
            @{$t->redis('KEYS', "${K}shipments:shop-eu:*")} unless $id;
    die "chaos: CHAOS_TAMPER=label: no shipment at wh1\n" unless $id;
    my %auth = (Authorization => 'Basic ' . encode_base64('EZTK_chaos:', ''));
    my %ad = (name => 'X', street1 => '1 Rue', city => 'Paris',
              zip => '75001', country => 'FR');
    my $s = _post("$carrier/v2/shipments", { shipment => {
        reference => $id, to_address => \%ad, from_address => \%ad,
        parcel => { weight => 10 } } }, %auth);
    _post("$carrier/v2/shipments/$s->{id}/buy",
          { rate => { id => $s->{rates}[0]{id} } }, %auth);
    print "  tampered: a second label bought for $id\n";
}

# a 3PL order for the first order's shipment at the own warehouse
sub threepl {
    my ($t, $threepl, $o) = @_;
    my $id = "shop-eu:$o->{id}\@wh1";
    _post("$threepl/2026-07/order", { reference_id => $id,
        shipping_method => 'Standard',
        recipient => { name => 'X', address => { address1 => '1 Rue',
                       city => 'Paris', country => 'FR' } },
        products => [ { reference_id => $o->{lines}[0][0],
                        quantity => 1 } ] },
        Authorization => 'Bearer sb_pat_chaos', shipbob_channel_id => 4242);
    print "  tampered: a 3PL order created for $id\n";
}

1;
