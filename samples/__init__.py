"""The sample-document generator (``samples.generate``): rendered certificate pages, drawn seals, a
real face photo, whole packets. For ``prescreen demo``, the tests and the benchmarks.

Not part of the screening service: it needs scikit-image (the face photo), installed with the
``samples`` extra (``pip install 'prescreen[samples]'``); nothing the service runs imports it.
"""
