"""Bundled realgap scene specs (data only): ``<family>/<name>.yaml``.

This file only makes the folder installable as package data; see
``bench.spec`` for the loader and ``realgap scenes validate`` for checks.
"""
