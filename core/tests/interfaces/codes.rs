//! Code systems: normalisation, ancestry, historical codes, and the embedded tables.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use huiqi::code::{CodeError, CodeSystems};

fn systems() -> CodeSystems {
    CodeSystems::embedded().expect("embedded tables")
}

#[test]
fn industry_codes_normalise_in_every_spelling() {
    let s = systems();
    let ind = s.get(s.id("industry").expect("industry")).expect("sys");
    for raw in ["3911", "C3911", "c3911", " C 3911 "] {
        assert_eq!(ind.normalize(raw).expect(raw), "C3911", "{raw}");
    }
    assert_eq!(ind.normalize("f").expect("section"), "F");
    assert_eq!(ind.normalize("0610").expect("leading zero kept"), "B0610");
    assert_eq!(ind.normalize("R90").expect("division"), "R90");
    assert!(matches!(ind.normalize("C99"), Err(CodeError::Malformed { .. })));
    assert!(matches!(ind.normalize("U"), Err(CodeError::Unknown { .. })));
    assert!(matches!(ind.normalize("C39111"), Err(CodeError::Malformed { .. })));
}

#[test]
fn industry_ancestors_are_structural() {
    let s = systems();
    let ind = s.get(s.id("industry").expect("industry")).expect("sys");
    assert_eq!(ind.ancestors("C3911"), vec!["C3911", "C391", "C39", "C"]);
    assert_eq!(ind.ancestors("K70"), vec!["K70", "K"]);
    assert!(ind.is_under("C3911", "C39"));
    assert!(ind.is_under("C3911", "C"));
    assert!(!ind.is_under("C3911", "C38"));
    assert!(!ind.is_under("C39", "C3911"), "a parent is not under its child");
    // G5910 (装卸搬运) and G5920 are siblings under G59.
    assert!(ind.is_under("G5910", "G59") && !ind.is_under("G5920", "G5910"));
}

#[test]
fn industry_table_has_all_sections_and_divisions() {
    let s = systems();
    let ind = s.get(s.id("industry").expect("industry")).expect("sys");
    let sections = ind.nodes().filter(|n| n.code.len() == 1).count();
    let divisions = ind.nodes().filter(|n| n.code.len() == 3).count();
    assert_eq!((sections, divisions), (20, 97));
    assert_eq!(ind.describe("C39"), "C39 计算机、通信和其他电子设备制造业");
}

#[test]
fn region_codes_prefixes_and_history() {
    let s = systems();
    let reg = s.get(s.id("region").expect("region")).expect("sys");
    assert_eq!(reg.normalize("3701").expect("prefix"), "370100");
    assert_eq!(reg.normalize("37").expect("prefix"), "370000");
    for (old, new) in [("371202", "370116"), ("371203", "370117"), ("370181", "370114"), ("370125", "370115"), ("370123", "370113")] {
        assert_eq!(reg.normalize(old).expect(old), new, "{old}");
    }
    assert_eq!(reg.ancestors("370116"), vec!["370116", "370100", "370000"]);
    assert!(reg.is_under("370102", "370100"));
    assert!(!reg.is_under("370202", "370100"), "青岛 is not under 济南");
    assert_eq!(reg.describe("370116"), "370116 莱芜区");
    assert!(reg.normalize("abc").is_err());
}

#[test]
fn zones_are_a_table_with_aliases_and_parents() {
    let s = systems();
    let zone = s.get(s.id("zone").expect("zone")).expect("sys");
    assert_eq!(zone.normalize("jn_hitech").expect("alias"), "370176");
    assert_eq!(zone.normalize("JN_HITECH").expect("alias, any case"), "370176");
    // 370171, the code before the 2023 statistical division codes, reads as 370176.
    assert_eq!(zone.normalize("370171").expect("historical"), "370176");
    assert_eq!(zone.historical_target("370171"), Some("370176"));
    assert!(zone.is_under("jn_ftz_bonded", "370176"), "综保区 sits inside 高新区");
    assert!(matches!(zone.normalize("nowhere"), Err(CodeError::Unknown { .. })));
}

