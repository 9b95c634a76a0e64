"""Minutes along the streets of a RoadNetwork, in the direction people travel: from home to site.

A one-way street is driven one way, so the minutes from a home to a site are not those from
the site to the home. Each search starts at the sites on the transposed graph (network.toward),
whose edges point back along the streets: the distance it finds from a site to a node is the
distance from that node to the site. Unreachable is np.inf, never a straight line.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import dijkstra

from .roads import RoadNetwork

#: Bytes of the rows that minutes_to's searches fill at once: each site's search keeps a row of
#: len(network) floats (4 MB for Lima's 500,000 nodes, so 16 sites a search; 2 for 4 million nodes).
SEARCH_BYTES = 64 * 2**20


def minutes_to(network: RoadNetwork, origins: np.ndarray, sites: np.ndarray, *, limit: float | None = None) -> np.ndarray:
    """Minutes from each origin node (rows) to each site node (columns); np.inf where the
    streets do not lead there, or take more than limit minutes when a limit is given."""
    origins, sites = np.asarray(origins, dtype=np.int64), np.asarray(sites, dtype=np.int64)
    minutes = np.full((len(origins), len(sites)), np.inf)
    step = max(1, SEARCH_BYTES // (8 * max(len(network), 1)))
    for start in range(0, len(sites), step):
        chunk = sites[start:start + step]
        found = dijkstra(network.toward, directed=True, indices=chunk, limit=np.inf if limit is None else limit)
        minutes[:, start:start + len(chunk)] = found[:, origins].T
    return minutes


def nearest_minutes(network: RoadNetwork, origins: np.ndarray, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minutes from each origin node to its nearest site, and that site's position in sites
    (the first of several sites on the same node): np.inf and -1 where no site is reachable.
    One search from all the sites at once, without a limit."""
    origins, sites = np.asarray(origins, dtype=np.int64), np.asarray(sites, dtype=np.int64)
    if not len(sites):
        return np.full(len(origins), np.inf), np.full(len(origins), -1)
    nodes, first = np.unique(sites, return_index=True)
    minutes, _, source = dijkstra(network.toward, directed=True, indices=nodes, min_only=True,
                                  return_predecessors=True)
    first_site = np.full(len(network), -1)
    first_site[nodes] = first
    minutes, source = minutes[origins], source[origins]
    site = np.where(source >= 0, first_site[np.maximum(source, 0)], -1)
    return minutes, np.where(np.isinf(minutes), -1, site)
