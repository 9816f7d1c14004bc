#!/bin/bash
# onair-healthcheck PATH [BIND_VARIABLE]
#
# A tiny HTTP probe for the container HEALTHCHECK, in plain bash (the runtime image has no curl
# or wget): GET PATH from this container's own server and succeed only on a 200.
# The port is read from the server's bind variable (ONAIR_API_BIND or ONAIR_ROOM_BIND, whichever
# is named, else whichever is set), so changing the bind address keeps the check working.
#
#   onair-healthcheck /readyz ONAIR_API_BIND
#   onair-healthcheck /healthz ONAIR_ROOM_BIND
set -u

path="${1:-/healthz}"
var="${2:-}"
if [[ -n "$var" ]]; then
    bind="${!var:-}"
else
    bind="${ONAIR_API_BIND:-${ONAIR_ROOM_BIND:-}}"
fi
bind="${bind:-127.0.0.1:8080}"

port="${bind##*:}"
host="${bind%:*}"
host="${host#[}"
host="${host%]}"
# A wildcard bind accepts loopback connections; a specific address is probed as it is.
case "$host" in
    "" | 0.0.0.0 | "::") host=127.0.0.1 ;;
esac

if ! exec 3<>"/dev/tcp/$host/$port"; then
    echo "onair-healthcheck: cannot connect to $host:$port" >&2
    exit 1
fi
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3
status=""
IFS= read -r -t 5 status <&3
exec 3<&- 3>&-
case "$status" in
    "HTTP/"*" 200 "* | "HTTP/"*" 200") exit 0 ;;
esac
if [[ -z "$status" ]]; then
    echo "onair-healthcheck: GET $path on $host:$port: no answer within 5 s" >&2
else
    echo "onair-healthcheck: GET $path on $host:$port answered: ${status%$'\r'}" >&2
fi
exit 1
