//! Profile decoding: every field type, unit conversion, and bad input reported with its
//! exact JSON path and message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]

use huiqi::profile::{Profile, ProfileErrorKind, Qualification, Scalar, Value};
use huiqi::schema::Schema;
use huiqi::Decimal;
use serde_json::json;

fn schema() -> Schema {
    Schema::embedded().expect("embedded schema")
}

fn decode(v: serde_json::Value) -> Result<Profile, Vec<(String, ProfileErrorKind, String)>> {
    Profile::from_json(&schema(), &v).map_err(|e| e.0.into_iter().map(|p| (p.path, p.kind, p.message)).collect())
}

fn one_error(v: serde_json::Value) -> (String, ProfileErrorKind, String) {
    let errs = decode(v).expect_err("should fail");
    assert_eq!(errs.len(), 1, "{errs:?}");
    errs.into_iter().next().expect("one")
}

fn field(s: &Schema, name: &str) -> usize {
    s.field(name).expect(name).id
}

#[test]
fn every_field_type_decodes() {
    let s = schema();
    let p = Profile::from_json(
        &s,
        &json!({
            "uscc": "914403001922038216",
            "name": "测试公司",
            "is_legal_person": true,
            "registration_date": "2019-05-20",
            "registered_region": "370102",
            "registered_zone": "jn_hitech",
            "industry": "c3911",
            "registered_capital": 500,
            "employees": {"2024": 80, "2025": 95},
            "debt_ratio": {"2025": 45.5},
            "tax_credit": {"2025": "A"},
            "vat_payer_type": "小规模纳税人",
            "tags": ["数字经济", " 软件 "],
            "qualifications": [{"code": "高新技术企业", "level": "national", "granted_on": "2023-12-01", "expires_on": "2026-11-30", "first_grant": true}],
            "business_scope": "软件开发；信息技术咨询服务"
        }),
    )
    .expect("valid profile");
    assert_eq!(p.scalar(field(&s, "is_legal_person")), Some(&Scalar::Bool(true)));
    assert_eq!(p.scalar(field(&s, "registered_capital")), Some(&Scalar::Num(Decimal::from(5_000_000))), "500万元 stored as 元");
    assert_eq!(p.year(field(&s, "employees"), 2025), Some(&Scalar::Num(Decimal::from(95))));
    assert_eq!(p.year(field(&s, "debt_ratio"), 2025), Some(&Scalar::Num("0.455".parse().expect("dec"))), "45.5% stored as a fraction");
    assert_eq!(p.scalar(field(&s, "industry")), Some(&Scalar::Code("C3911".into())));
    assert_eq!(p.scalar(field(&s, "registered_zone")), Some(&Scalar::Code("370176".into())), "zone alias → code");
    assert!(matches!(p.scalar(field(&s, "vat_payer_type")), Some(Scalar::Enum(1))), "enum by Chinese label");
    assert!(matches!(p.get(field(&s, "tags")), Some(Value::Tags(t)) if t.contains("软件")), "tags trimmed");
    match p.get(field(&s, "qualifications")) {
        Some(Value::Qualifications(q)) => {
            let q: &Qualification = q.first().expect("one");
            assert_eq!(q.level, Some(3));
            assert_eq!(q.first_grant, Some(true));
        }
        other => panic!("{other:?}"),
    }
    assert!(p.get(field(&s, "net_assets")).is_none(), "absent stays unknown");
    assert!(p.warnings.is_empty());
}

#[test]
fn numbers_are_exact_and_units_convert() {
    let s = schema();
    let p =
        Profile::from_json(&s, &json!({"registered_capital": "2亿", "total_assets": {"2025": "3000000元"}, "rd_expense": {"2025": 12.3}}))
            .expect("ok");
    assert_eq!(p.scalar(field(&s, "registered_capital")), Some(&Scalar::Num(Decimal::from(200_000_000))));
    assert_eq!(p.year(field(&s, "total_assets"), 2025), Some(&Scalar::Num(Decimal::from(3_000_000))));
    assert_eq!(p.year(field(&s, "rd_expense"), 2025), Some(&Scalar::Num(Decimal::from(123_000))), "12.3万元 is exactly 123000元");
}

