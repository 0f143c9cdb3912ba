# frozen_string_literal: true

# The tasks of capistrano-hotswap. What they do is in Capistrano::Hotswap
# (lib/capistrano/hotswap/swapctl.rb); the README has the settings.

namespace :hotswap do
  desc "Take app servers out of every :lb (HOTSWAP_SERVERS=HOST:PORT,... or the app hosts' hotswap_address)"
  task :out do
    Capistrano::Hotswap.take_out(self)
  end

  desc "Health-check app servers and bring them back into every :lb (HOTSWAP_SERVERS or hotswap_address)"
  task :in do
    Capistrano::Hotswap.bring_in(self)
  end

  desc "Restart the app servers one at a time: out of every :lb, :hotswap_restart, health check, in"
  task :rolling do
    Capistrano::Hotswap.rolling(self)
  end
end
