"""Security primitives with no I/O of their own: roles and permissions, password hashing,
signed tokens, the audit hash chain, encryption of stored values, rate-limit arithmetic and
the source address of a request.

The store and the server build on these; nothing here imports them. The one I/O is reading and
writing key files (`keyfile`, for encryption at rest).
"""
