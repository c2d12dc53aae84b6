"""gunicorn settings for the load test (scripts/loadtest.sh); also fit for production behind a proxy.

Each worker freezes what it loaded at start (the app, the gazetteer, the warm caches) out of the garbage
collector's way: a full collection then walks only new objects, instead of stalling a request for 100+ ms.
"""

import gc


def post_worker_init(worker):
    gc.collect()
    gc.freeze()
