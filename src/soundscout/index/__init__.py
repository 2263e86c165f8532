"""The vector index: FAISS over catalog ids, with a manifest."""