/// `is_under` walks the tree without building the ancestor list: on every system, for
/// every code of its table (and odd strings) against every code and every prefix-shaped
/// string, it answers exactly whether the ancestor is in `ancestors`.
#[test]
fn is_under_agrees_with_the_ancestor_list() {
    let s = systems();
    for name in s.names() {
        let sys = s.get(s.id(name).expect("id")).expect("sys");
        let mut codes: Vec<String> = sys.nodes().map(|n| n.code.clone()).collect();
        codes.extend(["", "C", "C3", "C39", "é", "Cé1", "370100", "3701", "37010", "3701é0", "120000", "zz"].map(String::from));
        let mut candidates = codes.clone();
        for c in &codes {
            candidates.extend(sys.ancestors(c));
            for end in 0..=c.len() {
                if let Some(p) = c.get(..end) {
                    candidates.push(p.to_string());
                    candidates.push(format!("{p}00"));
                    candidates.push(format!("{p}0000"));
                }
            }
        }
        candidates.sort();
        candidates.dedup();
        let mut checked = 0usize;
        // Every code against the candidates nearest to it (sharing its first character),
        // and against a spread of the rest: the tables have hundreds of codes.
        for c in &codes {
            let list = sys.ancestors(c);
            for a in candidates.iter().filter(|a| a.get(..1) == c.get(..1)).chain(candidates.iter().step_by(37)) {
                assert_eq!(sys.is_under(c, a), list.contains(a), "{name}: is {c:?} under {a:?}? ancestors {list:?}");
                checked += usize::from(list.contains(a));
            }
        }
        // The positive case is exercised for every code (at least its own ancestors).
        assert!(checked >= codes.len(), "{name}: {checked} positive checks for {} codes", codes.len());
    }
}

/// Classes (小类) per division (大类) of GB/T 4754-2017, as both transcribed sources give
/// them (data/codes/PROVENANCE.md).
const CLASSES_PER_DIVISION: &[(&str, usize)] = &[
    ("01", 30),
    ("02", 9),
    ("03", 14),
    ("04", 4),
    ("05", 15),
    ("06", 3),
    ("07", 4),
    ("08", 3),
    ("09", 15),
    ("10", 10),
    ("11", 3),
    ("12", 1),
    ("13", 24),
    ("14", 24),
    ("15", 13),
    ("16", 3),
    ("17", 26),
    ("18", 5),
    ("19", 15),
    ("20", 18),
    ("21", 5),
    ("22", 7),
    ("23", 5),
    ("24", 33),
    ("25", 10),
    ("26", 38),
    ("27", 9),
    ("28", 11),
    ("29", 16),
    ("30", 37),
    ("31", 4),
    ("32", 21),
    ("33", 29),
    ("34", 52),
    ("35", 56),
    ("36", 8),
    ("37", 30),
    ("38", 38),
    ("39", 36),
    ("40", 20),
    ("41", 4),
    ("42", 2),
    ("43", 10),
    ("44", 10),
    ("45", 4),
    ("46", 4),
    ("47", 3),
    ("48", 30),
    ("49", 4),
    ("50", 7),
    ("51", 65),
    ("52", 63),
    ("53", 8),
    ("54", 21),
    ("55", 9),
    ("56", 9),
    ("57", 2),
    ("58", 4),
    ("59", 11),
    ("60", 3),
    ("61", 6),
    ("62", 10),
    ("63", 7),
    ("64", 12),
    ("65", 15),
    ("66", 16),
    ("67", 11),
    ("68", 13),
    ("69", 8),
    ("70", 5),
    ("71", 13),
    ("72", 45),
    ("73", 5),
    ("74", 31),
    ("75", 12),
    ("76", 5),
    ("77", 15),
    ("78", 8),
    ("79", 5),
    ("80", 11),
    ("81", 13),
    ("82", 8),
    ("83", 17),
    ("84", 20),
    ("85", 10),
    ("86", 8),
    ("87", 7),
    ("88", 9),
    ("89", 9),
    ("90", 15),
    ("91", 1),
    ("92", 11),
    ("93", 2),
    ("94", 8),
    ("95", 10),
    ("96", 2),
    ("97", 1),
];

