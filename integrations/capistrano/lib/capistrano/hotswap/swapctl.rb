# frozen_string_literal: true

require "json"
require "shellwords"

module Capistrano
  # What the hotswap:* tasks do. Each function takes the task's context (`dsl`: where Capistrano's
  # fetch, roles and on are) and runs swapctl over SSHKit on the load balancers.
  module Hotswap
    # A hotswap task stopped; the message says where each server stands and what to run next.
    class Error < StandardError; end

    # What one swapctl run on one load balancer gave: `ok`, the message of its end (`finished`
    # event, or the error), and the commands swapctl says to run next.
    Result = Struct.new(:host, :ok, :message, :next_commands, keyword_init: true)

    module_function

    # hotswap:out: the servers out of every load balancer (in parallel); each swapctl returns once
    # its proxies send them no traffic.
    def take_out(dsl)
      addresses = addresses(dsl)
      failed = on_lbs(dsl, "out", addresses)
      return if failed.empty?

      stop!(dsl, "hotswap:out failed: #{failures(failed)}\n" \
                 "Where it worked, #{addresses.join(', ')} is out. Once the cause is fixed, run " \
                 "`#{cap(dsl, 'hotswap:out', addresses)}` again, or bring them back with " \
                 "`#{cap(dsl, 'hotswap:in', addresses)}`.")
    end

    # hotswap:in: health check (:hotswap_health) and back into every load balancer.
    def bring_in(dsl)
      addresses = addresses(dsl)
      failed = on_lbs(dsl, "in", addresses)
      return if failed.empty?

      stop!(dsl, "hotswap:in failed: #{failures(failed)}\n" \
                 "Where swapctl failed (#{failed.map(&:host).join(', ')}), #{addresses.join(', ')} is not " \
                 "back in; once the cause is fixed, run `#{cap(dsl, 'hotswap:in', addresses)}` again.")
    end

    # hotswap:rolling: one app server at a time, out of every load balancer, the restart on its
    # host, then the health check and back in on every load balancer. The first failure stops the
    # task; a server whose restart failed stays out.
    def rolling(dsl)
      restart = dsl.fetch(:hotswap_restart) or
        stop!(dsl, "hotswap:rolling needs the restart command: set :hotswap_restart, \"systemctl restart app@{port}\"")
      plan = rolling_plan(dsl)
      lbs = lb_servers(dsl)
      plan.each_with_index do |(server, address), i|
        rest = plan[(i + 1)..].map(&:last)
        log(dsl, :info, "hotswap:rolling: #{address} (#{server}), #{i + 1} of #{plan.size}: out of #{lbs.map(&:to_s).join(', ')}")

        failed = on_lbs(dsl, "out", [address])
        unless failed.empty?
          stop!(dsl, "hotswap:rolling stopped: taking #{address} out failed: #{failures(failed)}\n" \
                     "Nothing was restarted on #{server}. #{address} may be out where it worked: " \
                     "`#{cap(dsl, 'hotswap:in', [address])}` brings it back. " +
                     resume_hint(dsl, [address] + rest))
        end

        command = restart_command(restart, address, server)
        begin
          dsl.on(server, in: :sequence) { execute command }
        rescue StandardError => e
          done = plan[0...i].map(&:last)
          stop!(dsl, [
            "hotswap:rolling stopped: the restart of #{address} on #{server} failed: #{command_failure(e)}\n",
            "#{address} stays out of every load balancer (#{lbs.map(&:to_s).join(', ')}); ",
            done.empty? ? "" : "#{done.join(', ')} restarted and back in; ",
            rest.empty? ? "" : "#{rest.join(', ')} not touched; ",
            "nothing else was changed. Fix the cause, then: ",
            resume_hint(dsl, [address] + rest),
            " To bring #{address} back as it is: `#{cap(dsl, 'hotswap:in', [address])}`."
          ].join)
        end

        failed = on_lbs(dsl, "in", [address])
        next if failed.empty?

        stop!(dsl, "hotswap:rolling stopped: bringing #{address} back failed: #{failures(failed)}\n" \
                   "#{address} stays out of #{failed.map(&:host).join(', ')}" +
                   (rest.empty? ? "" : "; #{rest.join(', ')} not touched") +
                   ". Once it is healthy: `#{cap(dsl, 'hotswap:in', [address])}`" +
                   (rest.empty? ? "." : ", then `#{cap(dsl, 'hotswap:rolling', rest)}`."))
      end
      log(dsl, :info, "hotswap:rolling: #{plan.size} server(s) restarted and back in rotation")
    end

    # The app servers to restart, in order, with their addresses: [[server, "HOST:PORT"], ...].
    # A host may carry several addresses (hotswap_address: [...]); HOTSWAP_SERVERS picks some.
    def rolling_plan(dsl)
      app_role = dsl.fetch(:hotswap_app_role)
      plan = dsl.roles(app_role).flat_map do |s|
        list = Array(s.properties.fetch(:hotswap_address))
        if list.empty?
          stop!(dsl, "hotswap:rolling: the #{app_role} server #{s} has no hotswap_address property " \
                     "(HOST:PORT as the proxy configs name it): server \"#{s}\", roles: %w[#{app_role}], " \
                     "hotswap_address: \"10.0.0.11:4040\"")
        end
        list.map { |a| [s, a.to_s] }
      end
      stop!(dsl, "hotswap:rolling: no server has the role #{app_role}") if plan.empty?
      if (wanted = env_servers)
        unknown = wanted - plan.map(&:last)
        unless unknown.empty?
          stop!(dsl, "hotswap:rolling: HOTSWAP_SERVERS names #{unknown.join(', ')}, which no " \
                     "#{app_role} server has as its hotswap_address")
        end
        plan = plan.select { |(_, a)| wanted.include?(a) }
      end
      plan
    end

    # The servers hotswap:out and hotswap:in act on: HOTSWAP_SERVERS, else the app hosts' addresses.
    def addresses(dsl)
      list = env_servers ||
             dsl.roles(dsl.fetch(:hotswap_app_role)).flat_map { |s| Array(s.properties.fetch(:hotswap_address)) }.map(&:to_s)
      if list.empty?
        stop!(dsl, "no server to act on: name them with HOTSWAP_SERVERS=HOST:PORT[,HOST:PORT...] or give " \
                   "the #{dsl.fetch(:hotswap_app_role)} servers a hotswap_address property")
      end
      list
    end

    def env_servers
      v = ENV["HOTSWAP_SERVERS"].to_s.split(/[\s,]+/).reject(&:empty?)
      v.empty? ? nil : v
    end

    def lb_servers(dsl)
      role = dsl.fetch(:hotswap_lb_role)
      lbs = dsl.roles(role)
      stop!(dsl, "no server has the role #{role}: declare the load balancers, e.g. server \"lb1\", roles: %w[#{role}]") if lbs.empty?
      lbs
    end

    # swapctl's command line on the load balancer `lb`, with that server's own configs.
    def swapctl_command(dsl, lb, action, addresses)
      bin = dsl.fetch(:hotswap_bin).to_s
      args = []
      # Through sudo (non-interactive: a prompt would hang the deploy), as a pinned sudoers line
      # allows; with a profile, the root-owned /etc/hotswap/NAME.toml holds the configs and
      # commands, and swapctl refuses the flags that would override them.
      args.push("sudo", "-n") if dsl.fetch(:hotswap_sudo)
      args.push(bin.empty? ? "swapctl" : File.join(bin, "swapctl"))
      profile = dsl.fetch(:hotswap_profile)
      if profile
        args.push("--profile", profile.to_s)
      else
        configs = Array(lb.properties.fetch(:hotswap_configs) || dsl.fetch(:hotswap_configs))
        stop!(dsl, "no proxy config for #{lb}: set :hotswap_configs or its hotswap_configs property") if configs.empty?
        configs.each { |c| args.push("-c", c.to_s) }
        upstream = dsl.fetch(:hotswap_upstream)
        args.push("--upstream", upstream.to_s) if upstream
        health = dsl.fetch(:hotswap_health)
        args.push("--health", health.to_s) if action == "in" && health
      end
      drain = dsl.fetch(:hotswap_drain_timeout)
      args.push("--drain-timeout", drain.to_s) if drain
      args.concat(Array(dsl.fetch(:hotswap_options)).map(&:to_s))
      args.push("--json", action)
      args.concat(addresses)
      args.shelljoin
    end

    # Runs swapctl `action` on every load balancer in parallel and waits for all of them, whatever
    # happens on one (a failure on one does not cut the others short). Returns the failures.
    def on_lbs(dsl, action, addresses)
      lbs = lb_servers(dsl)
      commands = lbs.to_h { |lb| [lb.to_s, swapctl_command(dsl, lb, action, addresses)] }
      results = []
      lock = Mutex.new
      dsl.on(lbs, in: :parallel) do |lb|
        r = Capistrano::Hotswap.run_swapctl(self, lb, commands.fetch(lb.to_s))
        lock.synchronize { results << r }
      end
      results.reject(&:ok)
    end

    # One swapctl run on the SSHKit backend `backend`: its JSON Lines are logged as
    # "HOST: take out 10.0.0.11:4040: ok in 120ms"; any failure becomes a Result, never an exception.
    def run_swapctl(backend, lb, command)
      evs = events(backend.capture(command))
      evs.each { |e| log_event(backend, lb, e) }
      Result.new(host: lb.to_s, ok: true, message: finished_message(evs), next_commands: [])
    rescue SSHKit::Command::Failed => e
      # SSHKit's message carries the command's stdout (swapctl's JSON Lines, the error in the last
      # one) and stderr.
      evs = events(e.message)
      evs.each { |ev| log_event(backend, lb, ev) }
      fin = evs.reverse.find { |ev| ev["event"] == "finished" } || evs.reverse.find { |ev| ev["error"] }
      message = fin && (fin.dig("error", "message") || fin["message"])
      message ||= e.message[/ stderr: (.*)\z/m, 1].to_s.strip
      message = e.message.strip if message.empty?
      nxt = fin ? Array(fin.dig("account", "next")) : []
      backend.error("#{lb}: #{message}")
      Result.new(host: lb.to_s, ok: false, message: message, next_commands: nxt)
    rescue StandardError => e
      backend.error("#{lb}: #{short(e)}")
      Result.new(host: lb.to_s, ok: false, message: short(e), next_commands: [])
    end

    # swapctl's JSON objects in `text` (one a line; a line may carry a prefix, as in SSHKit's
    # failure message).
    def events(text)
      text.to_s.each_line.filter_map do |line|
        # swapctl's objects start with {"ts": or {"error": — a prefix (SSHKit's failure message
        # quotes the command, whose --health template holds braces too) is skipped.
        start = line.index(/\{"(ts|error)":/)
        next unless start

        json = line[start..].strip

        begin
          v = JSON.parse(json)
          v.is_a?(Hash) ? v : nil
        rescue JSON::ParserError
          nil
        end
      end
    end

    def finished_message(evs)
      fin = evs.reverse.find { |e| e["event"] == "finished" }
      fin && fin["message"]
    end

    def log_event(backend, lb, e)
      case e["event"]
      when "step_done"
        backend.info("#{lb}: #{e['description']}: ok in #{e['millis']}ms")
      when "step_failed"
        backend.error("#{lb}: #{e['description']}: failed: #{e['reason']}")
      when "note"
        backend.info("#{lb}: #{e['message']}")
      when "finished"
        backend.info("#{lb}: #{e['message']}") if e["status"] == "done" && e["message"]
      end
    end

    # The restart template with {port} {address} {host} filled in (each shell-quoted).
    def restart_command(template, address, server)
      port = address.rpartition(":").last
      template.to_s
              .gsub("{port}", port.shellescape)
              .gsub("{address}", address.shellescape)
              .gsub("{host}", server.hostname.to_s.shellescape)
    end

    def failures(failed)
      failed.map do |r|
        nxt = r.next_commands.empty? ? "" : " (swapctl there says next: #{r.next_commands.join('; ')})"
        "\n  #{r.host}: #{r.message}#{nxt}"
      end.join
    end

    def resume_hint(dsl, addresses)
      "`#{cap(dsl, 'hotswap:rolling', addresses)}` restarts #{addresses.first} again and goes on with the rest."
    end

    def cap(dsl, task, addresses)
      stage = dsl.fetch(:stage)
      "cap #{stage ? "#{stage} " : ''}#{task} HOTSWAP_SERVERS=#{addresses.join(',')}"
    end

    # An SSHKit command failure in one line: "`CMD` exited with status N: STDERR".
    def command_failure(e)
      msg = e.message.to_s
      status = msg[/ exit status: (\d+)/, 1]
      return short(e) unless status

      stderr = msg[/ stderr: (.*)\z/m, 1].to_s.strip
      stderr = "" if stderr == "Nothing written"
      command = msg.lines.first.to_s.sub(/\AException while executing [^:]*: /, "").sub(/ exit status: \d+\s*\z/, "")
      "`#{command.strip}` exited with status #{status}#{stderr.empty? ? '' : ": #{stderr}"}"
    end

    def short(e)
      e.message.to_s.strip
    end

    def log(_dsl, level, message)
      SSHKit.config.output.public_send(level, message)
    end

    def stop!(dsl, message)
      log(dsl, :error, message)
      raise Error, message
    end
  end
end