#[test]
fn null_means_unknown_and_labels_are_keys() {
    let s = schema();
    let p = Profile::from_json(&s, &json!({"注册资本": 100, "net_assets": null, "$comment": "ignored"})).expect("ok");
    assert!(p.get(field(&s, "net_assets")).is_none());
    assert!(p.get(field(&s, "registered_capital")).is_some());
}

#[test]
fn historical_region_codes_map_with_a_warning() {
    let s = schema();
    let p = Profile::from_json(&s, &json!({"registered_region": "371202", "tax_region": 370181})).expect("ok");
    assert_eq!(p.scalar(field(&s, "registered_region")), Some(&Scalar::Code("370116".into())));
    assert_eq!(p.scalar(field(&s, "tax_region")), Some(&Scalar::Code("370114".into())));
    assert_eq!(p.warnings.len(), 2);
    assert!(p.warnings.iter().any(|w| w.path == "$.registered_region" && w.message.contains("371202 mapped to current code 370116")));
}

#[test]
fn uscc_check_mismatch_is_a_warning() {
    let p = decode(json!({"uscc": "914403001922038217"})).expect("mismatch is not an error");
    assert_eq!(p.warnings.len(), 1);
    assert_eq!(p.warnings[0].path, "$.uscc");
    assert!(p.warnings[0].message.contains("gives '6'"), "{}", p.warnings[0].message);
}

#[test]
fn bad_inputs_have_exact_paths_and_messages() {
    let cases: Vec<(serde_json::Value, &str, ProfileErrorKind, &str)> = vec![
        (json!({"registered_captial": 500}), "$.registered_captial", ProfileErrorKind::UnknownField, "unknown field \"registered_captial\"; did you mean \"registered_capital\"?"),
        (json!({"registered_capital": "五百万"}), "$.registered_capital", ProfileErrorKind::BadNumber, "\"五百万\" is not a number with an optional unit (e.g. 500, \"500万\", \"12%\")"),
        (json!({"registered_capital": true}), "$.registered_capital", ProfileErrorKind::WrongType, "expected a number in 万元, found a boolean"),
        (json!({"registered_capital": -5}), "$.registered_capital", ProfileErrorKind::Negative, "registered_capital cannot be negative, found -5"),
        (json!({"registered_capital": "50人"}), "$.registered_capital", ProfileErrorKind::UnitMismatch, "registered_capital is in 万元 (money), but the value is written in 人 (persons)"),
        (json!({"employees": {"2025": 10.5}}), "$.employees.2025", ProfileErrorKind::NotAnInteger, "employees is a whole number, found 10.5"),
        (json!({"employees": {"25": 10}}), "$.employees.25", ProfileErrorKind::BadYear, "year keys are 4-digit years (1900–2200), found \"25\""),
        (json!({"employees": 10}), "$.employees", ProfileErrorKind::WrongType, "expected an object of years, e.g. {\"2024\": …, \"2025\": …}, found a number"),
        (json!({"registration_date": "2023-02-29"}), "$.registration_date", ProfileErrorKind::BadDate, "invalid date \"2023-02-29\": no such day; expected YYYY-MM-DD"),
        (json!({"registration_date": "2023/01/05"}), "$.registration_date", ProfileErrorKind::BadDate, "invalid date \"2023/01/05\": wrong format; expected YYYY-MM-DD"),
        (json!({"tax_credit": {"2025": "AA"}}), "$.tax_credit.2025", ProfileErrorKind::BadEnum, "\"AA\" is not a value of tax_credit (one of A (A级), B (B级), M (M级), C (C级), D (D级)); did you mean \"A\"?"),
        (json!({"industry": "C9911"}), "$.industry", ProfileErrorKind::BadCode, "industry code \"C9911\" is malformed: division 99 belongs to no section"),
        (json!({"industry": "D3911"}), "$.industry", ProfileErrorKind::BadCode, "industry code \"D3911\" is malformed: division 39 is in section C, not D"),
        (json!({"registered_region": "37010"}), "$.registered_region", ProfileErrorKind::BadCode, "region code \"37010\" is malformed: expected 6 digits (or a 2/4-digit prefix)"),
        (json!({"registered_zone": "jn_hitek"}), "$.registered_zone", ProfileErrorKind::BadCode, "zone code \"jn_hitek\" is not in the code table; did you mean \"jn_hitech\"?"),
        (json!({"uscc": "91440300192203821I"}), "$.uscc", ProfileErrorKind::BadUscc, "统一社会信用代码 \"91440300192203821I\" character 'I' is not allowed (0-9, A-Y without I O S V Z)"),
        (json!({"qualifications": [{"code": "高新企业"}]}), "$.qualifications[0].code", ProfileErrorKind::BadQualification, "unknown qualification \"高新企业\"; did you mean \"高新技术企业\"?"),
        (json!({"qualifications": [{"code": "high_tech", "granted_on": "2024-01-01", "expires_on": "2023-01-01"}]}), "$.qualifications[0].expires_on", ProfileErrorKind::BadQualification, "expires_on 2023-01-01 is before granted_on 2024-01-01"),
        (json!({"qualifications": [{"code": "high_tech", "lvl": "national"}]}), "$.qualifications[0].lvl", ProfileErrorKind::UnknownField, "unknown key \"lvl\" in a qualification (code, status, level, granted_on, expires_on, first_grant, certificate_no, issuer, batch, note)"),
        (json!({"tags": ["a", 3]}), "$.tags[1]", ProfileErrorKind::WrongType, "expected a string, found a number"),
        (json!({"is_legal_person": "yes"}), "$.is_legal_person", ProfileErrorKind::WrongType, "expected true or false, found a string"),
        (json!([1, 2]), "$", ProfileErrorKind::NotAnObject, "expected an object of fields, found an array"),
    ];
    assert!(cases.len() >= 15);
    for (input, path, kind, message) in cases {
        let (p, k, m) = one_error(input.clone());
        assert_eq!((p.as_str(), k, m.as_str()), (path, kind, message), "input {input}");
    }
}

