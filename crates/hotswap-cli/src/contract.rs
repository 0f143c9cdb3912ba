//! The toolkit's one contract (DESIGN.md): a kind for each exit code, and one error object that
//! every tool prints under `--json`, so a script that learned one tool reads the others.

use schemars::JsonSchema;
use serde::Serialize;

/// What kind of trouble ended a command. Each kind has one exit code in every tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Something failed while running (a restart, a health wait, a drain, I/O): exit 1.
    Runtime,
    /// Bad flags or arguments, an unreadable config, a syntax error: exit 2.
    Usage,
    /// No such server or upstream: exit 3.
    NotFound,
    /// A safety rule refused: exit 4.
    Refused,
    /// The real validator rejected the result; nothing was written: exit 5.
    Rejected,
    /// A lock is held by another edit or deploy: exit 6.
    Busy,
    /// healthwait's deadline passed: exit 124.
    Timeout,
    /// Ctrl-C or SIGTERM: exit 130.
    Interrupted,
}

impl Kind {
    /// Every kind, in the order of the table.
    pub const ALL: [Kind; 8] = [
        Kind::Runtime,
        Kind::Usage,
        Kind::NotFound,
        Kind::Refused,
        Kind::Rejected,
        Kind::Busy,
        Kind::Timeout,
        Kind::Interrupted,
    ];

    /// The exit code of this kind.
    pub fn code(self) -> i32 {
        match self {
            Kind::Runtime => 1,
            Kind::Usage => 2,
            Kind::NotFound => 3,
            Kind::Refused => 4,
            Kind::Rejected => 5,
            Kind::Busy => 6,
            Kind::Timeout => 124,
            Kind::Interrupted => 130,
        }
    }

    /// The kind's name in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Runtime => "runtime",
            Kind::Usage => "usage",
            Kind::NotFound => "not_found",
            Kind::Refused => "refused",
            Kind::Rejected => "rejected",
            Kind::Busy => "busy",
            Kind::Timeout => "timeout",
            Kind::Interrupted => "interrupted",
        }
    }
}

/// Where and what an error is about, when it is about something in particular.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Context {
    /// The config file (or other file) the error is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line in `file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column in `file`, in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The server as it was named (an address, a haproxy name, UPSTREAM/SERVER).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// The upstream or backend.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// Who holds a lock: user, pid and since when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
}

/// One error, as every tool reports it: `{"error": {kind, message, exit_code, ...context}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ErrorObject {
    /// The kind, as in the exit-code table.
    pub kind: Kind,
    /// What went wrong and what to do, as on stderr.
    pub message: String,
    /// The process's exit code (the kind's, or 126/127 for a command healthwait cannot run).
    pub exit_code: i32,
    /// Where, and about what.
    #[serde(flatten)]
    pub context: Context,
}

impl ErrorObject {
    /// An error of `kind` with the kind's exit code and no context.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        ErrorObject {
            kind,
            message: message.into(),
            exit_code: kind.code(),
            context: Context::default(),
        }
    }

    /// The same error about `context`.
    pub fn with(mut self, context: Context) -> Self {
        self.context = context;
        self
    }

    /// The one-line JSON document `{"error": {...}}`.
    pub fn document(&self) -> String {
        serde_json::to_string(&ErrorDocument {
            error: self.clone(),
        })
        .unwrap_or_else(|_| {
            format!(
                r#"{{"error":{{"kind":"{}","message":"","exit_code":{}}}}}"#,
                self.kind.name(),
                self.exit_code
            )
        })
    }
}

/// The document a command prints instead of its output when it fails under `--json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ErrorDocument {
    /// The error.
    pub error: ErrorObject,
}

/// An error a binary can end with: its kind, message and context.
pub trait Reportable: std::fmt::Display {
    /// Its kind (and so its exit code).
    fn kind(&self) -> Kind;
    /// Its exit code: the kind's, unless the tool's table says otherwise (healthwait's 126/127).
    fn exit_code(&self) -> i32 {
        self.kind().code()
    }
    /// What it is about.
    fn context(&self) -> Context {
        Context::default()
    }
    /// The error object.
    fn object(&self) -> ErrorObject {
        ErrorObject {
            exit_code: self.exit_code(),
            ..ErrorObject::new(self.kind(), self.to_string()).with(self.context())
        }
    }
}

/// The JSON Schema of the error document every tool prints: (file name, pretty JSON).
pub fn schema() -> (&'static str, String) {
    let mut t =
        serde_json::to_string_pretty(&schemars::schema_for!(ErrorDocument)).unwrap_or_default();
    t.push('\n');
    ("error.schema.json", t)
}

/// Now, as the contract writes times: RFC 3339, milliseconds, UTC.
pub fn timestamp() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_follow_the_table() {
        let table: Vec<(i32, &str)> = Kind::ALL.iter().map(|k| (k.code(), k.name())).collect();
        assert_eq!(
            table,
            [
                (1, "runtime"),
                (2, "usage"),
                (3, "not_found"),
                (4, "refused"),
                (5, "rejected"),
                (6, "busy"),
                (124, "timeout"),
                (130, "interrupted")
            ]
        );
        for k in Kind::ALL {
            assert_eq!(
                serde_json::to_value(k).ok(),
                Some(serde_json::Value::from(k.name()))
            );
        }
    }

    #[test]
    fn the_error_document_flattens_its_context() {
        let e = ErrorObject::new(Kind::NotFound, "no server").with(Context {
            server: Some("web9".into()),
            ..Context::default()
        });
        assert_eq!(
            e.document(),
            r#"{"error":{"kind":"not_found","message":"no server","exit_code":3,"server":"web9"}}"#
        );
        assert!(timestamp().ends_with('Z'));
    }
}
