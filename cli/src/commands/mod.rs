//! One module per command, each with a `run` taking its parsed arguments and returning the exit code.

pub(crate) mod bulk;
pub(crate) mod calendar;
pub(crate) mod call;
pub(crate) mod check;
pub(crate) mod compile;
pub(crate) mod diff;
pub(crate) mod explain;
pub(crate) mod gen;
pub(crate) mod lint;
pub(crate) mod match_;
pub(crate) mod policies;
pub(crate) mod profile;
pub(crate) mod reverse;
pub(crate) mod schema;
pub(crate) mod store;
pub(crate) mod test;
