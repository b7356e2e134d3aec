"""Training on one GPU: QLoRA at the paper's scale, and the bf16 path against TRL, with clha's own trainer.

Part 1, QLoRA. A Llama-2-7B-shaped model (4096 hidden, 32 layers, 32 heads, 11008 MLP; SmolLM2's 49,152-token
vocabulary, so 6.9 B parameters) with random weights — the GPU machine cannot download any — is saved in bf16 and
loaded back the way `clha train --load-in-4bit` loads a model: `load_policy(..., quantization="4bit")` (nf4, double
quantisation, bf16 compute) + LoRA r=16 on every linear layer, paged AdamW (32-bit). `clha` and `dpo` (reference =
adapter off) train for `--steps` steps on real rescored harmless-base pairs (4 pairs a step, protocol lengths 512 /
384): with the prompt shared, without, and with activation checkpointing. Peak GPU memory, median step time.

Part 2, bf16 against TRL. The same 7B shape (4 pairs, 512 / 384 tokens) and a SmolLM2-135M shape (8 pairs, 256 / 192),
both in bf16 + the same LoRA: TRL's DPOTrainer, clha `dpo` and `clha`, each with the prompt shared and not. Steps per
second relative to TRL.

    python bench/gpu_training.py --pairs .gpu/pairs.jsonl --tokenizer .gpu/smollm2 [--parts qlora,bf16-small,bf16-7b] --json OUT.json

`.gpu/pairs.jsonl` is `clha rescore`'s output for the first 128 embedded training pairs (rm_train); `.gpu/smollm2` holds
the embedded model's tokenizer and config.json (bench/results/gpu_training.json was made this way on one H100).

Random weights make no difference to the time or memory of a step; they do to the losses, which are not reported.
"""
from __future__ import annotations
import argparse, gc, json, statistics, tempfile, time, warnings
from pathlib import Path

import torch
from transformers import AutoConfig, AutoModelForCausalLM, LlamaConfig, TrainerCallback
from transformers.utils import logging as hf_logging

import clha.logprobs
from clha.data import load_data, render_prompt
from clha.models import load_policy, load_tokenizer, lora_config
from clha.train import PreferenceConfig, PreferenceTrainer

GiB = 2 ** 30


class StepTimer(TrainerCallback):
    "Wall time of every optimizer step (the GPU synchronised at both ends)."
    def __init__(self): self.times, self._t = [], None
    def on_step_begin(self, args, state, control, **kw): torch.cuda.synchronize(); self._t = time.perf_counter()
    def on_step_end(self, args, state, control, **kw): torch.cuda.synchronize(); self.times.append(time.perf_counter() - self._t)


def build(folder: Path, tokenizer: str, **shape) -> Path:
    "Save a randomly initialised Llama of the given shape (bf16) with the tokenizer, as a hub checkpoint would be."
    tok = load_tokenizer(tokenizer)
    cfg = LlamaConfig(vocab_size=len(tok), bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                      pad_token_id=tok.pad_token_id, **shape)
    torch.manual_seed(0)
    with torch.device("cuda"): model = AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16)
    n = sum(p.numel() for p in model.parameters())
    model.save_pretrained(folder, max_shard_size="5GB"); tok.save_pretrained(folder)
    del model; torch.cuda.empty_cache()
    return folder, n


def run_clha(model_dir, pairs, method, steps, batch, max_length, max_prompt, quantization=None, pack=None,
             checkpointing=False, share_prompt=None, **hp) -> dict:
    clha.logprobs.shared_prompt_logps.__defaults__ = (pack,)
    torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
    cfg = PreferenceConfig(output_dir=tempfile.mkdtemp(), method=method, max_length=max_length, max_prompt_length=max_prompt,
                           per_device_train_batch_size=batch, max_steps=steps, save_strategy="no", report_to="none",
                           logging_steps=steps, disable_tqdm=True, seed=0, load_in_4bit=quantization == "4bit",
                           activation_checkpointing=checkpointing, lora_dropout=0.0, share_prompt=share_prompt, **hp)
    t0 = time.perf_counter()
    policy = load_policy(model_dir, quantization=quantization, lora=lora_config(16, 16, 0.0), dtype=torch.bfloat16,
                         gradient_checkpointing=checkpointing)
    load_s, weights = time.perf_counter() - t0, torch.cuda.memory_allocated()
    timer = StepTimer()
    trainer = PreferenceTrainer(policy, cfg, pairs, processing_class=load_tokenizer(model_dir), callbacks=[timer])
    trainer.train()
    out = {"method": method, "optim": cfg.optim, "share_prompt": cfg.share_prompt, "pack": pack,
           "activation_checkpointing": checkpointing, "load_s": load_s, "weights_gib": weights / GiB,
           "peak_gib": torch.cuda.max_memory_allocated() / GiB, "step_s": timer.times,
           "median_step_s": statistics.median(timer.times[2:]), "pairs_per_s": batch / statistics.median(timer.times[2:])}
    trainer.accelerator.free_memory(); del trainer, policy; gc.collect(); torch.cuda.empty_cache()
    return out


