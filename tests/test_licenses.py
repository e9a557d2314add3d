from octopack_spark.licenses import PERMISSIVE_LICENSES, classify_license_text, is_permissive, pick_license_file
from tests.helpers.sample_repos import MIT_TEXT

APACHE = """                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/
   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION"""
BSD3 = """Redistribution and use in source and binary forms, with or without modification, are permitted
provided that the following conditions are met: ... 3. Neither the name of the copyright holder nor the names of its
contributors may be used to endorse or promote products"""
BSD2 = "Redistribution and use in source and binary forms, with or without modification, are permitted provided..."
ISC = ("Permission to use, copy, modify, and/or distribute this software for any purpose with or without fee is "
       "hereby granted, provided that the above copyright notice and this permission notice appear in all copies.")
GPL3 = "GNU GENERAL PUBLIC LICENSE\n Version 3, 29 June 2007"
LGPL21 = "GNU LESSER GENERAL PUBLIC LICENSE\n Version 2.1, February 1999"
AGPL = "GNU AFFERO GENERAL PUBLIC LICENSE Version 3, 19 November 2007"
UNL = "This is free and unencumbered software released into the public domain."


def test_classify_common_licenses():
    assert classify_license_text(MIT_TEXT) == "mit"
    assert classify_license_text(APACHE) == "apache-2.0"
    assert classify_license_text(BSD3) == "bsd-3-clause"
    assert classify_license_text(BSD2) == "bsd-2-clause"
    assert classify_license_text(ISC) == "isc"
    assert classify_license_text(GPL3) == "gpl-3.0"
    assert classify_license_text(LGPL21) == "lgpl-2.1"
    assert classify_license_text(AGPL) == "agpl-3.0"
    assert classify_license_text(UNL) == "unlicense"
    assert classify_license_text("Mozilla Public License Version 2.0") == "mpl-2.0"
    assert classify_license_text("Eclipse Public License - v 1.0") == "epl-1.0"
    assert classify_license_text("All rights reserved. Proprietary.") == "unknown"
    assert classify_license_text("// SPDX-License-Identifier: Apache-2.0\n") == "apache-2.0"


def test_markdown_license_with_decoration():
    assert classify_license_text("# MIT License\n\n**Permission is hereby granted, free of charge, to any person "
                                 "obtaining a copy** of this software") == "mit"


def test_permissive_set_and_pick_file():
    assert len(PERMISSIVE_LICENSES) == 12
    assert is_permissive("mit") and is_permissive("mit,apache-2.0")
    assert not is_permissive("gpl-3.0") and not is_permissive(None) and not is_permissive("mit,gpl-3.0")
    assert pick_license_file(["README.md", "COPYING", "LICENSE.txt"]) == "LICENSE.txt"
    assert pick_license_file(["LICENCE-APACHE2"]) == "LICENCE-APACHE2"
    assert pick_license_file(["src", "README"]) is None
