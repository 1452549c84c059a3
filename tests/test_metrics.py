"""Each metric in reasonlab.evaluate.metrics against its reference formula or published code."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from reasonlab.evaluate import metrics as M


# ------------------------------------------------------------------ references, transcribed
def hle_calib_err(confidence, correct, p="2", beta=100):
    """Verbatim from Humanity's Last Exam, hle_eval/run_judge_results.py (itself from
    hendrycks/outlier-exposure utils/calibration_tools.py)."""
    # beta is target bin size
    idxs = np.argsort(confidence)
    confidence = confidence[idxs]
    correct = correct[idxs]
    bins = [[i * beta, (i + 1) * beta] for i in range(len(confidence) // beta)]
    bins[-1] = [bins[-1][0], len(confidence)]

    cerr = 0
    total_examples = len(confidence)
    for i in range(len(bins) - 1):
        bin_confidence = confidence[bins[i][0]:bins[i][1]]
        bin_correct = correct[bins[i][0]:bins[i][1]]
        num_examples_in_bin = len(bin_confidence)

        if num_examples_in_bin > 0:
            difference = np.abs(np.nanmean(bin_confidence) - np.nanmean(bin_correct))

            if p == '2':
                cerr += num_examples_in_bin / total_examples * np.square(difference)
            elif p == '1':
                cerr += num_examples_in_bin / total_examples * difference
            elif p == 'infty' or p == 'infinity' or p == 'max':
                cerr = np.maximum(cerr, difference)
            else:
                assert False, "p must be '1', '2', or 'infty'"  # noqa: B011  (verbatim)

    if p == '2':
        cerr = np.sqrt(cerr)

    return cerr


def codex_pass_at_k(n, c, k):
    """The Codex paper's (Chen et al. 2021, Figure 3) numerically stable estimator."""
    if n - c < k:
        return 1.0
    return 1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1))


# ------------------------------------------------------------------ accuracy intervals
def test_wilson_matches_hand_formula_and_published_values():
    z = 1.959963984540054
    for s, n in [(0, 1), (1, 1), (8, 10), (3, 17), (50, 100), (0, 40), (40, 40)]:
        p = s / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        lo, hi = M.wilson_interval(s, n)
        assert lo == pytest.approx(max(0, centre - half), abs=1e-12)
        assert hi == pytest.approx(min(1, centre + half), abs=1e-12)
        assert lo <= p <= hi
    lo, hi = M.wilson_interval(8, 10)       # textbook value: 0.490 to 0.943
    assert (round(lo, 3), round(hi, 3)) == (0.490, 0.943)
    assert M.wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        M.wilson_interval(5, 3)


def test_difference_interval_matches_newcombe_example():
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 vs 48/80, method 10
    # gives 0.0524 to 0.3339 for the difference 0.2.
    lo, hi = M.difference_interval(48, 80, 56, 70)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)
    assert M.difference_interval(0, 0, 1, 2) is None


def test_clustered_wilson_with_one_sample_per_item_is_plain_wilson_exactly():
    for s, n in [(0, 1), (1, 1), (8, 10), (3, 17), (50, 100), (0, 40), (40, 40)]:
        clusters = [(1, 1)] * s + [(0, 1)] * (n - s)
        assert M.clustered_wilson_interval(clusters) == M.wilson_interval(s, n)
        assert M.effective_sample_size(clusters) == n
    assert M.clustered_wilson_interval([]) is None
    with pytest.raises(ValueError):
        M.clustered_wilson_interval([(3, 2)])


def test_clustered_wilson_with_identical_repeats_is_wilson_over_items():
    for c, k, m in [(7, 12, 4), (1, 9, 2), (0, 10, 3), (10, 10, 5), (13, 40, 8)]:
        clusters = [(m, m)] * c + [(0, m)] * (k - c)
        assert M.effective_sample_size(clusters) == pytest.approx(k, rel=1e-12)
        assert M.clustered_wilson_interval(clusters) == pytest.approx(
            M.wilson_interval(c, k), abs=1e-12)
        naive = M.wilson_interval(c * m, k * m)
        ours = M.clustered_wilson_interval(clusters)
        assert ours[1] - ours[0] > naive[1] - naive[0]       # k items, not k·m samples


