# The proxy host. DEPLOY_SSH_* let the tests point it at an sshd on 127.0.0.1.
server ENV.fetch("DEPLOY_SSH_HOST", "proxy.example.com"),
       user: ENV.fetch("DEPLOY_SSH_USER", "deploy"),
       roles: %w[web],
       port: ENV.fetch("DEPLOY_SSH_PORT", "22").to_i,
       ssh_options: {
         keys: [ENV.fetch("DEPLOY_SSH_KEY", "~/.ssh/id_ed25519")],
         keys_only: true,
         auth_methods: %w[publickey],
         verify_host_key: ENV["DEPLOY_SSH_HOST"] ? :never : :always
       }

# hotswap:cycle_host. The load balancers in front of the same app servers, each with its own proxy
# config (the `conf` property); and the one app host it restarts, from DEPLOY_APP_ADDRESS (HOST:PORT,
# as the proxy configs name it; DEPLOY_APP_HOST if it is reached over SSH under another name).
# When DEPLOY_SSH_HOST is set, every one of them is reached there (the tests: one sshd on
# 127.0.0.1); the load balancers keep distinct names, since Capistrano merges the servers that
# share a name and port.
cycle_ssh = {
  user: ENV.fetch("DEPLOY_SSH_USER", "deploy"),
  port: ENV.fetch("DEPLOY_SSH_PORT", "22").to_i,
  ssh_options: {
    keys: [ENV.fetch("DEPLOY_SSH_KEY", "~/.ssh/id_ed25519")],
    keys_only: true,
    auth_methods: %w[publickey],
    verify_host_key: ENV["DEPLOY_SSH_HOST"] ? :never : :always
  }.merge(ENV["DEPLOY_SSH_HOST"] ? { host_name: ENV["DEPLOY_SSH_HOST"] } : {})
}
server "lb1.example.com", roles: %w[lb], conf: ENV.fetch("DEPLOY_LB1_CONF", "/etc/nginx/nginx.conf"), **cycle_ssh
server "lb2.example.com", roles: %w[lb], conf: ENV.fetch("DEPLOY_LB2_CONF", "/etc/nginx/nginx.conf"), **cycle_ssh
if ENV["DEPLOY_APP_ADDRESS"]
  server ENV.fetch("DEPLOY_APP_HOST") { ENV["DEPLOY_APP_ADDRESS"].rpartition(":").first },
         roles: %w[app], **cycle_ssh
end
