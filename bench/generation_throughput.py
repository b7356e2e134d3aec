"""Generation throughput: `clha.models.generate` one prompt at a time against batches, same process, same prompts.

The embedded SmolLM2-135M-Instruct answers the first `--prompts` held-out harmless-base prompts with the protocol's
decoding (greedy, prompt left-truncated to 384 tokens, cut at the first role tag), at most `--new-tokens` new tokens,
float32 on the CPU. Throughput = reply tokens (the replies re-tokenised) / wall time; a warm-up generation first.

    python bench/generation_throughput.py [--prompts 32] [--new-tokens 128] [--batch 16] [--json bench/results/generation_throughput.json]

The last line: `speedup batched vs one at a time: X.XXx`.
"""
from __future__ import annotations
import argparse, json, time, warnings
from pathlib import Path

import torch
from transformers.utils import logging as hf_logging

from clha.data import load_data
from clha.models import generate, load_policy, load_tokenizer


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=32)
    ap.add_argument("--new-tokens", type=int, default=128, help="the protocol: 128")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    hf_logging.set_verbosity_error(); warnings.filterwarnings("ignore")
    prompts = load_data("embedded", "test")["prompt"][:args.prompts]
    model, tok = load_policy(dtype=torch.float32).eval(), load_tokenizer()
    generate(model, tok, prompts[:2], max_new_tokens=8, batch_size=2, progress=False)  # warm-up
    job = (f"SmolLM2-135M, {len(prompts)} harmless-base test prompts, ≤{args.new_tokens} new tokens, float32, "
           f"{torch.get_num_threads()} threads")
    print(job)
    results, replies = {}, {}
    for name, bs in (("one at a time", 1), (f"batches of {args.batch}", args.batch)):
        t0 = time.perf_counter()
        replies[name] = generate(model, tok, prompts, max_new_tokens=args.new_tokens, batch_size=bs, progress=False)
        seconds = time.perf_counter() - t0
        n_tokens = sum(len(tok(r, add_special_tokens=False).input_ids) for r in replies[name])
        results[name] = {"seconds": seconds, "reply_tokens": n_tokens, "tokens_per_s": n_tokens / seconds}
        print(f"{name:>15}: {n_tokens} reply tokens in {seconds:6.1f} s -> {n_tokens / seconds:6.1f} tokens/s")
    one, many = results.values()
    same = sum(a == b for a, b in zip(*replies.values()))
    speedup = many["tokens_per_s"] / one["tokens_per_s"]
    print(f"identical replies in both modes: {same} of {len(prompts)} (left padding changes float rounding, rarely the argmax)")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"job": job, "results": results, "identical_replies": same,
                                               "tokens_per_s": {k: v["tokens_per_s"] for k, v in results.items()},
                                               "speedup": speedup}, indent=2))
    print(f"speedup batched vs one at a time: {speedup:.2f}x")


if __name__ == "__main__":
    main()
