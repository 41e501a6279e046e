"""`python -m bench`: the side-by-side benchmark (see bench/harness.py)."""

from bench.harness import main

main()
