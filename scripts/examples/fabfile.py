"""Fabric 2: zero-downtime restart of the app servers behind the proxy, driven by swapctl.

    DEPLOY_CONF=/etc/nginx/nginx.conf DEPLOY_UPSTREAM=app DEPLOY_RESTART='systemctl restart app@{port}' \
    DEPLOY_HEALTH='http://{address}/okcomputer' fab -H deploy@proxy.example.com hotswap
"""
import os
import shlex

from fabric import task


def swapctl(*args):
    base = [
        os.path.join(os.environ.get("DEPLOY_BIN", "/usr/local/bin"), "swapctl"),
        "-c", os.environ.get("DEPLOY_CONF", "/etc/nginx/nginx.conf"),
        "--upstream", os.environ.get("DEPLOY_UPSTREAM", "app"),
    ]
    return " ".join(shlex.quote(a) for a in base + list(args))


@task
def hotswap(c):
    """Restart every app server with zero downtime (swapctl hot-swap)."""
    c.run(swapctl("plan"))
    result = c.run(
        swapctl(
            "--restart", os.environ.get("DEPLOY_RESTART", "systemctl restart app@{port}"),
            "--health", os.environ.get("DEPLOY_HEALTH", "http://{address}/okcomputer"),
            "hot-swap",
        ),
        warn=True,
    )
    if result.failed:
        c.run(swapctl("status"))
        raise SystemExit(result.exited)


@task
def recover(c):
    """Bring back what an interrupted deploy left out."""
    c.run(swapctl("--health", os.environ.get("DEPLOY_HEALTH", "http://{address}/okcomputer"), "recover"))
