use 5.010;
use ExtUtils::MakeMaker;
WriteMakefile(
    NAME         => 'My::Module',
    VERSION_FROM => 'lib/My/Module.pm',
    PREREQ_PM    => { 'JSON::PP' => 0 },
);
