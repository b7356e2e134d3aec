"""Bad input through the real `clha` command: each case ends with exit status 2, a single `error:` line naming the
file, line, field or option and what was expected, no traceback, and nothing written or deleted. All of them are
refused before a model loads (they run in seconds)."""
import gzip, json, os
from pathlib import Path

import pytest

from clha.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    ok = '{"prompt": "Hi?", "responses": ["Hello!", "Go away."], "rewards": [1.0, -1.0]}\n'
    (d / "good.jsonl").write_text(ok * 4)
    (d / "huge_rewards.jsonl").write_text('{"prompt": "Hi?", "responses": ["a", "b"], "rewards": [1e308, -1e308]}\n')
    (d / "bigint.jsonl").write_text('{"prompt": "Hi?", "responses": ["a", "b"], "rewards": [' + "9" * 401 + ", 0]}\n")
    (d / "deep.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n")
    (d / "surrogate.jsonl").write_text('{"prompt": "Hi\\ud800", "responses": ["a", "b"]}\n')
    payload = gzip.compress(ok.encode() * 50)
    (d / "truncated.jsonl.gz").write_bytes(payload[: len(payload) // 2])
    (d / "notgzip.jsonl.gz").write_bytes(b"plain text, not gzip")
    (d / "a_folder").mkdir()
    (d / "a_file.txt").write_text("not a folder")
    hh = d / "hhdata" / "hh-rlhf" / "harmless-base"; hh.mkdir(parents=True)
    with gzip.open(hh / "test.jsonl.gz", "wt") as f: f.write(json.dumps({"chosen": "no role tags", "rejected": "none here"}) + "\n")
    user = d / "users_folder"; user.mkdir(); (user / "notes.txt").write_text("mine")
    (d / "broken.yaml").write_text("method: [clha\n")
    (d / "listval.yaml").write_text("learning_rate: [1, 2]\n")
    (d / "typo.yaml").write_text("learnig_rate: 1.0e-4\n")
    from datasets import Dataset
    Dataset.from_dict({"question": ["Hi?"], "good": ["Hello!"], "bad": ["Go away."]}).save_to_disk(d / "hubset")
    msg = lambda role, content: {"role": role, "content": content}
    for name, row in {"conv_bad_role": {"prompt": [msg("robot", "x")], "chosen": "a", "rejected": "b"},
                      "conv_ends_assistant": {"prompt": [msg("user", "x"), msg("assistant", "y")], "chosen": "a", "rejected": "b"},
                      "conv_no_reply": {"chosen": [msg("user", "x")], "rejected": [msg("user", "x")]},
                      "conv_bad_content": {"prompt": [msg("user", "x")], "chosen": [msg("assistant", ["a"])], "rejected": "b"},
                      "conv": {"prompt": [msg("user", "Hi?")], "chosen": [msg("assistant", "Hello!")], "rejected": "Go away."}}.items():
        (d / f"{name}.jsonl").write_text(json.dumps(row) + "\n")
    from clha.models import save_tiny
    from clha.rewards import new_reward_model
    new_reward_model(str(save_tiny(d / "rm_backbone", seed=1)), max_length=64).save(d / "tiny_rm")
    tok_dir = save_tiny(d / "no_template")
    cfg = json.loads((tok_dir / "tokenizer_config.json").read_text()); cfg.pop("chat_template", None)
    (tok_dir / "tokenizer_config.json").write_text(json.dumps(cfg)); (tok_dir / "chat_template.jinja").unlink(missing_ok=True)
    return d


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted(root.rglob("*"))}


def cases(d: Path):
    g, out = str(d / "good.jsonl"), str(d / "out.jsonl")
    return [
        (["validate", str(d / "huge_rewards.jsonl")], "field 'rewards[0]': expected a finite number within ±3.4e38"),
        (["validate", str(d / "bigint.jsonl")], "field 'rewards[0]': expected a finite number"),
        (["validate", str(d / "deep.jsonl")], "deep.jsonl:1: JSON nested too deeply"),
        (["validate", str(d / "surrogate.jsonl")], "field 'prompt': not valid Unicode"),
        (["validate", str(d / "truncated.jsonl.gz")], "corrupt or truncated gzip"),
        (["validate", str(d / "notgzip.jsonl.gz")], "corrupt or truncated gzip"),
        (["validate", str(d / "a_folder")], "a_folder: is a folder"),
        (["train", "--method", "pro", "--data", str(d / "huge_rewards.jsonl"), "--output", str(d / "r1")], "rewards[0]"),
        (["train", "--method", "ipo", "--beta", "0", "--output", str(d / "r2")], "beta: expected a finite number > 0"),
        (["train", "--method", "dpo", "--beta", "nan", "--output", str(d / "r3")], "beta: expected a finite number > 0"),
        (["train", "--method", "dpo", "--beta", "inf", "--output", str(d / "r3")], "beta: expected a finite number > 0"),
        (["train", "--method", "dpo", "--beta", "-1", "--output", str(d / "r3")], "beta: expected a finite number > 0"),
        (["train", "--method", "nca", "--temperature", "0", "--data", g, "--output", str(d / "r4")], "temperature: expected"),
        (["train", "--method", "infonca", "--temperature", "-1", "--data", g, "--output", str(d / "r4")], "temperature: expected"),
        (["train", "--method", "pro", "--sft-weight", "nan", "--data", g, "--output", str(d / "r5")], "sft_weight: expected"),
        (["train", "--method", "clha", "--margin", "-1", "--data", g, "--output", str(d / "r5")], "margin: expected"),
        (["train", "--method", "cdpo", "--label-smoothing", "0.7", "--output", str(d / "r6")], "label_smoothing: expected"),
        (["train", "--method", "clha", "--reduction", "mean", "--data", g, "--output", str(d / "r7")], "reduction: expected one of"),
        (["train", "--method", "clha", "--sft-gating", "soft", "--data", g, "--output", str(d / "r7")], "sft_gating: expected one of"),
        (["train", "--method", "dpo", "--learning-rate", "-1", "--output", str(d / "r8")], "learning_rate: expected"),
        (["train", "--method", "dpo", "--learning-rate", "nan", "--output", str(d / "r8")], "learning_rate: expected"),
        (["train", "--method", "dpo", "--per-device-train-batch-size", "0", "--output", str(d / "r8")], "per_device_train_batch_size"),
        (["train", "--method", "dpo", "--lora-r", "-4", "--output", str(d / "r8")], "lora_r: expected"),
        (["train", "--method", "dpo", "--style", "xml", "--output", str(d / "r8")], "style: expected one of hh, chat"),
        (["train", "--method", "dpo", "--data", str(d / "a_folder"), "--output", str(d / "r9")], "a_folder: is a folder"),
        (["eval", "--output", str(d / "e1"), "--batch-size", "0"], "--batch-size: expected a positive number"),
        (["eval", "--output", str(d / "e1"), "--max-prompt-tokens", "0"], "--max-prompt-tokens: expected a positive number"),
        (["rm", "train", "--output", str(d / "m1"), "--batch-size", "0"], "--batch-size: expected a positive number"),
        (["rm", "train", "--output", str(d / "m1"), "--max-length", "0"], "--max-length: expected a positive number"),
        (["rm", "train", "--output", str(d / "m1"), "--epochs", "0"], "--epochs: expected a positive number"),
        (["rm", "train", "--output", str(d / "users_folder")], "holds files clha did not write"),
        (["rm", "train", "--output", "."], "the current folder or one of its parents"),
        (["rm", "train", "--output", str(d / "a_file.txt")], "is a file"),
        (["rescore", g, str(d / "a_folder")], "is a folder"),
        (["rescore", g, ""], "empty path"),
        (["rescore", str(d / "deep.jsonl"), out, "--rm", "no/such-rm"], "JSON nested too deeply"),  # data before the model
        (["rescore", g, out, "--batch-size", "0"], "--batch-size: expected a positive number"),
        (["rescore", g, out, "--threshold", "lots"], "threshold: expected"),
        (["train", "--config", str(d / "broken.yaml")], "broken.yaml: not valid YAML"),
        (["train", "--config", str(d / "listval.yaml")], "option 'learning_rate': expected a single value"),
        (["train", "--config", str(d / "typo.yaml")], "no option 'learnig_rate'; did you mean 'learning_rate'"),
        (["rm", "train", "--config", str(d / "typo.yaml")], "clha rm train: no option 'learnig_rate'"),
        (["train", "--model_name_or_path", "x", "--output", str(d / "r10")], "no option 'model_name_or_path' (TRL's name); use 'model'"),
        (["train", "--method", "dpo", "--resume-from-checkpoint", str(d / "a_folder"), "--output", str(d / "r11")], "not a checkpoint"),
        (["validate", "hf:nobody/no-such-dataset-clha"], "hf:nobody/no-such-dataset-clha: cannot load"),
        (["validate", f"hf:{d / 'hubset'}", "--columns", "prompt=query,chosen=good,rejected=bad"], "--columns names 'query', which the dataset lacks"),
        (["train", "--method", "dpo", "--data", f"hf:{d / 'hubset'}", "--columns", "prompt", "--output", str(d / "r12")], "expected OURS=THEIRS pairs"),
        (["validate", str(d / "conv_bad_role.jsonl")], "field 'prompt[0].role': expected one of system, user, assistant"),
        (["validate", str(d / "conv_ends_assistant.jsonl")], "field 'prompt': ends on an assistant turn"),
        (["validate", str(d / "conv_no_reply.jsonl")], "field 'chosen': expected a conversation ending with the assistant's reply"),
        (["validate", str(d / "conv_bad_content.jsonl")], "field 'chosen[0].content': expected a non-blank string, got list"),
        (["train", "--method", "dpo", "--style", "chat", "--model", str(d / "no_template"), "--data", str(d / "conv.jsonl"),
          "--output", str(d / "r13")], "chat template"),
        (["augment", g, str(d / "k3.jsonl"), "--model", "no/such-model-clha", "--rm", str(d / "tiny_rm")], "no/such-model-clha: cannot load"),
        (["augment", g, str(d / "k3.jsonl"), "--model", "x", "--n", "0"], "--n: expected a positive number"),
        (["augment", g, str(d / "k3.jsonl"), "--model", str(d / "no_template"), "--rm", str(d / "no_rm_here")], "no reward model there"),
        (["augment", g, str(d / "a_file.txt"), "--model", "x"], "a_file.txt: exists; pass --overwrite"),
        (["augment", g, str(d / "k3.jsonl"), "--model", "x", "--n", "2", "--temperature", "0"], "needs --temperature above 0"),
    ]


@pytest.mark.parametrize("i", range(57))
def test_bad_input_is_refused_in_one_line(files, i, capsys, monkeypatch):
    monkeypatch.chdir(files)
    argv, expected = cases(files)[i]
    before = snapshot(files)
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, (argv, err)
    assert len(err) == 1 and err[0].startswith("error: ") and expected in err[0], (argv, err)
    assert snapshot(files) == before, f"{argv}: wrote or deleted files"


def test_the_catalogue_is_all_run():
    assert len(cases(Path("x"))) == 57


def test_hh_files_without_role_tags(files, capsys, monkeypatch):
    monkeypatch.setenv("CLHA_DATA", str(files / "hhdata"))
    code = main(["validate", "hh:harmless-base", "--split", "test"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "no usable pair among 1" in err[0], err


def test_a_users_folder_survives_overwrite(files, capsys):
    code = main(["rm", "train", "--output", str(files / "users_folder"), "--overwrite"])
    assert code == 2 and "holds files clha did not write" in capsys.readouterr().err
    assert (files / "users_folder" / "notes.txt").read_text() == "mine"
