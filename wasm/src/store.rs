//! Stores of enterprises in the page (feature `stores`, the studio's module): a `Store`
//! loaded from JSON lines or a saved store (`huiqi store build`), and `Engine.callStore`,
//! which answers the operations that read one (`store_info`, `reverse`, `bulk_counts`,
//! `what_if`, `diff` with reach, `lint` with reach) with the same envelopes as
//! `huiqi call OP --enterprises STORE`.

use wasm_bindgen::prelude::*;

use huiqi::ops::stores::OpenStore;
use huiqi::ops::{ErrorItem, ErrorKind};
use huiqi::store::{EnterpriseStore, LoadOptions};

use crate::{huiqi_error, request_text, Engine};

/// Enterprises in columns, loaded with an engine's schema.
#[wasm_bindgen]
pub struct Store {
    open: OpenStore,
}

fn store_error(origin: &str, message: String) -> JsValue {
    huiqi_error(vec![ErrorItem { path: Some(origin.to_string()), ..ErrorItem::new(ErrorKind::Store, message) }])
}

#[wasm_bindgen]
impl Store {
    /// Loads enterprises from JSON lines (one profile per line; UTF-8 bytes) with the
    /// engine's schema. Bad rows are skipped and reported (`info()`); a load that keeps no
    /// row, or skips more than it keeps, throws a `HuiqiError` naming the line.
    #[wasm_bindgen(js_name = fromJsonLines)]
    pub fn from_json_lines(engine: &Engine, bytes: &[u8]) -> Result<Store, JsValue> {
        let json_object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        EnterpriseStore::load_jsonl(engine.handle.engine.schema(), bytes, LoadOptions::default())
            .and_then(|(store, report)| report.kept_enough("the JSON lines", json_object).map(|()| (store, report)))
            .map(|(store, report)| Store { open: OpenStore::new(store, report) })
            .map_err(|e| store_error("jsonl", e.to_string()))
    }

    /// Loads a saved store (the bytes of a file written by `huiqi store build`), checked
    /// against the engine's schema.
    #[wasm_bindgen(js_name = fromSaved)]
    pub fn from_saved(engine: &Engine, bytes: &[u8]) -> Result<Store, JsValue> {
        EnterpriseStore::from_bytes(bytes, engine.handle.engine.schema())
            .map(|store| Store { open: OpenStore::new(store, Default::default()) })
            .map_err(|e| store_error("store", e.to_string()))
    }

    /// `count` synthetic enterprises (labelled synthetic: `huiqi gen enterprises --seed
    /// SEED`), loaded with the engine's schema: the studio's sample store.
    pub fn generate(engine: &Engine, seed: u64, count: u32) -> Result<Store, JsValue> {
        let values = huiqi::gen::enterprises(seed, count as usize);
        EnterpriseStore::load_values(engine.handle.engine.schema(), values, LoadOptions::default())
            .map(|(store, report)| Store { open: OpenStore::new(store, report) })
            .map_err(|e| store_error("generate", e.to_string()))
    }

    /// The number of enterprises.
    pub fn size(&self) -> u32 {
        self.open.store.len()
    }

    /// `store_info`: the count and the load report. JSON text of an envelope.
    #[wasm_bindgen(unchecked_return_type = "EnvelopeJson<unknown>")]
    pub fn info(&self) -> String {
        huiqi::ops::respond(Ok::<_, Vec<ErrorItem>>(self.open.info()))
    }
}

#[wasm_bindgen]
impl Engine {
    /// Answers an operation by name (`callStore(op, store, request)`) with a store: the same envelope, byte for byte, as
    /// `huiqi call OP --enterprises STORE` (`reverse`, `what_if`, `diff`, `bulk_counts` …).
    /// The store keeps the sets of the last engine and date it answered for, so asking
    /// again on that date costs only the policies asked about.
    #[wasm_bindgen(js_name = callStore, unchecked_return_type = "EnvelopeJson<unknown>")]
    pub fn call_store(
        &self,
        op: &str,
        store: &Store,
        #[wasm_bindgen(unchecked_optional_param_type = "string | object | null")] request: JsValue,
    ) -> String {
        match request_text(&request) {
            Ok(t) => huiqi::ops::call(&self.handle.engine, Some(&store.open), op, &t),
            Err(e) => e,
        }
    }
}
