#!/usr/bin/python3
"""Checks ONNX files with the onnx package's own checker (full check: shape inference too).

    /usr/bin/python3 tests/reference/check_onnx.py FILE.onnx [FILE.onnx ...]

Prints "ok FILE" per file and exits 0, or prints the checker's error and exits 1. Exits 3 when the onnx package is
missing (Debian: apt-get install python3-onnx), which tests/MyTorch.Cli.Tests/OnnxCliTests.cs takes as "skip".
"""

import sys

try:
    import onnx
except ImportError:
    print("the onnx package is not installed", file=sys.stderr)
    sys.exit(3)


def main(paths):
    for path in paths:
        model = onnx.load(path)
        try:
            onnx.checker.check_model(model, full_check=True)
        except onnx.checker.ValidationError as error:
            print(f"invalid {path}: {error}")
            return 1
        print(f"ok {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
