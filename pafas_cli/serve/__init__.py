"""`pafas serve`: a trained model behind an HTTP liveness API and a browser page.

    batcher.py   micro-batching: concurrent requests collected into one model call (no web imports)
    uploads.py   an uploaded file -> a checked model-input image, or an ApiError with its HTTP status
    service.py   the loaded model, its reading (spec, taxonomy, threshold) and the JSON it answers with
    app.py       the FastAPI app: routes, the body-size limit, JSON errors, the OpenAPI schema
    page.py      the page served at / (the explain report's style)
    client.py    a standard-library client for the API (the load test and the tests use it)

FastAPI, uvicorn and python-multipart are the optional `serve` extra: only app.py imports them, and only
`pafas serve` imports app.py, so `pafas` itself starts without them.
"""
