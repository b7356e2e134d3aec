"""The `clha` console script as a user runs it: exit statuses, one-line errors, no tracebacks."""
import json, os, subprocess, sys
from pathlib import Path

import pytest

CLHA = [str(Path(sys.executable).with_name("clha"))]

# Each malformed-input kind of the ranked JSONL format, with the start of the message `clha validate` must print.
MALFORMED = [
    ("invalid JSON", '{"prompt": "a", "responses": ["x" "y"]}', "invalid JSON (Expecting ',' delimiter"),
    ("not an object", '"just a string"', "expected a JSON object, got str"),
    ("missing prompt", '{"chosen": "x", "rejected": "y"}', "field 'prompt': missing"),
    ("non-string prompt", '{"prompt": 3, "responses": ["x", "y"]}', "field 'prompt': expected a non-blank string, got int"),
    ("prompt list of strings", '{"prompt": ["a"], "responses": ["x", "y"]}', "field 'prompt[0]': expected a message {\"role\", \"content\"}, got str"),
    ("responses not a list", '{"prompt": "a", "responses": {"x": 1}}', "field 'responses': expected a list of strings, got dict"),
    ("fewer than 2 responses", '{"prompt": "a", "responses": []}', "field 'responses': expected at least 2 responses, got 0"),
    ("non-string response", '{"prompt": "a", "responses": ["x", null]}', "field 'responses[1]': expected a non-blank string, got null"),
    ("blank response", '{"prompt": "a", "responses": ["", "y"]}', "field 'responses[0]': expected a non-blank string, got a blank string"),
    ("rewards of the wrong length", '{"prompt": "a", "responses": ["x", "y", "z"], "rewards": [1, 2]}', "field 'rewards': expected 3 numbers"),
    ("non-numeric reward", '{"prompt": "a", "responses": ["x", "y"], "rewards": [true, 1]}', "field 'rewards[0]': expected a finite number within ±3.4e38 (float32), got True"),
    ("non-finite reward", '{"prompt": "a", "responses": ["x", "y"], "rewards": [-Infinity, 1]}', "field 'rewards[0]': expected a finite number within ±3.4e38 (float32), got -inf"),
    ("chosen without rejected", '{"prompt": "a", "chosen": "x"}', "field 'rejected': missing"),
    ("rejected without chosen", '{"prompt": "a", "rejected": "x"}', "field 'chosen': missing"),
]


def clha(*args, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(CLHA + list(args), capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})


