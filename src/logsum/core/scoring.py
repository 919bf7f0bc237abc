"""Accuracy of a log parser against labelled lines: GA, PA, FGA and FTA.

The four metrics of the log-parsing literature, computed from per-line ground-truth templates and
per-line predictions (a group id and a template for every line):

* **GA**, grouping accuracy (Zhu et al., ICSE-SEIP 2019; Khan et al., ICSE 2022): the share of
  lines whose predicted group holds exactly the same set of lines as their ground-truth group.
* **PA**, parsing accuracy (Khan et al., ICSE 2022): the share of lines whose predicted template
  equals their ground-truth template.
* **FGA**, F1 of grouping accuracy (Jiang et al., ISSTA 2024): a predicted group is *correct* when
  its line set equals the line set of one ground-truth group. With ``Nc`` correct groups, ``Np``
  predicted and ``Ng`` ground-truth groups: precision ``Nc/Np``, recall ``Nc/Ng``, FGA their
  harmonic mean.
* **FTA**, F1 of template accuracy (Jiang et al., ISSTA 2024): as FGA, but a predicted group
  counts only when it is correct *and* its template is identical to the ground-truth template.

Ground-truth groups are the lines grouped by their template **string** (not by an event id: some
labelled data gives several ids the same template).

Templates are compared after :func:`normalize_template`, applied alike to both sides: runs of
whitespace become one space, leading and trailing whitespace is removed, and directly adjacent
wildcards ``<*><*>`` merge into one ``<*>``. Nothing else is changed (case, punctuation and the
text glued to a wildcard all count).

The module is pure: it takes sequences and returns a value.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from logsum.core.model import WILDCARD

_WHITESPACE = re.compile(r"\s+")
_ADJACENT_WILDCARDS = re.compile(r"(?:" + re.escape(WILDCARD) + r"){2,}")


def normalize_template(template: str) -> str:
    """The comparison form of a template: whitespace runs collapsed to one space, stripped, and
    directly adjacent ``<*><*>`` merged into one ``<*>``."""
    collapsed = _WHITESPACE.sub(" ", template).strip()
    return _ADJACENT_WILDCARDS.sub(WILDCARD, collapsed)


@dataclass(frozen=True, slots=True)
class Scores:
    """The four accuracy metrics of one parse of one labelled data set, with the counts behind
    them (all fractions are in ``[0, 1]``)."""

    ga: float
    """Grouping accuracy: share of lines in a correctly grouped predicted group."""
    pa: float
    """Parsing accuracy: share of lines whose template equals the ground truth."""
    fga: float
    """F1 of precision and recall of correctly grouped groups."""
    fta: float
    """F1 of precision and recall of correctly grouped groups with the exact template."""
    lines: int
    """Number of lines scored."""
    truth_groups: int
    """Distinct ground-truth templates (``Ng``)."""
    predicted_groups: int
    """Distinct predicted group ids (``Np``)."""
    correct_groups: int
    """Predicted groups whose line set equals a ground-truth group's (``Nc``)."""
    correct_templates: int
    """Correct groups whose template also equals the ground truth (``Nt``)."""


def _f1(correct: int, predicted: int, truth: int) -> float:
    if correct == 0:
        return 0.0
    precision = correct / predicted
    recall = correct / truth
    return 2 * precision * recall / (precision + recall)


def score(
    truth_templates: Sequence[str],
    predicted_groups: Sequence[Hashable],
    predicted_templates: Sequence[str],
) -> Scores:
    """Score per-line predictions against per-line ground-truth templates.

    ``truth_templates[i]``, ``predicted_groups[i]`` and ``predicted_templates[i]`` describe line
    ``i``. Raises :class:`ValueError` when the sequences differ in length or are empty.
    """
    n = len(truth_templates)
    if n == 0:
        raise ValueError("nothing to score: no lines")
    if len(predicted_groups) != n or len(predicted_templates) != n:
        raise ValueError(
            f"length mismatch: {n} truth templates, {len(predicted_groups)} predicted groups, "
            f"{len(predicted_templates)} predicted templates"
        )

    truth = [normalize_template(t) for t in truth_templates]
    predicted = [normalize_template(t) for t in predicted_templates]

    truth_sizes: dict[str, int] = {}
    for t in truth:
        truth_sizes[t] = truth_sizes.get(t, 0) + 1

    # For each predicted group: its size, the set of ground-truth templates of its lines, and
    # whether every one of its lines carries the ground-truth template.
    group_sizes: dict[Hashable, int] = {}
    group_truths: dict[Hashable, set[str]] = {}
    group_exact: dict[Hashable, bool] = {}
    parsed_ok = 0
    for t, g, p in zip(truth, predicted_groups, predicted, strict=True):
        group_sizes[g] = group_sizes.get(g, 0) + 1
        group_truths.setdefault(g, set()).add(t)
        same = p == t
        parsed_ok += same
        group_exact[g] = group_exact.get(g, True) and same

    correct_groups = 0
    correct_templates = 0
    grouped_ok = 0
    for g, size in group_sizes.items():
        truths = group_truths[g]
        if len(truths) != 1:
            continue
        (t,) = truths
        if truth_sizes[t] != size:
            continue
        correct_groups += 1
        grouped_ok += size
        if group_exact[g]:
            correct_templates += 1

    n_truth = len(truth_sizes)
    n_pred = len(group_sizes)
    return Scores(
        ga=grouped_ok / n,
        pa=parsed_ok / n,
        fga=_f1(correct_groups, n_pred, n_truth),
        fta=_f1(correct_templates, n_pred, n_truth),
        lines=n,
        truth_groups=n_truth,
        predicted_groups=n_pred,
        correct_groups=correct_groups,
        correct_templates=correct_templates,
    )
