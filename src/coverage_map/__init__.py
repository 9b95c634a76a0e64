"""coverage-map: coverage and gaps of MIMP's social services by district."""

__version__ = "0.1.0"
