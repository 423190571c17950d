"""Document triage: extract facts from a support message, classify it, route it to a queue."""
