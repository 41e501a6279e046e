"""What the product means, at the bottom of the stack: the lifecycle table (with the pause's
bookkeeping), safety and plan rules, approval expiry, recovery, value validation, access
rules, the login throttle, typed errors, the event vocabulary, and the records that cross the
layers (``records/``).

Standard library only (a test reads every file); nothing here touches the database.
"""
