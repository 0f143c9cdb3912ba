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
