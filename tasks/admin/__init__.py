from django.contrib import admin

from tasks.admin import ledger, plan, signoff  # noqa: F401 - registers the model admins

# The index opens with the sign-off queue (templates/admin/rectify_index.html).
admin.site.index_template = "admin/rectify_index.html"
