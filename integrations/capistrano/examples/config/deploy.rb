set :application, "app"
set :hotswap_bin, ENV.fetch("DEPLOY_BIN", "/usr/local/bin")
set :hotswap_conf, ENV.fetch("DEPLOY_CONF", "/etc/nginx/nginx.conf")
set :hotswap_upstream, ENV.fetch("DEPLOY_UPSTREAM", "app")
set :hotswap_restart, ENV.fetch("DEPLOY_RESTART", "systemctl restart app@{port}")
set :hotswap_health, ENV.fetch("DEPLOY_HEALTH", "http://{address}/okcomputer")
