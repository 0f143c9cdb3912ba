//! haproxy `server`/`default-server` keywords: which ones take an argument, so that an argument
//! (`cookie disabled`, `id enabled`) is never read as the keyword of the same spelling.

use crate::server::FlagWord;

/// Keywords followed by one argument (configuration.txt §5.2, haproxy 2.0 to 3.2); sorted, for
/// binary search.
const WITH_ARG: &[&[u8]] = &[
    b"addr",
    b"agent-addr",
    b"agent-inter",
    b"agent-port",
    b"agent-send",
    b"alpn",
    b"ca-file",
    b"check-alpn",
    b"check-pool-conn-name",
    b"check-proto",
    b"check-sni",
    b"ciphers",
    b"ciphersuites",
    b"client-sigalgs",
    b"cookie",
    b"crl-file",
    b"crt",
    b"curves",
    b"downinter",
    b"error-limit",
    b"fall",
    b"fastinter",
    b"guid",
    b"hash-key",
    b"id",
    b"idle-ping",
    b"init-addr",
    b"init-state",
    b"inter",
    b"interface",
    b"log-bufsize",
    b"log-proto",
    b"max-reuse",
    b"maxconn",
    b"maxqueue",
    b"minconn",
    b"namespace",
    b"npn",
    b"observe",
    b"on-error",
    b"on-marked-down",
    b"on-marked-up",
    b"pool-conn-name",
    b"pool-low-conn",
    b"pool-max-conn",
    b"pool-purge-delay",
    b"port",
    b"proto",
    b"proxy-v2-options",
    b"redir",
    b"resolve-net",
    b"resolve-opts",
    b"resolve-prefer",
    b"resolvers",
    b"rise",
    b"set-proxy-v2-tlv-fmt",
    b"shard",
    b"sigalgs",
    b"slowstart",
    b"sni",
    b"socks4",
    b"source",
    b"ssl-max-ver",
    b"ssl-min-ver",
    b"tcp-ut",
    b"track",
    b"usesrc",
    b"verify",
    b"verifyhost",
    b"weight",
    b"ws",
];

/// What a run of server keywords says, with the index of each word that matters.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Scan {
    /// `disabled`/`enabled` keywords in order: (word index, which).
    pub states: Vec<(usize, FlagWord)>,
    /// The last `backup`/`no-backup`.
    pub backup: Option<bool>,
    /// The last `weight`: whether it is 0.
    pub weight_zero: Option<bool>,
    /// The argument of `track`.
    pub track: Option<String>,
    /// A keyword is built from an environment variable, so its meaning is unknown here.
    pub from_env: bool,
    /// The last word is a keyword still waiting for its argument (`... cookie`): a word
    /// appended to the line would be read as that argument.
    pub dangling: Option<String>,
}

impl Scan {
    /// The last state keyword decides: Some(true) when it is `disabled`.
    pub fn disabled(&self) -> Option<bool> {
        self.states.last().map(|(_, w)| *w == FlagWord::Down)
    }
}

/// Reads keyword words (after the address); values are as haproxy sees them.
pub(crate) fn scan<V: AsRef<[u8]>>(words: &[V]) -> Scan {
    let mut out = Scan::default();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_ref();
        let arg = words.get(i + 1).map(AsRef::as_ref);
        let takes_arg = WITH_ARG.binary_search(&w).is_ok();
        match w {
            b"disabled" => out.states.push((i, FlagWord::Down)),
            b"enabled" => out.states.push((i, FlagWord::Enabled)),
            b"backup" => out.backup = Some(true),
            b"no-backup" => out.backup = Some(false),
            b"weight" => out.weight_zero = arg.map(is_zero),
            b"track" => out.track = arg.map(|a| String::from_utf8_lossy(a).into_owned()),
            w if w.contains(&b'$') => out.from_env = true,
            _ => {}
        }
        if takes_arg && i + 1 == words.len() {
            out.dangling = Some(String::from_utf8_lossy(w).into_owned());
        }
        i += if takes_arg { 2 } else { 1 };
    }
    out
}

/// haproxy reads weights with atol: `0`, `+0`, `00`, `0x` and `abc` are all zero. A value built
/// from an environment variable (`${W}`, `"$W"`) cannot be known here, so it counts as zero too:
/// the safety rule then never relies on it.
fn is_zero(v: &[u8]) -> bool {
    if v.contains(&b'$') {
        return true;
    }
    let t = v.trim_ascii_start();
    let t = t
        .strip_prefix(b"+")
        .or_else(|| t.strip_prefix(b"-"))
        .unwrap_or(t);
    t.iter()
        .take_while(|b| b.is_ascii_digit())
        .all(|&d| d == b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyword_table_is_sorted() {
        assert!(WITH_ARG.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn arguments_are_not_keywords() {
        let s = scan(&["cookie", "disabled", "check", "id", "enabled"]);
        assert!(s.states.is_empty());
        let s = scan(&["check", "disabled", "weight", "0", "enabled"]);
        assert_eq!(s.states, vec![(1, FlagWord::Down), (4, FlagWord::Enabled)]);
        assert_eq!(s.weight_zero, Some(true));
        assert_eq!(s.disabled(), Some(false));
        let s = scan(&["track", "app/web1", "backup"]);
        assert_eq!(s.track.as_deref(), Some("app/web1"));
        assert_eq!(s.backup, Some(true));
        for w in ["+0", "abc", "${ZERO}", "00"] {
            assert_eq!(scan(&["weight", w]).weight_zero, Some(true), "{w}");
        }
        assert_eq!(scan(&["weight", "10"]).weight_zero, Some(false));
        assert!(scan(&["check", "$STATE"]).from_env);
        assert_eq!(
            scan(&["check", "cookie"]).dangling.as_deref(),
            Some("cookie")
        );
        assert_eq!(scan(&["cookie", "check"]).dangling, None);
    }
}