def run_trl(model_dir, pairs, steps, batch, max_length) -> dict:
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer
    rows = Dataset.from_list([{"prompt": render_prompt(ex["prompt"], "hh"), "chosen": " " + ex["responses"][0],
                               "rejected": " " + ex["responses"][1]} for ex in pairs])
    cfg = DPOConfig(output_dir=tempfile.mkdtemp(), max_length=max_length, truncation_mode="keep_end",
                    per_device_train_batch_size=batch, max_steps=steps, learning_rate=1e-4, bf16=True,
                    gradient_checkpointing=False, save_strategy="no", report_to="none", logging_steps=steps,
                    disable_tqdm=True, seed=0, beta=0.1)
    timer = StepTimer()
    trainer = DPOTrainer(model=AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16).cuda(), args=cfg,
                         train_dataset=rows, processing_class=load_tokenizer(model_dir), peft_config=lora_config(16, 16, 0.0),
                         callbacks=[timer])
    trainer.train()
    med = statistics.median(timer.times[2:])
    return {"method": "TRL DPOTrainer", "step_s": timer.times, "median_step_s": med, "pairs_per_s": batch / med}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", required=True, help="rescored ranked JSONL (rewards needed for clha)")
    ap.add_argument("--tokenizer", required=True, help="a folder with SmolLM2's tokenizer and config")
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--json", required=True)
    ap.add_argument("--parts", default="qlora,bf16-small,bf16-7b")
    args = ap.parse_args()
    hf_logging.set_verbosity_error(); warnings.filterwarnings("ignore")
    pairs = load_data(args.pairs, split=None)
    work, results = Path(tempfile.mkdtemp()), {"device": torch.cuda.get_device_name(), "torch": torch.__version__}
    save = lambda: Path(args.json).write_text(json.dumps(results, indent=2))
    print(f"{results['device']}, torch {torch.__version__}, {len(pairs)} pairs", flush=True)

    if "qlora" in args.parts:
        t0 = time.perf_counter()
        folder, n = build(work / "llama-7b-shaped", args.tokenizer, hidden_size=4096, intermediate_size=11008,
                          num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=32, max_position_embeddings=4096)
        results["qlora"] = {"parameters": n, "build_and_save_s": time.perf_counter() - t0, "runs": []}
        print(f"7B-shaped model: {n / 1e9:.2f} B parameters, built and saved in {time.perf_counter() - t0:.0f} s", flush=True)
        for method, ckpt, share in [("clha", False, True), ("clha", False, False), ("clha", True, False), ("dpo", False, True),
                                    ("dpo", False, False), ("dpo", True, False)]:
            hp = {"threshold": "50%"} if method == "clha" else {}
            r = run_clha(folder, pairs, method, args.steps, 4, 512, 384, quantization="4bit", checkpointing=ckpt,
                         share_prompt=share, **hp)
            results["qlora"]["runs"].append(r); save()
            print(f"QLoRA {method:4} checkpointing={ckpt!s:5} share_prompt={share!s:5}: load {r['load_s']:.0f} s, 4-bit weights + adapter "
                  f"{r['weights_gib']:.2f} GiB, peak {r['peak_gib']:.2f} GiB, {r['median_step_s']:.2f} s/step "
                  f"({r['pairs_per_s']:.1f} pairs/s), optimizer {r['optim']}", flush=True)

    def compare(label, folder, batch, max_length, max_prompt, variants):
        runs = [run_trl(folder, pairs, args.steps, batch, max_length)]
        for method, share in variants:
            runs.append(run_clha(folder, pairs, method, args.steps, batch, max_length, max_prompt, share_prompt=share,
                                 pack=False, **({"threshold": "50%"} if method == "clha" else {})))
        base = runs[0]["median_step_s"]
        for r in runs:
            r["vs_trl"] = base / r["median_step_s"]
            print(f"{label} {r['method']:14} share_prompt={r.get('share_prompt')!s:5}: {r['median_step_s'] * 1e3:6.0f} ms/step, "
                  f"{r['pairs_per_s']:6.1f} pairs/s, {r['vs_trl']:.2f}x TRL" + (f", peak {r['peak_gib']:.1f} GiB" if "peak_gib" in r else ""), flush=True)
        return runs

    variants = [("dpo", False), ("dpo", True), ("clha", False), ("clha", True)]
    if "bf16-small" in args.parts:
        shape = AutoConfig.from_pretrained(args.tokenizer).to_dict()
        keep = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                "max_position_embeddings", "rope_theta", "tie_word_embeddings", "rms_norm_eps")
        folder, n = build(work / "smollm2-shaped", args.tokenizer, **{k: shape[k] for k in keep if k in shape})
        results["bf16_small"] = {"parameters": n, "batch": 8, "max_length": 256, "runs": compare("bf16 135M", folder, 8, 256, 192, variants)}
        save()
    if "bf16-7b" in args.parts:
        folder, n = build(work / "llama-7b-shaped", args.tokenizer, hidden_size=4096, intermediate_size=11008,
                          num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=32, max_position_embeddings=4096)
        results["bf16_7b"] = {"parameters": n, "batch": 4, "max_length": 512, "runs": compare("bf16 7B", folder, 4, 512, 384, variants)}
        save()
    save()


if __name__ == "__main__":
    main()