#[test]
fn industry_table_is_complete_per_division() {
    let s = systems();
    let ind = s.get(s.id("industry").expect("industry")).expect("sys");
    let codes: Vec<String> = ind.nodes().map(|n| n.code.clone()).collect();
    // Codes are a section letter and 2, 3 or 4 digits.
    let level = |digits: usize| codes.iter().filter(|c| c.len() == 1 + digits).count();
    assert_eq!(level(2), 97, "大类");
    assert_eq!(level(3), 473, "中类");
    assert_eq!(level(4), 1381, "小类");
    assert_eq!(CLASSES_PER_DIVISION.len(), 97);
    for (division, want) in CLASSES_PER_DIVISION {
        let got = codes.iter().filter(|c| c.len() == 5 && c.get(1..3) == Some(*division)).count();
        assert_eq!(got, *want, "小类 under {division}");
    }
    // Every class has its group and division in the table.
    for c in codes.iter().filter(|c| c.len() == 5) {
        assert!(codes.contains(&c[..4].to_string()) && codes.contains(&c[..3].to_string()), "{c}");
    }
    assert_eq!(ind.describe("A0111"), "A0111 稻谷种植");
    assert_eq!(ind.describe("A022"), "A022 造林和更新", "a group with a single class is named after it");
}

#[test]
fn well_formed_but_unknown_industry_codes() {
    let s = systems();
    let ind = s.get(s.id("industry").expect("industry")).expect("sys");
    // In a condition or a lookup: an error with the nearest code.
    match ind.normalize("C3999") {
        Err(CodeError::Unknown { suggestion: Some(near), .. }) => assert!(near.starts_with("C39"), "{near}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(ind.normalize("C391"), Ok(c) if c == "C391"));
    // In data: kept, flagged as unknown, and still under its ancestors.
    assert_eq!(ind.normalize_lenient("C3999").expect("well formed"), ("C3999".to_string(), false));
    assert_eq!(ind.normalize_lenient("3911").expect("known"), ("C3911".to_string(), true));
    assert!(ind.is_under("C3999", "C39"));
}

#[test]
fn region_table_covers_every_province() {
    let s = systems();
    let reg = s.get(s.id("region").expect("region")).expect("sys");
    let codes: Vec<String> = reg.nodes().map(|n| n.code.clone()).collect();
    let provinces = codes.iter().filter(|c| c.ends_with("0000") && c.as_str() != "100000").count();
    let prefectures = codes.iter().filter(|c| c.ends_with("00") && !c.ends_with("0000")).count();
    assert_eq!((provinces, prefectures), (31, 342));
    assert_eq!(reg.describe("440300"), "440300 深圳市");
    assert_eq!(reg.describe("370116"), "370116 莱芜区");
    // Every county of China is in region-full.json (not embedded: see data/codes/PROVENANCE.md),
    // which loads with the same rules.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/codes/region-full.json")).expect("region-full.json");
    let full = huiqi::code::CodeSystem::from_json("region-full.json", &text).expect("loads");
    let counties = full.nodes().filter(|n| !n.code.ends_with("00")).count();
    // 2,859 county rows in the package, of which 东莞 441900, 中山 442000 and 儋州 460400 are
    // prefectures without counties that list themselves once more.
    assert_eq!(counties, 2856);
    assert_eq!(full.describe("440305"), "440305 南山区");
    assert_eq!(full.normalize("371202").expect("historical"), "370116");
}

#[test]
fn a_store_load_counts_unknown_codes_per_column() {
    let schema = huiqi::schema::Schema::embedded().expect("schema");
    let rows = "{\"name\": \"a\", \"industry\": \"C3999\"}\n{\"name\": \"b\", \"industry\": \"C3911\"}\n{\"name\": \"c\", \"industry\": \"3998\"}\n";
    let (store, report) =
        huiqi::store::EnterpriseStore::load_jsonl(&schema, rows.as_bytes(), huiqi::store::LoadOptions::default()).expect("loads");
    assert_eq!(store.len(), 3);
    assert_eq!(report.unknown_codes.get("industry"), Some(&2));
    assert_eq!(report.warnings, 2);
}

#[test]
fn code_tables_can_be_replaced() {
    let full = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/codes/region-full.json")).unwrap();
    let s = CodeSystems::with_tables(&[("region-full.json".into(), full.clone())]).expect("loads");
    let reg = s.get(s.id("region").unwrap()).unwrap();
    assert_eq!(reg.describe("440305"), "440305 南山区");
    // The other systems stay the bundled ones.
    assert!(s.get(s.id("industry").unwrap()).unwrap().normalize("C3911").is_ok());
    // Two tables for one system, or a table that breaks the rules, are errors.
    let region = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/codes/region.json")).unwrap();
    let twice = CodeSystems::with_tables(&[("a.json".into(), full), ("b.json".into(), region)]).unwrap_err();
    assert!(twice.to_string().contains("also defined by a.json"), "{twice}");
    let bad =
        r#"{"system": "industry", "sections": [{"code": "A", "name": "农、林、牧、渔业", "first": "01", "last": "05"}], "nodes": []}"#;
    assert!(CodeSystems::with_tables(&[("industry.json".into(), bad.into())]).unwrap_err().to_string().contains("20 sections"));
}

/// The allocation-free walk the index uses visits exactly `ancestors`, in order, for
/// every code of every embedded system (and for codes the tables do not list).
#[test]
fn for_each_ancestor_walks_ancestors() {
    let s = systems();
    for name in ["industry", "region", "zone"] {
        let sys = s.get(s.id(name).expect(name)).expect("sys");
        let mut codes: Vec<String> = sys.nodes().map(|n| n.code.clone()).collect();
        codes.extend(["C3999", "370199", "379900", "990000", "X"].map(String::from));
        assert!(codes.len() > 5, "{name}");
        for code in &codes {
            let mut walked = Vec::new();
            sys.for_each_ancestor(code, |a| walked.push(a.to_string()));
            assert_eq!(walked, sys.ancestors(code), "{name} {code}");
        }
    }
}

/// Region codes are checked against the table: a county that does not exist is an error in
/// a condition (with the nearest code of its prefecture) and a warning in a profile, where
/// it still matches conditions on its prefecture and province.
#[test]
fn unknown_region_codes_are_named() {
    let schema = huiqi::schema::Schema::embedded().expect("schema");
    let id = schema.codes.id("region").expect("region system");
    let region = schema.codes.get(id).expect("region table");
    let e = region.normalize("370199").expect_err("no such county");
    assert!(e.to_string().contains("did you mean \"370100\"") || e.to_string().contains("did you mean \"3701"), "{e}");
    assert!(region.normalize("990101").is_err(), "no province 99");
    assert_eq!(region.normalize_lenient("370199").expect("well formed"), ("370199".to_string(), false));
    assert!(region.normalize_lenient("990101").is_err(), "the province must exist even in a profile");
    assert_eq!(region.normalize("3701").expect("prefix"), "370100");
    let p = huiqi::profile::Profile::from_json(&schema, &serde_json::json!({"registered_region": "370199"})).expect("kept");
    assert!(p.warnings.iter().any(|w| w.message.contains("not in the code table")), "{:?}", p.warnings);
}

// --- Hostile code tables (issue 31, item 5): a table is checked as strictly as a policy. ---

use huiqi::code::{CodeSystem, CodeTableError, MAX_CODE_DEPTH};

/// The error of a table that must be refused, as shown.
fn refused(file: &str, text: &str) -> String {
    let e = CodeSystem::from_json(file, text).expect_err("the table must be refused");
    let shown = e.to_string();
    assert!(shown.contains(file), "the error names the file: {shown}");
    // `with_tables` (what --codes, the bindings and the service use) refuses it the same way.
    let again = CodeSystems::with_tables(&[(file.to_string(), text.to_string())]).expect_err("with_tables refuses it too");
    assert_eq!(again.to_string(), shown);
    shown
}

/// A zone table from (code, parent) pairs.
fn zones(nodes: &[(&str, Option<&str>)]) -> String {
    let nodes: Vec<serde_json::Value> =
        nodes.iter().map(|(c, p)| serde_json::json!({"code": c, "name": format!("zone {c}"), "parent": p})).collect();
    serde_json::json!({"system": "zone", "standard": "test zones (synthetic)", "nodes": nodes}).to_string()
}

/// A chain of `levels` zones, z0 at the top.
fn chain(levels: usize) -> String {
    let names: Vec<String> = (0..levels).map(|i| format!("z{i}")).collect();
    let pairs: Vec<(&str, Option<&str>)> =
        names.iter().enumerate().map(|(i, c)| (c.as_str(), i.checked_sub(1).and_then(|p| names.get(p)).map(String::as_str))).collect();
    zones(&pairs)
}

fn region_table() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/codes/region.json")).unwrap()).unwrap()
}

/// Before: a chain deeper than 64 loaded, and `under` silently stopped after 64 parents
/// (`z99 under z0` was false). Now it is refused, and a chain at the limit works in full.
#[test]
fn a_zone_chain_deeper_than_the_limit_is_refused() {
    let e = refused("deep.json", &chain(100));
    assert!(e.contains(&format!("more than {MAX_CODE_DEPTH} levels deep")) && e.contains("z0"), "{e}");
    assert!(e.contains(&format!("\"z{MAX_CODE_DEPTH}\"")), "names the first code past the limit: {e}");
    assert!(CodeSystem::from_json("deep.json", &chain(MAX_CODE_DEPTH + 1)).is_err(), "one level more than the limit");
    // At the limit: loaded, and every walk goes all the way up.
    let at = CodeSystem::from_json("deep.json", &chain(MAX_CODE_DEPTH)).expect("a chain of MAX_CODE_DEPTH levels loads");
    let leaf = format!("z{}", MAX_CODE_DEPTH - 1);
    assert_eq!(at.ancestors(&leaf).len(), MAX_CODE_DEPTH);
    assert_eq!(at.ancestors(&leaf).last().map(String::as_str), Some("z0"));
    assert!(at.is_under(&leaf, "z0") && at.is_under(&leaf, "z1") && !at.is_under("z0", &leaf));
    let mut walked = Vec::new();
    at.for_each_ancestor(&leaf, |a| walked.push(a.to_string()));
    assert_eq!(walked, at.ancestors(&leaf));
    assert_eq!(at.describe("nowhere"), "nowhere");
}

/// Before: a cycle of parents loaded (walks stopped at a guard of 64 steps).
#[test]
fn a_cycle_of_parents_is_refused() {
    let e = refused("cycle.json", &zones(&[("a", Some("c")), ("b", Some("a")), ("c", Some("b")), ("d", Some("a")), ("top", None)]));
    assert!(e.contains("its chain of parents is a cycle of 3 codes: a → c → b → a"), "{e}");
    assert!(e.matches("is a cycle").count() == 1, "one cycle, reported once: {e}");
    // A long cycle is named by its ends; the check is iterative, so a huge one is no risk.
    let n = 50_000;
    let names: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
    let pairs: Vec<(&str, Option<&str>)> =
        names.iter().enumerate().map(|(i, c)| (c.as_str(), names.get((i + 1) % n).map(String::as_str))).collect();
    let e = refused("big-cycle.json", &zones(&pairs));
    assert!(e.contains("cycle") && e.contains("a cycle of 50000 codes: c0 → c1 → c2 → c3 → … → c49998 → c49999 → c0"), "{e}");
}

/// Before: a zone that is its own parent loaded.
#[test]
fn a_self_parent_is_refused() {
    let e = refused("self.json", &zones(&[("a", Some("a")), ("b", None)]));
    assert!(e.contains("code \"a\": is its own parent"), "{e}");
}

/// Before: the second of two nodes with one code silently replaced the first.
#[test]
fn a_code_listed_twice_is_refused() {
    let e = refused("twice.json", &zones(&[("a", None), ("b", Some("a")), ("b", None)]));
    assert!(e.contains("code \"b\": is listed twice"), "{e}");
    let mut region = region_table();
    let nodes = region["nodes"].as_array_mut().unwrap();
    nodes.push(serde_json::json!({"code": "370102", "name": "历下区（又一次）"}));
    let e = refused("region.json", &region.to_string());
    assert!(e.contains("code \"370102\": is listed twice"), "{e}");
    // Industry codes are compared in their canonical form: 0111 is A0111.
    let mut industry: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/codes/industry.json")).unwrap())
            .unwrap();
    industry["nodes"].as_array_mut().unwrap().push(serde_json::json!({"code": "A0111", "name": "稻谷种植"}));
    let e = refused("industry.json", &industry.to_string());
    assert!(e.contains("code \"A0111\": is listed twice"), "{e}");
}

/// Before: an alias that is also a code, an alias given twice or to two codes, an alias
/// that is a historical code, and aliases in a table that does not read them all loaded.
#[test]
fn bad_aliases_are_refused() {
    let table = |nodes: serde_json::Value, historical: serde_json::Value| {
        serde_json::json!({"system": "zone", "nodes": nodes, "historical": historical}).to_string()
    };
    let e = refused(
        "aliases.json",
        &table(
            serde_json::json!([
                {"code": "a", "name": "A", "aliases": ["B", "x", "x", "old"]},
                {"code": "b", "name": "B", "aliases": ["X", "bad alias"]},
            ]),
            serde_json::json!([{"old": "old", "new": "a"}]),
        ),
    );
    assert!(e.contains("has 5 problems"), "{e}");
    assert!(e.contains("alias \"B\" is also the code \"b\""), "{e}");
    assert!(e.contains("alias \"x\" is listed twice"), "{e}");
    assert!(e.contains("alias \"X\" is also an alias of \"a\""), "{e}");
    assert!(e.contains("alias \"bad alias\" is malformed"), "{e}");
    assert!(e.contains("code \"old\": is a historical code (mapped to a) and also an alias"), "{e}");
    // Only a zone table reads aliases: elsewhere they would be silently unused.
    let mut region = region_table();
    region["nodes"][1]["aliases"] = serde_json::json!(["beijing"]);
    let e = refused("region.json", &region.to_string());
    assert!(e.contains("code \"110000\": has aliases, which only a zone table reads"), "{e}");
}

/// Before: a region table mapping a historical code to a code it does not list loaded, and
/// the profile that wrote the historical code matched another prefecture's policies.
#[test]
fn a_historical_code_mapped_to_an_unknown_code_is_refused() {
    let mut region = region_table();
    let hist = region["historical"].as_array_mut().unwrap();
    let laicheng = hist.iter_mut().find(|h| h["old"] == "371202").unwrap();
    laicheng["new"] = serde_json::json!("379902");
    let e = refused("region.json", &region.to_string());
    assert!(e.contains("code \"371202\": historical code maps to 379902, which the table does not list"), "{e}");
    // A historical code that is still a current code would shadow it.
    let mut region = region_table();
    region["historical"].as_array_mut().unwrap().push(serde_json::json!({"old": "370102", "new": "370103"}));
    let e = refused("region.json", &region.to_string());
    assert!(e.contains("code \"370102\": is a historical code (mapped to 370103) and also a current code"), "{e}");
    // Zones, as before, and a historical code given twice.
    let zone = serde_json::json!({"system": "zone", "nodes": [{"code": "a", "name": "A"}],
        "historical": [{"old": "o", "new": "nowhere"}, {"old": "p", "new": "a"}, {"old": "p", "new": "a"}]});
    let e = refused("zone.json", &zone.to_string());
    assert!(e.contains("maps to nowhere") && e.contains("code \"p\": historical code is listed twice"), "{e}");
    // An industry table has no historical codes: they would be silently unused.
    let mut industry: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/codes/industry.json")).unwrap())
            .unwrap();
    industry["historical"] = serde_json::json!([{"old": "C3999", "new": "C3911"}]);
    assert!(refused("industry.json", &industry.to_string()).contains("\"historical\" is read only in region and zone tables"));
}

/// Before: any string was a region code of a table (`3701`, `37010x`, `001234`), and such
/// a code could never be written in a condition or a profile.
#[test]
fn malformed_codes_are_refused() {
    let mut region = region_table();
    let nodes = region["nodes"].as_array_mut().unwrap();
    for code in ["3799", "37990", "37990x", "001234", " 370199"] {
        nodes.push(serde_json::json!({"code": code, "name": "bad"}));
    }
    // Well formed, but its province is not in the table: no condition could name it.
    nodes.push(serde_json::json!({"code": "990101", "name": "no province"}));
    let e = refused("region.json", &region.to_string());
    assert!(e.contains("has 6 problems"), "{e}");
    assert!(e.contains("code \"3799\": is malformed: a region code in a table is 6 digits (GB/T 2260) (write it in full: 379900)"), "{e}");
    assert!(e.contains("code \"37990x\": is malformed") && e.contains("code \" 370199\": is malformed"), "{e}");
    assert!(e.contains("code \"001234\": is malformed: there is no province 00"), "{e}");
    assert!(e.contains("code \"990101\": its province 990000 is not in the table"), "{e}");
    // Industry: a section letter and 2 to 4 digits, in a listed division.
    let mut industry: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/codes/industry.json")).unwrap())
            .unwrap();
    let nodes = industry["nodes"].as_array_mut().unwrap();
    nodes.push(serde_json::json!({"code": "C391a", "name": "bad"}));
    nodes.push(serde_json::json!({"code": "A0611", "name": "wrong section"}));
    let e = refused("industry.json", &industry.to_string());
    assert!(e.contains("has 2 problems"), "{e}");
    assert!(e.contains("code \"C391a\": is malformed: expected a section letter A–T and/or 2 to 4 digits"), "{e}");
    assert!(e.contains("code \"A0611\": is malformed: division 06 is in section B, not A"), "{e}");
    // Zones: ASCII letters, digits, `_` and `-`.
    let e = refused("zone.json", &zones(&[("济南高新区", None), ("", None), ("a b", None)]));
    assert!(e.contains("has 3 problems") && e.contains("code \"\": is empty"), "{e}");
}

/// Before: a table whose `"system"` was empty or misspelt was loaded as a new system that no
/// field uses, so `--codes` silently kept the bundled table.
#[test]
fn an_unknown_or_empty_system_name_is_refused() {
    let text = |system: &str| serde_json::json!({"system": system, "nodes": [{"code": "test_zone", "name": "t"}]}).to_string();
    let e = refused("zones.json", &text("zones"));
    assert!(e.contains("\"system\" is \"zones\", not a code system the schema knows (industry, region, zone)"), "{e}");
    assert!(e.contains("did you mean \"zone\"?"), "{e}");
    let e = refused("zones.json", &text(""));
    assert!(e.contains("\"system\" is empty"), "{e}");
    assert!(refused("zones.json", &text("Zone")).contains("did you mean \"zone\"?"));
}

/// Before: a byte-order mark at the start of a table was a JSON syntax error; it is skipped
/// as in policy files, profiles and schemas.
#[test]
fn a_byte_order_mark_is_skipped() {
    let text = format!("\u{feff}{}", zones(&[("test_zone", None)]));
    let zone = CodeSystem::from_json("zones.json", &text).expect("a table with a BOM loads");
    assert_eq!(zone.normalize("test_zone").unwrap(), "test_zone");
    let s = CodeSystems::with_tables(&[("zones.json".into(), text)]).expect("and replaces the bundled zones");
    assert!(s.get(s.id("zone").unwrap()).unwrap().normalize("test_zone").is_ok());
}

/// The table format is closed, as a policy file's is: a misspelt key (`parnet`) is an error
/// naming it, not a zone silently without a parent; the keys kept for people are accepted.
#[test]
fn a_misspelt_key_is_refused() {
    let text = r#"{"system": "zone", "nodes": [{"code": "a", "name": "A"}, {"code": "b", "name": "B", "parnet": "a"}]}"#;
    let e = CodeSystem::from_json("zone.json", text).unwrap_err();
    assert!(matches!(e, CodeTableError::Json { .. }), "{e:?}");
    assert!(e.to_string().contains("unknown field `parnet`"), "{e}");
    let kept = r#"{"system": "zone", "source": "s", "$comment": "c", "nodes": [{"code": "a", "name": "A", "note": "n", "districts": ["370102"]}],
                   "historical": [{"old": "o", "new": "a", "old_name": "O", "note": "n"}]}"#;
    assert!(CodeSystem::from_json("zone.json", kept).is_ok());
    // Sections and counts belong to an industry table; an empty table is refused.
    let e =
        refused("zone.json", r#"{"system": "zone", "counts": {}, "sections": [{"code": "A", "name": "a", "first": "01", "last": "05"}]}"#);
    assert!(e.contains("lists no codes") && e.contains("\"sections\" is read only") && e.contains("\"counts\" is read only"), "{e}");
}

/// Industry sections: letters and ranges must not overlap (the first match silently won).
#[test]
fn overlapping_industry_sections_are_refused() {
    let mut industry: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/codes/industry.json")).unwrap())
            .unwrap();
    industry["sections"][1]["first"] = serde_json::json!("05");
    let e = refused("industry.json", &industry.to_string());
    assert!(e.contains("code \"B\": section range 05–12 overlaps section A (01–05)"), "{e}");
    industry["sections"][1]["first"] = serde_json::json!("06");
    industry["counts"]["classes"] = serde_json::json!(1382);
    let e = refused("industry.json", &industry.to_string());
    assert!(e.contains("\"counts\" says 1382 classes, the table lists 1381"), "{e}");
}

/// Every problem of a table is reported at once, up to the per-file limit, with the count.
#[test]
fn every_problem_of_a_table_is_reported_at_once() {
    let names: Vec<String> = (0..150).map(|i| format!("z{i}")).collect();
    let pairs: Vec<(&str, Option<&str>)> = names.iter().map(|c| (c.as_str(), Some(c.as_str()))).collect();
    let e = CodeSystem::from_json("many.json", &zones(&pairs)).unwrap_err();
    match &e {
        CodeTableError::Problems { problems, total, .. } => {
            assert_eq!((problems.len(), *total), (huiqi::policy::MAX_PROBLEMS_PER_FILE, 150))
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("has 150 problems") && e.to_string().contains("50 more problems not shown"), "{e}");
}

/// The bundled tables, and the full region table, follow every rule.
#[test]
fn the_bundled_tables_follow_the_rules() {
    for name in ["industry.json", "region.json", "region-full.json", "zone.json"] {
        let text = std::fs::read_to_string(format!("{}/../data/codes/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        if let Err(e) = CodeSystem::from_json(name, &text) {
            panic!("{e}");
        }
    }
}
