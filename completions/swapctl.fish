# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_swapctl_global_optspecs
    string join \n c/config= k/kind= upstream= restart= health= health-status= health-body= health-body-regex= health-header= health-cacert= health-insecure health-timeout= restart-timeout= drain-timeout= on-drain-timeout= reload= socket= pid-file= prefix= profile= json q/quiet v/verbose h/help V/version
end

function __fish_swapctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_swapctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_swapctl_using_subcommand
    set -l cmd (__fish_swapctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c swapctl -n "__fish_swapctl_needs_command" -s c -l config -d 'Config file, repeated for every proxy in front of the same servers [default: /etc/nginx/nginx.conf, /etc/haproxy/haproxy.cfg with -k haproxy]' -r -F
complete -c swapctl -n "__fish_swapctl_needs_command" -s k -l kind -d 'Proxy kind: nginx or haproxy [default: detected from the file]' -r -f -a "nginx\t'nginx `upstream` blocks'
haproxy\t'haproxy `backend` and `listen` sections'"
complete -c swapctl -n "__fish_swapctl_needs_command" -l upstream -d 'Upstream or backend to deploy (needed when the config has several)' -r
complete -c swapctl -n "__fish_swapctl_needs_command" -l restart -d 'Restarts one server: sh -c, with {port} {address} {name} filled' -r
complete -c swapctl -n "__fish_swapctl_needs_command" -l health -d 'Health check: http(s)://{address}/… or tcp://… [default: tcp://{address}; `in` checks only when it is given]' -r
complete -c swapctl -n "__fish_swapctl_needs_command" -l health-status -d 'Health: accepted status codes, e.g. 200-299,301 [default: 200-399]' -r
complete -c swapctl -n "__fish_swapctl_needs_command" -l health-body -d 'Health: the body must contain this text' -r
complete -c swapctl -n "__fish_swapctl_needs_command" -l health-body-regex -d 'Health: the body must match this regular expression' -r
complete -c swapctl -n "__fish_swapctl_needs_command" -l health-header -d 'Health: send this request header (repeatable)' -r
complete -c swapctl -n "__fish_swapctl_needs_command" -l health-cacert -d 'Health: trust the CA certificates in this PEM file (a private CA)' -r -F
complete -c swapctl -n "__fish_swapctl_needs_command" -l health-timeout -d 'Bound on each health wait [default: 60s]' -r
complete -c swapctl -n "__fish_swapctl_needs_command" -l restart-timeout -d 'Bound on each restart command (its process group) [default: 120s]' -r
complete -c swapctl -n "__fish_swapctl_needs_command" -l drain-timeout -d 'Bound on new workers and on draining [default: 30s]' -r
complete -c swapctl -n "__fish_swapctl_needs_command" -l on-drain-timeout -d 'Past --drain-timeout: stop, or proceed and cut what is open (websockets)' -r -f -a "stop\t''
proceed\t''"
complete -c swapctl -n "__fish_swapctl_needs_command" -l reload -d 'Command that reloads the proxy, instead of signalling its master process' -r
complete -c swapctl -n "__fish_swapctl_needs_command" -l socket -d 'haproxy admin socket, instead of the config\'s `stats socket`' -r
complete -c swapctl -n "__fish_swapctl_needs_command" -l pid-file -d 'The proxy master\'s pid file, instead of the config\'s `pid` / `pidfile`' -r -F
complete -c swapctl -n "__fish_swapctl_needs_command" -l prefix -d 'nginx\'s prefix (`nginx -p DIR`): relative paths and the validator use it' -r -F
complete -c swapctl -n "__fish_swapctl_needs_command" -l profile -d 'Read the settings from the root-owned /etc/hotswap/NAME.toml ($HOTSWAP_PROFILE_DIR)' -r
complete -c swapctl -n "__fish_swapctl_needs_command" -l health-insecure -d 'Health: accept any TLS certificate'
complete -c swapctl -n "__fish_swapctl_needs_command" -l json -d 'Machine-readable output: JSON Lines of events for commands that change something; plan, status and mode (no argument) print one JSON document'
complete -c swapctl -n "__fish_swapctl_needs_command" -s q -l quiet -d 'No step lines and no live indicator (errors and the final account still print)'
complete -c swapctl -n "__fish_swapctl_needs_command" -s v -l verbose -d 'Also print each health check\'s state changes'
complete -c swapctl -n "__fish_swapctl_needs_command" -s h -l help -d 'Print help'
complete -c swapctl -n "__fish_swapctl_needs_command" -s V -l version -d 'Print version'
complete -c swapctl -n "__fish_swapctl_needs_command" -f -a "hot-swap" -d 'Halves: take half out, restart it, swap halves in one edit, restart the rest, restore'
complete -c swapctl -n "__fish_swapctl_needs_command" -f -a "rolling" -d 'N servers at a time: take out, restart, health-check, bring back'
complete -c swapctl -n "__fish_swapctl_needs_command" -f -a "out" -d 'Take servers out of every proxy that holds them; return once none sends them traffic'
complete -c swapctl -n "__fish_swapctl_needs_command" -f -a "in" -d 'Health-check servers (with --health) and bring them back into every proxy'
complete -c swapctl -n "__fish_swapctl_needs_command" -f -a "resume" -d 'Go on with a failed or interrupted deploy: restart what it left out, then the rest'
complete -c swapctl -n "__fish_swapctl_needs_command" -f -a "mode" -d 'Traffic mode: read-only (only GET/HEAD/OPTIONS pass), maintenance, normal; none: show it'
complete -c swapctl -n "__fish_swapctl_needs_command" -f -a "plan" -d 'Print the steps of a deploy without doing them'
complete -c swapctl -n "__fish_swapctl_needs_command" -f -a "status" -d 'The last or interrupted deploy, step by step, and the upstream\'s live state'
complete -c swapctl -n "__fish_swapctl_needs_command" -f -a "recover" -d 'Re-enable what swapctl took out and is healthy now; report what is not'
complete -c swapctl -n "__fish_swapctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -s c -l config -d 'Config file, repeated for every proxy in front of the same servers [default: /etc/nginx/nginx.conf, /etc/haproxy/haproxy.cfg with -k haproxy]' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -s k -l kind -d 'Proxy kind: nginx or haproxy [default: detected from the file]' -r -f -a "nginx\t'nginx `upstream` blocks'
haproxy\t'haproxy `backend` and `listen` sections'"
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l upstream -d 'Upstream or backend to deploy (needed when the config has several)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l restart -d 'Restarts one server: sh -c, with {port} {address} {name} filled' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l health -d 'Health check: http(s)://{address}/… or tcp://… [default: tcp://{address}; `in` checks only when it is given]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l health-status -d 'Health: accepted status codes, e.g. 200-299,301 [default: 200-399]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l health-body -d 'Health: the body must contain this text' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l health-body-regex -d 'Health: the body must match this regular expression' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l health-header -d 'Health: send this request header (repeatable)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l health-cacert -d 'Health: trust the CA certificates in this PEM file (a private CA)' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l health-timeout -d 'Bound on each health wait [default: 60s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l restart-timeout -d 'Bound on each restart command (its process group) [default: 120s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l drain-timeout -d 'Bound on new workers and on draining [default: 30s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l on-drain-timeout -d 'Past --drain-timeout: stop, or proceed and cut what is open (websockets)' -r -f -a "stop\t''
proceed\t''"
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l reload -d 'Command that reloads the proxy, instead of signalling its master process' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l socket -d 'haproxy admin socket, instead of the config\'s `stats socket`' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l pid-file -d 'The proxy master\'s pid file, instead of the config\'s `pid` / `pidfile`' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l prefix -d 'nginx\'s prefix (`nginx -p DIR`): relative paths and the validator use it' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l profile -d 'Read the settings from the root-owned /etc/hotswap/NAME.toml ($HOTSWAP_PROFILE_DIR)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l health-insecure -d 'Health: accept any TLS certificate'
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -l json -d 'Machine-readable output: JSON Lines of events for commands that change something; plan, status and mode (no argument) print one JSON document'
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -s q -l quiet -d 'No step lines and no live indicator (errors and the final account still print)'
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -s v -l verbose -d 'Also print each health check\'s state changes'
complete -c swapctl -n "__fish_swapctl_using_subcommand hot-swap" -s h -l help -d 'Print help'
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l batch -d 'Servers per batch' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l only -d 'Deploy only this server (repeatable), e.g. one host per run of an Ansible `serial: 1` play' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l canary -d 'Deploy these first N servers, watch them, and go on only if their error rate is low' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l observe -d 'How long the canaries are watched' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l max-error-rate -d 'Highest share of 5xx answers and failed connections: 2 or 2%' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l min-requests -d 'Fewest requests the gate needs to judge [default: 20]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l observe-max -d 'How long the window may grow while fewer than --min-requests arrive [default: 10 x --observe]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l on-unjudged -d 'When --observe-max passes unjudged: stop the deploy, or proceed anyway' -r -f -a "stop\t''
proceed\t''"
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l rollback -d 'Command that puts one canary back on the old release when the gate fails' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l access-log -d 'nginx: the access log in swapctl\'s log_format [default: the config\'s `access_log ... swapctl`]' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -s c -l config -d 'Config file, repeated for every proxy in front of the same servers [default: /etc/nginx/nginx.conf, /etc/haproxy/haproxy.cfg with -k haproxy]' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -s k -l kind -d 'Proxy kind: nginx or haproxy [default: detected from the file]' -r -f -a "nginx\t'nginx `upstream` blocks'
haproxy\t'haproxy `backend` and `listen` sections'"
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l upstream -d 'Upstream or backend to deploy (needed when the config has several)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l restart -d 'Restarts one server: sh -c, with {port} {address} {name} filled' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l health -d 'Health check: http(s)://{address}/… or tcp://… [default: tcp://{address}; `in` checks only when it is given]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l health-status -d 'Health: accepted status codes, e.g. 200-299,301 [default: 200-399]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l health-body -d 'Health: the body must contain this text' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l health-body-regex -d 'Health: the body must match this regular expression' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l health-header -d 'Health: send this request header (repeatable)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l health-cacert -d 'Health: trust the CA certificates in this PEM file (a private CA)' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l health-timeout -d 'Bound on each health wait [default: 60s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l restart-timeout -d 'Bound on each restart command (its process group) [default: 120s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l drain-timeout -d 'Bound on new workers and on draining [default: 30s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l on-drain-timeout -d 'Past --drain-timeout: stop, or proceed and cut what is open (websockets)' -r -f -a "stop\t''
proceed\t''"
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l reload -d 'Command that reloads the proxy, instead of signalling its master process' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l socket -d 'haproxy admin socket, instead of the config\'s `stats socket`' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l pid-file -d 'The proxy master\'s pid file, instead of the config\'s `pid` / `pidfile`' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l prefix -d 'nginx\'s prefix (`nginx -p DIR`): relative paths and the validator use it' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l profile -d 'Read the settings from the root-owned /etc/hotswap/NAME.toml ($HOTSWAP_PROFILE_DIR)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l health-insecure -d 'Health: accept any TLS certificate'
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -l json -d 'Machine-readable output: JSON Lines of events for commands that change something; plan, status and mode (no argument) print one JSON document'
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -s q -l quiet -d 'No step lines and no live indicator (errors and the final account still print)'
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -s v -l verbose -d 'Also print each health check\'s state changes'
complete -c swapctl -n "__fish_swapctl_using_subcommand rolling" -s h -l help -d 'Print help'
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l reason -d 'Why, kept in the file\'s marker (`swapctl out: TEXT`)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l restart -d 'Restarts one server: sh -c, with {port} {address} {name} filled' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l health -d 'Health check: http(s)://{address}/… or tcp://… [default: tcp://{address}; `in` checks only when it is given]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l health-status -d 'Health: accepted status codes, e.g. 200-299,301 [default: 200-399]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l health-body -d 'Health: the body must contain this text' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l health-body-regex -d 'Health: the body must match this regular expression' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l health-header -d 'Health: send this request header (repeatable)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l health-cacert -d 'Health: trust the CA certificates in this PEM file (a private CA)' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l health-timeout -d 'Bound on each health wait [default: 60s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l restart-timeout -d 'Bound on each restart command (its process group) [default: 120s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -s c -l config -d 'Config file, repeated for every proxy in front of the same servers [default: /etc/nginx/nginx.conf, /etc/haproxy/haproxy.cfg with -k haproxy]' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -s k -l kind -d 'Proxy kind: nginx or haproxy [default: detected from the file]' -r -f -a "nginx\t'nginx `upstream` blocks'
haproxy\t'haproxy `backend` and `listen` sections'"
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l upstream -d 'Upstream or backend to deploy (needed when the config has several)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l drain-timeout -d 'Bound on new workers and on draining [default: 30s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l on-drain-timeout -d 'Past --drain-timeout: stop, or proceed and cut what is open (websockets)' -r -f -a "stop\t''
proceed\t''"
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l reload -d 'Command that reloads the proxy, instead of signalling its master process' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l socket -d 'haproxy admin socket, instead of the config\'s `stats socket`' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l pid-file -d 'The proxy master\'s pid file, instead of the config\'s `pid` / `pidfile`' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l prefix -d 'nginx\'s prefix (`nginx -p DIR`): relative paths and the validator use it' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l profile -d 'Read the settings from the root-owned /etc/hotswap/NAME.toml ($HOTSWAP_PROFILE_DIR)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l health-insecure -d 'Health: accept any TLS certificate'
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -l json -d 'Machine-readable output: JSON Lines of events for commands that change something; plan, status and mode (no argument) print one JSON document'
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -s q -l quiet -d 'No step lines and no live indicator (errors and the final account still print)'
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -s v -l verbose -d 'Also print each health check\'s state changes'
complete -c swapctl -n "__fish_swapctl_using_subcommand out" -s h -l help -d 'Print help'
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l restart -d 'Restarts one server: sh -c, with {port} {address} {name} filled' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l restart-timeout -d 'Bound on each restart command (its process group) [default: 120s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -s c -l config -d 'Config file, repeated for every proxy in front of the same servers [default: /etc/nginx/nginx.conf, /etc/haproxy/haproxy.cfg with -k haproxy]' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -s k -l kind -d 'Proxy kind: nginx or haproxy [default: detected from the file]' -r -f -a "nginx\t'nginx `upstream` blocks'
haproxy\t'haproxy `backend` and `listen` sections'"
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l upstream -d 'Upstream or backend to deploy (needed when the config has several)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l health -d 'Health check: http(s)://{address}/… or tcp://… [default: tcp://{address}; `in` checks only when it is given]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l health-status -d 'Health: accepted status codes, e.g. 200-299,301 [default: 200-399]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l health-body -d 'Health: the body must contain this text' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l health-body-regex -d 'Health: the body must match this regular expression' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l health-header -d 'Health: send this request header (repeatable)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l health-cacert -d 'Health: trust the CA certificates in this PEM file (a private CA)' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l health-timeout -d 'Bound on each health wait [default: 60s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l drain-timeout -d 'Bound on new workers and on draining [default: 30s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l on-drain-timeout -d 'Past --drain-timeout: stop, or proceed and cut what is open (websockets)' -r -f -a "stop\t''
proceed\t''"
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l reload -d 'Command that reloads the proxy, instead of signalling its master process' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l socket -d 'haproxy admin socket, instead of the config\'s `stats socket`' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l pid-file -d 'The proxy master\'s pid file, instead of the config\'s `pid` / `pidfile`' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l prefix -d 'nginx\'s prefix (`nginx -p DIR`): relative paths and the validator use it' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l profile -d 'Read the settings from the root-owned /etc/hotswap/NAME.toml ($HOTSWAP_PROFILE_DIR)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l health-insecure -d 'Health: accept any TLS certificate'
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -l json -d 'Machine-readable output: JSON Lines of events for commands that change something; plan, status and mode (no argument) print one JSON document'
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -s q -l quiet -d 'No step lines and no live indicator (errors and the final account still print)'
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -s v -l verbose -d 'Also print each health check\'s state changes'
complete -c swapctl -n "__fish_swapctl_using_subcommand in" -s h -l help -d 'Print help'
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -s c -l config -d 'Config file, repeated for every proxy in front of the same servers [default: /etc/nginx/nginx.conf, /etc/haproxy/haproxy.cfg with -k haproxy]' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -s k -l kind -d 'Proxy kind: nginx or haproxy [default: detected from the file]' -r -f -a "nginx\t'nginx `upstream` blocks'
haproxy\t'haproxy `backend` and `listen` sections'"
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l upstream -d 'Upstream or backend to deploy (needed when the config has several)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l restart -d 'Restarts one server: sh -c, with {port} {address} {name} filled' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l health -d 'Health check: http(s)://{address}/… or tcp://… [default: tcp://{address}; `in` checks only when it is given]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l health-status -d 'Health: accepted status codes, e.g. 200-299,301 [default: 200-399]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l health-body -d 'Health: the body must contain this text' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l health-body-regex -d 'Health: the body must match this regular expression' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l health-header -d 'Health: send this request header (repeatable)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l health-cacert -d 'Health: trust the CA certificates in this PEM file (a private CA)' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l health-timeout -d 'Bound on each health wait [default: 60s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l restart-timeout -d 'Bound on each restart command (its process group) [default: 120s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l drain-timeout -d 'Bound on new workers and on draining [default: 30s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l on-drain-timeout -d 'Past --drain-timeout: stop, or proceed and cut what is open (websockets)' -r -f -a "stop\t''
proceed\t''"
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l reload -d 'Command that reloads the proxy, instead of signalling its master process' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l socket -d 'haproxy admin socket, instead of the config\'s `stats socket`' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l pid-file -d 'The proxy master\'s pid file, instead of the config\'s `pid` / `pidfile`' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l prefix -d 'nginx\'s prefix (`nginx -p DIR`): relative paths and the validator use it' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l profile -d 'Read the settings from the root-owned /etc/hotswap/NAME.toml ($HOTSWAP_PROFILE_DIR)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l health-insecure -d 'Health: accept any TLS certificate'
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -l json -d 'Machine-readable output: JSON Lines of events for commands that change something; plan, status and mode (no argument) print one JSON document'
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -s q -l quiet -d 'No step lines and no live indicator (errors and the final account still print)'
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -s v -l verbose -d 'Also print each health check\'s state changes'
complete -c swapctl -n "__fish_swapctl_using_subcommand resume" -s h -l help -d 'Print help'
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l message -d 'Body of the 503 answers' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l retry-after -d 'Retry-After of the 503 answers' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l restart -d 'Restarts one server: sh -c, with {port} {address} {name} filled' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l health -d 'Health check: http(s)://{address}/… or tcp://… [default: tcp://{address}; `in` checks only when it is given]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l health-status -d 'Health: accepted status codes, e.g. 200-299,301 [default: 200-399]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l health-body -d 'Health: the body must contain this text' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l health-body-regex -d 'Health: the body must match this regular expression' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l health-header -d 'Health: send this request header (repeatable)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l health-cacert -d 'Health: trust the CA certificates in this PEM file (a private CA)' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l health-timeout -d 'Bound on each health wait [default: 60s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l restart-timeout -d 'Bound on each restart command (its process group) [default: 120s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -s c -l config -d 'Config file, repeated for every proxy in front of the same servers [default: /etc/nginx/nginx.conf, /etc/haproxy/haproxy.cfg with -k haproxy]' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -s k -l kind -d 'Proxy kind: nginx or haproxy [default: detected from the file]' -r -f -a "nginx\t'nginx `upstream` blocks'
haproxy\t'haproxy `backend` and `listen` sections'"
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l upstream -d 'Upstream or backend to deploy (needed when the config has several)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l drain-timeout -d 'Bound on new workers and on draining [default: 30s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l on-drain-timeout -d 'Past --drain-timeout: stop, or proceed and cut what is open (websockets)' -r -f -a "stop\t''
proceed\t''"
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l reload -d 'Command that reloads the proxy, instead of signalling its master process' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l socket -d 'haproxy admin socket, instead of the config\'s `stats socket`' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l pid-file -d 'The proxy master\'s pid file, instead of the config\'s `pid` / `pidfile`' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l prefix -d 'nginx\'s prefix (`nginx -p DIR`): relative paths and the validator use it' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l profile -d 'Read the settings from the root-owned /etc/hotswap/NAME.toml ($HOTSWAP_PROFILE_DIR)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l health-insecure -d 'Health: accept any TLS certificate'
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -l json -d 'Machine-readable output: JSON Lines of events for commands that change something; plan, status and mode (no argument) print one JSON document'
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -s q -l quiet -d 'No step lines and no live indicator (errors and the final account still print)'
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -s v -l verbose -d 'Also print each health check\'s state changes'
complete -c swapctl -n "__fish_swapctl_using_subcommand mode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l batch -d 'Servers per batch for rolling' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l canary -d 'Deploy these first N servers, watch them, and go on only if their error rate is low' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l observe -d 'How long the canaries are watched' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l max-error-rate -d 'Highest share of 5xx answers and failed connections: 2 or 2%' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l min-requests -d 'Fewest requests the gate needs to judge [default: 20]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l observe-max -d 'How long the window may grow while fewer than --min-requests arrive [default: 10 x --observe]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l on-unjudged -d 'When --observe-max passes unjudged: stop the deploy, or proceed anyway' -r -f -a "stop\t''
proceed\t''"
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l rollback -d 'Command that puts one canary back on the old release when the gate fails' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l access-log -d 'nginx: the access log in swapctl\'s log_format [default: the config\'s `access_log ... swapctl`]' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -s c -l config -d 'Config file, repeated for every proxy in front of the same servers [default: /etc/nginx/nginx.conf, /etc/haproxy/haproxy.cfg with -k haproxy]' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -s k -l kind -d 'Proxy kind: nginx or haproxy [default: detected from the file]' -r -f -a "nginx\t'nginx `upstream` blocks'
haproxy\t'haproxy `backend` and `listen` sections'"
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l upstream -d 'Upstream or backend to deploy (needed when the config has several)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l restart -d 'Restarts one server: sh -c, with {port} {address} {name} filled' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l health -d 'Health check: http(s)://{address}/… or tcp://… [default: tcp://{address}; `in` checks only when it is given]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l health-status -d 'Health: accepted status codes, e.g. 200-299,301 [default: 200-399]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l health-body -d 'Health: the body must contain this text' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l health-body-regex -d 'Health: the body must match this regular expression' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l health-header -d 'Health: send this request header (repeatable)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l health-cacert -d 'Health: trust the CA certificates in this PEM file (a private CA)' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l health-timeout -d 'Bound on each health wait [default: 60s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l restart-timeout -d 'Bound on each restart command (its process group) [default: 120s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l drain-timeout -d 'Bound on new workers and on draining [default: 30s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l on-drain-timeout -d 'Past --drain-timeout: stop, or proceed and cut what is open (websockets)' -r -f -a "stop\t''
proceed\t''"
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l reload -d 'Command that reloads the proxy, instead of signalling its master process' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l socket -d 'haproxy admin socket, instead of the config\'s `stats socket`' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l pid-file -d 'The proxy master\'s pid file, instead of the config\'s `pid` / `pidfile`' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l prefix -d 'nginx\'s prefix (`nginx -p DIR`): relative paths and the validator use it' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l profile -d 'Read the settings from the root-owned /etc/hotswap/NAME.toml ($HOTSWAP_PROFILE_DIR)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l health-insecure -d 'Health: accept any TLS certificate'
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -l json -d 'Machine-readable output: JSON Lines of events for commands that change something; plan, status and mode (no argument) print one JSON document'
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -s q -l quiet -d 'No step lines and no live indicator (errors and the final account still print)'
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -s v -l verbose -d 'Also print each health check\'s state changes'
complete -c swapctl -n "__fish_swapctl_using_subcommand plan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l restart -d 'Restarts one server: sh -c, with {port} {address} {name} filled' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l health -d 'Health check: http(s)://{address}/… or tcp://… [default: tcp://{address}; `in` checks only when it is given]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l health-status -d 'Health: accepted status codes, e.g. 200-299,301 [default: 200-399]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l health-body -d 'Health: the body must contain this text' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l health-body-regex -d 'Health: the body must match this regular expression' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l health-header -d 'Health: send this request header (repeatable)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l health-cacert -d 'Health: trust the CA certificates in this PEM file (a private CA)' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l health-timeout -d 'Bound on each health wait [default: 60s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l restart-timeout -d 'Bound on each restart command (its process group) [default: 120s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l drain-timeout -d 'Bound on new workers and on draining [default: 30s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l on-drain-timeout -d 'Past --drain-timeout: stop, or proceed and cut what is open (websockets)' -r -f -a "stop\t''
proceed\t''"
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l reload -d 'Command that reloads the proxy, instead of signalling its master process' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -s c -l config -d 'Config file, repeated for every proxy in front of the same servers [default: /etc/nginx/nginx.conf, /etc/haproxy/haproxy.cfg with -k haproxy]' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -s k -l kind -d 'Proxy kind: nginx or haproxy [default: detected from the file]' -r -f -a "nginx\t'nginx `upstream` blocks'
haproxy\t'haproxy `backend` and `listen` sections'"
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l upstream -d 'Upstream or backend to deploy (needed when the config has several)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l socket -d 'haproxy admin socket, instead of the config\'s `stats socket`' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l pid-file -d 'The proxy master\'s pid file, instead of the config\'s `pid` / `pidfile`' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l prefix -d 'nginx\'s prefix (`nginx -p DIR`): relative paths and the validator use it' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l profile -d 'Read the settings from the root-owned /etc/hotswap/NAME.toml ($HOTSWAP_PROFILE_DIR)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l health-insecure -d 'Health: accept any TLS certificate'
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -l json -d 'Machine-readable output: JSON Lines of events for commands that change something; plan, status and mode (no argument) print one JSON document'
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -s q -l quiet -d 'No step lines and no live indicator (errors and the final account still print)'
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -s v -l verbose -d 'Also print each health check\'s state changes'
complete -c swapctl -n "__fish_swapctl_using_subcommand status" -s h -l help -d 'Print help'
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l restart -d 'Restarts one server: sh -c, with {port} {address} {name} filled' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -s c -l config -d 'Config file, repeated for every proxy in front of the same servers [default: /etc/nginx/nginx.conf, /etc/haproxy/haproxy.cfg with -k haproxy]' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -s k -l kind -d 'Proxy kind: nginx or haproxy [default: detected from the file]' -r -f -a "nginx\t'nginx `upstream` blocks'
haproxy\t'haproxy `backend` and `listen` sections'"
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l upstream -d 'Upstream or backend to deploy (needed when the config has several)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l health -d 'Health check: http(s)://{address}/… or tcp://… [default: tcp://{address}; `in` checks only when it is given]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l health-status -d 'Health: accepted status codes, e.g. 200-299,301 [default: 200-399]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l health-body -d 'Health: the body must contain this text' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l health-body-regex -d 'Health: the body must match this regular expression' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l health-header -d 'Health: send this request header (repeatable)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l health-cacert -d 'Health: trust the CA certificates in this PEM file (a private CA)' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l health-timeout -d 'Bound on each health wait [default: 60s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l restart-timeout -d 'Bound on each restart command (its process group) [default: 120s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l drain-timeout -d 'Bound on new workers and on draining [default: 30s]' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l on-drain-timeout -d 'Past --drain-timeout: stop, or proceed and cut what is open (websockets)' -r -f -a "stop\t''
proceed\t''"
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l reload -d 'Command that reloads the proxy, instead of signalling its master process' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l socket -d 'haproxy admin socket, instead of the config\'s `stats socket`' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l pid-file -d 'The proxy master\'s pid file, instead of the config\'s `pid` / `pidfile`' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l prefix -d 'nginx\'s prefix (`nginx -p DIR`): relative paths and the validator use it' -r -F
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l profile -d 'Read the settings from the root-owned /etc/hotswap/NAME.toml ($HOTSWAP_PROFILE_DIR)' -r
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l health-insecure -d 'Health: accept any TLS certificate'
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -l json -d 'Machine-readable output: JSON Lines of events for commands that change something; plan, status and mode (no argument) print one JSON document'
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -s q -l quiet -d 'No step lines and no live indicator (errors and the final account still print)'
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -s v -l verbose -d 'Also print each health check\'s state changes'
complete -c swapctl -n "__fish_swapctl_using_subcommand recover" -s h -l help -d 'Print help'
complete -c swapctl -n "__fish_swapctl_using_subcommand help; and not __fish_seen_subcommand_from hot-swap rolling out in resume mode plan status recover help" -f -a "hot-swap" -d 'Halves: take half out, restart it, swap halves in one edit, restart the rest, restore'
complete -c swapctl -n "__fish_swapctl_using_subcommand help; and not __fish_seen_subcommand_from hot-swap rolling out in resume mode plan status recover help" -f -a "rolling" -d 'N servers at a time: take out, restart, health-check, bring back'
complete -c swapctl -n "__fish_swapctl_using_subcommand help; and not __fish_seen_subcommand_from hot-swap rolling out in resume mode plan status recover help" -f -a "out" -d 'Take servers out of every proxy that holds them; return once none sends them traffic'
complete -c swapctl -n "__fish_swapctl_using_subcommand help; and not __fish_seen_subcommand_from hot-swap rolling out in resume mode plan status recover help" -f -a "in" -d 'Health-check servers (with --health) and bring them back into every proxy'
complete -c swapctl -n "__fish_swapctl_using_subcommand help; and not __fish_seen_subcommand_from hot-swap rolling out in resume mode plan status recover help" -f -a "resume" -d 'Go on with a failed or interrupted deploy: restart what it left out, then the rest'
complete -c swapctl -n "__fish_swapctl_using_subcommand help; and not __fish_seen_subcommand_from hot-swap rolling out in resume mode plan status recover help" -f -a "mode" -d 'Traffic mode: read-only (only GET/HEAD/OPTIONS pass), maintenance, normal; none: show it'
complete -c swapctl -n "__fish_swapctl_using_subcommand help; and not __fish_seen_subcommand_from hot-swap rolling out in resume mode plan status recover help" -f -a "plan" -d 'Print the steps of a deploy without doing them'
complete -c swapctl -n "__fish_swapctl_using_subcommand help; and not __fish_seen_subcommand_from hot-swap rolling out in resume mode plan status recover help" -f -a "status" -d 'The last or interrupted deploy, step by step, and the upstream\'s live state'
complete -c swapctl -n "__fish_swapctl_using_subcommand help; and not __fish_seen_subcommand_from hot-swap rolling out in resume mode plan status recover help" -f -a "recover" -d 'Re-enable what swapctl took out and is healthy now; report what is not'
complete -c swapctl -n "__fish_swapctl_using_subcommand help; and not __fish_seen_subcommand_from hot-swap rolling out in resume mode plan status recover help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
