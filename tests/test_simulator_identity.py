"""The simulator's identity numbers: check characters per the national standards."""

import numpy as np

from dagster_project.simulator import identity


def test_resident_check_character_matches_published_example():
    # GB 11643's worked example: 11010519491231002X.
    assert identity.resident_check_chars(np.array(["11010519491231002"]))[0] == "X"


def test_uscc_check_character_matches_published_example():
    # A real unified social credit code with its check character 3.
    assert identity.uscc_check_chars(np.array(["91350100M000100Y4"]))[0] == "3"


def test_generated_resident_ids_encode_birth_date_and_gender():
    rng = np.random.default_rng(3)
    born = np.array(["1980-02-29", "1999-12-31"], dtype="datetime64[D]")
    ids = identity.resident_ids(rng, born, np.array([True, False]))
    assert [i[6:14] for i in ids] == ["19800229", "19991231"]
    assert int(ids[0][16]) % 2 == 1 and int(ids[1][16]) % 2 == 0
    assert (identity.resident_check_chars(np.array([i[:17] for i in ids])) == [i[17] for i in ids]).all()


def test_wrong_check_character_fails_and_legacy_form_drops_century_and_check():
    good = "11010519491231002X"
    bad = identity.wrong_check_char(good)
    assert bad[:17] == good[:17] and bad[17] != "X"
    assert identity.legacy_15(np.array([good]))[0] == "110105491231002"
