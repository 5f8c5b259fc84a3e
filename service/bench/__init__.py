"""Speed and memory benchmarks (transcription, pipeline, prosody, speakers, batch) and WER.
Imported only by the CLI and service.eval; run as ``python -m service.bench.NAME``.
"""
