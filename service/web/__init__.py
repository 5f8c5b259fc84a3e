"""The Flask web service: app factory and one blueprint per feature; the durable job queue.
May import service.pipeline, service.store, audio and analysis; never eval or bench.
"""
