"""ECInstruct: build, check and publish e-commerce instruction data (after eCeLLM, ICML 2024)."""

__version__ = "0.1.0"
