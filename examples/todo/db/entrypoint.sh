#!/bin/sh
# Initialises a PostgreSQL cluster in $PGDATA on the first start only (an
# empty volume), then runs the server in the foreground as the postgres user.
#   POSTGRES_PASSWORD  the superuser's password (required on the first start)
#   POSTGRES_USER      the superuser (default postgres)
#   POSTGRES_DB        a database created for it (default: $POSTGRES_USER)
set -eu

: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
export PGDATA

if [ "$(id -u)" = 0 ]; then
    # A fresh volume may be owned by root: give it (and the socket
    # directory) to postgres, then run this script again as postgres.
    mkdir -p "$PGDATA" /run/postgresql
    chown postgres:postgres "$PGDATA" /run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "entrypoint: POSTGRES_PASSWORD must be set to initialise the database" >&2
        exit 1
    fi
    echo "entrypoint: initialising the cluster in $PGDATA"
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    # Other containers connect over the network, with the password.
    echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    if [ "$POSTGRES_DB" != postgres ]; then
        # Single-user mode: no server listens until the cluster is complete
        # (so the health check cannot pass early).
        db=$(printf '%s' "$POSTGRES_DB" | sed 's/"/""/g')
        printf 'CREATE DATABASE "%s"\n' "$db" | postgres --single -D "$PGDATA" postgres >/dev/null
    fi
    echo "entrypoint: cluster ready"
fi

if [ "$1" = postgres ]; then
    shift
    exec postgres -D "$PGDATA" "$@"
fi
exec "$@"
