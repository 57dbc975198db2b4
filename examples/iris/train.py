#!/usr/bin/env python3
"""Softmax (multinomial logistic) regression on Fisher's Iris data, in pure Python.

Logs params, per-epoch train/val loss and accuracy, and the trained model to
Loopline. Standard library only; runs in well under a second.

    loopline run -- python3 train.py --lr 0.1 --epochs 100   # from this folder
    python3 train.py          # no launcher: logs to a running Loopline server, else to a spool file

``loopline`` on PATH: *Loopline: Install 'loopline' Command in PATH* in VS Code, or
``npm install -g .`` in the Loopline checkout (where ``npx loopline`` also works).

Params given to the launcher (``loopline run --param lr=0.05 ...``) override the
matching command-line options, so the run's recorded params are what was trained.
"""

import argparse
import csv
import json
import math
import os
import random
import sys
import time
from pathlib import Path

try:
    import loopline
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))
    import loopline

HERE = Path(__file__).resolve().parent
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def load_iris(path):
    xs, labels = [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            xs.append([float(row[name]) for name in FEATURES])
            labels.append(row["species"])
    classes = sorted(set(labels))
    ys = [classes.index(label) for label in labels]
    return xs, ys, classes


def stratified_split(ys, test_fraction, seed):
    """Shuffle each class with random.Random(seed) and hold out test_fraction of it."""
    rng = random.Random(seed)
    train, test = [], []
    for c in sorted(set(ys)):
        idx = [i for i, y in enumerate(ys) if y == c]
        rng.shuffle(idx)
        n_test = int(round(len(idx) * test_fraction))
        test.extend(idx[:n_test])
        train.extend(idx[n_test:])
    rng.shuffle(train)
    rng.shuffle(test)
    return train, test


def stratified_folds(ys, folds, fold, seed):
    """k-fold split: each class shuffled with random.Random(seed) and dealt round-robin into
    `folds` parts; part `fold` (0-based) is held out. The same seed gives the same parts, so the
    k runs of `loopline cv` together validate on every row exactly once."""
    rng = random.Random(seed)
    train, test = [], []
    for c in sorted(set(ys)):
        idx = [i for i, y in enumerate(ys) if y == c]
        rng.shuffle(idx)
        for pos, i in enumerate(idx):
            (test if pos % folds == fold else train).append(i)
    rng.shuffle(train)
    rng.shuffle(test)
    return train, test


def standardise(rows, mean, std):
    return [[(v - m) / s for v, m, s in zip(row, mean, std)] for row in rows]


def feature_stats(rows):
    n = len(rows)
    mean = [sum(col) / n for col in zip(*rows)]
    std = [math.sqrt(sum((v - m) ** 2 for v in col) / n) or 1.0 for col, m in zip(zip(*rows), mean)]
    return mean, std


def softmax(z):
    m = max(z)
    e = [math.exp(v - m) for v in z]
    s = sum(e)
    return [v / s for v in e]


def predict_proba(W, b, x):
    return softmax([sum(wj * xj for wj, xj in zip(w, x)) + bk for w, bk in zip(W, b)])


def evaluate(W, b, X, Y):
    """Mean cross-entropy loss and accuracy."""
    loss, correct = 0.0, 0
    for x, y in zip(X, Y):
        p = predict_proba(W, b, x)
        loss -= math.log(max(p[y], 1e-12))
        correct += int(max(range(len(p)), key=p.__getitem__) == y)
    return loss / len(X), correct / len(X)


def gradient_step(W, b, X, Y, lr, momentum, vW, vb):
    """One full-batch gradient-descent step (heavy-ball momentum) on the mean cross-entropy."""
    k, d, n = len(W), len(W[0]), len(X)
    gW = [[0.0] * d for _ in range(k)]
    gb = [0.0] * k
    for x, y in zip(X, Y):
        p = predict_proba(W, b, x)
        p[y] -= 1.0
        for c in range(k):
            pc = p[c]
            gb[c] += pc
            row = gW[c]
            for j in range(d):
                row[j] += pc * x[j]
    for c in range(k):
        vb[c] = momentum * vb[c] + gb[c] / n
        b[c] -= lr * vb[c]
        for j in range(d):
            vW[c][j] = momentum * vW[c][j] + gW[c][j] / n
            W[c][j] -= lr * vW[c][j]


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
    ap.add_argument("--epochs", type=int, default=100, help="full-batch epochs (default 100)")
    ap.add_argument("--momentum", type=float, default=0.9, help="heavy-ball momentum, 0 for plain GD (default 0.9)")
    ap.add_argument("--seed", type=int, default=0, help="seed for the train/validation split and init (default 0)")
    # In a container the workspace is read-only and /outputs becomes the run's artifacts.
    default_out = str(Path(os.environ["LOOPLINE_OUTPUT_DIR"]) / "model.json") if os.environ.get("LOOPLINE_OUTPUT_DIR") else "model.json"
    ap.add_argument("--out", default=default_out, help="where to write the model (default model.json; $LOOPLINE_OUTPUT_DIR/model.json in a container)")
    ap.add_argument("--data", default=str(HERE / "iris.csv"), help="CSV with the Iris data")
    ap.add_argument("--folds", type=int, default=None, help="k-fold cross-validation: number of folds (loopline cv); default an 80/20 split")
    ap.add_argument("--fold", type=int, default=None, help="which fold (0-based) to hold out for validation, with --folds")
    args = ap.parse_args(argv)
    # Params passed by `loopline run --param k=v` (or `loopline cv`) win over the command line.
    launcher_params = loopline.params()
    for key, conv in (("lr", float), ("epochs", int), ("seed", int), ("momentum", float), ("fold", int), ("folds", int)):
        if key in launcher_params:
            setattr(args, key, conv(launcher_params[key]))
    if (args.fold is None) != (args.folds is None):
        ap.error("--fold and --folds go together, e.g. --fold 0 --folds 5")
    if args.folds is not None and (args.folds < 2 or not 0 <= args.fold < args.folds):
        ap.error("--folds must be at least 2 and --fold between 0 and %d" % (args.folds - 1))
    return args


def main(argv=None):
    args = parse_args(argv)
    t0 = time.perf_counter()
    xs, ys, classes = load_iris(args.data)
    if args.folds is None:
        train_idx, val_idx = stratified_split(ys, 0.2, args.seed)
    else:
        train_idx, val_idx = stratified_folds(ys, args.folds, args.fold, args.seed)
    mean, std = feature_stats([xs[i] for i in train_idx])
    X_train = standardise([xs[i] for i in train_idx], mean, std)
    X_val = standardise([xs[i] for i in val_idx], mean, std)
    Y_train = [ys[i] for i in train_idx]
    Y_val = [ys[i] for i in val_idx]

    rng = random.Random(args.seed)
    W = [[rng.gauss(0.0, 0.01) for _ in FEATURES] for _ in classes]
    b = [0.0 for _ in classes]
    vW = [[0.0 for _ in FEATURES] for _ in classes]  # momentum buffers
    vb = [0.0 for _ in classes]

    params = {"lr": args.lr, "epochs": args.epochs, "seed": args.seed, "momentum": args.momentum, "model": "softmax-regression"}
    if args.folds is not None:
        params.update(fold=args.fold, folds=args.folds)
    with loopline.start_run(params=params, name="iris-softmax") as run:
        run.set_tag("dataset", "iris")
        for epoch in range(1, args.epochs + 1):
            gradient_step(W, b, X_train, Y_train, args.lr, args.momentum, vW, vb)
            train_loss, train_acc = evaluate(W, b, X_train, Y_train)
            val_loss, val_acc = evaluate(W, b, X_val, Y_val)
            run.log_metrics(
                {"train_loss": train_loss, "train_accuracy": train_acc, "val_loss": val_loss, "val_accuracy": val_acc},
                step=epoch,
            )
            if epoch == 1 or epoch % 10 == 0 or epoch == args.epochs:
                print(
                    "epoch %3d  train_loss %.4f  train_acc %.3f  val_loss %.4f  val_acc %.3f"
                    % (epoch, train_loss, train_acc, val_loss, val_acc)
                )

        model = {
            "type": "softmax-regression",
            "features": FEATURES,
            "classes": classes,
            "mean": mean,
            "std": std,
            "weights": W,
            "bias": b,
            "params": {"lr": args.lr, "epochs": args.epochs, "seed": args.seed, "momentum": args.momentum},
            "metrics": {"train_loss": train_loss, "train_accuracy": train_acc, "val_loss": val_loss, "val_accuracy": val_acc},
        }
        out = Path(args.out)
        if out.parent != Path(""):
            out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(model, indent=2) + "\n")
        run.log_artifact(str(out), artifact_path="model")
    print(
        "done in %.2fs: val_accuracy %.3f, model written to %s (run %s)"
        % (time.perf_counter() - t0, val_acc, out, run.run_id)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
