"""The noise study's committed results recompute: a paired comparison and the go/no-go, from heldout.csv alone, with
plain pandas (not clha.study's own code), against what summary.json reports."""
import json, math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

RESULTS = Path(__file__).resolve().parents[1] / "results" / "noise_study"


@pytest.fixture(scope="module")
def committed():
    assert (RESULTS / "heldout.csv").is_file() and (RESULTS / "summary.json").is_file(), \
        f"{RESULTS}: the study's results are not committed (run `clha study noise`, then `clha study report`)"
    return pd.read_csv(RESULTS / "heldout.csv"), json.loads((RESULTS / "summary.json").read_text())


def _group(df, method, rescorer, flip_rate):
    g = df[(df["method"] == method) & (df["rescorer"] == rescorer)]
    return g[g["flip_rate"].isna()] if flip_rate is None or (isinstance(flip_rate, float) and math.isnan(flip_rate)) \
        else g[np.isclose(g["flip_rate"], flip_rate)]


def test_paired_comparisons_recompute(committed):
    heldout, summary = committed
    comps = summary["comparisons"]
    # a study still under way may have no CLHA run yet; then, and only then, there is nothing to compare
    assert bool(comps) == (heldout["method"] == "CLHA").any(), "summary.json's comparisons disagree with heldout.csv"
    for c in comps:
        clha_rate = c["flip_rate"] if c["rescorer"] == "learned" else None
        other_rate = c["flip_rate"] if c["against"] in ("DPO", "robust DPO", "SFT", "CLHA w/o rescoring") or c["rescorer"] == "learned" else None
        other_rescorer = "none" if c["against"] in ("DPO", "robust DPO", "SFT", "CLHA w/o rescoring") else c["rescorer"]
        a = _group(heldout, "CLHA", c["rescorer"], clha_rate)[["seed", "pair_id", "correct"]]
        b = _group(heldout, c["against"], other_rescorer, other_rate)[["seed", "pair_id", "correct"]]
        both = a.merge(b, on=["seed", "pair_id"], suffixes=("_a", "_b"))
        assert len(both) == c["pairs"] * c["seeds"], c
        assert abs((both["correct_a"] - both["correct_b"]).mean() - c["diff"]) < 1e-12, c
        assert c["lo"] <= c["diff"] <= c["hi"]


