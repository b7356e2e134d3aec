"""Build the documentation site from the notebooks where Quarto (which `nbdev-docs` needs) is not installed.

    python tools/build_site.py [--out _docs]

One HTML page per notebook, in reading order, each with the same navigation; the cells shown follow nbdev's rules
(`#| hide`, `#| export`, `#| exporti` and `#| default_exp` cells are left out, `#| exports` cells are shown,
directive lines are dropped, `#| hide_input` shows only the output), so `show_doc` output is the API reference. Figures
written by notebooks are embedded in their pages; images the Markdown links to (figures/, bench/) are copied. Links
to another notebook (`sources.ipynb`) become links to its page. Math is typeset by MathJax when the browser can load it.
"""
from __future__ import annotations
import argparse, html, importlib, json, re, shutil, sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

ROOT = Path(__file__).resolve().parents[1]
HIDDEN = {"hide", "export", "exporti", "default_exp"}
DIRECTIVE = re.compile(r"^\s*#\s*\|\s*(\S+)")
SHOW_DOC = re.compile(r"^show_doc\((\w+)\)$")

CSS = """
body{margin:0;font:15px/1.55 system-ui,-apple-system,Segoe UI,sans-serif;color:#1d2228;display:flex}
nav{width:250px;min-height:100vh;background:#f4f5f7;border-right:1px solid #dde;padding:18px 14px;box-sizing:border-box;
    position:sticky;top:0;align-self:flex-start;max-height:100vh;overflow:auto}
nav a{display:block;padding:4px 6px;color:#24408e;text-decoration:none;border-radius:4px;font-size:14px}
nav a.here{background:#dfe5f5;font-weight:600}
nav .brand{font-weight:700;font-size:18px;margin-bottom:10px;color:#1d2228}
main{max-width:980px;padding:24px 40px;box-sizing:border-box;min-width:0}
pre{background:#f7f7f9;border:1px solid #e3e3e8;border-radius:4px;padding:8px 10px;overflow-x:auto;font-size:13px}
.jp-OutputArea-output pre{background:#fff}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px}
img{max-width:100%}
.jp-InputPrompt,.jp-OutputPrompt,.prompt,.input_prompt,.output_prompt{display:none}
"""
MATHJAX = ('<script>window.MathJax={tex:{inlineMath:[["$","$"],["\\\\(","\\\\)"]]}};</script>'
           '<script async src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>')


def order(paths: list[Path]) -> list[Path]:
    "Reading order: index, sources, then the numbered notebooks, then the rest."
    rank = lambda p: (0 if p.stem == "index" else 1 if p.stem == "sources" else 2 if p.stem[:2].isdigit() else 3, p.stem)
    return sorted(paths, key=rank)


def page_name(stem: str) -> str:
    "A notebook's page name as nbdev names it: without the number that orders the notebooks (08_reproduce -> reproduce)."
    return re.sub(r"^\d+[a-z]?_", "", stem)


def title_of(nb) -> str:
    for c in nb.cells:
        if c.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", c.source, re.M)
            if m: return re.sub(r"[`*]", "", m.group(1)).strip()
    return "untitled"


def _show_doc(module: str, name: str) -> str:
    "nbdev's API documentation of `clha.<module>.<name>`, as Markdown (what nbdev renders when it builds its docs)."
    from nbdev.showdoc import show_doc
    md = show_doc(getattr(importlib.import_module(f"clha.{module}"), name))._repr_markdown_()
    return re.sub(r"\{target=[^}]*\}", "", md).replace("#LNone", "")  # Quarto-only attributes

def for_docs(nb):
    "The cells a reader of the docs sees, as nbdev shows them: show_doc cells rendered, their input hidden."
    cells, module = [], None
    for c in nb.cells:
        if c.cell_type != "code": cells.append(c); continue
        flags = {m.group(1) for l in c.source.splitlines() if (m := DIRECTIVE.match(l))}
        if "default_exp" in flags: module = re.search(r"default_exp\s+(\S+)", c.source).group(1)
        if flags & HIDDEN: continue
        c.source = "\n".join(l for l in c.source.splitlines() if not DIRECTIVE.match(l)).strip()
        if module and (m := SHOW_DOC.match(c.source)) and not c.outputs:
            c.outputs, flags = [nbformat.v4.new_output("display_data", data={"text/markdown": _show_doc(module, m.group(1))})], flags | {"hide_input"}
        if "hide_input" in flags: c.metadata["tags"] = [*c.metadata.get("tags", []), "remove_input"]
        if c.source or c.outputs: cells.append(c)
    nb.cells = cells
    return nb


def _links(body: str) -> str:
    body = re.sub(r'href="(?:\.\./nbs/|nbs/)?([\w.-]+)\.ipynb(#[^"]*)?"', lambda m: f'href="{page_name(m.group(1))}.html{m.group(2) or ""}"', body)
    return re.sub(r'src="\.\./(figures|bench)/', r'src="\1/', body)


def page(name: str, title: str, body: str, nav: list[tuple[str, str, str]]) -> str:
    links = "".join(f'<a href="{n}.html"{" class=here" if n == name else ""}>{html.escape(t)}</a>' for _, n, t in nav)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} – clha</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style>{MATHJAX}</head>'
            f'<body><nav><div class="brand">clha</div>{links}</nav><main>{body}</main></body></html>')


def build(out: Path) -> list[Path]:
    "Write the site into `out` (replaced); return the pages written."
    notebooks = order(list((ROOT / "nbs").glob("*.ipynb")))
    nbs = {p.stem: nbformat.read(p, as_version=4) for p in notebooks}
    nav = [(p.stem, title_of(nbs[p.stem]) if p.stem != "index" else "clha: overview") for p in notebooks]
    nav = [(stem, page_name(stem), title) for stem, title in nav]
    exporter = HTMLExporter(template_name="basic")
    exporter.register_preprocessor(TagRemovePreprocessor(remove_input_tags={"remove_input"}), enabled=True)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True); tmp.mkdir(parents=True)
    pages = []
    for stem, name, title in nav:
        body, _ = exporter.from_notebook_node(for_docs(nbs[stem]))
        (tmp / f"{name}.html").write_text(page(name, title, _links(body), nav))
        pages.append(out / f"{name}.html")
    for folder in ("figures", "bench"):
        for f in (ROOT / folder).rglob("*.png"): (tmp / folder / f.relative_to(ROOT / folder)).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(f, tmp / folder / f.relative_to(ROOT / folder))
    (tmp / ".nojekyll").write_text("")
    if out.exists(): shutil.rmtree(out)
    tmp.replace(out)
    return pages


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "_docs"))
    out = Path(ap.parse_args(argv).out).resolve()
    if out in (ROOT, ROOT / "nbs") or ROOT.is_relative_to(out):
        print(f"error: --out {out}: would replace the project; choose a folder of its own", file=sys.stderr); return 2
    pages = build(out)
    print(f"wrote {len(pages)} pages to {out} (open {out / 'index.html'})")
    return 0


if __name__ == "__main__": sys.exit(main(sys.argv[1:]))
