//! Arbitrary bytes as enterprises in JSON lines or CSV (first byte chooses), in skip and
//! reject mode. Must never panic; bad rows are reports, not crashes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn schema() -> &'static huiqi::schema::Schema {
    static S: OnceLock<huiqi::schema::Schema> = OnceLock::new();
    S.get_or_init(|| huiqi::schema::Schema::embedded().expect("embedded schema"))
}

fuzz_target!(|data: &[u8]| {
    use huiqi::store::{EnterpriseStore, LoadOptions, OnError};
    let Some((&mode, rest)) = data.split_first() else { return };
    let opts = LoadOptions { on_error: if mode & 2 == 0 { OnError::Skip } else { OnError::Reject } };
    let loaded =
        if mode % 2 == 0 { EnterpriseStore::load_jsonl(schema(), rest, opts) } else { EnterpriseStore::load_csv(schema(), rest, opts) };
    if let Ok((store, _)) = loaded {
        // What is built also reads back.
        let back = EnterpriseStore::from_bytes(&store.to_bytes(), schema()).expect("a built store reads back");
        assert_eq!(back.len(), store.len());
    }
});