def test_effective_sample_size_by_hand():
    # Items (s, m): (2,3) (0,2) (3,3) (1,4): n = 12, p = 6/12 = 0.5.
    clusters = [(2, 3), (0, 2), (3, 3), (1, 4)]
    var_cluster = ((2 - 1.5) ** 2 + (0 - 1) ** 2 + (3 - 1.5) ** 2 + (1 - 2) ** 2) / 144
    deff = var_cluster / (0.25 / 12)
    assert M.effective_sample_size(clusters) == pytest.approx(12 / deff)
    z = M.Z95
    n_eff = 12 / deff
    centre = (0.5 + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
    half = z / (1 + z * z / n_eff) * math.sqrt(0.25 / n_eff + z * z / (4 * n_eff ** 2))
    assert M.clustered_wilson_interval(clusters) == pytest.approx((centre - half, centre + half))
    # Outcomes spread evenly within items (less item-to-item variance than independent
    # samples would show) never narrow the interval below the naive one: deff is floored at 1.
    even = [(1, 2)] * 20
    assert M.effective_sample_size(even) == 40
    assert M.clustered_wilson_interval(even) == pytest.approx(M.wilson_interval(20, 40))
    # All correct with unequal repeats: the worst case (intra-item correlation 1).
    assert M.effective_sample_size([(2, 2), (1, 1), (3, 3)]) == pytest.approx(36 / 14)


def test_newcombe_difference_from_intervals_matches_method_10():
    lo, hi = M.difference_interval(48, 80, 56, 70)
    again = M.newcombe_difference(48 / 80, M.wilson_interval(48, 80),
                                  56 / 70, M.wilson_interval(56, 70))
    assert again == (lo, hi)
    wide = M.newcombe_difference(0.6, M.clustered_wilson_interval([(4, 4)] * 12 + [(0, 4)] * 8),
                                 0.8, M.clustered_wilson_interval([(4, 4)] * 16 + [(0, 4)] * 4))
    narrow = M.difference_interval(48, 80, 64, 80)
    assert wide[0] < narrow[0] and wide[1] > narrow[1]


# ------------------------------------------------------------------ pass@k, maj@k, best-of-N
def test_pass_at_k_equals_codex_estimator_and_combinatorics():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 40))
        c = int(rng.integers(0, n + 1))
        k = int(rng.integers(1, n + 1))
        ours = M.pass_at_k(n, c, k)
        assert ours == pytest.approx(codex_pass_at_k(n, c, k), abs=1e-12)
        assert ours == pytest.approx(1 - math.comb(n - c, k) / math.comb(n, k), abs=1e-12)
    assert M.pass_at_k(5, 0, 3) == 0.0
    assert M.pass_at_k(5, 3, 3) == 1.0
    assert M.pass_at_k(10, 1, 1) == pytest.approx(0.1)
    with pytest.raises(ValueError):
        M.pass_at_k(3, 1, 4)


def test_pass_at_k_is_the_subset_expectation():
    correct = [True, False, False, True, False]
    for k in range(1, 6):
        subsets = list(itertools.combinations(range(5), k))
        brute = np.mean([any(correct[i] for i in s) for s in subsets])
        assert M.pass_at_k(5, 2, k) == pytest.approx(brute)


def test_majority_vote_and_maj_at_k():
    assert M.majority_vote(["4", "5", "4"], [True, False, True]) is True
    assert M.majority_vote(["5", "4", "5"], [False, True, False]) is False
    assert M.majority_vote(["4", "5"], [True, False]) is True       # tie: first seen wins
    assert M.majority_vote([None, None, "5"], [False, False, True]) is True  # no-answers abstain
    assert M.majority_vote([None, None], [False, False]) is False
    answers = ["a", "b", "a", "c"]
    correct = [True, False, True, False]
    # k = 1: the mean correctness; k = n: the single full vote.
    assert M.maj_at_k(answers, correct, 1) == pytest.approx(0.5)
    assert M.maj_at_k(answers, correct, 4) == 1.0
    # k = 2 by hand: pairs (ab→a ✓, aa ✓, ac→a ✓, ba→b ✗, bc→b ✗, ac→a ✓) = 4/6.
    assert M.maj_at_k(answers, correct, 2) == pytest.approx(4 / 6)


def test_maj_at_k_large_n_is_seeded_estimate():
    answers = ["x"] * 12 + ["y"] * 8
    correct = [True] * 12 + [False] * 8
    first = M.maj_at_k(answers, correct, 9, seed=1)
    assert first == M.maj_at_k(answers, correct, 9, seed=1)   # reproducible
    assert 0.6 < first <= 1.0


