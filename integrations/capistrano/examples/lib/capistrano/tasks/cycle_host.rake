# Capistrano 3: restart ONE app server behind every load balancer (role :lb, each with its own
# proxy config in the server's `conf` property; see config/deploy/production.rb): `swapctl out` on
# each, the restart on the app host (role :app), then `swapctl in --health` on each.
#   DEPLOY_APP_ADDRESS=10.0.0.11:4040 DEPLOY_RESTART='systemctl restart app@{port}' \
#   DEPLOY_HEALTH='http://{address}/okcomputer' cap production hotswap:cycle_host
# Call it once per app server, one after the other.
require "shellwords"

namespace :hotswap do
  # swapctl on one load balancer, with that server's own proxy config. Its step lines (stderr) are
  # captured with its account (stdout), to be shown.
  def swapctl_lb(conf, *args)
    base = [File.join(fetch(:hotswap_bin), "swapctl"), "-c", conf, "--upstream", fetch(:hotswap_upstream)]
    "#{(base + args).shelljoin} 2>&1"
  end

  desc "Restart one app server (DEPLOY_APP_ADDRESS=HOST:PORT) behind every :lb: out of all, restart, health check, in"
  task :cycle_host do
    address = ENV.fetch("DEPLOY_APP_ADDRESS") { abort "hotswap:cycle_host needs DEPLOY_APP_ADDRESS=HOST:PORT" }
    port = ENV.fetch("DEPLOY_APP_PORT") { address.rpartition(":").last }
    abort "hotswap:cycle_host: DEPLOY_APP_PORT must be a port number, not #{port.inspect}" unless port.match?(/\A\d+\z/)
    restart = fetch(:hotswap_restart).gsub("{port}", port).gsub("{address}", address.shellescape)

    # Out of every load balancer (in parallel); each returns once its proxy sends the server no
    # traffic, so the restart below starts only when no load balancer does. A failure stops the
    # task here: the server stays out where it was taken out; run the `in` below by hand.
    on roles(:lb) do |lb|
      capture(swapctl_lb(lb.properties.fetch(:conf), "out", address)).each_line { |l| info "#{lb}: #{l.chomp}" }
    end
    on roles(:app) do
      execute restart
    end
    # Each load balancer health-checks the server, then brings it back.
    on roles(:lb) do |lb|
      capture(swapctl_lb(lb.properties.fetch(:conf), "--health", fetch(:hotswap_health), "in", address))
        .each_line { |l| info "#{lb}: #{l.chomp}" }
    end
  end
end
