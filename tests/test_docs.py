"""The docs site: `bash tools/docs.sh` builds it, and a headless Chromium opens it (slow: it needs Debian's chromium)."""
import os, re, shutil, subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "docs"
    run = subprocess.run(["bash", "tools/docs.sh"], cwd=ROOT, env={**os.environ, "DOCS_OUT": str(out)},
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return out


def test_one_page_per_notebook(site):
    pages = {p.stem for p in site.glob("*.html")}
    assert pages == {re.sub(r"^\d+[a-z]?_", "", p.stem) for p in (ROOT / "nbs").glob("*.ipynb")}  # nbdev's page names
    html = (site / "rescoring.html").read_text()
    assert 'id="pair_mask"' in html and "reward-similarity matrix" in html  # show_doc's API entry, with its docstring
    assert not re.search(r"method_spec|/work/|/tmp/tmp", "".join(p.read_text() for p in site.glob("*.html")))


@pytest.mark.slow
def test_a_browser_opens_the_site(site, tmp_path):
    assert CHROMIUM, "no Chromium to test the docs site with: apt-get install chromium (tools/test.sh --slow does)"
    def browse(page, *extra):
        args = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *extra, (site / page).as_uri()]
        return subprocess.run(args, capture_output=True, text=True, timeout=120)
    dom = browse("rescoring.html", "--dump-dom").stdout
    nav = re.search(r"<nav>(.*?)</nav>", dom, re.S).group(1)
    assert len(re.findall(r"<a href=", nav)) == len(list((ROOT / "nbs").glob("*.ipynb")))  # every page in the navigation
    assert 'class="here"' in nav and re.search(r'<img[^>]+src="data:image/png;base64', dom)  # a figure, rendered
    shot = tmp_path / "page.png"
    browse("index.html", f"--screenshot={shot}", "--window-size=1200,900")
    assert shot.is_file() and shot.stat().st_size > 20_000
