"""Forms of micro-projects, one module per part."""
