//! Shared set-up for the benchmarks: generated policy sets and enterprises.

use std::sync::Arc;

use huiqi::engine::Engine;
use huiqi::profile::Profile;
use huiqi::schema::Schema;

/// An engine over `n` generated policies (seeded).
pub fn engine(n: usize, seed: u64) -> Result<Engine, String> {
    shaped_engine(n, seed, huiqi::gen::Shape::STANDARD)
}

/// An engine over `n` generated policies of a shape (seeded).
pub fn shaped_engine(n: usize, seed: u64, shape: huiqi::gen::Shape) -> Result<Engine, String> {
    let policies: Vec<serde_json::Value> = huiqi::gen::shaped_policies(seed, n, shape).collect();
    let doc = serde_json::json!({ "policies": policies }).to_string();
    let schema = Arc::new(Schema::embedded().map_err(|e| e.to_string())?);
    Engine::from_sources(schema, &[("gen.json".into(), doc)]).map_err(|e| e.to_string())
}

/// `n` generated enterprise profiles (seeded).
pub fn profiles(engine: &Engine, n: usize, seed: u64) -> Result<Vec<Profile>, String> {
    huiqi::gen::enterprises(seed, n).map(|v| Profile::from_json(engine.schema(), &v).map_err(|e| e.to_string())).collect()
}

/// Percentile of sorted nanoseconds.
pub fn percentile(sorted: &[u128], p: f64) -> u128 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}
pub mod hand;
