"""`make run`'s production server (docs/product.md#commands): one worker process per core, threads for slow clients.

Each thread needs at most one database connection at a time, so SQLAlchemy's default pool
(5 + 10 overflow) is never exhausted by `threads` requests.

The app is loaded once before the workers are forked (`preload_app`): they start together and at
once, so clients that connect early (keep-alive connections that stay on one process) are spread
over every worker instead of all landing on the first one ready."""
import multiprocessing
import os

bind = os.environ.get("CRM_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("CRM_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("CRM_THREADS", 8))
keepalive = 5
timeout = 60
wsgi_app = "crm:create_app()"
preload_app = True
accesslog = os.environ.get("CRM_ACCESS_LOG")  # unset: no access log (it costs more than a small request)
# gunicorn's default line plus the request id the app answered with (crm/logs.py), to match the app's lines.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" request_id=%({x-request-id}o)s'
# gunicorn's control socket lives at one path per user: two servers (a test, a benchmark) would share it.
control_socket_disable = True


def post_fork(server, _worker):
    """A forked worker must not use database connections the loading process may have opened."""
    from crm.extensions import db

    with server.app.wsgi().app_context():
        db.engine.dispose(close=False)