def test_best_of_n_picks_highest_score():
    correct = [False, True, False]
    scores = [0.2, 0.9, 0.5]
    assert M.best_of_n(scores, correct, 3) == 1.0
    # k = 1 is plain accuracy; k = 2 by hand: (0,1)→1 ✓, (0,2)→2 ✗, (1,2)→1 ✓ = 2/3.
    assert M.best_of_n(scores, correct, 1) == pytest.approx(1 / 3)
    assert M.best_of_n(scores, correct, 2) == pytest.approx(2 / 3)
    # None scores lose to any score; all-None picks the earliest sample.
    assert M.best_of_n([None, 0.1, None], correct, 3) == 1.0
    assert M.best_of_n([None, None, None], [True, False, False], 3) == 1.0


# ------------------------------------------------------------------ calibration
@pytest.mark.parametrize("n", [200, 250, 299, 999, 1234])
def test_calibration_hle_equals_published_code(n):
    rng = np.random.default_rng(n)
    conf = rng.random(n)
    correct = rng.random(n) < conf ** 2
    expected = hle_calib_err(conf.copy(), correct.copy(), p="2", beta=100)
    assert M.calibration_error(conf, correct, "hle", beta=100) == pytest.approx(
        float(expected), abs=1e-15)
    # Coarse, tied confidences (models write round percentages): same sort, same bins.
    coarse = np.round(conf * 20) / 20
    expected = hle_calib_err(coarse.copy(), correct.copy(), p="2", beta=100)
    assert M.calibration_error(coarse, correct, "hle") == pytest.approx(float(expected),
                                                                        abs=1e-15)


def test_calibration_hle_with_other_beta_and_lists():
    rng = np.random.default_rng(7)
    conf = rng.random(53)
    correct = rng.random(53) < 0.5
    for beta in (1, 5, 10, 26):
        expected = hle_calib_err(conf.copy(), correct.copy(), beta=beta)
        assert M.calibration_error(list(conf), list(correct), "hle", beta) == pytest.approx(
            float(expected), abs=1e-15)


def test_calibration_all_bins_includes_last_bin():
    # 250 samples, beta 100: bins [0,100) and [100,250). HLE skips the last; all-bins keeps it.
    conf = np.concatenate([np.full(100, 0.2), np.full(150, 0.9)])
    correct = np.concatenate([np.zeros(100), np.ones(75), np.zeros(75)]).astype(bool)
    hle = math.sqrt(100 / 250 * 0.2 ** 2)
    assert M.calibration_error(conf, correct, "hle") == pytest.approx(hle)
    allb = math.sqrt(100 / 250 * 0.2 ** 2 + 150 / 250 * (0.9 - 0.5) ** 2)
    assert M.calibration_error(conf, correct, "all-bins") == pytest.approx(allb)
    # One full bin only: all-bins sees the one bin.
    assert M.calibration_error(np.full(120, 0.7), np.ones(120, bool), "all-bins") == \
        pytest.approx(0.3)


@pytest.mark.parametrize("n", [100, 115, 150, 199])
def test_calibration_hle_is_undefined_below_two_bins(n):
    # HLE's loop skips the last bin, so with one bin it sums nothing and returns 0.0 — a
    # "perfectly calibrated" that measured nothing. Here that is nan (null in summaries).
    rng = np.random.default_rng(n)
    conf = rng.random(n)
    correct = rng.random(n) < 0.2                  # badly calibrated on purpose
    assert float(hle_calib_err(conf.copy(), correct.copy(), p="2", beta=100)) == 0.0
    assert math.isnan(M.calibration_error(conf, correct, "hle"))
    assert M.calibration_error(conf, correct, "all-bins") > 0.2
    assert M.min_samples("hle", 100) == 200 and M.min_samples("all-bins", 100) == 100
    assert math.isnan(M.calibration_error(conf[:19], correct[:19], "hle", beta=10))
    assert not math.isnan(M.calibration_error(conf[:20], correct[:20], "all-bins", beta=10))


def test_calibration_needs_a_full_bin():
    assert math.isnan(M.calibration_error([0.5] * 99, [True] * 99, "hle"))
    assert math.isnan(M.calibration_error([], [], "all-bins"))
    with pytest.raises(ValueError):
        M.calibration_error([0.5], [True], "l1")


