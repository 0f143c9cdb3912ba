# frozen_string_literal: true

# capistrano-hotswap: zero-downtime restarts behind nginx/haproxy load balancers with swapctl.
#
# In the Capfile:
#
#   require "capistrano/hotswap"
#
# adds the tasks hotswap:out, hotswap:in and hotswap:rolling (lib/capistrano/tasks/hotswap.rake)
# and the defaults below; set them in config/deploy.rb (or a stage file) to change them.
require "capistrano/hotswap/version"
require "capistrano/hotswap/swapctl"

namespace :load do
  task :defaults do
    # The upstream (nginx) or backend (haproxy) the app servers are in; nil leaves it to swapctl,
    # which needs it when the config has several.
    set_if_empty :hotswap_upstream, nil
    # The proxy configs on every :lb host; a server's own `hotswap_configs:` property wins.
    set_if_empty :hotswap_configs, ["/etc/nginx/nginx.conf"]
    # The restart of one app server, run on its app host: {port} {address} {host} are filled in.
    set_if_empty :hotswap_restart, nil
    # The health check `swapctl in` makes before bringing a server back ({address} is filled in by
    # swapctl); nil brings it back unchecked.
    set_if_empty :hotswap_health, "tcp://{address}"
    # The directory swapctl is in; "" runs the one on PATH.
    set_if_empty :hotswap_bin, ""
    # swapctl --drain-timeout (e.g. "60s"); nil keeps swapctl's default.
    set_if_empty :hotswap_drain_timeout, nil
    # More swapctl options, before the command (e.g. ["--health-status", "200"]).
    set_if_empty :hotswap_options, []
    # The roles of the load balancers and of the app servers.
    # Run swapctl with `sudo -n` on the load balancers (a sudoers line must allow the exact command).
    set_if_empty :hotswap_sudo, false
    # A swapctl profile (/etc/hotswap/NAME.toml) instead of configs, upstream and health here.
    set_if_empty :hotswap_profile, nil
    set_if_empty :hotswap_lb_role, :lb
    set_if_empty :hotswap_app_role, :app
  end
end

load File.expand_path("tasks/hotswap.rake", __dir__)
