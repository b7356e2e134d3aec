"""What a longer ranking costs: CLHA trained on the same prompts with K = 2, 3 and 4 responses, same process.

The first `--prompts` harmless-base training prompts keep their two human replies (K = 2); the embedded
SmolLM2-135M-Instruct writes two sampled replies to each (`clha.augment.candidates`, temperature 0.7, seed 0, at most
`--new-tokens` tokens, as `clha augment` does), and the embedded reward model scores and sorts every response.
K = 3 adds the first candidate, K = 4 both. Prompts where a candidate came out empty or a duplicate are left out, so
every prompt has exactly K responses at every K.

Each K trains CLHA (threshold 30 %, the CPU default layout: each prompt encoded once for its K responses) with the same
LoRA adapter (r=16, all linear layers), float32, 4 prompts a step. The three trainers take turns, one pass over the
prompts each, `--rounds` rounds; the first is a warm-up and the median of the others is the cost, because this
machine's speed drifts over minutes (bench/README.md). Cost per prompt = median pass time / prompts.

    python bench/k_scaling.py [--prompts 32] [--rounds 3] [--json bench/results/k_scaling.json]

The last line: `K=3 vs K=2 cost per prompt: X.XXx`.
"""
from __future__ import annotations
import argparse, json, statistics, tempfile, time, warnings
from pathlib import Path

import torch
from transformers import TrainerCallback
from transformers.utils import logging as hf_logging

from clha.augment import add_candidates, candidates
from clha.data import load_data, ranked_dataset
from clha.logprobs import RankedCollator
from clha.models import load_policy, load_tokenizer, lora_config
from clha.rescoring import rescore
from clha.rewards import load_reward_model
from clha.train import PreferenceConfig, PreferenceTrainer

MAX_LENGTH, MAX_PROMPT, BATCH = 256, 192, 4


class PassTimer(TrainerCallback):
    "Wall time of each `train()` call (one pass over the prompts)."
    def __init__(self): self.passes, self._t = [], None
    def on_train_begin(self, args, state, control, **kw): self._t = time.perf_counter()
    def on_train_end(self, args, state, control, **kw): self.passes.append(time.perf_counter() - self._t)


def rankings(n_prompts: int, new_tokens: int) -> dict[int, list[dict]]:
    "The same prompts as K = 2, 3, 4 rankings, scored and sorted by the embedded reward model."
    pool = load_data("embedded", "train").select(range(n_prompts + n_prompts // 2))  # spare prompts for dropped ones
    policy, tok = load_policy(dtype=torch.float32).eval(), load_tokenizer()
    new = candidates((policy, tok), pool["prompt"], n=2, temperature=0.7, seed=0, max_new_tokens=new_tokens)
    rows = []
    for ex, cands in zip(pool, new):
        human = [r.strip() for r in ex["responses"]]
        if any(not c.strip() or c.strip() in human for c in cands) or cands[0].strip() == cands[1].strip(): continue
        rows.append((ex, cands))
    rows = rows[:n_prompts]
    rm = load_reward_model("embedded", progress=False)
    out = {}
    for k in (2, 3, 4):
        exs = [add_candidates(ex, [("SmolLM2", c) for c in cands[:k - 2]])[0] for ex, cands in rows]
        out[k] = rescore(ranked_dataset(exs), rm, progress=False)
    return out


def trainer(data, timer) -> PreferenceTrainer:
    cfg = PreferenceConfig(output_dir=tempfile.mkdtemp(), method="clha", threshold="30%", max_length=MAX_LENGTH,
                           max_prompt_length=MAX_PROMPT, per_device_train_batch_size=BATCH, num_train_epochs=1,
                           learning_rate=1e-4, bf16=False, use_cpu=True, save_strategy="no", report_to="none",
                           logging_steps=1000, disable_tqdm=True, seed=0)
    return PreferenceTrainer(load_policy(dtype=torch.float32, lora=lora_config(r=16, alpha=16, dropout=0.0)), cfg, data,
                             processing_class=load_tokenizer(), callbacks=[timer])


def tokens(data) -> dict:
    "Token positions per prompt through the model in the shared-prompt layout: prompt once, then every response."
    b = RankedCollator(load_tokenizer(), MAX_LENGTH, MAX_PROMPT, add_eos=True, share_prompt=True)(list(data))
    n = len(data)
    return {"prompt": float(b["prompt_mask"].sum()) / n, "responses": float(b["response_mask"].sum()) / n}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=32)
    ap.add_argument("--new-tokens", type=int, default=64, help="at most this many tokens per generated candidate")
    ap.add_argument("--rounds", type=int, default=3, help="the first is a warm-up")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    hf_logging.set_verbosity_error(); warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    data = rankings(args.prompts, args.new_tokens)
    n = len(data[2])
    job = (f"CLHA on SmolLM2-135M + LoRA r=16, {n} harmless-base train prompts with K = 2 (human pair), 3 and 4 "
           f"(+1, +2 sampled SmolLM2 replies), batch {BATCH}, max length {MAX_LENGTH}, prompt shared, float32, "
           f"{torch.get_num_threads()} threads, {args.rounds} interleaved rounds (the first a warm-up)")
    print(job, flush=True)
    timers = {k: PassTimer() for k in data}
    trainers = {k: trainer(data[k], timers[k]) for k in data}
    for r in range(args.rounds):
        for k, t in trainers.items():
            t.train()
            print(f"round {r + 1}: K={k}: {timers[k].passes[-1]:6.1f} s", flush=True)
    results = {}
    for k in data:
        med = statistics.median(timers[k].passes[1:] or timers[k].passes)
        results[k] = {"passes_s": timers[k].passes, "median_pass_s": med, "seconds_per_prompt": med / n, **tokens(data[k])}
        t = results[k]
        print(f"K={k}: {t['seconds_per_prompt']:.3f} s per prompt ({t['prompt']:.0f} prompt + {t['responses']:.0f} "
              f"response tokens) = {t['seconds_per_prompt'] / results[2]['seconds_per_prompt']:.2f}x K=2; token positions "
              f"{(t['prompt'] + t['responses']) / (results[2]['prompt'] + results[2]['responses']):.2f}x K=2")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"job": job, "prompts": n, "results": results}, indent=2))
    print(f"K=4 vs K=2 cost per prompt: {results[4]['seconds_per_prompt'] / results[2]['seconds_per_prompt']:.2f}x")
    print(f"K=3 vs K=2 cost per prompt: {results[3]['seconds_per_prompt'] / results[2]['seconds_per_prompt']:.2f}x")


if __name__ == "__main__":
    main()
