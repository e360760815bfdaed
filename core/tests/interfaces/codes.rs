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
