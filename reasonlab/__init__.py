"""reasonlab: train language models to reason with RL on verifiable rewards, and measure how far
the reasoning generalizes."""

__version__ = "0.1.0"
