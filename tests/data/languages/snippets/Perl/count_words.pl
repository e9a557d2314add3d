#!/usr/bin/perl
use strict;
use warnings;

my %count;
while (my $line = <>) {
    $count{lc $_}++ for $line =~ /\w+/g;
}
printf "%-20s %d\n", $_, $count{$_} for sort { $count{$b} <=> $count{$a} } keys %count;
