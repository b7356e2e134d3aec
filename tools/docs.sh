#!/usr/bin/env bash
# Build the documentation site from the notebooks into _docs/ (or $DOCS_OUT).
#   bash tools/docs.sh
# With Quarto installed this is nbdev's own `nbdev-docs` (configured by nbs/_quarto.yml; the forge workflow in
# .github/workflows/deploy.yaml publishes it). Without Quarto, tools/build_site.py builds the same pages with nbconvert:
# one page per notebook, shared navigation, show_doc as the API reference, figures included.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${DOCS_OUT:-_docs}"
py=python; [ -x .venv/bin/python ] && py=.venv/bin/python
if command -v quarto >/dev/null 2>&1; then
  PATH="$PWD/.venv/bin:$PATH" nbdev-docs
  if [ "$out" != "_docs" ]; then rm -rf "$out" && cp -r _docs "$out"; fi
  echo "wrote the site to $out with nbdev-docs (Quarto)"
else
  "$py" tools/build_site.py --out "$out"
fi
