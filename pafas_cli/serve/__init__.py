"""`pafas serve`: a trained model behind an HTTP liveness API and a browser page.

    batcher.py   micro-batching: concurrent requests collected into one model call, deadlines, draining stop
                 (no web imports)
    uploads.py   an uploaded file -> a checked model-input image, or an ApiError with its HTTP status
    policy.py    which modalities may be missing, and the threshold of each missing-modality condition
    service.py   the loaded model, its reading (spec, taxonomy, policy) and the JSON it answers with
    auth.py      the optional API key: where it comes from, the constant-time bearer check
    metrics.py   the Prometheus metrics of one app (its own registry)
    app.py       the FastAPI app: routes, the key, the body-size limit, JSON errors, the OpenAPI schema
    page.py      the page served at / (the explain report's style)
    client.py    a standard-library client for the API (the load tests and the tests use it)

FastAPI, uvicorn, python-multipart and prometheus-client are the optional `serve` extra: only app.py and
metrics.py import them, and only `pafas serve` imports app.py, so `pafas` itself starts without them.
"""
