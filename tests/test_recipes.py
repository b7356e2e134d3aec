"""The recipe files in recipes/ parse into a training configuration (`clha train --config FILE`), and the command line
overrides them."""
from pathlib import Path

from transformers import HfArgumentParser

from clha.cli import TrainScript, expand_config, train_options
from clha.train import PreferenceConfig

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


def parse(name: str, *extra: str):
    argv = expand_config(["--config", str(RECIPES / name), "--output", "/tmp/clha-recipe-test", *extra], train_options(),
                         "clha train", flag_bools=False)
    return HfArgumentParser((TrainScript, PreferenceConfig)).parse_args_into_dataclasses(argv)


def test_the_papers_clha():
    script, config = parse("clha_paper.yaml")
    assert config.method == "clha" and config.load_in_4bit and config.num_train_epochs == 2
    assert config.loss_kwargs() == {"margin": 3.0, "threshold": "3.0", "sft_weight": 0.05, "sft_gate": "0.0"}
    assert (config.max_length, config.max_prompt_length, config.gradient_accumulation_steps) == (512, 384, 8)


def test_the_cpu_demo_and_an_override():
    script, config = parse("cpu_demo.yaml", "--learning-rate", "2e-4")
    assert (script.model, script.data, script.max_train, script.rescore_with) == ("smollm2-135m", "embedded", 48, "embedded-quick:train")
    assert config.loss_kwargs() == {"threshold": "50%", "sft_gate": "30%"}
    assert config.learning_rate == 2e-4  # the command line wins over the file


def test_a_trl_users_conversational_data_and_recipe_train_clha_in_one_command(tmp_path):
    "TRL's conversational preference rows (explicit and implicit prompt) and a YAML recipe: `clha train --config` and done."
    import json
    from clha.cli import main
    from clha.models import save_tiny
    msg = lambda role, content: {"role": role, "content": content}
    rows = [{"prompt": [msg("system", "Be brief."), msg("user", f"Question {i}?")], "chosen": [msg("assistant", "Sure, here it is.")],
             "rejected": [msg("assistant", "No.")]} for i in range(4)]
    rows += [{"chosen": [msg("user", f"Hi {i}"), msg("assistant", "Hello!")], "rejected": [msg("user", f"Hi {i}"), msg("assistant", "Go.")]}
             for i in range(4)]
    (tmp_path / "prefs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "recipe.yaml").write_text(
        f"model: {save_tiny(tmp_path / 'tiny')}\ndata: {tmp_path / 'prefs.jsonl'}\nmethod: clha\nstyle: chat\n"
        "threshold: none\nsft_gating: none\nmax_steps: 2\nper_device_train_batch_size: 4\nmax_length: 96\n"
        "max_prompt_length: 64\nsave_strategy: 'no'\nreport_to: none\nuse_cpu: true\n")
    assert main(["train", "--config", str(tmp_path / "recipe.yaml"), "--output", str(tmp_path / "run")]) == 0
    results = json.loads((tmp_path / "run" / "train_results.json").read_text())
    assert (results["method"], results["global_step"], results["examples"]) == ("clha", 2, 8)
    assert (tmp_path / "run" / "README.md").read_text().startswith("---\nlibrary_name: peft")
