"""Training throughput: TRL's DPOTrainer against clha's `dpo` and `clha`, same process, same job.

Same embedded SmolLM2-135M with the same LoRA adapter (r=16, alpha=16, all linear layers, no dropout: TRL disables
dropout by default), the same 32 real harmless-base training pairs, sequences of at most 256 tokens, 4 pairs a step,
float32, no gradient checkpointing. The three trainers are built first and then take turns, one pass over the 32 pairs
(8 steps) each, `--epochs` rounds; the first round is warm-up and excluded. Taking turns matters on a shared machine
whose speed drifts by tens of per cent over minutes: back-to-back runs would bill the drift to one trainer. Batches
differ in length, so single steps are not comparable across trainers (they see the pairs in different orders); a whole
pass is. Pairs per minute = 32 / the median time of the timed passes.

    python bench/train_throughput.py [--epochs 3] [--json bench/results/train_throughput.json]

The last line is the speed-up: `speedup vs TRL DPOTrainer: dpo=X.XXx clha=Y.YYx`.
"""
from __future__ import annotations
import argparse, json, statistics, tempfile, time, warnings
from pathlib import Path

import torch
from transformers import TrainerCallback
from transformers.utils import logging as hf_logging

from clha.data import load_data, render_prompt
from clha.logprobs import RankedCollator
from clha.models import load_policy, load_tokenizer, lora_config
from clha.rescoring import rescore
from clha.rewards import load_reward_model
from clha.train import PreferenceConfig, PreferenceTrainer

MAX_LENGTH, MAX_PROMPT, BATCH, PAIRS = 256, 192, 4, 32


class StepTimer(TrainerCallback):
    "Wall time of every optimizer step."
    def __init__(self): self.times, self._t = [], None
    def on_step_begin(self, args, state, control, **kw): self._t = time.perf_counter()
    def on_step_end(self, args, state, control, **kw): self.times.append(time.perf_counter() - self._t)


def lora():
    return lora_config(r=16, alpha=16, dropout=0.0)


def trl_trainer(pairs, timer):
    from trl import DPOConfig, DPOTrainer
    from datasets import Dataset
    tok = load_tokenizer()
    rows = Dataset.from_list([{"prompt": render_prompt(ex["prompt"], "hh"), "chosen": " " + ex["responses"][0],
                               "rejected": " " + ex["responses"][1]} for ex in pairs])
    cfg = DPOConfig(output_dir=tempfile.mkdtemp(), max_length=MAX_LENGTH, truncation_mode="keep_end",
                    per_device_train_batch_size=BATCH, num_train_epochs=1, learning_rate=1e-4, bf16=False, use_cpu=True,
                    gradient_checkpointing=False, save_strategy="no", report_to="none", logging_steps=1000,
                    disable_tqdm=True, seed=0, beta=0.1)
    return DPOTrainer(model=load_policy(dtype=torch.float32), args=cfg, train_dataset=rows, processing_class=tok,
                      peft_config=lora(), callbacks=[timer])


def clha_trainer(pairs, timer, method: str, **hp):
    cfg = PreferenceConfig(output_dir=tempfile.mkdtemp(), method=method, max_length=MAX_LENGTH, max_prompt_length=MAX_PROMPT,
                           per_device_train_batch_size=BATCH, num_train_epochs=1, learning_rate=1e-4, bf16=False, use_cpu=True,
                           save_strategy="no", report_to="none", logging_steps=1000, disable_tqdm=True, seed=0, **hp)
    return PreferenceTrainer(load_policy(dtype=torch.float32, lora=lora()), cfg, pairs, processing_class=load_tokenizer(),
                             callbacks=[timer])


def tokens(pairs, share_prompt: bool) -> int:
    "Token positions one pass over `pairs` runs through the model."
    b = RankedCollator(load_tokenizer(), MAX_LENGTH, MAX_PROMPT, add_eos=True, share_prompt=share_prompt)(list(pairs))
    return int(b["prompt_mask"].sum() + b["response_mask"].sum()) if share_prompt else int(b["attention_mask"].sum())


