"""Infrastructure adapters: the key store and its key-encryption keys, the session and
token store, the outbox and its senders, the password hasher, the event store's settings."""