def test_ece_fifteen_equal_width_bins_by_hand():
    conf = [0.05, 0.06, 0.5, 0.95, 1.0, 0.0]
    correct = [False, True, True, True, False, False]
    # bins of width 1/15: 0.0, 0.05, 0.06 → bin 0 (0 joins the first bin); 0.5 → bin 7;
    # 0.95, 1.0 → bin 14.
    expected = (3 / 6 * abs((0.05 + 0.06 + 0.0) / 3 - 1 / 3)
                + 1 / 6 * abs(0.5 - 1.0) + 2 / 6 * abs((0.95 + 1.0) / 2 - 0.5))
    assert M.ece(conf, correct) == pytest.approx(expected)
    # A value on a bin edge goes to the bin it closes: 1/15 is in bin 0 with 0.05.
    assert M.ece([1 / 15, 0.05], [True, True]) == pytest.approx(
        1 - (1 / 15 + 0.05) / 2)
    assert M.ece([0.8] * 10, [True] * 8 + [False] * 2) == pytest.approx(0.0)
    assert math.isnan(M.ece([], []))


def test_brier_by_hand():
    assert M.brier([0.9, 0.2, 0.5], [True, False, True]) == pytest.approx(
        (0.01 + 0.04 + 0.25) / 3)
    assert math.isnan(M.brier([], []))


# ------------------------------------------------------------------ compute allocation
def test_spearman_without_ties_matches_rank_difference_formula():
    x = [10, 20, 30, 40, 50, 60]
    y = [3, 1, 4, 6, 5, 9]
    ranks_y = [2, 1, 3, 5, 4, 6]
    d2 = sum((i + 1 - r) ** 2 for i, r in enumerate(ranks_y))
    n = len(x)
    assert M.spearman(x, y) == pytest.approx(1 - 6 * d2 / (n * (n * n - 1)))


def test_spearman_with_ties_by_hand():
    # ranks x = [1, 2.5, 2.5, 4], y = [1, 3, 2, 4]; Pearson of ranks = 4.5 / sqrt(4.5 * 5).
    assert M.average_ranks([1, 2, 2, 3]) == [1, 2.5, 2.5, 4]
    assert M.spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(4.5 / math.sqrt(22.5))
    # Difficulty is heavily tied in real runs: 3 levels × 2 samples.
    tokens = [5, 7, 9, 9, 20, 30]
    difficulty = [1, 1, 2, 2, 3, 3]
    rt = [1, 2, 3.5, 3.5, 5, 6]
    rd = [1.5, 1.5, 3.5, 3.5, 5.5, 5.5]
    expected = np.corrcoef(rt, rd)[0, 1]
    assert M.spearman(tokens, difficulty) == pytest.approx(expected)
    assert M.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


def test_spearman_undefined_cases():
    assert M.spearman([1], [2]) is None
    assert M.spearman([1, 1, 1], [1, 2, 3]) is None
    with pytest.raises(ValueError):
        M.spearman([1, 2], [1])


def test_reflection_markers():
    text = "Wait, 3+4 is 7. Let me check: yes. Actually I should verify. Hmm. await waiter"
    # wait, let me check, actually, verify, hmm — not "await" or "waiter".
    assert M.count_reflection_markers(text) == 5
    assert M.count_reflection_markers("Let me double-check that") == 1
    assert M.reflection_rate([text, "no markers here"], [40, 60]) == pytest.approx(50.0)
    assert M.reflection_rate(["wait"], [0]) is None


# ------------------------------------------------------------------ transfer and cost
def test_transferability_index():
    # in domain 0.4 → 0.6 (+50%), out of domain 0.2 → 0.25 (+25%): TI = 0.5.
    assert M.transferability_index(0.4, 0.6, 0.2, 0.25) == pytest.approx(0.5)
    assert M.transferability_index(0.4, 0.6, 0.2, 0.15) == pytest.approx(-0.5)
    assert M.transferability_index(0.4, 0.4, 0.2, 0.3) is None          # no in-domain gain
    assert M.transferability_index(0.4, 0.40001, 0.2, 0.3) is None      # ~0 gain
    assert M.transferability_index(0.0, 0.5, 0.2, 0.3) is None          # base 0: undefined
    assert M.transferability_index(0.4, 0.6, 0.0, 0.3) is None
    assert M.relative_gain(0.5, 0.75) == pytest.approx(0.5)


def test_cost():
    assert M.cost(1_000_000, 500_000, 0.15, 0.60) == pytest.approx(0.15 + 0.30)
    assert M.cost(10, 10, None, None) is None
    assert M.finite_or_none(float("nan")) is None
    assert M.finite_or_none(0.25) == 0.25


def test_wilson_interval_holds_its_point_despite_rounding():
    for n in range(1, 400):
        for k in (0, n):
            lo, hi = M.wilson_interval(k, n)
            assert lo <= k / n <= hi
        assert M.wilson_interval(0, n)[0] == 0.0 and M.wilson_interval(n, n)[1] == 1.0
