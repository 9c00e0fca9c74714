#!/usr/bin/perl
# Verify every DKIM signature of MESSAGE with Perl's Mail::DKIM, answering key lookups from
# KEYS (lines "NAME TXT-VALUE", as `appliance dkim dns` prints them) instead of DNS.
# Prints one line per signature: "RESULT s=SELECTOR a=ALGORITHM DETAIL".
# Usage: verify.pl KEYS MESSAGE
use strict;
use warnings;
use Mail::DKIM::Verifier;
use Net::DNS;

package TableResolver;
sub new { my ($class, %table) = @_; return bless {table => \%table}, $class }
sub errorstring { return 'NOERROR' }
sub send {
    my ($self, $name, $type) = @_;
    $name =~ s/\.$//;
    my $packet = Net::DNS::Packet->new($name, $type);
    my $value = $self->{table}{lc $name};
    if (defined $value && uc $type eq 'TXT') {
        my @strings = ($value =~ /(.{1,255})/gs);
        $packet->header->rcode('NOERROR');
        $packet->push(answer => Net::DNS::RR->new(name => $name, type => 'TXT',
                                                   txtdata => \@strings));
    } else {
        $packet->header->rcode('NXDOMAIN');
    }
    return $packet;
}

package main;
my ($keys, $message) = @ARGV;
my %table;
open(my $kf, '<', $keys) or die "$keys: $!";
while (my $line = <$kf>) {
    chomp $line;
    my ($name, $value) = split / /, $line, 2;
    $table{lc $name} = $value;
}
close $kf;
Mail::DKIM::DNS::resolver(TableResolver->new(%table));

open(my $mf, '<:raw', $message) or die "$message: $!";
my $dkim = Mail::DKIM::Verifier->new();
while (my $line = <$mf>) {
    $line =~ s/\r?\n\z/\r\n/;
    $dkim->PRINT($line);
}
close $mf;
$dkim->CLOSE();
foreach my $sig ($dkim->signatures) {
    printf "%s s=%s a=%s %s\n", $sig->result, $sig->selector, $sig->algorithm,
        $sig->result_detail;
}
