from django.urls import path

from accounts import views

urlpatterns = [
    path("security/", views.security, name="security"),
    path("security/unlock/", views.unlock, name="security-unlock"),
]
