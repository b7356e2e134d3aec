"""Generation throughput: `clha.models.generate` one prompt at a time against batches, same process, same prompts.

The embedded SmolLM2-135M-Instruct answers the first `--prompts` held-out harmless-base prompts with the protocol's
decoding (greedy, prompt left-truncated to 384 tokens, cut at the first role tag), at most `--new-tokens` new tokens,
float32 on the CPU. Throughput = reply tokens (the replies re-tokenised) / wall time.

The modes take turns, one pass each per round, for `--rounds` rounds; the first round is a warm-up and the others'
median is reported, because this machine's speed drifts by tens of per cent over minutes (bench/README.md): timing one
mode after the other would measure the drift as much as the modes. Each batch size in `--batch` is its own mode.

    python bench/generation_throughput.py [--prompts 32] [--new-tokens 128] [--batch 16 32] [--rounds 3] [--json FILE]

The last line: `speedup batched vs one at a time: X.XXx (batches of N)`, for the fastest batch size.
"""
from __future__ import annotations
import argparse, json, statistics, time, warnings
from pathlib import Path

import torch
from transformers.utils import logging as hf_logging

from clha.data import load_data
from clha.models import generate, load_policy, load_tokenizer


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=32)
    ap.add_argument("--new-tokens", type=int, default=128, help="the protocol: 128")
    ap.add_argument("--batch", type=int, nargs="+", default=[16, 32])
    ap.add_argument("--rounds", type=int, default=3, help="the first is a warm-up")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    hf_logging.set_verbosity_error(); warnings.filterwarnings("ignore")
    prompts = load_data("embedded", "test")["prompt"][:args.prompts]
    model, tok = load_policy(dtype=torch.float32).eval(), load_tokenizer()
    job = (f"SmolLM2-135M, {len(prompts)} harmless-base test prompts, ≤{args.new_tokens} new tokens, float32, "
           f"{torch.get_num_threads()} threads, {args.rounds} interleaved rounds (the first a warm-up)")
    print(job)
    modes = {"one at a time": 1, **{f"batches of {b}": b for b in args.batch}}
    seconds, replies = {m: [] for m in modes}, {}
    for r in range(args.rounds):
        for name, bs in modes.items():
            t0 = time.perf_counter()
            replies[name] = generate(model, tok, prompts, max_new_tokens=args.new_tokens, batch_size=bs, progress=False)
            seconds[name].append(time.perf_counter() - t0)
            print(f"round {r + 1}: {name:>15}: {seconds[name][-1]:6.1f} s", flush=True)
    results = {}
    for name in modes:
        n_tokens = sum(len(tok(x, add_special_tokens=False).input_ids) for x in replies[name])
        med = statistics.median(seconds[name][1:] or seconds[name])
        results[name] = {"seconds": seconds[name], "median_s": med, "reply_tokens": n_tokens, "tokens_per_s": n_tokens / med}
        print(f"{name:>15}: {n_tokens} reply tokens, median {med:6.1f} s -> {n_tokens / med:6.1f} tokens/s")
    one = results["one at a time"]["tokens_per_s"]
    best = max((m for m in modes if m != "one at a time"), key=lambda m: results[m]["tokens_per_s"])
    same = {m: sum(a == b for a, b in zip(replies["one at a time"], replies[m])) for m in modes if m != "one at a time"}
    print(f"identical replies to one-at-a-time: {same} of {len(prompts)} (left padding changes float rounding, rarely the argmax)")
    speedup = {m: results[m]["tokens_per_s"] / one for m in modes if m != "one at a time"}
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"job": job, "results": results, "identical_replies": same,
                                               "speedup": speedup, "best": best}, indent=2))
    print(f"speedup batched vs one at a time: {speedup[best]:.2f}x ({best})")


if __name__ == "__main__":
    main()
