# frozen_string_literal: true

module Capistrano
  module Hotswap
    VERSION = "0.1.0"
  end
end
