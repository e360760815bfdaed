//! `huiqi match --profiles`: one envelope per input line, in the input's order, the same
//! bytes whatever the number of threads that answer them, and the same envelope a line
//! gets from `match --profile FILE --json`. Bad lines (blank, not JSON, not UTF-8, CRLF
//! ends) answer with failures that name their line, and the file goes on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn huiqi(args: &[&str]) -> (Vec<u8>, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_huiqi")).args(args).current_dir(root()).output().unwrap();
    assert!(out.stderr.is_empty() || out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (out.stdout, out.status.code().unwrap_or(-1))
}

/// The bundled enterprises, each as one line of JSON.
fn enterprises() -> Vec<(PathBuf, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("data/enterprises"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 10);
    files
        .into_iter()
        .map(|p| {
            let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (p, serde_json::to_string(&v).unwrap())
        })
        .collect()
}

#[test]
fn lines_answer_in_order_and_alike_on_any_number_of_threads() {
    let ents = enterprises();
    // 150 lines: more than one batch on three threads (32 lines each), with the bad lines
    // spread over the batches.
    let mut input: Vec<u8> = Vec::new();
    let mut expect: Vec<Option<usize>> = Vec::new(); // the enterprise of each line, if any
    for k in 0..150usize {
        match k {
            7 | 120 => input.extend_from_slice(b"   "),
            40 => input.extend_from_slice(b"{\"name\": "),
            77 => input.extend_from_slice(b"{\"name\": \"\xff\xfe\"}"),
            _ => {
                let e = k % ents.len();
                input.extend_from_slice(ents[e].1.as_bytes());
                if k % 5 == 0 {
                    input.push(b'\r');
                }
                expect.push(Some(e));
                input.push(b'\n');
                continue;
            }
        }
        expect.push(None);
        input.push(b'\n');
    }
    let dir = std::env::temp_dir().join(format!("huiqi-match-lines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("profiles.jsonl");
    std::fs::write(&file, &input).unwrap();
    let run = |threads: &str| {
        let (out, code) =
            huiqi(&["match", "--profiles", file.to_str().unwrap(), "--as-of", "2026-06-30", "--detail", "summary", "--threads", threads]);
        assert_eq!(code, 0);
        String::from_utf8(out).unwrap()
    };
    let one = run("1");
    assert_eq!(one, run("3"), "three threads answered differently from one");
    assert_eq!(one, run("0"), "one thread per core answered differently from one");
    // More threads than the cap (64) and than lines in a batch: one batch, the same answers.
    assert_eq!(one, run("1000"), "the most threads answered differently from one");
    let lines: Vec<&str> = one.lines().collect();
    assert_eq!(lines.len(), 150);
    for (k, (line, e)) in lines.iter().zip(&expect).enumerate() {
        match e {
            Some(_) => assert!(line.starts_with("{\"type\":\"success\""), "line {}: {line}", k + 1),
            None => {
                assert!(line.starts_with("{\"type\":\"failure\""), "line {}: {line}", k + 1);
                assert!(line.contains(&format!("\"line\":{}", k + 1)), "line {} does not name itself: {line}", k + 1);
            }
        }
    }
    assert!(lines[77].contains("not UTF-8"), "{}", lines[77]);
    // Each answered line is the envelope of its enterprise on its own, at two places in
    // different batches and on a CRLF line (k = 0, 66, 141).
    for k in [0usize, 66, 141] {
        let e = expect[k].unwrap();
        let (alone, code) =
            huiqi(&["match", "--profile", ents[e].0.to_str().unwrap(), "--as-of", "2026-06-30", "--detail", "summary", "--json"]);
        assert_eq!(code, 0);
        assert_eq!(String::from_utf8(alone).unwrap().trim_end(), lines[k], "line {}", k + 1);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn threads_are_refused_without_profiles() {
    let out = Command::new(env!("CARGO_BIN_EXE_huiqi"))
        .args(["match", "--profile", "data/enterprises/01-quanzhi-software.json", "--threads", "2"])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--profiles"), "{}", String::from_utf8_lossy(&out.stderr));
}
