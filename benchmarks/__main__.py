"""``python -m benchmarks``: run every workload in every installed system (see run.py)."""
import sys

from benchmarks.run import main

sys.exit(main())
