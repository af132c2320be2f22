"""Reads of micro-projects, one module per part; ``access_*`` functions 404 a user who may not act."""
