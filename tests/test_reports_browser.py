"""Open every HTML report in a real headless browser (Debian's chromium) and check that its
figures and tables render: no broken image, no error output, and a non-blank screenshot."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from serlib import paths

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PAGES = sorted((paths.reports_dir() / "html").glob("*.html"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]
# Runs in the page once it has loaded: counts what a reader would see as broken.
PROBE = """<script>
window.addEventListener("load", () => {
  const images = [...document.images];
  const result = {
    images: images.length,
    broken: images.filter(i => !i.complete || i.naturalWidth === 0).length,
    tables: document.querySelectorAll("table").length,
    errors: [...document.querySelectorAll("pre, .jp-OutputArea-output")]
      .filter(e => /Traceback \\(most recent call last\\)/.test(e.textContent)).length,
  };
  const out = document.createElement("pre");
  out.id = "serlib-probe";
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>"""

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="chromium not installed (apt-get install chromium)")


def run_chromium(*args: str, user_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={user_dir}", *args],
                          capture_output=True, text=True, timeout=120)


def test_every_notebook_has_a_report():
    notebooks = {nb.stem for nb in (paths.project_root() / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert notebooks <= {page.stem for page in PAGES}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_report_renders_in_browser(page: Path, tmp_path: Path):
    probed = tmp_path / page.name
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                      encoding="utf-8")
    dom = run_chromium("--virtual-time-budget=15000", "--dump-dom", probed.as_uri(),
                       user_dir=tmp_path / "profile")
    match = re.search(r'<pre id="serlib-probe">(.*?)</pre>', dom.stdout)
    assert match, f"the page did not finish loading: {dom.stderr[-500:]}"
    result = json.loads(match.group(1))
    assert result["broken"] == 0, result
    assert result["errors"] == 0, result
    assert result["images"] > 0 and result["tables"] + result["images"] > 1, result
    shot = tmp_path / "shot.png"
    run_chromium("--window-size=1200,2400", f"--screenshot={shot}", page.as_uri(),
                 user_dir=tmp_path / "profile2")
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.std() > 10, "the screenshot is blank"
