from tasks.admin import ledger, plan  # noqa: F401 - registers the model admins
