"""How a serving process sets up Python's cyclic garbage collector, once its app is built.

Two measured costs, both in bench/README.md:

- The ~160,000 objects alive after start-up (modules, the app, SQLAlchemy's caches) never die;
  left in the collector, each full collection walked them all, a 65 ms stall every few map
  requests. ``gc.freeze()`` moves them out of its sight.
- A request allocates tens of thousands of short-lived containers (decoded mutations, rows,
  ORM state), nearly all freed by reference counting. At the default threshold (a young
  collection every 700 net allocations) the collector still ran about 1,800 times in a quick
  surge of 40,000 mutations and took 1.8 s of the app's CPU (gc.callbacks, timed);
  at YOUNG_THRESHOLD it ran about 50 times for 0.5 s. The pause of one young collection grows
  with the threshold (about 9 ms at this one), so it stays well below the map's 40 ms budget.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def prepare_collector() -> None:
    """Freeze what start-up built and collect the young generation less often."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
