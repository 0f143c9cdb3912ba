# Capistrano 3: a deploy with a database migration behind a read-only site, on the proxy host (role
# :web, see config/deploy/production.rb): `swapctl mode read-only` (GET/HEAD/OPTIONS keep working;
# every other method gets 503 with Retry-After and the message), the migration, `swapctl rolling`
# (one server at a time: take out, restart, health check, bring back), then `swapctl mode normal`,
# which gives the proxy config back byte for byte. `mode normal` runs in an `ensure`: when the
# migration or the rolling restart fails too (and on Ctrl-C), so the site is never left read-only
# by surprise; the task still fails then, with the error of the step that failed.
#   DEPLOY_MIGRATE='cd /srv/app/current && bin/rails db:migrate' DEPLOY_RESTART='systemctl restart app@{port}' \
#   DEPLOY_HEALTH='http://{address}/okcomputer' cap production hotswap:read_only_deploy
# The migration runs on the first :web server, or on the first server of the role named by
# DEPLOY_MIGRATE_ROLE (e.g. db).
require "shellwords"

namespace :hotswap do
  def swapctl_read_only(*args)
    base = [File.join(fetch(:hotswap_bin), "swapctl"), "-c", fetch(:hotswap_conf), "--upstream", fetch(:hotswap_upstream)]
    (base + args).shelljoin
  end

  desc "Read-only mode, migration (DEPLOY_MIGRATE), rolling restart, then back to normal whatever happened"
  task :read_only_deploy do
    migrate = fetch(:hotswap_migrate, ENV.fetch("DEPLOY_MIGRATE", "true"))
    migrate_role = fetch(:hotswap_migrate_role, ENV.fetch("DEPLOY_MIGRATE_ROLE", "web")).to_sym
    # The body of the 503 answers to writes (swapctl refuses a `$`, which nginx would read as a variable).
    message = fetch(:hotswap_read_only_message, ENV.fetch("DEPLOY_READ_ONLY_MESSAGE",
      "Read-only while we upgrade: reading works, changes are paused. Please retry in a few minutes."))
    retry_after = fetch(:hotswap_retry_after, ENV.fetch("DEPLOY_RETRY_AFTER", "2m"))
    begin
      on roles(:web) do
        execute swapctl_read_only("mode", "read-only", "--message", message, "--retry-after", retry_after)
      end
      migrate_on = primary(migrate_role) or raise "hotswap:read_only_deploy: no server has the role #{migrate_role} to run the migration on"
      on migrate_on do
        execute migrate
      end
      on roles(:web) do
        execute swapctl_read_only("--restart", fetch(:hotswap_restart), "--health", fetch(:hotswap_health), "rolling")
      end
    rescue StandardError => e
      # Outside `on`, SSHKit's logger is reached through its config.
      SSHKit.config.output.error "hotswap:read_only_deploy failed: #{e.message.lines.first&.chomp}; putting the site back to normal mode"
      raise
    ensure
      on roles(:web) do
        execute swapctl_read_only("mode", "normal")
      end
    end
  end
end
