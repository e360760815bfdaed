//! The envelope every answer travels in, and its errors.

use serde::{Deserialize, Serialize};

/// What went wrong, as one word every binding reports the same way.
///
/// The kinds are stable: a binding may branch on them (Python raises a subclass per
/// kind, the HTTP service maps them to status codes). The message says the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A request argument is missing, of the wrong type or out of range; `path` names it
    /// (`as_of`, `options.detail`, `profiles[2]`).
    Request,
    /// Input text is not JSON, or a JSON-lines line is blank, too long or not UTF-8;
    /// `line` names the line of a batch.
    Json,
    /// A profile does not fit the schema; `path` is the JSON path inside the profile
    /// (`$.employees.2024`).
    Profile,
    /// A policy file or condition does not check; `origin`, `policy`, `line`, `column`
    /// and `hint` say where and what was meant.
    Policy,
    /// No policy has that id; `hint` names the nearest one.
    UnknownPolicy,
    /// The enterprise schema does not load.
    Schema,
    /// A code table (industry, region, zone) does not load; the message names the file.
    Codes,
    /// A saved policy set (`.hqset`) is damaged, of another format version, or of another
    /// schema.
    Compiled,
    /// Enterprises cannot be loaded or used: an unreadable or damaged file, a load that
    /// kept no rows, a store built with another schema.
    Store,
    /// A file or folder named in a request cannot be read.
    File,
    /// A bug: a panic caught at a binding's boundary. Please report it.
    Internal,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::Request,
        ErrorKind::Json,
        ErrorKind::Profile,
        ErrorKind::Policy,
        ErrorKind::UnknownPolicy,
        ErrorKind::Schema,
        ErrorKind::Codes,
        ErrorKind::Compiled,
        ErrorKind::Store,
        ErrorKind::File,
        ErrorKind::Internal,
    ];

    /// The kind as it appears in JSON (`unknown_policy`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Request => "request",
            ErrorKind::Json => "json",
            ErrorKind::Profile => "profile",
            ErrorKind::Policy => "policy",
            ErrorKind::UnknownPolicy => "unknown_policy",
            ErrorKind::Schema => "schema",
            ErrorKind::Codes => "codes",
            ErrorKind::Compiled => "compiled",
            ErrorKind::Store => "store",
            ErrorKind::File => "file",
            ErrorKind::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One error in a failure envelope: a kind, a message, and where.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorItem {
    pub kind: ErrorKind,
    pub message: String,
    /// A request argument (`as_of`), or a JSON path inside a profile (`$.employees.2024`),
    /// or the part of a policy (`condition`, `benefit.amount`, `file`).
    #[serde(default)]
    pub path: Option<String>,
    /// The file (or other origin) of a policy text.
    #[serde(default)]
    pub origin: Option<String>,
    #[serde(default)]
    pub policy: Option<String>,
    /// 1-based line (in a policy text, or of a JSON-lines batch) and column (in characters).
    #[serde(default)]
    pub line: Option<usize>,
    #[serde(default)]
    pub column: Option<usize>,
    /// 0-based position of the item in a request's array (`match_many`'s `profiles`).
    #[serde(default)]
    pub item: Option<usize>,
    /// What was probably meant (`did you mean "registered_capital"?`).
    #[serde(default)]
    pub hint: Option<String>,
}

impl ErrorItem {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ErrorItem {
        ErrorItem {
            kind,
            message: message.into(),
            path: None,
            origin: None,
            policy: None,
            line: None,
            column: None,
            item: None,
            hint: None,
        }
    }

    /// An error of a request argument.
    pub fn request(path: &str, message: impl Into<String>) -> ErrorItem {
        ErrorItem { path: Some(path.to_string()), ..ErrorItem::new(ErrorKind::Request, message) }
    }

    /// The error on one line: `origin: policy: line:column: message (hint)`, as a person
    /// reads it (the CLI's stderr, an exception message).
    pub fn one_line(&self) -> String {
        let mut s = String::new();
        for part in [&self.origin, &self.policy].into_iter().flatten() {
            s.push_str(part);
            s.push_str(": ");
        }
        match (self.line, self.column) {
            (Some(l), Some(c)) => s.push_str(&format!("{l}:{c}: ")),
            (Some(l), None) => s.push_str(&format!("line {l}: ")),
            _ => {}
        }
        if let Some(i) = self.item {
            s.push_str(&format!("item {i}: "));
        }
        if let (Some(p), None) = (&self.path, &self.origin) {
            s.push_str(p);
            s.push_str(": ");
        }
        s.push_str(&self.message);
        if let Some(h) = &self.hint {
            s.push_str(&format!(" ({h})"));
        }
        s
    }
}

