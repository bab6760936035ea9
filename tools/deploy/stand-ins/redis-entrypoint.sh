#!/bin/sh
# The redis image builds Redis with protected mode off (the compose network is the boundary) and runs
# it as the redis user in /data; Debian's build has it on, so it is turned off here.
set -eu
if [ "${1:-}" = redis-server ]; then
  shift
  chown redis:redis /data
  exec setpriv --reuid=redis --regid=redis --init-groups redis-server --protected-mode no "$@"
fi
exec "$@"
