from django.shortcuts import redirect
from django.urls import path


def home(request):
    return redirect("admin:index")


urlpatterns = [
    path("", home, name="home"),
]
