# frozen_string_literal: true

require_relative "lib/capistrano/hotswap/version"

Gem::Specification.new do |spec|
  spec.name = "capistrano-hotswap"
  spec.version = Capistrano::Hotswap::VERSION
  spec.authors = ["the hotswap developers"]
  spec.summary = "Zero-downtime rolling restarts behind nginx/haproxy load balancers with swapctl"
  spec.description = <<~DESC
    Capistrano 3 tasks hotswap:out, hotswap:in and hotswap:rolling that drive swapctl (from the
    hotswap toolkit) on every load balancer: each app server is taken out of every load balancer
    and drained, restarted, health-checked and brought back, one at a time.
  DESC
  spec.homepage = "https://github.com/hotswap/hotswap"
  spec.licenses = ["MIT", "Apache-2.0"]
  spec.required_ruby_version = ">= 2.7"
  spec.files = %w[
    README.md
    LICENSE-MIT
    LICENSE-APACHE
    lib/capistrano/hotswap.rb
    lib/capistrano/hotswap/version.rb
    lib/capistrano/hotswap/swapctl.rb
    lib/capistrano/tasks/hotswap.rake
  ]
  spec.require_paths = ["lib"]
  spec.add_dependency "capistrano", "~> 3.0"
end
