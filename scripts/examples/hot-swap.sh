#!/usr/bin/env bash
# The seed hot-swap script, rewritten with hotswap's tools.
#
# Before: sed -i 's/(server 127.0.0.1:4040)/#&/' nginx.conf && nginx -s reload; restart; curl+sleep 1 loop;
#         the same for 4041 -- which matched 40401, raced the reload and failed requests.
# Now:    exact, validated, marked edits; reloads that wait for the old workers; drained
#         connections; a 5 ms health poll; a journal and `swapctl recover` if anything goes wrong.
#
#   CONF=/etc/nginx/nginx.conf UPSTREAM=app RESTART='systemctl restart app@{port}' \
#   HEALTH='http://{address}/okcomputer' FRONT=http://127.0.0.1/ scripts/examples/hot-swap.sh
set -euo pipefail
CONF=${CONF:-/etc/nginx/nginx.conf}
UPSTREAM=${UPSTREAM:-app}
RESTART=${RESTART:?set RESTART, e.g. 'systemctl restart app@{port}'}
HEALTH=${HEALTH:-http://{address}/okcomputer}

# Do not start a deploy in front of a proxy that is not answering.
if [ -n "${FRONT:-}" ]; then healthwait -t 10s "$FRONT"; fi
upstream-toggle -c "$CONF" list
swapctl -c "$CONF" --upstream "$UPSTREAM" plan
if ! swapctl -c "$CONF" --upstream "$UPSTREAM" --restart "$RESTART" --health "$HEALTH" hot-swap; then
  echo "hot-swap stopped; the state and the next command are above. Journal:" >&2
  swapctl -c "$CONF" --upstream "$UPSTREAM" status >&2
  exit 1
fi
upstream-toggle -c "$CONF" list