@pytest.mark.parametrize("kind,line,message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_validate_rejects_malformed_line(tmp_path, kind, line, message):
    path = tmp_path / "data.jsonl"
    path.write_text('{"prompt": "ok", "responses": ["fine", "also fine"]}\n' + line + "\n")
    r = clha("validate", str(path))
    assert r.returncode == 2
    assert r.stderr == f"error: {path}:2: {r.stderr.split(':2: ', 1)[1]}"  # one line, naming file:line
    assert r.stderr.count("\n") == 1 and message in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_validate_rejects_empty_and_missing_files(tmp_path):
    (tmp_path / "empty.jsonl").write_text("\n\n")
    r = clha("validate", str(tmp_path / "empty.jsonl"))
    assert (r.returncode, r.stderr) == (2, f"error: {tmp_path / 'empty.jsonl'}: empty file (expected one JSON object per line)\n")
    r = clha("validate", str(tmp_path / "absent.jsonl"))
    assert (r.returncode, r.stderr) == (2, f"error: {tmp_path / 'absent.jsonl'}: no such file\n")


def test_validate_summarises_a_good_file(tmp_path):
    path = tmp_path / "good.jsonl.gz"
    import gzip
    with gzip.open(path, "wt") as f:
        f.write('{"prompt": "Hi?", "chosen": "Hello!", "rejected": "Go away."}\n')
        f.write('{"prompt": "Why?", "responses": ["Because.", "No.", "?"], "rewards": [1, 0.5, -2]}\n')
    r = clha("validate", str(path))
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"{path}: ok: 2 examples; K=2 (1), K=3 (1); fields: prompt, responses, rewards (1 of 2)\n"


def test_validate_reads_the_embedded_data():
    r = clha("validate", "embedded", "--split", "train")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("embedded: ok: 1834 examples; K=2 (1834)")


def test_every_command_has_help():
    r = clha("--help")
    assert r.returncode == 0 and "validate" in r.stdout and "demo" in r.stdout
    for command in ("validate", "demo", "eval"):
        r = clha(command, "--help")
        assert r.returncode == 0 and r.stdout.startswith(f"usage: clha {command}"), r.stderr


def test_usage_errors_exit_2():
    assert clha("frobnicate").returncode == 2
    r = clha("validate")  # missing argument: argparse's own message
    assert r.returncode == 2 and "required: path" in r.stderr
    r = clha("demo", "--data", "hh:harmless")  # a bad data spec fails before any model is loaded
    assert r.returncode == 2 and r.stderr == "error: HH-RLHF: unknown subset 'harmless'; expected one of harmless-base, helpful-base, helpful-online, helpful-rejection-sampled\n"


@pytest.mark.slow
def test_demo_runs_the_pipeline(tmp_path):
    r = clha("demo", "--train-pairs", "8", "--score-pairs", "32", "--eval-prompts", "4", "--max-new-tokens", "16",
             "--output", str(tmp_path / "demo"), timeout=900)  # trains the quick reward models on a fresh machine
    assert r.returncode == 0, r.stderr
    assert "embedded: 1834 training and 474 held-out pairs" in r.stdout and "| clha (LoRA) |" in r.stdout
    assert (tmp_path / "demo" / "table.md").read_text().count("\n") == 4  # header, rule, two models


def test_eval_writes_the_protocol_tables(tmp_path):
    "`clha eval` end to end on a tiny policy and a tiny reward model: files, table rows, the cache, a baseline folder."
    from clha.models import save_tiny
    from clha.rewards import new_reward_model
    policy = save_tiny(tmp_path / "policy")
    new_reward_model(str(save_tiny(tmp_path / "rm-backbone", seed=1)), max_length=64).save(tmp_path / "rm")
    data = tmp_path / "pairs.jsonl"
    data.write_text("".join(f'{{"prompt": "Human: question {i}?\\n\\nAssistant:", "chosen": "answer {i}", "rejected": "no"}}\n'
                            for i in range(4)))
    common = ["--model", str(policy), "--data", str(data), "--rm", str(tmp_path / "rm"), "--max-new-tokens", "4"]
    r = clha("eval", *common, "--output", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr
    assert {p.name for p in (tmp_path / "a").iterdir()} == {"generations.jsonl", "scores.csv", "table.csv", "table.md", "summary.json"}
    assert "| policy |" in r.stdout and r.stdout.strip().endswith("summary.json")
    r = clha("eval", *common, "--baseline", str(tmp_path / "a"), "--output", str(tmp_path / "b"))
    assert r.returncode == 0, r.stderr
    assert "all/Win (95% CI)" in r.stdout and "50.00 (50.00–50.00)" in r.stdout  # the same greedy replies: all ties
    r = clha("eval", *common, "--limit", "2", "--baseline", str(tmp_path / "a"), "--output", str(tmp_path / "c"))
    assert r.returncode == 2 and r.stderr.startswith("error: --baseline") and r.stderr.count("\n") == 1
    assert not (tmp_path / "c").exists()  # nothing written


def test_reproduce_on_a_tiny_policy(tmp_path):
    "`clha reproduce --quick` end to end with a tiny policy and reward model: the report, the figures, the shared CLHA run."
    from clha.models import save_tiny
    from clha.rewards import new_reward_model
    policy = save_tiny(tmp_path / "policy")
    new_reward_model(str(save_tiny(tmp_path / "rm-backbone", seed=1)), max_length=64).save(tmp_path / "rm")
    args = ["--quick", "--model", str(policy), "--rm", str(tmp_path / "rm"), "--train-pairs", "8", "--runs", "SFT,CLHA",
            "--sweep", "CLHA", "--output", str(tmp_path / "runs"), "--report", str(tmp_path / "report")]
    r = clha("reproduce", *args, timeout=600)
    assert r.returncode == 0, r.stderr
    assert {p.name for p in (tmp_path / "report").iterdir()} == {
        "reproduce_quick.json", "reproduce_quick.md", "noise_sweep_quick.png", "logps_chosen_quick.png"}
    result = json.loads((tmp_path / "report" / "reproduce_quick.json").read_text())
    assert list(result["main"]) == ["base (0-shot)", "SFT", "CLHA"] and result["train_pairs"] == 8
    assert len({row["folder"] for row in result["sweep"]}) == 1  # rescoring makes CLHA's data the same at every flip rate
    assert [row["flip_rate"] for row in result["sweep"]] == [0.0, 0.1, 0.2, 0.3]
    assert "| CLHA |" in r.stdout and "held-out acc." in r.stdout


def test_reproduce_rejects_bad_options_before_work(tmp_path):
    for argv, expected in [(("--runs", "DPO,GRPO"), "unknown run 'GRPO'"), (("--train-pairs", "0"), "--train-pairs: expected")]:
        r = clha("reproduce", "--quick", *argv, "--output", str(tmp_path / "runs"), "--report", str(tmp_path / "report"))
        assert r.returncode == 2 and expected in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert not (tmp_path / "runs").exists() and not (tmp_path / "report").exists()
