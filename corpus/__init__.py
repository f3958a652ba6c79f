"""Policy texts: loading, cleaning, chunking, storage and the hybrid retrieval index."""
