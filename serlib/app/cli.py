"""``python -m serlib``: run the notebooks, audit a corpus, make the demo corpus, download data.

Exit codes: 0 success, 1 a notebook or download failed, 2 bad arguments or missing data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from serlib import __version__

EPILOG = """examples:
  python -m serlib run                       # all notebooks, real corpora if found, else demo
  python -m serlib run --profile smoke       # quick run on the synthetic demo corpus
  python -m serlib run --profile class       # every chapter in minutes (RAVDESS is enough)
  python -m serlib run --only 02 -p n_jobs 2 # one notebook with a parameter
  python -m serlib run --corpus emodb --only 01,02,03,04   # chapters 01-04 on EMO-DB
  python -m serlib run --corpus path/to/mycorpus --only 01  # any corpus by manifest.csv
  python -m serlib audit ../shared/data/aesdd
  python -m serlib demo-data /tmp/demo
  python -m serlib download ravdess
  python -m serlib predict clips/ --out predictions.csv

data root: $SERLIB_DATA if set, else <project>/data (holding ravdess/ and aesdd/)."""


def _parse_value(text: str):
    """Turn a ``-p`` value into int, float, bool or None where it reads as one (``run`` passes
    the text on: the runner converts it to the type each notebook declares)."""
    from serlib.app import runner

    return runner.parse_text(text)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m serlib`` (sub-commands run, audit, demo-data,
    download, predict)."""
    parser = argparse.ArgumentParser(
        prog="python -m serlib",
        description="Reproducible speech-emotion-recognition study on RAVDESS and AESDD.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"serlib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run", help="execute the notebooks in order with papermill",
        description="Execute the notebooks in order with papermill. Real-data runs update "
        "notebooks/ and reports/html; demo-corpus runs write to reports-demo/. Each notebook "
        "runs in build/run/ and is copied into place only when it completes. Parameters are "
        "checked against each notebook's parameters cell before any kernel starts. Stops at "
        "the first failing notebook, naming it, its error and its failed copy.")
    run.add_argument("--only", nargs="+", metavar="NN",
                     help="notebook numbers or names to run, separated by spaces or commas "
                     "(01 02, 01,02; default: all)")
    run.add_argument("--profile", default="full", choices=["full", "smoke", "class"],
                     help="full: real corpora where found; smoke: demo corpus, tiny settings; "
                     "class: real corpora (RAVDESS alone is enough), quick settings")
    run.add_argument("-p", "--param", nargs=2, action="append", default=[],
                     metavar=("NAME", "VALUE"), help="a notebook parameter (repeatable)")
    run.add_argument("--corpus", metavar="NAME_OR_FOLDER",
                     help="the corpus of chapters 01-04: ravdess (default: the committed "
                     "chapters, with their AESDD parts), aesdd, emodb, or a corpus folder (a "
                     "manifest.csv with path,emotion,speaker; named after the folder). Another "
                     "corpus runs the chapters that take one, with its own protocols, and writes "
                     "to --out, never to notebooks/; a missing folder exits with code 2")
    run.add_argument("--out", type=Path, metavar="FOLDER",
                     help="with --corpus other than ravdess: where the executed notebooks, HTML, "
                     "figures and results go (default reports/corpora/<corpus>/)")
    run.add_argument("--output-dir", type=Path, help="where executed notebooks go")
    run.add_argument("--no-html", action="store_true", help="skip the HTML reports")
    run.add_argument("--build-only", action="store_true",
                     help="leave notebooks/ and reports/ alone: keep every output in build/run/")

    audit = sub.add_parser(
        "audit", help="inventory of a corpus folder",
        description="Counts per field, durations, sample rates and unreadable files (with "
        "reasons) of a corpus folder. The corpus is recognised from its file names; any "
        "other corpus is read from a manifest.csv (path,emotion,speaker), whose labels are "
        "normalised (case, spaces, synonyms) and whose unknown labels are listed with counts.")
    audit.add_argument("folder", type=Path, help="corpus folder (or manifest CSV)")
    audit.add_argument("--corpus", choices=["ravdess", "aesdd", "emodb", "manifest"],
                       help="which corpus the folder holds (default: recognise it)")

    demo = sub.add_parser("demo-data", help="generate the synthetic demo corpus",
                          description="Write the deterministic synthetic demo corpus "
                          "(RAVDESS and AESDD layouts) into FOLDER/ravdess and FOLDER/aesdd.")
    demo.add_argument("folder", type=Path)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--overwrite", action="store_true")

    download = sub.add_parser(
        "download", help="fetch RAVDESS; print how to get AESDD",
        description="Download RAVDESS speech (Zenodo record 1188976) with resume and checksum "
        "and unpack it into <data root>/ravdess; for AESDD print how to get it.")
    download.add_argument("corpus", choices=["ravdess", "aesdd"])
    download.add_argument("--data-root", type=Path, help="default: $SERLIB_DATA or data/")

    predict = sub.add_parser(
        "predict", help="classify audio files with a trained model (default: EmoCatcher)",
        description="Predict the emotion of an audio file or of every audio file in a folder "
        "with a model trained on RAVDESS (acted English speech, 8 emotions). One row per file "
        "with the predicted emotion, every class probability and the model's name; a file "
        "that is empty, truncated, not audio, too short or without voiced frames gets a row "
        "with the reason instead. WARNING: the models were trained on RAVDESS only (24 "
        "North-American actors, acted English speech, one studio); on other speakers, languages "
        "and recording conditions they are clearly less accurate than on RAVDESS: treat a "
        "prediction as a hint, not a measurement. " + _predict_warning() + " "
        "Exit codes: 0 when at least one file was classified, 1 when every file failed, 2 when "
        "there is no audio file or the model is not found.")
    predict.add_argument("target", type=Path, metavar="AUDIO_OR_FOLDER", nargs="?",
                         help="an audio file, or a folder searched recursively for audio files")
    predict.add_argument("--model", metavar="NAME_OR_PATH",
                         help="a committed model's name (see --list-models) or a checkpoint "
                         "file (.pt from notebooks 06 and 07, or the seed's .pth state_dict); "
                         "default: random-holdout-8-2_full-gain_fold1_seed999 (gain-normalised; "
                         "the previous default random-holdout-8-2_seed_fold1_seed999 is listed "
                         "too)")
    predict.add_argument("--list-models", action="store_true",
                         help="list the committed models (name, protocol, recipe, seed, how "
                         "the kept epoch was chosen) and exit")
    predict.add_argument("--out", type=Path, help="write the table to this CSV file")

    protocols = sub.add_parser(
        "protocols", help="list the evaluation protocols (committed fold lists)",
        description="One row per registered evaluation protocol: corpus, kind (speaker-, "
        "recording-independent or none), folds and mean part sizes (serlib.protocols).")
    protocols.add_argument("--corpus", help="only this corpus's protocols")
    return parser


