//! The command line: clap definitions of every command and its arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "huiqi", version, about = "惠企 Huiqi — match enterprises against support policies, with reasons", long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(clap::Args, Clone)]
pub(crate) struct SetArgs {
    /// Folder (or file) of policy JSON files, or a saved set (`huiqi compile`); default:
    /// the bundled real policies.
    #[arg(long, value_name = "DIR")]
    pub(crate) policies: Option<PathBuf>,
    /// Schema JSON file replacing the bundled enterprise schema.
    #[arg(long, value_name = "FILE")]
    pub(crate) schema: Option<PathBuf>,
    /// Folder of code tables (industry, region, zone JSON files, each optional) replacing
    /// the bundled ones of the same system, checked when read (docs/limits.md, "Code
    /// tables"); see data/codes/PROVENANCE.md. A saved set does not carry them: load a set
    /// compiled with `--codes DIR` with the same `--codes DIR`.
    #[arg(long, value_name = "DIR")]
    pub(crate) codes: Option<PathBuf>,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Print the fields of the enterprise profile schema.
    Schema(SchemaArgs),
    /// Validate enterprise profiles.
    Profile {
        #[command(subcommand)]
        command: ProfileCommand,
    },
    /// Check a policy set and report every problem.
    Check(CheckArgs),
    /// Check a policy set and save it with the syntax tree of every text: a saved set
    /// starts an engine without parsing (--policies accepts it; the WASM page loads one).
    Compile(CompileArgs),
    /// Which policies does an enterprise qualify for, almost qualify for, and what is missing.
    Match(MatchArgs),
    /// Find what a policy set may not mean: contradictions, duplicates, one-way exclusions,
    /// windows outside validity, unused fields; with --enterprises, policies that reach nobody;
    /// with --as-of, whether the set is current on that date (reviews older than 12 months,
    /// open-ended policies older than 3 years, closed windows, superseded versions still matched).
    Lint(LintArgs),
    /// The policy list for publication (政策精准公开): title, issuer, 文号, validity, window,
    /// 免申即享 or 申报, benefit and verified status, grouped by 政策包.
    Policies(PoliciesArgs),
    /// The enterprise's policy calendar (政策日历): windows and policy end dates ahead.
    Calendar(CalendarArgs),
    /// Build a saved enterprise store from JSON lines or CSV.
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Which enterprises qualify for one policy (免申即享 / 精准推送).
    Reverse(ReverseArgs),
    /// Every enterprise against every policy, written to a file.
    Bulk(BulkArgs),
    /// Generate seeded synthetic data (labelled synthetic) for benchmarks and tests.
    Gen {
        #[command(subcommand)]
        command: GenCommand,
    },
    /// Explain one policy for one enterprise, condition by condition.
    Explain(ExplainArgs),
    /// The decision service over HTTP (runs `huiqi-serve serve`, built beside `huiqi`;
    /// `huiqi serve --help` lists its options; docs/serve.md).
    #[command(disable_help_flag = true)]
    Serve {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// Recompute every decision of the service's decision log and report those that
    /// differ (runs `huiqi-serve replay`).
    #[command(disable_help_flag = true)]
    Replay {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// Run the test cases kept beside each policy (its `tests`): pass or fail per case; for
    /// a failure, what differed and the explanation. Exit status 1 when a case fails.
    Test(crate::commands::test::TestArgs),
    /// Compare two versions of a policy set (or of one policy file): policies added, removed
    /// and changed, in words; with --enterprises, who gains and who loses.
    Diff(crate::commands::diff::DiffArgs),
    /// Answer any operation of the operation layer by name, with a JSON request: the same
    /// envelope as the C ABI's huiqi_call, Python's and WASM's Engine.call
    /// (docs/operations.md; `huiqi call --list`).
    Call(CallArgs),
}

// `huiqi call`
#[derive(clap::Args)]
pub(crate) struct CallArgs {
    /// The operation: match, explain, calendar, lint, policies, reverse … (--list names all).
    #[arg(required_unless_present_any = ["list", "json_schema"])]
    pub(crate) op: Option<String>,
    /// The request: a JSON file, or `-` for standard input; absent: `{}`.
    #[arg(value_name = "REQUEST")]
    pub(crate) request: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) set: SetArgs,
    /// Enterprises (a store, CSV, JSON lines, Parquet or a folder of profiles) for the
    /// operations on a store: store_info, prepare, reverse, bulk_counts, and lint's reach.
    #[arg(long, value_name = "PATH")]
    pub(crate) enterprises: Option<PathBuf>,
    /// List the operations and exit.
    #[arg(long)]
    pub(crate) list: bool,
    /// Print the JSON Schema of every operation's request and envelope (what
    /// docs/operations.schema.json holds) and exit.
    #[arg(long, conflicts_with_all = ["op", "list"])]
    pub(crate) json_schema: bool,
}

// The arguments of each command that has its own (plain comments: a doc comment here would
// become the command's help text, replacing the variant's).

// `huiqi schema`
#[derive(clap::Args)]
pub(crate) struct SchemaArgs {
    #[arg(long)]
    pub(crate) json: bool,
    #[arg(long, value_name = "FILE")]
    pub(crate) schema: Option<PathBuf>,
}

// `huiqi check`
#[derive(clap::Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) set: SetArgs,
}

