# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_upstream_toggle_global_optspecs
    string join \n c/config= k/kind= prefix= lock-timeout= h/help V/version
end

function __fish_upstream_toggle_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_upstream_toggle_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_upstream_toggle_using_subcommand
    set -l cmd (__fish_upstream_toggle_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c upstream-toggle -n "__fish_upstream_toggle_needs_command" -s c -l config -d 'Config file [default: /etc/nginx/nginx.conf, or /etc/haproxy/haproxy.cfg with -k haproxy]' -r -F
complete -c upstream-toggle -n "__fish_upstream_toggle_needs_command" -s k -l kind -d 'Proxy kind [default: detected from the file]' -r -f -a "nginx\t'nginx `upstream` blocks'
haproxy\t'haproxy `backend` and `listen` sections'"
complete -c upstream-toggle -n "__fish_upstream_toggle_needs_command" -l prefix -d 'nginx prefix (`nginx -p DIR`), when the running nginx was started with one; the validator gets it too' -r -F
complete -c upstream-toggle -n "__fish_upstream_toggle_needs_command" -l lock-timeout -d 'How long to wait for another edit\'s lock on a config file before giving up (e.g. 30s, 2m, 0 = do not wait)' -r
complete -c upstream-toggle -n "__fish_upstream_toggle_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c upstream-toggle -n "__fish_upstream_toggle_needs_command" -s V -l version -d 'Print version'
complete -c upstream-toggle -n "__fish_upstream_toggle_needs_command" -f -a "list" -d 'List every server of every upstream or backend, with its state'
complete -c upstream-toggle -n "__fish_upstream_toggle_needs_command" -f -a "disable" -d 'Take servers out of rotation'
complete -c upstream-toggle -n "__fish_upstream_toggle_needs_command" -f -a "enable" -d 'Bring servers back into rotation'
complete -c upstream-toggle -n "__fish_upstream_toggle_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand list" -s c -l config -d 'Config file [default: /etc/nginx/nginx.conf, or /etc/haproxy/haproxy.cfg with -k haproxy]' -r -F
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand list" -s k -l kind -d 'Proxy kind [default: detected from the file]' -r -f -a "nginx\t'nginx `upstream` blocks'
haproxy\t'haproxy `backend` and `listen` sections'"
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand list" -l prefix -d 'nginx prefix (`nginx -p DIR`), when the running nginx was started with one; the validator gets it too' -r -F
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand list" -l lock-timeout -d 'How long to wait for another edit\'s lock on a config file before giving up (e.g. 30s, 2m, 0 = do not wait)' -r
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand list" -l json -d 'Print a JSON array instead of a table'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand disable" -l upstream -d 'Only in this upstream or backend' -r
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand disable" -l method -d 'How to take it out' -r -f -a "comment\t'Comment the server line out (nginx default)'
down\t'nginx `down` / haproxy `disabled` (default on haproxy and on nginx ip_hash/hash upstreams)'"
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand disable" -l reason -d 'Recorded in the marker comment' -r
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand disable" -s c -l config -d 'Config file [default: /etc/nginx/nginx.conf, or /etc/haproxy/haproxy.cfg with -k haproxy]' -r -F
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand disable" -s k -l kind -d 'Proxy kind [default: detected from the file]' -r -f -a "nginx\t'nginx `upstream` blocks'
haproxy\t'haproxy `backend` and `listen` sections'"
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand disable" -l prefix -d 'nginx prefix (`nginx -p DIR`), when the running nginx was started with one; the validator gets it too' -r -F
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand disable" -l lock-timeout -d 'How long to wait for another edit\'s lock on a config file before giving up (e.g. 30s, 2m, 0 = do not wait)' -r
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand disable" -l dry-run -d 'Print a unified diff and write nothing'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand disable" -l no-validate -d 'Do not run nginx -t / haproxy -c before writing'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand disable" -l force -d 'Allow leaving an upstream with no enabled non-backup server'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand disable" -l json -d 'Print what changed as JSON'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand disable" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand enable" -l upstream -d 'Only in this upstream or backend' -r
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand enable" -s c -l config -d 'Config file [default: /etc/nginx/nginx.conf, or /etc/haproxy/haproxy.cfg with -k haproxy]' -r -F
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand enable" -s k -l kind -d 'Proxy kind [default: detected from the file]' -r -f -a "nginx\t'nginx `upstream` blocks'
haproxy\t'haproxy `backend` and `listen` sections'"
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand enable" -l prefix -d 'nginx prefix (`nginx -p DIR`), when the running nginx was started with one; the validator gets it too' -r -F
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand enable" -l lock-timeout -d 'How long to wait for another edit\'s lock on a config file before giving up (e.g. 30s, 2m, 0 = do not wait)' -r
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand enable" -l all -d 'Bring back every server upstream-toggle disabled (never one a person commented out)'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand enable" -l dry-run -d 'Print a unified diff and write nothing'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand enable" -l no-validate -d 'Do not run nginx -t / haproxy -c before writing'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand enable" -l force -d 'Allow leaving an upstream with no enabled non-backup server'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand enable" -l json -d 'Print what changed as JSON'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand enable" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand help; and not __fish_seen_subcommand_from list disable enable help" -f -a "list" -d 'List every server of every upstream or backend, with its state'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand help; and not __fish_seen_subcommand_from list disable enable help" -f -a "disable" -d 'Take servers out of rotation'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand help; and not __fish_seen_subcommand_from list disable enable help" -f -a "enable" -d 'Bring servers back into rotation'
complete -c upstream-toggle -n "__fish_upstream_toggle_using_subcommand help; and not __fish_seen_subcommand_from list disable enable help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
