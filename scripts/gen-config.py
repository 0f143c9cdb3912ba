#!/usr/bin/env python3
"""Writes a benchmark config: UPSTREAMS upstreams x SERVERS servers (~1.5 MB at 1000 x 20).

The default shape gives every server its own port. With --same-port (issue 9's shape) every server
uses port 8080, each server line has parameters and a trailing comment, and `server` blocks with
locations and quoted headers follow the upstreams."""
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
same_port = "--same-port" in sys.argv
out, upstreams, servers = args[0], int(args[1]), int(args[2])
with open(out, "w") as f:
    conns = 1024 if same_port else 64
    f.write(f"pid /tmp/bench-nginx.pid;\nevents {{ worker_connections {conns}; }}\nhttp {{\n    access_log off;\n")
    for u in range(upstreams):
        f.write(f"    upstream app{u} {{\n        least_conn;\n")
        for s in range(servers):
            if same_port:
                f.write(f"        server 10.{u // 250}.{u % 250}.{s + 1}:8080 weight=2 max_fails=3 fail_timeout=10s;  # rack r{s % 12}\n")
            else:
                port = 10000 + u * servers + s
                f.write(f"        server 10.{u // 250}.{u % 250}.{s + 1}:{port} weight=1 max_fails=3 fail_timeout=10s;\n")
        f.write("    }\n")
    if same_port:
        for b in range(0, upstreams, 20):
            f.write(f"    server {{\n        listen 127.0.0.1:{9000 + b};\n        server_name \"site{b}.example.com\";\n")
            for l in range(3):
                f.write(f"        location /p{l}/ {{\n            add_header X-Frame-Options \"SAMEORIGIN\" always;\n"
                        f"            add_header Content-Security-Policy \"default-src 'self'; img-src *\";\n"
                        f"            proxy_set_header Host $host;\n            proxy_pass http://app{b + l};\n        }}\n")
            f.write("    }\n")
    f.write("    server {\n        listen 127.0.0.1:8080;\n        location / { proxy_pass http://app0; }\n    }\n}\n")