// `huiqi compile`
#[derive(clap::Args)]
pub(crate) struct CompileArgs {
    #[command(flatten)]
    pub(crate) set: SetArgs,
    /// Where to write the saved set (conventionally FILE.hqset).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
}

// `huiqi match`
#[derive(clap::Args)]
pub(crate) struct MatchArgs {
    /// Profile JSON file of one enterprise.
    #[arg(long, value_name = "FILE", required_unless_present = "profiles")]
    pub(crate) profile: Option<PathBuf>,
    /// JSON-lines file of profiles: one JSON result line per input line.
    #[arg(long, value_name = "FILE.jsonl", conflicts_with = "profile")]
    pub(crate) profiles: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) set: SetArgs,
    /// Evaluation date (YYYY-MM-DD); default: today.
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<String>,
    /// Print the JSON envelope instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
    /// List the ineligible policies too (by default only the eligible and undetermined
    /// ones are listed; the counts cover all).
    #[arg(long)]
    pub(crate) all: bool,
    /// How much to show of each listed policy: verdicts (ids and verdicts), summary
    /// (score, benefit, missing fields), full (also the conditions in words).
    #[arg(long, value_enum, default_value_t = DetailArg::Full)]
    pub(crate) detail: DetailArg,
    /// List at most N policies, the best first (counts and next questions cover all).
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
    /// Evaluation path: the compiled index (default) or the reference evaluator.
    #[arg(long, value_enum, default_value_t = PathArg::Index)]
    pub(crate) engine: PathArg,
    /// Only policies of this package tag (政策包: 科创, 人才, 稳岗, 税费 …); repeatable.
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,
    /// Let the recommended combination include undetermined policies too.
    #[arg(long)]
    pub(crate) recommend_undetermined: bool,
    /// With --profiles: threads that answer lines (0, the default: one per core; at most
    /// 64). The output is the same, in the input's order, whatever the number.
    #[arg(long, value_name = "N")]
    pub(crate) threads: Option<usize>,
}

// `huiqi lint`
#[derive(clap::Args)]
pub(crate) struct LintArgs {
    #[command(flatten)]
    pub(crate) set: SetArgs,
    #[arg(long, value_name = "FILE")]
    pub(crate) enterprises: Option<PathBuf>,
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<String>,
    #[arg(long)]
    pub(crate) json: bool,
}

// `huiqi policies`
#[derive(clap::Args)]
pub(crate) struct PoliciesArgs {
    #[command(flatten)]
    pub(crate) set: SetArgs,
    /// Only the policies of these 政策包 (repeatable).
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,
    #[arg(long, value_enum, default_value = "md")]
    pub(crate) format: ListFormat,
    /// Only the versions in force on this date (default: every policy of the set).
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<String>,
}

