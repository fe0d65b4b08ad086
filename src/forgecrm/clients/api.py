from ninja import Router

clients_router = Router(tags=["clients"])
contacts_router = Router(tags=["contacts"])
