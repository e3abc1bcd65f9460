from django.urls import path

from accounts import views

urlpatterns = [
    path("security/", views.security, name="security"),
    path("security/unlock/", views.unlock, name="security-unlock"),
    path("account/security/", views.account_security, name="account-security"),
    path("account/security/tokens/<id:pk>/revoke/", views.revoke_token, name="account-token-revoke"),
]