// `huiqi calendar`
#[derive(clap::Args)]
pub(crate) struct CalendarArgs {
    #[arg(long, value_name = "FILE")]
    pub(crate) profile: PathBuf,
    #[arg(long, default_value_t = 3)]
    pub(crate) months: i64,
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,
    #[command(flatten)]
    pub(crate) set: SetArgs,
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<String>,
    #[arg(long)]
    pub(crate) json: bool,
}

// `huiqi reverse`
#[derive(clap::Args)]
pub(crate) struct ReverseArgs {
    #[arg(long, value_name = "ID")]
    pub(crate) policy: String,
    /// Enterprises: JSON lines, CSV, or a store built by `huiqi store build`.
    #[arg(long, value_name = "FILE")]
    pub(crate) enterprises: PathBuf,
    #[command(flatten)]
    pub(crate) set: SetArgs,
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<String>,
    /// Evaluation path: the bitmap store (default) or the reference evaluator per enterprise.
    #[arg(long, value_enum, default_value_t = StorePath::Store)]
    pub(crate) engine: StorePath,
    /// How many enterprise ids to list per verdict.
    #[arg(long, default_value_t = 20)]
    pub(crate) list: usize,
    #[arg(long)]
    pub(crate) json: bool,
}

// `huiqi bulk`
#[derive(clap::Args)]
pub(crate) struct BulkArgs {
    #[arg(long, value_name = "FILE")]
    pub(crate) enterprises: PathBuf,
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// csv / jsonl: one (enterprise, policy, verdict) line per eligible or undetermined pair;
    /// counts: one line per policy.
    #[arg(long, value_enum, default_value_t = BulkFormat::Csv)]
    pub(crate) format: BulkFormat,
    #[command(flatten)]
    pub(crate) set: SetArgs,
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<String>,
    #[arg(long, value_enum, default_value_t = StorePath::Store)]
    pub(crate) engine: StorePath,
}

// `huiqi explain`
#[derive(clap::Args)]
pub(crate) struct ExplainArgs {
    #[arg(long, value_name = "FILE")]
    pub(crate) profile: PathBuf,
    #[arg(long, value_name = "ID")]
    pub(crate) policy: String,
    #[command(flatten)]
    pub(crate) set: SetArgs,
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<String>,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Subcommand)]
pub(crate) enum GenCommand {
    /// Synthetic enterprise profiles, one JSON object per line.
    Enterprises {
        #[arg(long, default_value_t = 1000)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Synthetic policies, one JSON object per line (a valid --policies file).
    Policies {
        #[arg(long, default_value_t = 1000)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Subcommand)]
pub(crate) enum StoreCommand {
    /// Load enterprises (JSON lines or CSV) and save them as a store file.
    Build {
        #[arg(long, value_name = "FILE")]
        enterprises: PathBuf,
        #[arg(long, value_name = "STORE")]
        out: PathBuf,
        /// Bad rows: skip (reported and counted) or reject (stop at the first).
        #[arg(long, value_enum, default_value_t = OnErrorArg::Skip)]
        on_error: OnErrorArg,
        #[arg(long, value_name = "FILE")]
        schema: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OnErrorArg {
    Skip,
    Reject,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum StorePath {
    Store,
    Reference,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum BulkFormat {
    Csv,
    Jsonl,
    Counts,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DetailArg {
    Verdicts,
    Summary,
    Full,
}

impl DetailArg {
    pub(crate) fn detail(self) -> huiqi::outcome::Detail {
        match self {
            DetailArg::Verdicts => huiqi::outcome::Detail::Verdicts,
            DetailArg::Summary => huiqi::outcome::Detail::Summary,
            DetailArg::Full => huiqi::outcome::Detail::Full,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ListFormat {
    Md,
    Csv,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PathArg {
    Index,
    Reference,
}

impl PathArg {
    pub(crate) fn path(self) -> huiqi::engine::MatchPath {
        match self {
            PathArg::Index => huiqi::engine::MatchPath::Index,
            PathArg::Reference => huiqi::engine::MatchPath::Reference,
        }
    }
}

#[derive(Subcommand)]
pub(crate) enum ProfileCommand {
    /// Validate profile files; print every error with its JSON path; exit 1 on errors.
    Check {
        /// Profile JSON files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_name = "FILE")]
        schema: Option<PathBuf>,
    },
}
