"""The table `make bench-peer` prints (scripts/bench.py): each figure beside the peer's, Redress's over the
peer's, the target and whether it holds; a target in seconds or bytes is read from Redress's figure alone."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from bench import Judged, ratio_table, verdict  # noqa: E402


def test_a_ratio_is_redress_over_the_peer_and_holds_within_its_limit():
    assert verdict(Judged("form", "40.0 ms", "8.0 ms", 0.008, 0.040, "≤", 0.25)) == ("0.20 ×", "≤ 0.25 ×", "holds")
    assert verdict(Judged("form", "40.0 ms", "12.0 ms", 0.012, 0.040, "≤", 0.25)) == (
        "0.30 ×", "≤ 0.25 ×", "does not hold")
    assert verdict(Judged("rate", "20", "31", 31, 20, "≥", 1.5)) == ("1.55 ×", "≥ 1.5 ×", "holds")
    assert verdict(Judged("rate", "20", "29", 29, 20, "≥", 1.5)) == ("1.45 ×", "≥ 1.5 ×", "does not hold")


def test_a_target_of_its_own_is_read_from_redress_alone():
    assert verdict(Judged("first byte", "—", "0.40 s", 0.4, None, "≤", 1, "s")) == ("—", "≤ 1 s", "holds")
    assert verdict(Judged("requests", "—", "6", 6, None, "≤", 5, "")) == ("—", "≤ 5", "does not hold")
    assert verdict(Judged("no JavaScript", "—", "sent", True, None, "yes")) == ("—", "yes", "holds")
    assert verdict(Judged("export", "—", "broken off", None, None, "≤", 20, "MiB")) == (
        "—", "≤ 20 MiB", "not measured")
    assert verdict(Judged("p50", "10.0 ms", "5.0 ms", 0.005, 0.010)) == ("0.50 ×", "", "")


def test_the_table_then_the_targets_that_hold_and_those_that_do_not():
    rows = [Judged("public form GET p50", "40.0 ms", "8.0 ms", 0.008, 0.040, "≤", 0.25),
            Judged("submissions per second", "20", "29", 29, 20, "≥", 1.5),
            Judged("requests", "—", "4", 4, None, "≤", 5, ""),
            Judged("search over its queue page", "—", "1.16 × (queue p95: 120.9 ms)", 1.1583, None, "≤", 3,
                   "× its queue page")]
    assert ratio_table("sqlite, N = 3,000", rows) == [
        "| sqlite, N = 3,000 | the peer (django-helpdesk) | Redress | Redress ÷ peer | target | holds? |",
        "|---|---|---|---|---|---|",
        "| public form GET p50 | 40.0 ms | 8.0 ms | 0.20 × | ≤ 0.25 × | holds |",
        "| submissions per second | 20 | 29 | 1.45 × | ≥ 1.5 × | does not hold |",
        "| requests | — | 4 | — | ≤ 5 | holds |",
        "| search over its queue page | — | 1.16 × (queue p95: 120.9 ms) | — | ≤ 3 × its queue page | holds |",
        "",
        "Targets that hold:",
        "- public form GET p50: 0.20 × (≤ 0.25 ×)",
        "- requests: 4 (≤ 5)",
        "- search over its queue page: 1.16 × its queue page (≤ 3 × its queue page)",
        "",
        "Targets that do not hold:",
        "- submissions per second: 1.45 × (≥ 1.5 ×)",
    ]


def test_flat_in_n_reads_each_queue_and_the_complaint_page_against_the_smaller_run():
    from bench import flat_in_n

    base = {"queues": {("reception", "new"): 0.010, ("head", "(default)"): 0.020}, "complaint_page": 0.008}
    large = {"queues": {("reception", "new"): 0.012, ("head", "(default)"): 0.036}, "complaint_page": 0.016}
    rows = flat_in_n(1_000_000, large, 10_000, base)
    assert ratio_table("postgresql, N = 1,000,000 against N = 10,000 (flat in N)", rows,
                       against="Redress, N = 10,000", ratio_heading="N = 1,000,000 ÷ N = 10,000") == [
        "| postgresql, N = 1,000,000 against N = 10,000 (flat in N) | Redress, N = 10,000 | Redress "
        "| N = 1,000,000 ÷ N = 10,000 | target | holds? |",
        "|---|---|---|---|---|---|",
        "| the queue that grew most, first page p50 (1 of 2 queues within 1.5 ×) | head (default): 20.0 ms "
        "| head (default): 36.0 ms | 1.80 × | ≤ 1.5 × | does not hold |",
        "| complaint page p50 | 8.0 ms | 16.0 ms | 2.00 × | ≤ 1.5 × | does not hold |",
        "",
        "Targets that do not hold:",
        "- the queue that grew most, first page p50 (1 of 2 queues within 1.5 ×): 1.80 × (≤ 1.5 ×)",
        "- complaint page p50: 2.00 × (≤ 1.5 ×)",
    ]
