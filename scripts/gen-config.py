#!/usr/bin/env python3
"""Writes the benchmark config: UPSTREAMS upstreams x SERVERS servers (~1.5 MB at 1000 x 20)."""
import sys

out, upstreams, servers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(out, "w") as f:
    f.write("pid /tmp/bench-nginx.pid;\nevents { worker_connections 64; }\nhttp {\n    access_log off;\n")
    for u in range(upstreams):
        f.write(f"    upstream app{u} {{\n        least_conn;\n")
        for s in range(servers):
            port = 10000 + u * servers + s
            f.write(f"        server 10.{u // 250}.{u % 250}.{s + 1}:{port} weight=1 max_fails=3 fail_timeout=10s;\n")
        f.write("    }\n")
    f.write("    server {\n        listen 127.0.0.1:8080;\n        location / { proxy_pass http://app0; }\n    }\n}\n")
