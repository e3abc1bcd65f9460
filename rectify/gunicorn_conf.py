"""gunicorn's settings for ``make serve`` (``rectify/serve.py``) and the load bench: each worker
warmed up and its start-up objects frozen before it serves.

Once a worker has loaded the app, ``post_worker_init`` does what its first request would otherwise
pay for (``rectify.warmup.warm_up``: the URL conf and its views imported, the reverse table filled,
the translation catalogues loaded, our templates compiled; no database access), then collects once
and moves everything loaded so far out of the collector's sight (``gc.freeze()``). Without the
freeze, each of Python's full (generation 2) collections walked Django, the app and its templates,
75–95 ms at county scale, about once every 40 requests per worker: the slow requests behind the
pages' p99 (docs/architecture.md, "Under load"). With it, a full collection walks only what the
requests have added since.

``WEB_GC_TUNING=true`` also raises the thresholds (the youngest generation collected every
``GC_THRESHOLD[0]`` allocations instead of 700); off by default.
"""

import gc
import os

from rectify import warmup  # Django's modules only: nothing reads the settings until a worker calls it

GC_THRESHOLD = (50_000, 20, 100)


def post_worker_init(worker):
    try:
        warmup.warm_up()
    except Exception:  # a warm-up is an optimisation: the worker serves without it
        worker.log.exception("warm-up failed; the first requests will do its work")
    gc.collect()
    gc.freeze()
    if os.environ.get("WEB_GC_TUNING", "false").strip().lower() in ("true", "1", "on"):
        gc.set_threshold(*GC_THRESHOLD)
