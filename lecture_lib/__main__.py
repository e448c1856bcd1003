"""``python -m lecture_lib data [prepare|info] [--classifier]``: fetch, verify and cache MNIST (and unit 6's classifier) (``make data``)."""

import sys

from lecture_lib.data import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] != "data":
        print("usage: python -m lecture_lib data [prepare|info] [--root DIR] [--classifier]", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(args[1:]))
