"""Text digest: async agents that compute statistics, keywords and a summary of a document."""
