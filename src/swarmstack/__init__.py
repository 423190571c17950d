"""swarmstack: run multi-agent AI systems in production from one YAML spec."""

__version__ = "0.1.0"
__all__ = ["__version__"]
