"""A todo list: an HTML page at / and a JSON API under /api/todos, kept in
PostgreSQL.

    GET    /api/todos          -> 200 [{"id", "title", "done"}, ...]
    POST   /api/todos          {"title": "..."}            -> 201 the new todo
    PATCH  /api/todos/{id}     {"title"?: "...", "done"?: bool} -> 200 the todo
    DELETE /api/todos/{id}     -> 204
    GET    /healthz            -> 200 {"status": "ok"} when the database answers (not logged)

Bad JSON or a missing/empty title is a 400, an unknown id a 404.  The
database comes from POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER,
POSTGRES_PASSWORD and POSTGRES_DB; the table is created if missing.
"""
import json
import os
import re
import signal
import sys
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg2

INDEX = (Path(__file__).parent / "index.html").read_bytes()
TODO_PATH = re.compile(r"^/api/todos/(\d+)$")


def connect():
    return psycopg2.connect(
        host=os.environ.get("POSTGRES_HOST", "db"),
        port=int(os.environ.get("POSTGRES_PORT", "5432")),
        user=os.environ.get("POSTGRES_USER", "postgres"),
        password=os.environ.get("POSTGRES_PASSWORD", ""),
        dbname=os.environ.get("POSTGRES_DB", os.environ.get("POSTGRES_USER", "postgres")),
        connect_timeout=5,
    )


def query(sql, args=()):
    """Runs one statement in its own transaction; returns its rows (or [])."""
    conn = connect()
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def wait_for_database(seconds=30):
    deadline = time.monotonic() + seconds
    while True:
        try:
            query("CREATE TABLE IF NOT EXISTS todos ("
                  " id serial PRIMARY KEY,"
                  " title text NOT NULL,"
                  " done boolean NOT NULL DEFAULT false)")
            return
        except psycopg2.OperationalError as e:
            if time.monotonic() > deadline:
                raise
            print(f"waiting for the database: {str(e).strip()}", file=sys.stderr)
            time.sleep(1)


def todo(row):
    return {"id": row[0], "title": row[1], "done": row[2]}


class BadRequest(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    server_version = "todo/1"

    def send(self, status, body=None, content_type="application/json"):
        data = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def error(self, status, message):
        self.send(status, {"error": message})

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            value = json.loads(self.rfile.read(length) or b"null")
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("the body is not JSON")
        if not isinstance(value, dict):
            raise BadRequest("the body must be a JSON object")
        return value

    def handle_one(self):
        path = self.path.split("?", 1)[0]
        method = self.command
        if path == "/" and method in ("GET", "HEAD"):
            return self.send(HTTPStatus.OK, INDEX, "text/html; charset=utf-8")
        if path == "/healthz" and method in ("GET", "HEAD"):
            query("SELECT 1")
            return self.send(HTTPStatus.OK, {"status": "ok"})
        if path == "/api/todos":
            if method == "GET":
                rows = query("SELECT id, title, done FROM todos ORDER BY id")
                return self.send(HTTPStatus.OK, [todo(r) for r in rows])
            if method == "POST":
                title = self.body().get("title")
                if not isinstance(title, str) or not title.strip():
                    raise BadRequest("a non-empty string title is required")
                row = query("INSERT INTO todos (title) VALUES (%s) RETURNING id, title, done", (title.strip(),))[0]
                return self.send(HTTPStatus.CREATED, todo(row))
            return self.error(HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed")
        match = TODO_PATH.match(path)
        if match:
            ident = int(match.group(1))
            if method == "GET":
                rows = query("SELECT id, title, done FROM todos WHERE id = %s", (ident,))
            elif method == "PATCH":
                body = self.body()
                title, done = body.get("title"), body.get("done")
                if "title" in body and (not isinstance(title, str) or not title.strip()):
                    raise BadRequest("title must be a non-empty string")
                if "done" in body and not isinstance(done, bool):
                    raise BadRequest("done must be true or false")
                if "title" not in body and "done" not in body:
                    raise BadRequest("nothing to change: give title and/or done")
                rows = query("UPDATE todos SET title = COALESCE(%s, title), done = COALESCE(%s, done)"
                             " WHERE id = %s RETURNING id, title, done",
                             (title.strip() if title else None, done, ident))
            elif method == "DELETE":
                rows = query("DELETE FROM todos WHERE id = %s RETURNING id", (ident,))
                if rows:
                    return self.send(HTTPStatus.NO_CONTENT)
            else:
                return self.error(HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed")
            if not rows:
                return self.error(HTTPStatus.NOT_FOUND, f"no todo {ident}")
            return self.send(HTTPStatus.OK, todo(rows[0]))
        return self.error(HTTPStatus.NOT_FOUND, "not found")

    def log_request(self, code="-", size="-"):
        if self.path != "/healthz":     # the health check's, every 2 s
            super().log_request(code, size)

    def dispatch(self):
        try:
            self.handle_one()
        except BadRequest as e:
            self.error(HTTPStatus.BAD_REQUEST, str(e))
        except psycopg2.Error as e:
            self.log_error("database: %s", str(e).strip())
            self.error(HTTPStatus.SERVICE_UNAVAILABLE, "database error")

    do_GET = do_HEAD = do_POST = do_PATCH = do_DELETE = do_PUT = dispatch


def main():
    # As PID 1 a process gets no default action for SIGTERM: exit on it (and
    # on SIGINT) at once, so `stop` does not wait for its timeout.
    def stop(signum, frame):
        print("stopping", file=sys.stderr)
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    wait_for_database()
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("", port), Handler)
    server.daemon_threads = True
    print(f"listening on :{port}", file=sys.stderr)
    server.serve_forever()


if __name__ == "__main__":
    main()