#[test]
fn several_errors_are_reported_together() {
    let errs = decode(json!({"registered_capital": "x", "employees": {"2025": -1}, "foo": 1})).expect_err("three problems");
    let paths: Vec<&str> = errs.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(paths.contains(&"$.registered_capital") && paths.contains(&"$.employees.2025") && paths.contains(&"$.foo"));
}

#[test]
fn not_json_is_an_error_not_a_panic() {
    let e = Profile::from_json_str(&schema(), "{not json").expect_err("bad json");
    assert_eq!(e.0[0].kind, ProfileErrorKind::Json);
    assert!(e.0[0].message.starts_with("not valid JSON"));
}

/// Record collections: each record decoded against its own fields, unknown where a field
/// is absent; an empty list is known; bad records are named by their index and key.
#[test]
fn records_decode_and_bad_records_are_named() {
    let s = schema();
    let p = decode(
        json!({"hires": [{"hired_on": "2026-03-02", "group": "高校毕业生", "contract_months": 36}, {"group": "veteran"}], "loans": []}),
    )
    .expect("valid");
    let Some(Value::Records(hires)) = p.get(field(&s, "hires")) else { panic!("hires") };
    assert_eq!(hires.len(), 2);
    let def = s.record_def(field(&s, "hires")).expect("record type");
    let group = def.field("group").expect("group").id;
    let months = def.field("contract_months").expect("months").id;
    assert!(matches!(hires[0].get(group), Some(Scalar::Enum(_))));
    assert_eq!(hires[0].get(months), Some(&Scalar::Num(Decimal::from(36))));
    assert_eq!(hires[1].get(months), None, "absent is unknown");
    assert!(matches!(p.get(field(&s, "loans")), Some(Value::Records(l)) if l.is_empty()), "an empty list is known");

    let (path, kind, msg) = one_error(json!({"hires": [{"group": "veteran"}, {"grup": "veteran"}]}));
    assert_eq!((path.as_str(), kind), ("$.hires[1].grup", ProfileErrorKind::UnknownField));
    assert!(msg.contains("did you mean \"group\"?"), "{msg}");
    let (path, kind, _) = one_error(json!({"loans": [{"amount": "500美元"}]}));
    assert_eq!((path.as_str(), kind), ("$.loans[0].amount", ProfileErrorKind::BadNumber));
    let (path, kind, _) = one_error(json!({"loans": {"amount": 5}}));
    assert_eq!((path.as_str(), kind), ("$.loans", ProfileErrorKind::WrongType));
    let (path, kind, _) = one_error(json!({"loans": [5]}));
    assert_eq!((path.as_str(), kind), ("$.loans[0]", ProfileErrorKind::WrongType));
    let (path, kind, _) = one_error(json!({"hires": [{"group": "soldier"}]}));
    assert_eq!((path.as_str(), kind), ("$.hires[0].group", ProfileErrorKind::BadEnum));
}

