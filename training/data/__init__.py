"""Streaming data for training: discovery, order, reading, tokenized cache, packing, pipeline."""
