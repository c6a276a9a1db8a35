"""Put on PYTHONPATH only by pandoc_compare.py's capture run; does nothing unless DESIGNEXPORT_BENCH_CAPTURE is set.

Python imports `sitecustomize` at start-up in every interpreter, so the hook reaches the CLI and any worker
it starts, however it starts them (fork or a fresh interpreter).
"""

import os

if os.environ.get("DESIGNEXPORT_BENCH_CAPTURE"):
    import weasyprint_capture

    weasyprint_capture.install(os.environ["DESIGNEXPORT_BENCH_CAPTURE"])
