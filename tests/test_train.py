"""`clha train` as a user runs it: a run killed by SIGKILL resumes to the same result, two processes train like one,
and every method trains the embedded model on real HH pairs (slow)."""
import json, os, signal, subprocess, sys, time
from pathlib import Path

import pytest
from safetensors.torch import load_file

CLHA = [str(Path(sys.executable).with_name("clha"))]
ENV = {**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}
TINY_ARGS = ["--max-length", "64", "--max-prompt-length", "32", "--use-cpu", "--seed", "0", "--logging-steps", "1",
             "--disable-tqdm", "true", "--report-to", "none"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    "A tiny model folder and 16 K=2 pairs with rewards."
    from clha.models import save_tiny
    root = tmp_path_factory.mktemp("tiny")
    model = save_tiny(root / "model")
    pairs = root / "pairs.jsonl"
    pairs.write_text("".join(json.dumps({"prompt": f"Question {i}?", "responses": ["Sure, happy to help!", f"Go away {i}."],
                                         "rewards": [1.0 + i / 8, -1.0]}) + "\n" for i in range(16)))
    return model, pairs


def train_args(tiny, out, *extra):
    model, pairs = tiny
    return CLHA + ["train", "--model", str(model), "--data", str(pairs), "--output", str(out)] + TINY_ARGS + list(extra)


def results(out: Path) -> dict:
    return json.loads((out / "train_results.json").read_text())


def losses(out: Path) -> dict[int, float]:
    return {h["step"]: h["loss"] for h in results(out)["log_history"] if "loss" in h}


RESUME = ["--method", "dpo", "--max-steps", "8", "--save-steps", "2", "--per-device-train-batch-size", "2",
          "--learning-rate", "1e-3"]


def test_sigkill_then_resume_matches_uninterrupted_run(tiny, tmp_path):
    straight = tmp_path / "straight"
    subprocess.run(train_args(tiny, straight, *RESUME), check=True, capture_output=True, env=ENV, timeout=300)

    killed = tmp_path / "killed"
    proc = subprocess.Popen(train_args(tiny, killed, *RESUME), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    marker = killed / "checkpoint-4" / "checkpoint_complete.json"
    deadline = time.time() + 240
    while not marker.exists() and proc.poll() is None and time.time() < deadline: time.sleep(0.05)
    assert marker.exists(), "no complete checkpoint-4 before the run ended"
    proc.send_signal(signal.SIGKILL); proc.wait()
    assert not (killed / "train_results.json").exists()  # it really died before the end
    # what a kill in the middle of writing a checkpoint leaves: clha's "writing" mark without the completion mark
    partial = killed / "checkpoint-6"
    if partial.exists(): (partial / "checkpoint_complete.json").unlink(missing_ok=True)
    else: partial.mkdir(); (partial / "adapter_model.safetensors").write_bytes(b"\0" * 10)
    (partial / "checkpoint_writing.json").write_text('{"step": 6}')

    r = subprocess.run(train_args(tiny, killed, *RESUME, "--resume"), capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "resumed from" in r.stdout and "checkpoint-4" in results(killed)["resumed_from"]
    final_straight, final_resumed = losses(straight), losses(killed)
    assert max(final_resumed) == 8
    assert final_resumed[8] == pytest.approx(final_straight[8], abs=1e-4)
    a, b = load_file(straight / "adapter_model.safetensors"), load_file(killed / "adapter_model.safetensors")
    assert a.keys() == b.keys() and all((a[k] - b[k]).abs().max() < 1e-4 for k in a)
    # no checkpoint without its completion mark is left behind
    assert all((p / "checkpoint_complete.json").exists() for p in killed.glob("checkpoint-*"))
    # and the cut-off one was set aside, not deleted
    assert [p.name.startswith("incomplete-checkpoint-6-") for p in killed.glob("incomplete-*")] == [True]


def test_two_processes_train_like_one(tiny, tmp_path):
    """Global batch 16 = 1 process x 16 = 2 processes (gloo) x 8: the same losses step by step.

    LoRA dropout is off: each process draws its own dropout masks, so with it on the runs differ by design."""
    common = ["--method", "dpo", "--max-steps", "3", "--learning-rate", "1e-3", "--save-strategy", "no", "--lora-dropout", "0"]
    one = tmp_path / "one"
    subprocess.run(train_args(tiny, one, *common, "--per-device-train-batch-size", "16"),
                   check=True, capture_output=True, env=ENV, timeout=300)
    two = tmp_path / "two"
    launch = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", "29533",
              CLHA[0]] + train_args(tiny, two, *common, "--per-device-train-batch-size", "8", "--ddp-backend", "gloo")[1:]
    r = subprocess.run(launch, capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    l1, l2 = losses(one), losses(two)
    assert l1.keys() == l2.keys() == {1, 2, 3}
    for step in l1: assert l2[step] == pytest.approx(l1[step], abs=1e-5), (step, l1, l2)


METHODS = ["sft", "pro", "clha", "rrhf", "dpo", "cdpo", "robust_dpo", "ipo", "hinge", "nca_pair", "infonca", "nca"]


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_every_method_trains_the_embedded_model_on_real_pairs(method, tmp_path):
    from clha.losses import LOSSES
    assert set(METHODS) == set(LOSSES)
    out = tmp_path / method
    r = subprocess.run(CLHA + ["train", "--method", method, "--data", "embedded", "--max-train", "8",
                               "--rescore-with", "embedded", "--output", str(out), "--max-steps", "2",
                               "--per-device-train-batch-size", "4", "--max-length", "256", "--max-prompt-length", "192",
                               "--logging-steps", "1", "--use-cpu", "--disable-tqdm", "true", "--threshold" if method == "clha" else "--seed",
                               "1sd" if method == "clha" else "0"], capture_output=True, text=True, env=ENV, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    res = results(out)
    assert res["global_step"] == 2 and res["examples"] == 8
    steps = losses(out)
    assert len(steps) == 2 and all(v == v and abs(v) < 1e4 for v in steps.values()), steps
