"""What `clha reproduce` costs at a scale, from measured pieces: a few steps of each kind of work, times how often the
reproduction does it.

The pieces, each timed on this machine with the library's own functions at the scale's lengths and batch size:
training an SFT-family run (no reference) and a DPO-family run (reference from the shared table) on `--sample`
training pairs, the shared reference table, the held-out accuracy of one policy, and greedy generation of
`--prompts` held-out prompts with the scale's new tokens (the protocol's decoding, batches of 16). The counts come
from `clha.reproduce` (SCALES, RUNS, MAIN, SWEEP): which policies are trained, which need a reference, how many
evaluations. The embedded reward models' training time is the one saved with them (`embedded_rm_metrics`; it trains
them if they are not cached); scoring with them is left out. The timed training pairs get stand-in rewards, which
changes no cost.

    python bench/reproduce_cost.py [--scale full] [--sample 16] [--prompts 16] [--json bench/results/reproduce_cost_full.json]

Run it with `--scale quick` to check the model against a measured `clha reproduce --quick` (figures/reproduce_quick.json).
The last line: `estimated wall time of clha reproduce (SCALE scale): H.H h`.
"""
from __future__ import annotations
import argparse, json, tempfile, time, warnings
from pathlib import Path

import torch
from transformers.utils import logging as hf_logging

from clha.data import load_data
from clha.losses import LOSSES
from clha.models import EMBEDDED, generate, load_policy, load_tokenizer
from clha.rewards import embedded_rm_metrics
from clha.reproduce import MAIN, RUNS, SCALES, SWEEP, base_logps, heldout_accuracy, train_run


def counts(scale) -> dict:
    "How many policies of each kind `reproduce` trains at `scale`, and how many evaluations it makes."
    main = {"SFT", *MAIN, *SWEEP}
    swept = [r for r in SWEEP if RUNS[r].labels == "human"] * sum(1 for r in scale.flip_rates if r)  # rm-order runs reuse rate 0
    trained = [*main, *swept]
    ref = sum(LOSSES[RUNS[r].method].needs_ref for r in trained)
    return {"policies without a reference": len(trained) - ref, "policies with a reference": ref,
            "evaluations": len(trained) + 1, "held-out accuracies": len(trained),
            "reference tables": 1 + len({LOSSES[RUNS[r].method].add_eos for r in trained if LOSSES[RUNS[r].method].needs_ref})}


def timed(fn):
    t0 = time.perf_counter(); out = fn(); return out, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="full", choices=list(SCALES))
    ap.add_argument("--sample", type=int, default=16, help="training and held-out pairs per timed piece")
    ap.add_argument("--prompts", type=int, default=16, help="prompts generated for the timing")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    hf_logging.set_verbosity_error(); hf_logging.disable_progress_bar(); warnings.filterwarnings("ignore")
    scale = SCALES[args.scale]
    train, test = load_data("embedded", "train"), load_data("embedded", "test")
    n_train = min(scale.train_pairs or len(train), len(train))
    n_heldout = min(scale.heldout_pairs or len(test), len(test))
    n_eval = min(scale.eval_prompts or len(test), len(test))
    sample = train.select(range(args.sample)).remove_columns("rewards").add_column("rewards", [[1.0, 0.0]] * args.sample)
    heldout = test.select(range(args.sample))
    root = Path(tempfile.mkdtemp())
    print(f"clha reproduce ({args.scale} scale): {n_train} training pairs x {scale.epochs:g} epoch, {n_heldout} held-out pairs, "
          f"{n_eval} prompts x <= {scale.max_new_tokens} new tokens; max length {scale.max_length}, batch {scale.batch_size}; "
          f"{torch.get_num_threads()} threads; timed on {args.sample} pairs and {args.prompts} prompts")

    # per pair: one table pass (the reference), one policy pass (held-out accuracy); per run: training
    ref = {}
    _, t_ref = timed(lambda: ref.update(base_logps(EMBEDDED, heldout, scale)))
    pieces = {"reference table, per pair": t_ref / args.sample}
    for name in ("CLHA", "DPO"):
        if LOSSES[RUNS[name].method].needs_ref:  # the shared table is counted on its own, not in the run
            base_logps(EMBEDDED, sample, scale, LOSSES[RUNS[name].method].add_eos, root / name / "reference")
        folder, t = timed(lambda: train_run(name, sample, scale, root / name, progress=False))
        runtime = json.loads((folder / "train_results.json").read_text())["metrics"]["train_runtime"]
        kind = "with" if LOSSES[RUNS[name].method].needs_ref else "without"
        pieces[f"training {kind} a reference, per pair"] = runtime / args.sample
        pieces[f"training {kind} a reference, per run (load, save)"] = t - runtime
    _, t = timed(lambda: heldout_accuracy(folder, heldout, scale, ref))
    pieces["held-out accuracy, per pair (with its model load)"] = t / args.sample
    model, tok = load_policy(dtype=torch.float32).eval(), load_tokenizer()
    prompts = test["prompt"][:args.prompts]
    _, t = timed(lambda: generate(model, tok, prompts, max_new_tokens=scale.max_new_tokens, batch_size=16, progress=False))
    pieces["generation, per prompt"] = t / args.prompts

    c = counts(scale)
    passes = scale.epochs * n_train
    parts = {
        "training without a reference": c["policies without a reference"] * (
            passes * pieces["training without a reference, per pair"] + pieces["training without a reference, per run (load, save)"]),
        "training with the shared reference": c["policies with a reference"] * (
            passes * pieces["training with a reference, per pair"] + pieces["training with a reference, per run (load, save)"]),
        "reference tables": (c["reference tables"] - 1) * n_train * pieces["reference table, per pair"]
                            + n_heldout * pieces["reference table, per pair"],
        "held-out accuracy": c["held-out accuracies"] * n_heldout * pieces["held-out accuracy, per pair (with its model load)"],
        "generation": c["evaluations"] * n_eval * pieces["generation, per prompt"],
    }
    if scale.rm in ("embedded", "embedded-quick"):  # trained once, on first use
        recipe = "quick" if scale.rm.endswith("quick") else "full"
        parts["reward models (their saved training time)"] = sum(embedded_rm_metrics(r, recipe)["seconds"] for r in ("train", "eval"))
    for k, v in pieces.items(): print(f"  {k:55s} {v:8.2f} s")
    print("counts:", c)
    for k, v in parts.items(): print(f"  {k:40s} {v / 3600:7.2f} h")
    total = sum(parts.values())
    quick = Path("figures/reproduce_quick.json")
    if args.scale == "quick" and quick.exists():
        measured = json.loads(quick.read_text())["seconds"]
        print(f"measured clha reproduce --quick (figures/reproduce_quick.json): {measured / 60:.1f} min; this estimate: {total / 60:.1f} min "
              "(it leaves out model loads for evaluation, scoring and data preparation)")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"scale": args.scale, "settings": {"train_pairs": n_train, "heldout_pairs": n_heldout,
                                   "eval_prompts": n_eval, "sample": args.sample, "prompts": args.prompts,
                                   "threads": torch.get_num_threads()}, "pieces_s": pieces, "counts": c,
                                   "parts_s": parts, "total_s": total}, indent=2))
    print(f"estimated wall time of clha reproduce ({args.scale} scale): {total / 3600:.1f} h")


if __name__ == "__main__":
    main()