/// A records list longer than the limit is refused by name, not decoded at any cost.
#[test]
fn too_many_records_are_refused() {
    let many: Vec<serde_json::Value> = (0..=huiqi::profile::MAX_RECORDS).map(|_| json!({})).collect();
    let (path, kind, msg) = one_error(json!({"loans": many}));
    assert_eq!((path.as_str(), kind), ("$.loans", ProfileErrorKind::BadRecord));
    assert!(msg.contains("more than the limit of 10000"), "{msg}");
    assert!(decode(json!({"loans": vec![json!({}); huiqi::profile::MAX_RECORDS]})).is_ok());
}

/// Stray keys are named up to a limit, then counted: 50,000 unknown keys give 21 errors,
/// not 50,000 (issue 31: 400k keys gave 30 MB of errors).
#[test]
fn unknown_fields_are_capped() {
    let mut m = serde_json::Map::new();
    for i in 0..50_000 {
        m.insert(format!("stray_{i}"), json!(1));
    }
    m.insert("registered_capital".into(), json!(100));
    let errs = decode(serde_json::Value::Object(m)).expect_err("unknown fields");
    assert_eq!(errs.len(), huiqi::profile::MAX_UNKNOWN_FIELDS + 1);
    assert!(errs.last().is_some_and(|(p, _, m)| p == "$" && m.contains("49980 more unknown fields not listed")), "{:?}", errs.last());
    // At the limit, every one is named.
    let m: serde_json::Map<String, serde_json::Value> =
        (0..huiqi::profile::MAX_UNKNOWN_FIELDS).map(|i| (format!("x{i}"), json!(1))).collect();
    assert_eq!(decode(serde_json::Value::Object(m)).expect_err("unknown").len(), huiqi::profile::MAX_UNKNOWN_FIELDS);
}

/// Values that once read differently on different paths, or as something else than
/// written: a per-year object with no year is the field unknown (as a store reads it); a
/// percentage in a field that is not one is refused (a rank of `50%` is not 0.5); an
/// industry code given as a number is refused (`141` would be C141, not A0141), while a
/// region, whose codes never start with 0, may be a number.
#[test]
fn values_mean_one_thing_on_every_path() {
    let s = schema();
    for empty in [json!({}), json!({"2025": null})] {
        let p = decode(json!({"employees": empty})).unwrap();
        assert!(p.get(field(&s, "employees")).is_none(), "{empty}");
    }
    let (path, kind, msg) = one_error(json!({"ic_line_width_nm": "28%"}));
    assert_eq!((path.as_str(), kind), ("$.ic_line_width_nm", ProfileErrorKind::UnitMismatch));
    assert_eq!(msg, "ic_line_width_nm is a plain number, not a percentage; found 28%");
    let (path, _, _) = one_error(json!({"awards": [{"kind": "science_award", "rank": "50%"}]}));
    assert_eq!(path, "$.awards[0].rank");
    let (path, kind, msg) = one_error(json!({"industry": 141}));
    assert_eq!((path.as_str(), kind), ("$.industry", ProfileErrorKind::BadCode));
    assert!(msg.contains("\"0141\" and \"141\" are different codes"), "{msg}");
    let p = decode(json!({"industry": "0141", "registered_region": 370102, "debt_ratio": {"2025": "38.4%"}})).unwrap();
    assert_eq!(p.scalar(field(&s, "industry")), Some(&Scalar::Code("A0141".into())));
    assert_eq!(p.scalar(field(&s, "registered_region")), Some(&Scalar::Code("370102".into())));
    // A whole number written with a unit that scales it stays whole where it is one.
    assert!(decode(json!({"employees": {"2025": 56}})).is_ok());
}
