#!/usr/bin/env bash
# The test command (what .ci/run calls): set up with the dev tools, check that the notebooks are clean and
# exported and that README.md is rendered from nbs/index.ipynb, then run the notebooks' tests and pytest.
#   bash tools/test.sh           # the fast set (tiny models; real data)
#   bash tools/test.sh --slow    # also the cells and tests that use the real embedded model
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --dev
# the slow set opens the docs site in a headless browser (tests/test_docs.py): Debian's chromium
if [ "${1:-}" = "--slow" ] && ! command -v chromium >/dev/null 2>&1; then apt-get install -y -q chromium >/dev/null; fi
export PATH="$PWD/.venv/bin:$PATH"
flags="" marker="not slow"
[ "${1:-}" = "--slow" ] && flags="slow" marker=""

fingerprint() { find nbs clha README.md -type f \( -name '*.ipynb' -o -name '*.py' -o -name '*.md' \) -print0 | sort -z | xargs -0 sha256sum; }
before=$(fingerprint)
nbdev-clean
nbdev-export
if [ "$before" != "$(fingerprint)" ]; then
  diff <(echo "$before") <(fingerprint) | sed -n 's/^> [0-9a-f]*  /changed by nbdev-clean or nbdev-export: /p'
  echo "error: notebooks are not clean or clha/ is not exported from them; run nbdev-clean && nbdev-export and commit" >&2
  exit 1
fi
python tools/render_readme.py --check
python tools/clean_outputs.py --check   # no machine paths or widget state in committed outputs
python tools/colab.py --check           # every notebook opens in Colab and sets itself up

echo "== nbdev-test ${flags:+--flags $flags}"
nbdev-test --flags "$flags" --timing
echo "== the Colab notebook rehearsed: every cell, its GPU cells too, at the tiny scale on this CPU"
CLHA_COLAB_SCALE=tiny nbdev-test --flags "gpu slow" --timing nbs/09_colab_gpu.ipynb
echo "== pytest"
python -m pytest -ra -m "$marker" tests
