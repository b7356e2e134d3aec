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