def matmul_peak(n: int = 2048, reps: int = 10) -> float:
    "Measured float32 matmul FLOP/s on this machine (best of `reps`)."
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = min((lambda t0: (a @ b, time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(reps))
    return 2 * n ** 3 / best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3, help="rounds of one pass per trainer; the first is warm-up")
    ap.add_argument("--json", default=None, help="also write the numbers here")
    args = ap.parse_args()
    hf_logging.set_verbosity_error(); warnings.filterwarnings("ignore")
    torch.manual_seed(0)

    pairs = rescore(load_data("embedded", "train").select(range(PAIRS)), load_reward_model("embedded", progress=False),
                    progress=False)
    print(f"job: SmolLM2-135M + LoRA r=16 (all linear), {PAIRS} harmless-base train pairs, max length {MAX_LENGTH}, "
          f"batch {BATCH}, float32, {torch.get_num_threads()} threads; {args.epochs} rounds of one pass each, "
          "trainers taking turns, the first round excluded")
    timers = {name: StepTimer() for name in ("TRL DPOTrainer", "clha dpo", "clha clha")}
    trainers = {"TRL DPOTrainer": trl_trainer(pairs, timers["TRL DPOTrainer"]),
                "clha dpo": clha_trainer(pairs, timers["clha dpo"], "dpo"),
                "clha clha": clha_trainer(pairs, timers["clha clha"], "clha", threshold="50%")}
    for _ in range(args.epochs):
        for trainer in trainers.values(): trainer.train()
    n_params = sum(p.numel() for p in load_policy(dtype=torch.float32).parameters())
    rows_tokens, shared_tokens = tokens(pairs, False) / len(pairs), tokens(pairs, True) / len(pairs)
    # useful FLOPs per pair: 2N per token forward, 2N per token backward (activation gradients; LoRA's own are tiny),
    # plus a 2N-per-token reference forward for DPO
    flops_per_pair = {"TRL DPOTrainer": 6 * n_params * rows_tokens, "clha dpo": 6 * n_params * shared_tokens,
                      "clha clha": 4 * n_params * shared_tokens}
    peak = matmul_peak()
    results = {}
    steps_per_pass = PAIRS // BATCH
    for name, timer in timers.items():
        times = timer.times
        passes = [sum(times[i:i + steps_per_pass]) for i in range(steps_per_pass, len(times), steps_per_pass)]
        med = statistics.median(passes)
        ppm = PAIRS / med * 60
        flops = flops_per_pair[name] * PAIRS / med
        results[name] = {"pass_s": passes, "median_pass_s": med, "pairs_per_min": ppm, "step_times_s": times,
                         "flops_per_s": flops, "share_of_matmul_peak": flops / peak}
        print(f"{name:>15}: {PAIRS} pairs in {med:6.1f} s (median of {len(passes)} timed pass(es): "
              f"{', '.join(f'{p:.1f}' for p in passes)}) -> {ppm:5.1f} pairs/min; {flops / 1e9:5.1f} GFLOP/s = "
              f"{flops / peak:.0%} of the float32 matmul peak")
    print(f"tokens per pair: {rows_tokens:.0f} as two full sequences (TRL), {shared_tokens:.0f} with the prompt shared; "
          f"float32 matmul peak {peak / 1e9:.1f} GFLOP/s")
    base = results["TRL DPOTrainer"]["median_pass_s"]
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"job": {"pairs": PAIRS, "max_length": MAX_LENGTH, "batch": BATCH,
                                                       "epochs": args.epochs}, "results": results,
                                               "matmul_peak_flops": peak}, indent=2))
    print(f"speedup vs TRL DPOTrainer: dpo={base / results['clha dpo']['median_pass_s']:.2f}x "
          f"clha={base / results['clha clha']['median_pass_s']:.2f}x")


if __name__ == "__main__":
    main()
