"""ListenWell: the command line, web service, batch, evaluation and benchmarks around the pipeline.

`service.pipeline` runs the analysis stages; cli, web, batch, eval and bench sit above it.
"""
