//! What several fuzz targets share (each includes this file as a module).

use std::sync::{Arc, OnceLock};

/// The embedded schema, built once per run.
pub fn schema() -> &'static Arc<huiqi::schema::Schema> {
    static S: OnceLock<Arc<huiqi::schema::Schema>> = OnceLock::new();
    S.get_or_init(|| Arc::new(huiqi::schema::Schema::embedded().expect("embedded schema")))
}
