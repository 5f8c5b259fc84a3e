"""A cohort's recordings in one run: manifest, runner (process pool or Dask), summary and
import into the web store. May import service.pipeline, service.store, audio and analysis.
"""
