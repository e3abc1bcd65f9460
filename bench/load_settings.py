"""The settings ``bench/load_bench.py`` serves the app with: the production settings plus the raw
baseline's URL (``load_urls``). Not for anything else."""

from rectify.settings import *  # noqa: F403

ROOT_URLCONF = "load_urls"
