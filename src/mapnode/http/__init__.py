"""HTTP adapters: parse a request, call one service, render. No access decisions here."""
