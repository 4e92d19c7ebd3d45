"""`espolicy serve`: the policy as a decision service over HTTP (Starlette on uvicorn).

`config` the settings, `state` the policy being served and its hot reload, `body` reading request
bodies, `decisionlog` the decision log, `metrics` the Prometheus metrics, `openapi` the API
description, `sandbox` the playground's child process, `app` the routes, `server` the process.
Install with `pip install "espolicy[serve]"`.
"""