def _cmd_run(args) -> int:
    from serlib.app import runner

    overrides = dict(args.param)  # text: converted to each parameter's declared type
    try:
        runner.run_notebooks(only=args.only, profile=args.profile, overrides=overrides,
                             output_dir=args.output_dir, html=not args.no_html,
                             install=not args.build_only, corpus=args.corpus, out=args.out)
    except runner.NotebookFailed as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except runner.RunInterrupted as err:
        print(f"error: {err}", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError) as err:  # bad parameters, data that is not there
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def _cmd_audit(args) -> int:
    from serlib.data import audit, corpora

    try:
        print(audit.audit(args.folder, args.corpus))
    except (corpora.CorpusNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def _cmd_demo(args) -> int:
    from serlib.data import demo

    made = demo.make_demo_corpus(args.folder, seed=args.seed, overwrite=args.overwrite)
    for name, folder in made.items():
        print(f"{name}: {folder}")
    return 0


def _cmd_download(args) -> int:
    from serlib import paths
    from serlib.data import download

    root = args.data_root or paths.data_root()
    if args.corpus == "aesdd":
        print(download.aesdd_instructions(root))
        return 0
    try:
        folder = download.download_ravdess(root)
    except download.DownloadError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"RAVDESS is ready at {folder}")
    return 0


def _predict_warning() -> str:
    """The cross-corpus numbers of predict's help, read from reports/results.csv now."""
    from serlib.app import predict_warning

    return predict_warning.warning_text()


def _cmd_predict(args) -> int:
    from serlib.app import predict

    if args.list_models:
        print(predict.models_text())
        return 0
    if args.target is None:
        print("error: give an audio file or folder (or --list-models)", file=sys.stderr)
        return 2
    try:
        model = predict.resolve_model(args.model)
        files = predict.find_audio(args.target)
    except FileNotFoundError as err:  # NoAudioError, ModelNotFoundError
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        table = predict.predict_files(files, model.path)
    except Exception as err:  # files never raise (they get error rows): the model failed to load
        import pickle

        text = "" if isinstance(err, pickle.UnpicklingError) or not str(err).strip() \
            else f": {str(err).strip().splitlines()[0][:200]}"
        print(f"error: cannot load model {model.path} ({type(err).__name__}{text}); it must be "
              "a .pt from notebook 06 or an EmoCatcher state_dict", file=sys.stderr)
        return 2
    if args.out is not None:
        predict.write_table(table, args.out)
    failed = table[table["error"] != ""]
    for row in failed.itertuples():
        print(f"failed: {row.path}: {row.error}", file=sys.stderr)
    if args.out is None:
        print(table.to_csv(index=False), end="")
    else:
        print(f"{len(table)} files, {len(failed)} failed: {args.out}")
    if len(failed) == len(files):
        print(f"error: none of the {len(files)} file(s) could be classified (reasons above)",
              file=sys.stderr)
        return 1
    return 0


def _cmd_protocols(args) -> int:
    from serlib.protocols import registry

    try:
        print(registry.describe_text(args.corpus))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


COMMANDS = {"run": _cmd_run, "audit": _cmd_audit, "demo-data": _cmd_demo,
            "download": _cmd_download, "predict": _cmd_predict, "protocols": _cmd_protocols}


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m serlib``; returns the exit code."""
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args)
