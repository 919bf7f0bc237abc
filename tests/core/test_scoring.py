"""GA, PA, FGA and FTA on small hand-computed examples."""

from __future__ import annotations

import pytest

from logsum.core.scoring import Scores, normalize_template, score

A = "Connection from <*> closed"
B = "Session <*> opened for user <*>"
C = "Disk full"


def test_perfect_parse_scores_one_everywhere() -> None:
    s = score([A, A, B, B, C], ["1", "1", "2", "2", "3"], [A, A, B, B, C])
    assert (s.ga, s.pa, s.fga, s.fta) == (1.0, 1.0, 1.0, 1.0)
    assert (s.truth_groups, s.predicted_groups, s.correct_groups, s.correct_templates) == (
        3,
        3,
        3,
        3,
    )


def test_predicted_group_spanning_two_truth_groups() -> None:
    # Group 1 mixes A and B lines: wrong. Group 2 is exactly C's lines: right.
    # GA = 1/4. Nc=1, Np=2, Ng=3: P=1/2, R=1/3, F1=2*(1/6)/(5/6)=0.4.
    s = score([A, A, B, C], [1, 1, 1, 2], [A, A, A, C])
    assert s.ga == pytest.approx(0.25)
    assert s.pa == pytest.approx(0.75)  # lines 1, 2 and 4 carry their true template
    assert s.fga == pytest.approx(0.4)
    assert s.fta == pytest.approx(0.4)


def test_correct_group_with_wrong_template_counts_for_fga_not_fta() -> None:
    s = score([A, A, B, C], [1, 1, 1, 2], [A, A, A, "Disk <*>"])
    assert s.fga == pytest.approx(0.4)
    assert s.fta == 0.0
    assert s.pa == pytest.approx(0.5)


def test_one_big_group() -> None:
    same = score([A, A, A], [0, 0, 0], [A, A, A])
    assert (same.ga, same.pa, same.fga, same.fta) == (1.0, 1.0, 1.0, 1.0)
    mixed = score([A, B, C], [0, 0, 0], ["<*>", "<*>", "<*>"])
    assert (mixed.ga, mixed.pa, mixed.fga, mixed.fta) == (0.0, 0.0, 0.0, 0.0)
    assert mixed.predicted_groups == 1
    assert mixed.truth_groups == 3


def test_all_singletons() -> None:
    # Only B's single line is grouped right. GA=1/3; Nc=1, Np=3, Ng=2: P=1/3, R=1/2, F1=0.4.
    s = score([A, A, B], [0, 1, 2], [A, A, B])
    assert s.ga == pytest.approx(1 / 3)
    assert s.pa == 1.0
    assert s.fga == pytest.approx(0.4)
    assert s.fta == pytest.approx(0.4)
    distinct = score([A, B, C], ["x", "y", "z"], [A, B, C])
    assert (distinct.ga, distinct.fga, distinct.fta) == (1.0, 1.0, 1.0)


def test_group_with_one_line_off_template_is_not_an_exact_template() -> None:
    # PA counts lines; FTA needs every line of the correct group to carry the true template.
    s = score([A, A], ["g", "g"], [A, "Connection from <*> <*>"])
    assert (s.ga, s.fga) == (1.0, 1.0)
    assert s.pa == 0.5
    assert s.fta == 0.0


def test_truth_groups_are_template_strings_after_normalisation() -> None:
    # Two spellings of the same template (spacing, doubled wildcard) are one truth group.
    s = score(["a  <*><*> b", "a <*> b "], [7, 7], ["a <*> b", "a <*><*><*> b"])
    assert s.truth_groups == 1
    assert (s.ga, s.pa, s.fga, s.fta) == (1.0, 1.0, 1.0, 1.0)


def test_normalize_template_does_only_the_documented_things() -> None:
    assert normalize_template("  a \t b  ") == "a b"
    assert normalize_template("x <*><*><*> y") == "x <*> y"
    assert normalize_template("<*> <*>") == "<*> <*>"  # separated wildcards stay two
    assert normalize_template("blk_<*>") == "blk_<*>"  # text glued to a wildcard counts
    assert normalize_template("Closed") != normalize_template("closed")


def test_bad_input_raises_value_error() -> None:
    with pytest.raises(ValueError, match="no lines"):
        score([], [], [])
    with pytest.raises(ValueError, match="length mismatch"):
        score([A, B], [1], [A, B])


def test_scores_is_a_plain_value() -> None:
    s = score([A], [1], [A])
    assert isinstance(s, Scores)
    assert s.lines == 1
