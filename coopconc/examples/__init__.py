"""Complete programs built on coopconc, to run and to read.

chat    ``python -m coopconc.examples.chat``: the chat room of notebook 17 -- a Flask app
        served by ``coopconc.pywsgi``, with long polling and websockets (coopconc.websocket)
"""
