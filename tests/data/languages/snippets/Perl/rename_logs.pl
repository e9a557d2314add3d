# rename foo.log.1 -> foo-1.log
my $dir = shift || '.';
opendir(my $dh, $dir) or die "cannot open $dir: $!";
for my $f (readdir $dh) {
    next unless $f =~ /^(.*)\.log\.(\d+)$/;
    rename "$dir/$f", "$dir/$1-$2.log" or warn "rename $f: $!";
}
closedir $dh;
