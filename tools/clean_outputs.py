"""Make committed notebook outputs portable: no widget state, no absolute paths of the machine that ran them.

    python tools/clean_outputs.py           # rewrite nbs/*.ipynb in place
    python tools/clean_outputs.py --check   # exit 1, naming notebook and cell, if any output still needs it (CI)

What it does to outputs (sources are never touched):
- drops the notebook's `widgets` metadata and every Jupyter widget view (tqdm's progress bars in Jupyter), keeping
  nothing of a widget but what a reader would see in plain text;
- drops stderr outputs that are only progress bars;
- rewrites paths: this checkout's root becomes relative, a virtual environment's or any site-packages folder becomes
  `site-packages/`, temporary folders become `tmp/`, IPython's cell files become `<cell>`, the home folder `~`.
"""
from __future__ import annotations
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDGET = "application/vnd.jupyter.widget-view+json"
PROGRESS = re.compile(r"^\s*(\S.*?:\s*)?\d+%\|.*\|\s*\d+/\d+.*$|^\s*$")
ABSOLUTE = re.compile(r"(?<![\w.~/-])/(?:work|tmp|home|root|Users|private|mnt|opt|var|srv|content)/[^\s'\"]*")


def _paths(text: str) -> str:
    "`text` with machine-specific paths made relative or generic."
    text = re.sub(r"(?:/[^\s'\"]*)?/(?:\.venv/)?lib/python3\.\d+/site-packages/", "site-packages/", text)
    text = text.replace(f"{ROOT}/", "").replace(str(ROOT), ".")
    text = re.sub(r"/tmp/ipykernel_\d+/\d+\.py", "<cell>", text)
    text = re.sub(r"/tmp/tmp[\w-]+/", "tmp/", text)
    text = re.sub(r"/tmp/tmp[\w-]+\b", "tmp", text)
    home = str(Path.home())
    if home not in ("/", ""): text = text.replace(f"{home}/", "~/")
    return text


def _clean_text(value):
    if isinstance(value, list): return [_paths(v) for v in value]
    return _paths(value) if isinstance(value, str) else value


def clean_outputs(nb: dict) -> dict:
    "The notebook with portable outputs (see the module's docstring)."
    nb["metadata"].pop("widgets", None)
    for cell in nb["cells"]:
        if cell["cell_type"] != "code": continue
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data is not None and WIDGET in data:
                data.pop(WIDGET)
                text = "".join(data.get("text/plain", []))
                if not data or PROGRESS.match(text.strip() or " ") or text.startswith("HBox("): continue
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                lines = re.split(r"[\r\n]", "".join(out["text"]))
                if all(PROGRESS.match(l) for l in lines): continue
            if "text" in out: out["text"] = _clean_text(out["text"])
            for k, v in (data or {}).items():
                if k.startswith("text/"): data[k] = _clean_text(v)
            if "traceback" in out: out["traceback"] = _clean_text(out["traceback"])
            kept.append(out)
        cell["outputs"] = kept
    return nb


def problems(nb: dict) -> list[str]:
    "What still makes a notebook's outputs machine-specific: widget state, absolute paths (cell index and excerpt)."
    found = ["widget state in the notebook's metadata"] if "widgets" in nb.get("metadata", {}) else []
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            if WIDGET in out.get("data", {}): found.append(f"cell {i}: a widget view")
            text = json.dumps(out, ensure_ascii=False)
            for m in ABSOLUTE.finditer(text): found.append(f"cell {i}: absolute path {m.group()[:60]!r}")
    return found


def main(argv: list[str]) -> int:
    check, bad = "--check" in argv, 0
    for path in sorted((ROOT / "nbs").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        if check:
            for p in problems(nb)[:5]: print(f"{path.relative_to(ROOT)}: {p}", file=sys.stderr); bad += 1
            continue
        cleaned = clean_outputs(json.loads(path.read_text()))
        if cleaned != nb: path.write_text(json.dumps(cleaned, indent=1, ensure_ascii=False) + "\n")
    if bad: print("error: notebook outputs hold machine paths or widget state; run python tools/clean_outputs.py", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__": sys.exit(main(sys.argv[1:]))