def test_go_no_go_recomputes(committed):
    heldout, summary = committed
    g = _group(heldout, "DPO", "none", 0.0)
    first = g[g["seed"] == g["seed"].min()]["correct"]
    k, n, z = first.sum(), len(first), 1.96
    centre, half = (k / n + z * z / (2 * n)) / (1 + z * z / n), z * math.sqrt(k / n * (1 - k / n) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert summary["go_no_go"]["n"] == n >= 600
    assert abs(summary["go_no_go"]["accuracy"] - k / n) < 1e-12
    assert abs(summary["go_no_go"]["ci95"][0] - (centre - half)) < 1e-9
    assert summary["go_no_go"]["go"] == (centre - half > 0.5)


def test_accuracy_table_recomputes(committed):
    heldout, summary = committed
    assert summary["accuracy"], "summary.json holds no accuracy row"
    assert summary["runs"]["finished"] == heldout.groupby(["method", "rescorer", "flip_rate", "seed"], dropna=False).ngroups
    for row in summary["accuracy"]:
        g = _group(heldout, row["method"], row["rescorer"], row["flip_rate"])
        assert len(g) == row["seeds"] * row["pairs"], row
        assert abs(g["correct"].mean() - row["accuracy"]) < 1e-12, row
        assert row["lo"] <= row["accuracy"] <= row["hi"]


def test_noise_cost_recomputes(committed):
    "What flips cost each given-order method: the paired accuracy change and the margins, matched on seed and pair."
    heldout, summary = committed
    given = heldout[heldout["rescorer"] == "none"]
    expected = {(m, p) for m, p in given[["method", "flip_rate"]].drop_duplicates().itertuples(index=False)
                if p > 0 and not _group(heldout, m, "none", 0.0).empty}
    assert {(c["method"], c["flip_rate"]) for c in summary["noise_cost"]} == expected
    for c in summary["noise_cost"]:
        cols = ["seed", "pair_id", "correct", "margin"]
        both = _group(heldout, c["method"], "none", c["flip_rate"])[cols].merge(
            _group(heldout, c["method"], "none", 0.0)[cols], on=["seed", "pair_id"], suffixes=("_noisy", "_clean"))
        assert len(both) == c["pairs"] * c["seeds"] >= 600, c
        assert abs((both["correct_noisy"] - both["correct_clean"]).mean() - c["accuracy_change"]) < 1e-12, c
        assert abs(both["margin_clean"].mean() - c["margin_clean"]) < 1e-9 and abs(both["margin_noisy"].mean() - c["margin_noisy"]) < 1e-9, c
        assert c["lo"] <= c["accuracy_change"] <= c["hi"] and c["margin_lo"] <= c["margin_noisy"] - c["margin_clean"] <= c["margin_hi"]


def test_rescorer_profile_recomputes(committed):
    "Each rescorer's agreement with G, on all training pairs and on those CLHA's 30 % mask keeps, from rescorers.csv and gold.csv."
    _, summary = committed
    resc, gold = pd.read_csv(RESULTS / "rescorers.csv"), pd.read_csv(RESULTS / "gold.csv").set_index("pair_id")
    runs = pd.read_csv(RESULTS / "runs.csv")
    assert len(summary["rescorer_profile"]) == resc.groupby(["rescorer", "flip_rate", "seed"], dropna=False).ngroups
    q = float(summary["design"]["threshold"].removesuffix("%")) / 100
    for row in summary["rescorer_profile"]:
        d = _group(resc.assign(method="-"), "-", row["rescorer"], row["flip_rate"])
        d = d[d["seed"] == row["seed"]]
        gap = d["r_chosen"].to_numpy() - d["r_rejected"].to_numpy()
        kept = np.abs(gap) > np.quantile(np.abs(gap), q)
        assert abs((gap > 0).mean() - row["agreement"]) < 1e-9 and abs((gap[kept] > 0).mean() - row["kept_agreement"]) < 1e-9, row
        g = gold.loc[d["pair_id"]]
        assert abs(np.median(np.abs(g["g_human_chosen"] - g["g_human_rejected"])[gap <= 0]) - row["error_gap_median"]) < 1e-9, row
        # the agreement the training runs recorded (label accuracy after re-sorting) is the profile's
        r = _group(runs.assign(method="-"), "-", row["rescorer"], row["flip_rate"])
        for v in r[r["seed"] == row["seed"]]["rescorer_agreement"]: assert abs(v - row["agreement"]) < 1e-9, (row, v)


def test_prediction_excess_recomputes(committed):
    "The paired contrast summary.json reports pairs on the seeds every CLHA run has, and equals the mean of (measured − predicted gain) over question 2's rows once every run has them (10 checks the identity on those seeds while the grid is part-run)."
    heldout, summary = committed
    gains = pd.DataFrame(summary["rescoring_gain"])
    assert set(summary["prediction_excess"]) == ({"predicted", "predicted_kept"} if len(gains) else set())
    clha = heldout[heldout["method"].isin(["CLHA", "CLHA w/o rescoring"])]
    seeds = [set(g["seed"]) for _, g in clha.groupby(["method", "rescorer", "flip_rate"], dropna=False)]
    common = set.intersection(*seeds) if seeds else set()
    for k, e in summary["prediction_excess"].items():
        rows = gains.dropna(subset=[k])
        assert e["rows"] == len(rows) > 0
        assert e["seeds"] == len(common), (k, e, common)    # the contrast pairs on the seeds every CLHA run has
        if all(s == common for s in seeds):                  # then every row averages those seeds too, and the two agree exactly
            assert abs((rows["gain"] - rows[k]).mean() - e["mean"]) < 1e-9, (k, e)
        assert e["ci95"][0] <= e["mean"] <= e["ci95"][1] and 0 < e["p"] <= 1


def test_question1_generations_recompute(committed):
    "G's reward of the greedy replies, CLHA − each method and CLHA's win rate, paired on seed and prompt: from generations.csv."
    _, summary = committed
    path = RESULTS / "generations.csv"
    rows = [r for r in summary["question1"] if r.get("reward") is not None and not pd.isna(r.get("reward"))]
    assert bool(rows) == path.is_file(), "summary.json's question 1 and generations.csv disagree on whether replies were scored"
    if not rows: return
    gen = pd.read_csv(path)
    clha = _group(gen, "CLHA", "learned", 0.0)[["seed", "pair_id", "gold_reward"]]
    for r in rows:
        g = _group(gen, r["method"], r["rescorer"], 0.0)
        assert abs(g["gold_reward"].mean() - r["reward"]) < 1e-9 and r["reward_lo"] <= r["reward"] <= r["reward_hi"], r["method"]
        assert abs((g["reply_tokens"] >= summary["design"]["max_new_tokens"]).mean() - r["at_cap"]) < 1e-12
        if r["method"] == "CLHA" or clha.empty: continue
        both = clha.merge(g[["seed", "pair_id", "gold_reward"]], on=["seed", "pair_id"], suffixes=("_clha", "_it"))
        d, c = both["gold_reward_clha"] - both["gold_reward_it"], r["clha_reward_minus"]
        assert len(both) == c["n_pairs"] * c["n_seeds"] and abs(d.mean() - c["mean"]) < 1e-9, r["method"]
        wins = (d > 0) + 0.5 * (d == 0)
        assert abs(wins.mean() - r["clha_wins"]["mean"]) < 1e-9 and 0 < r["clha_wins"]["p"] <= 1, r["method"]


def test_ablations_recompute(committed):
    "CLHA minus each ablation on the same synthetic rescorer, paired on seed and pair, and the mask's predicted worth."
    heldout, summary = committed
    gains = pd.DataFrame(summary["rescoring_gain"])
    for row in summary["ablations"]:
        for key, name in (("mask", "CLHA w/o mask"), ("gate", "CLHA w/o adaptive SFT")):
            b = _group(heldout, name, row["rescorer"], None)
            assert (row.get(key) is not None) == (len(b) > 0), (row["rescorer"], key)
            if b.empty: continue
            a = _group(heldout, "CLHA", row["rescorer"], None)
            both = a.merge(b, on=["seed", "pair_id"], suffixes=("_a", "_b"))
            assert len(both) == row[key]["n_pairs"] * row[key]["n_seeds"]
            assert abs((both["correct_a"] - both["correct_b"]).mean() - row[key]["mean"]) < 1e-12
        g = gains[gains["rescorer"] == row["rescorer"]]
        if len(g) and row.get("predicted_mask") is not None:
            assert np.allclose(g["predicted_kept"] - g["predicted"], row["predicted_mask"])  # the same at every flip rate
