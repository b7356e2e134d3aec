"""Render README.md from nbs/index.ipynb (Quarto, which nbdev-readme needs, is not available here).

    python tools/render_readme.py           # write README.md
    python tools/render_readme.py --check   # exit 1 if README.md is not what index.ipynb renders to
"""
import difflib, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTICE = "<!-- Rendered from nbs/index.ipynb by tools/render_readme.py: edit the notebook, not this file. -->\n\n"
DIRECTIVE = re.compile(r"^\s*#\s*\|\s*(.*)$")


def _directives(src: str) -> set[str]:
    return {m.group(1).split()[0] for line in src.splitlines() if (m := DIRECTIVE.match(line)) and m.group(1)}


def _outputs(cell: dict) -> list[str]:
    parts = []
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if out.get("output_type") == "stream" and out.get("name") == "stdout": text = "".join(out["text"])
        elif "text/markdown" in data: parts.append("".join(data["text/markdown"]).strip()); continue
        elif "text/plain" in data: text = "".join(data["text/plain"])
        else: continue
        parts.append("```\n" + text.rstrip("\n") + "\n```")
    return parts


def render(nb_path: Path = ROOT / "nbs" / "index.ipynb") -> str:
    "README text for a notebook: markdown cells as they are, code cells (minus hidden ones) with their outputs."
    blocks = []
    for cell in json.loads(nb_path.read_text())["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown": blocks.append(src.strip()); continue
        if cell["cell_type"] != "code" or _directives(src) & {"hide", "exporti"}: continue
        code = "\n".join(l for l in src.splitlines() if not DIRECTIVE.match(l)).strip()
        if code and "hide_input" not in _directives(src): blocks.append("```python\n" + code + "\n```")
        blocks += _outputs(cell)
    return NOTICE + "\n\n".join(b for b in blocks if b) + "\n"


def main(argv: list[str]) -> int:
    readme, text = ROOT / "README.md", render()
    if "--check" not in argv:
        readme.write_text(text); print(f"wrote {readme.relative_to(ROOT)}"); return 0
    current = readme.read_text() if readme.exists() else ""
    if current == text: print("README.md is in sync with nbs/index.ipynb"); return 0
    diff = difflib.unified_diff(current.splitlines(), text.splitlines(), "README.md", "rendered from nbs/index.ipynb", lineterm="", n=1)
    print("\n".join(list(diff)[:40]), file=sys.stderr)
    print("error: README.md is out of sync with nbs/index.ipynb; run python tools/render_readme.py and commit", file=sys.stderr)
    return 1


if __name__ == "__main__": sys.exit(main(sys.argv[1:]))
