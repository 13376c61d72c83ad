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


def test_an_identity_number_is_issued_to_one_person_only():
    from dagster_project.simulator.population import reissue_duplicate_ids

    rng = np.random.default_rng(8)
    born = np.array(["1980-01-01"] * 4, dtype="datetime64[D]")
    issued, twice = identity.resident_ids(rng, born[:2], np.array([True, True]))
    issued = np.array([issued])
    batch = {
        "id_type": np.array(["01", "01", "01", "10"]),
        "id_no": np.array([issued[0], twice, twice, "91350100M000100Y43"]),
        "birth_date": born,
        "gender": np.array(["M", "M", "M", ""]),
    }
    reissue_duplicate_ids(rng, batch, issued)
    ids = batch["id_no"]
    assert len(set(ids.tolist())) == 4 and issued[0] not in ids
    residents = ids[:3]
    assert (identity.resident_check_chars(np.array([i[:17] for i in residents])) == [i[17] for i in residents]).all()
    assert all(i[6:14] == "19800101" for i in residents)
