"""The ``listenwell`` command line: one lazy group (``main``) and one module per command.
Top layer: may import anything below it.
"""
