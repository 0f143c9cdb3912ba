require "shellwords"

namespace :hotswap do
  def swapctl(*args)
    base = [File.join(fetch(:hotswap_bin), "swapctl"), "-c", fetch(:hotswap_conf), "--upstream", fetch(:hotswap_upstream)]
    (base + args).shelljoin
  end

  desc "Restart every app server behind the proxy with zero downtime (swapctl hot-swap)"
  task :restart do
    on roles(:web) do
      execute swapctl("plan")
      begin
        execute swapctl("--restart", fetch(:hotswap_restart), "--health", fetch(:hotswap_health), "hot-swap")
      rescue SSHKit::Command::Failed
        execute swapctl("status")
        raise
      end
    end
  end

  desc "Bring back what an interrupted deploy left out"
  task :recover do
    on roles(:web) { execute swapctl("--health", fetch(:hotswap_health), "recover") }
  end
end
