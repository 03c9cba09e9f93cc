"""Prefect flows: thin wrappers around the screening core (``pipeline``, ``detectors``, ``storage``)."""
