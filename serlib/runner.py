"""Run the notebooks in order with papermill: profiles, parameters, outputs, HTML.

Real-data runs write the executed notebooks back to ``notebooks/`` (what the project commits)
and HTML to ``reports/``; demo-corpus runs write both to ``reports-demo/`` so that they never
overwrite the real results.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from serlib import notebook, paths

#: Parameters per profile; a notebook receives only the ones it declares.
PROFILES: dict[str, dict] = {
    "full": {},
    "smoke": {"use_demo": True, "smoke": True, "n_jobs": 2},
}
#: Metadata keys papermill writes that change on every run (stripped before saving).
VOLATILE_CELL_KEYS = ("papermill", "execution")


class NotebookFailed(RuntimeError):
    """A notebook raised; the message names it and the error."""


@dataclass
class RunResult:
    notebook: str
    output: Path
    html: Path | None
    seconds: float


def notebooks_dir() -> Path:
    return paths.project_root() / "notebooks"


def list_notebooks(only: Sequence[str] | None = None) -> list[Path]:
    """The numbered notebooks ``NN_name.ipynb`` in order; ``only`` keeps those whose number or
    name is listed (``"01"``, ``"1"``, ``"01_eda"``). Raises ``ValueError`` naming the
    available ones when a selection matches nothing."""
    found = sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
    if not only:
        return found
    wanted = {str(o).strip() for o in only}
    chosen = [nb for nb in found
              if nb.stem in wanted or nb.stem[:2] in wanted or nb.stem[:2].lstrip("0") in wanted]
    if not chosen:
        names = ", ".join(nb.stem for nb in found) or "none"
        raise ValueError(f"no notebook matches {sorted(wanted)}; available: {names}")
    return chosen


def parameters_for(nb_path: Path, profile: str, overrides: dict | None = None) -> dict:
    """The parameters to inject into one notebook: the profile's and the overrides, kept only
    where the notebook's ``parameters`` cell declares them. Raises ``ValueError`` for an unknown
    profile or an override no selected notebook declares (checked by the caller)."""
    import papermill

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; accepted: {', '.join(PROFILES)}")
    declared = papermill.inspect_notebook(str(nb_path))
    merged = {**PROFILES[profile], **(overrides or {})}
    return {k: v for k, v in merged.items() if k in declared}


def strip_volatile(nb_path: Path) -> None:
    """Remove papermill's run metadata (timings, start and end times) from a notebook file,
    keeping outputs and execution counts (nbval needs both)."""
    nb = json.loads(nb_path.read_text())
    nb.get("metadata", {}).pop("papermill", None)
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        for key in VOLATILE_CELL_KEYS:
            meta.pop(key, None)
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def export_html(nb_path: Path, html_path: Path) -> Path:
    """Render an executed notebook to a standalone HTML file (figures embedded)."""
    from nbconvert import HTMLExporter

    html_path.parent.mkdir(parents=True, exist_ok=True)
    body, _ = HTMLExporter().from_filename(str(nb_path))
    html_path.write_text(body, encoding="utf-8")
    return html_path


def run_notebooks(
    only: Sequence[str] | None = None,
    profile: str = "full",
    overrides: dict | None = None,
    output_dir: Path | None = None,
    html: bool = True,
    log=print,
) -> list[RunResult]:
    """Execute the notebooks in order with papermill; stop at the first failure.

    Args:
        only: notebook numbers or names to run (default all).
        profile: ``full`` (real data where found) or ``smoke`` (demo corpus, tiny settings).
        overrides: more parameters (``-p name value`` on the command line).
        output_dir: where executed copies go; default: ``notebooks/`` for real data, else
            ``reports-demo/notebooks``.
        html: also write ``<reports>/html/NN_name.html``.

    Raises :class:`NotebookFailed` naming the notebook and its error.

    Used in: python -m serlib run, make run, the smoke tests.
    """
    import time

    import papermill

    selected = list_notebooks(only)
    params_all = {nb.stem: parameters_for(nb, profile, overrides) for nb in selected}
    unknown = set(overrides or {}) - {k for p in params_all.values() for k in p}
    if unknown:
        raise ValueError(f"parameter(s) {sorted(unknown)} are declared by none of "
                         f"{[nb.stem for nb in selected]}")
    sample = params_all[selected[0].stem] if selected else {}
    data = notebook.choose_data(sample.get("data_root", ""),
                                use_demo=bool(PROFILES[profile].get("use_demo")
                                              or (overrides or {}).get("use_demo")))
    if data.is_demo and profile == "full":
        # Without the real corpora the main job runs on the demo corpus: with the quick settings,
        # since retraining every deep model at full length on synthetic data would take hours.
        log("no real corpora found: the demo corpus runs with the smoke settings")
        profile = "smoke"
        params_all = {nb.stem: parameters_for(nb, profile, overrides) for nb in selected}
    reports = data.reports
    out_dir = Path(output_dir) if output_dir else (
        reports / "notebooks" if data.is_demo else notebooks_dir())
    out_dir.mkdir(parents=True, exist_ok=True)
    log(f"profile {profile}: {'DEMO corpus' if data.is_demo else 'real corpora'} at {data.root}")
    results = []
    for nb in selected:
        target = out_dir / nb.name
        log(f"running {nb.name} -> {paths.relative(target)}  params={params_all[nb.stem]}")
        start = time.perf_counter()
        try:
            papermill.execute_notebook(
                str(nb), str(target), parameters=params_all[nb.stem], kernel_name="python3",
                cwd=str(nb.parent), progress_bar=False, log_output=False)
        except papermill.PapermillExecutionError as err:
            raise NotebookFailed(f"{nb.name} failed in cell {err.exec_count}: "
                                 f"{err.ename}: {err.evalue} (executed copy: {target})") from err
        strip_volatile(target)
        page = export_html(target, reports / "html" / f"{nb.stem}.html") if html else None
        results.append(RunResult(nb.name, target, page, time.perf_counter() - start))
        log(f"  done in {results[-1].seconds:.0f} s")
    if html:
        from serlib import reports as report_pages

        report_pages.write_readme_tables(reports, update_readme=not data.is_demo)
        log(f"wrote {paths.relative(reports / 'README.md')}"
            + ("" if data.is_demo else " and the README's headline table"))
    return results
