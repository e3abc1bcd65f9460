"""gunicorn's settings for ``make serve`` (``rectify/serve.py``): Python's garbage collector tuned per worker.

Once a worker has loaded the app, everything loaded so far (Django, the URL conf, the models, the
templates) is moved out of the collector's sight (``gc.freeze()``) and the youngest generation is
collected every ``GC_THRESHOLD`` allocations instead of 700, so a request's own objects are what
the collector scans, and less often. Off unless ``WEB_GC_TUNING=true``: ``bench/load_bench.py --gc``
showed no gain at county scale once the lists stopped building thousands of objects per request
(docs/architecture.md, "Under load").
"""

import gc
import os

GC_THRESHOLD = (50_000, 20, 100)


def post_worker_init(worker):
    if os.environ.get("WEB_GC_TUNING", "false").strip().lower() not in ("true", "1", "on"):
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
