"""The transactional outbox: side effects that must follow a committed change.

A change writes an ``OutboxMessage`` (a Celery task name and its arguments) in its own
transaction (``enqueue``); after commit the message is handed to the broker, and a
periodic sweep hands over again whatever the broker did not accept. The consumer task
(``@consumer``) skips a message already done and marks it done with a compare-and-set.
Depends on Django and Celery only, so every app may use it.
"""
