"""The audit trail: a hash chain sealed in the background, verification, retention."""
