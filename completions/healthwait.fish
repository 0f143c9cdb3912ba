complete -c healthwait -s t -l timeout -d 'Overall deadline (250ms, 2s, 1m; a bare number is seconds; 0 = no deadline)' -r
complete -c healthwait -s i -l interval -d 'Fixed pause between probes [default: back off from 10ms to 50ms]' -r
complete -c healthwait -l attempt-timeout -d 'Bound on each attempt, so a server that accepts and never answers cannot stall the wait' -r
complete -c healthwait -l status -d 'Accepted HTTP status codes: a list of codes and ranges [default: 200-399]' -r
complete -c healthwait -l method -d 'HTTP method: get or head' -r -f -a "get\t'GET'
head\t'HEAD'"
complete -c healthwait -s H -l header -d 'Extra request header \'Name: value\' (repeatable)' -r
complete -c healthwait -l expect-header -d 'A response header that must match: \'Name: VALUE-REGEX\' (repeatable)' -r
complete -c healthwait -l cacert -d 'Trust the CA certificates in this PEM file instead of the system\'s (a private CA)' -r -F
complete -c healthwait -l body -d 'The body must contain this text' -r
complete -c healthwait -l body-regex -d 'The body must match this regular expression' -r
complete -c healthwait -l successes -d 'Consecutive healthy rounds required (a flapping service never passes)' -r
complete -c healthwait -l unix-socket -d 'Send the HTTP request over this unix socket (like curl --unix-socket)' -r -F
complete -c healthwait -l insecure -d 'Accept any TLS certificate (self-signed, expired, wrong name)'
complete -c healthwait -l down -d 'Wait until every target FAILS instead'
complete -c healthwait -l json -d 'One JSON document on stdout when the wait ends (CMD\'s stdout then goes to stderr)'
complete -c healthwait -s q -l quiet -d 'Print nothing on stderr'
complete -c healthwait -s v -l verbose -d 'Print every probe\'s result, not only changes'
complete -c healthwait -s h -l help -d 'Print help'
complete -c healthwait -s V -l version -d 'Print version'