/// The errors of a failed operation (at least one).
pub type Errors = Vec<ErrorItem>;

/// A tagged result envelope: `{"type": "success", "result": …}` or
/// `{"type": "failure", "errors": […]}`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Envelope_{T}")]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Envelope<T> {
    Success {
        result: T,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<String>,
    },
    Failure {
        errors: Vec<ErrorItem>,
    },
}

impl<T: Serialize> Envelope<T> {
    /// The envelope of an operation's outcome, with no warnings.
    pub fn of(outcome: Result<T, Errors>) -> Envelope<T> {
        match outcome {
            Ok(result) => Envelope::Success { result, warnings: Vec::new() },
            Err(errors) => Envelope::Failure { errors },
        }
    }

    /// Serialises the envelope; serialisation of these types cannot fail, but if it did the
    /// answer is still a failure envelope.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|e| Envelope::<()>::Failure { errors: vec![ErrorItem::new(ErrorKind::Internal, e.to_string())] }.to_json())
    }
}

/// The JSON text of a failure envelope.
pub fn failure(errors: Errors) -> String {
    Envelope::<()>::Failure { errors }.to_json()
}

/// The JSON text of a success envelope with no warnings.
pub fn success<T: Serialize>(result: T) -> String {
    Envelope::Success { result, warnings: Vec::new() }.to_json()
}

/// The JSON text of an operation's envelope.
pub fn respond<T: Serialize>(outcome: Result<T, Errors>) -> String {
    Envelope::of(outcome).to_json()
}

/// Failure items for profile errors.
pub fn profile_errors(e: &crate::profile::ProfileErrors) -> Errors {
    e.0.iter()
        .map(|p| {
            let kind = match p.kind {
                crate::profile::ProfileErrorKind::Json => ErrorKind::Json,
                _ => ErrorKind::Profile,
            };
            ErrorItem { path: Some(p.path.clone()), ..ErrorItem::new(kind, p.message.clone()) }
        })
        .collect()
}

/// Failure items for policy-set errors.
pub fn policy_errors(e: &crate::policy::PolicySetError) -> Errors {
    e.0.iter()
        .map(|p| ErrorItem {
            path: Some(p.location.clone()),
            origin: Some(p.origin.clone()),
            policy: p.policy.clone(),
            line: p.line,
            column: p.column,
            hint: p.hint.clone(),
            ..ErrorItem::new(ErrorKind::Policy, p.message.clone())
        })
        .collect()
}

/// The failure of an unknown policy id.
pub fn unknown_policy(id: &str, suggestion: Option<&str>) -> ErrorItem {
    ErrorItem {
        hint: suggestion.map(|s| format!("did you mean {s:?}?")),
        path: Some("policy".into()),
        ..ErrorItem::new(ErrorKind::UnknownPolicy, format!("unknown policy {id:?}"))
    }
}

/// Failure items for any engine error.
pub fn engine_errors(e: &crate::engine::EngineError) -> Errors {
    use crate::engine::EngineError;
    match e {
        EngineError::Policies(p) => policy_errors(p),
        EngineError::Profile(p) => profile_errors(p),
        EngineError::UnknownPolicy { id, suggestion } => vec![unknown_policy(id, suggestion.as_deref())],
    }
}

/// Failure items for a store error.
pub fn store_errors(e: &crate::store::StoreError) -> Errors {
    match e {
        crate::store::StoreError::UnknownPolicy { id, suggestion } => vec![unknown_policy(id, suggestion.as_deref())],
        _ => vec![ErrorItem::new(ErrorKind::Store, e.to_string())],
    }
}

/// A date argument.
pub fn parse_date(path: &str, text: &str) -> Result<crate::date::Date, Errors> {
    crate::date::Date::parse(text).map_err(|e| vec![ErrorItem::request(path, e.to_string())])
}
