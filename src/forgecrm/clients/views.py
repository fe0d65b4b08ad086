from django.http import HttpResponse


def client_list(request):
    return HttpResponse("")
