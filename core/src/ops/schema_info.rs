//! The schema as a form needs it: fields grouped, with Chinese labels, types, units, enum
//! values, qualification vocabulary and code lists. The groups are presentation only; a
//! field of a custom schema that no group names lands in 其他.

use crate::schema::{FieldType, Schema};
use serde::Serialize;

/// The form groups: id, label, fields in order.
const GROUPS: &[(&str, &str, &[&str])] = &[
    (
        "basic",
        "基本信息",
        &[
            "name",
            "uscc",
            "entity_type",
            "is_legal_person",
            "is_resident_enterprise",
            "registration_date",
            "registered_capital",
            "industry",
            "business_scope",
            "listed_status",
            "declared_size",
        ],
    ),
    (
        "location",
        "注册地与功能区",
        &["registered_region", "registered_zone", "tax_region", "tax_zone", "statistics_region", "statistics_zone"],
    ),
    ("staff", "人员", &["employees", "avg_staff", "tech_staff", "rd_staff"]),
    (
        "finance",
        "经营与财务",
        &[
            "operating_revenue",
            "main_business_revenue",
            "sales_revenue",
            "hightech_revenue",
            "total_assets",
            "net_assets",
            "debt_ratio",
            "taxable_income",
            "cost_expense_total",
            "equity_financing",
            "manufacturing_sales_share",
            "tech_transfer_income",
            "self_developed_software_sales",
            "individual_business_income",
            "profitable_since",
            "sound_financial_system",
            "training_accounted_separately",
        ],
    ),
    (
        "rd",
        "研发与知识产权",
        &[
            "rd_expense",
            "rd_expense_domestic",
            "rd_accounted_separately",
            "rd_institution_level",
            "invention_patents",
            "utility_model_patents",
            "design_patents",
            "software_copyrights",
            "ic_layout_designs",
            "class1_ip",
            "class1_ip_grade",
            "strategic_emerging_product",
            "niche_years",
            "niche_market_share",
            "sme_development_score",
            "related_to_little_giant",
            "ic_line_width_nm",
            "business_term_years",
        ],
    ),
    ("tax", "纳税与信用", &["tax_credit", "vat_payer_type", "tax_collection_method"]),
    ("qualifications", "资质荣誉", &["qualifications"]),
    (
        "compliance",
        "合规记录",
        &[
            "abnormal_operation_list",
            "serious_dishonesty",
            "major_safety_incident",
            "major_environmental_violation",
            "restricted_industry",
            "prohibited_industry",
        ],
    ),
    (
        "employment",
        "就业与社保",
        &[
            "insured_employees",
            "unemployment_insurance_months",
            "unemployment_insurance_premium",
            "layoffs",
            "new_graduate_hires",
            "operator_group",
        ],
    ),
    (
        "records",
        "一企一档明细（逐条记录）",
        &[
            "asset_purchases",
            "hires",
            "disabled_staff",
            "sales_periods",
            "loans",
            "investments",
            "incomes",
            "donations",
            "procurement_bids",
            "awards",
            "violations",
        ],
    ),
    ("other", "其他", &["company_restructured", "restructured_on", "restructuring_subsidy_received", "tags"]),
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Choice {
    pub code: String,
    pub label: String,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FieldInfo {
    pub name: String,
    pub label: String,
    pub description: String,
    /// `bool`, `decimal`, `integer`, `date`, `enum`, `code`, `tags`, `qualifications`, `text`,
    /// `records`.
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// The unit a bare number is read in (`万元`, `人`, `%` …), for numeric fields.
    pub unit: Option<String>,
    pub per_year: bool,
    /// Enum fields: whether the values are ordered, and the values.
    pub ordered: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<Choice>,
    /// Code fields: the code system (`industry`, `region`, `zone`), listed under `codes`.
    pub system: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allow_negative: bool,
    /// Records fields: the fields of each record (a form adds rows of these).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldInfo>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "FieldGroup")]
pub struct Group {
    pub id: String,
    pub label: String,
    pub fields: Vec<FieldInfo>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "QualificationInfo")]
pub struct Qualification {
    pub code: String,
    pub label: String,
    pub issuer: Option<String>,
    pub validity_years: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CodeList {
    pub system: String,
    pub standard: String,
    pub codes: Vec<Choice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Derived {
    pub name: String,
    pub label: String,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SchemaInfo {
    pub version: String,
    pub description: String,
    pub groups: Vec<Group>,
    pub qualifications: Vec<Qualification>,
    pub qualification_levels: Vec<Choice>,
    pub derived: Vec<Derived>,
    pub codes: Vec<CodeList>,
}

fn field_info(schema: &Schema, f: &crate::schema::Field) -> FieldInfo {
    let (ty, unit) = match &f.ty {
        FieldType::Bool => ("bool", None),
        FieldType::Decimal(u) => ("decimal", Some(u.to_string())),
        FieldType::Integer(u) => ("integer", Some(u.to_string())),
        FieldType::Date => ("date", None),
        FieldType::Enum(_) => ("enum", None),
        FieldType::Code(_) => ("code", None),
        FieldType::Tags => ("tags", None),
        FieldType::Qualifications => ("qualifications", None),
        FieldType::Text => ("text", None),
        FieldType::Records(_) => ("records", None),
    };
    let en = match &f.ty {
        FieldType::Enum(e) => schema.enum_def(*e),
        _ => None,
    };
    let system = match &f.ty {
        FieldType::Code(s) => schema.codes.get(*s).map(|s| s.name().to_string()),
        _ => None,
    };
    FieldInfo {
        name: f.name.clone(),
        label: f.label.clone(),
        description: f.description.clone(),
        ty,
        unit: unit.filter(|u| !u.is_empty()),
        per_year: f.per_year,
        ordered: en.map(|e| e.ordered),
        values: en.map(|e| e.values.iter().map(|v| Choice { code: v.code.clone(), label: v.label.clone() }).collect()).unwrap_or_default(),
        system,
        allow_negative: f.allow_negative,
        // By the record type the field's own type names (a record field's id is its index in
        // the record, not a schema field id).
        fields: match &f.ty {
            FieldType::Records(r) => {
                schema.records.get(*r).map(|d| d.fields.iter().map(|rf| field_info(schema, rf)).collect()).unwrap_or_default()
            }
            _ => Vec::new(),
        },
    }
}

/// The schema's fields in form groups, and the vocabularies a form needs.
pub fn schema_info(schema: &Schema) -> SchemaInfo {
    let mut placed = vec![false; schema.fields.len()];
    let mut groups = Vec::new();
    for (id, label, names) in GROUPS {
        let mut fields = Vec::new();
        for n in *names {
            if let Some(f) = schema.field(n).filter(|f| f.name == *n) {
                if let Some(p) = placed.get_mut(f.id) {
                    *p = true;
                }
                fields.push(field_info(schema, f));
            }
        }
        groups.push(Group { id: (*id).to_string(), label: (*label).to_string(), fields });
    }
    let rest: Vec<FieldInfo> =
        schema.fields.iter().filter(|f| !placed.get(f.id).copied().unwrap_or(true)).map(|f| field_info(schema, f)).collect();
    if let Some(other) = groups.iter_mut().find(|g| g.id == "other") {
        other.fields.extend(rest);
    }
    groups.retain(|g| !g.fields.is_empty());
    let codes = schema
        .codes
        .names()
        .into_iter()
        .filter_map(|n| schema.codes.id(n).and_then(|id| schema.codes.get(id)))
        .map(|s| CodeList {
            system: s.name().to_string(),
            standard: s.standard().to_string(),
            codes: s.nodes().map(|n| Choice { code: n.code.clone(), label: n.name.clone() }).collect(),
        })
        .collect();
    SchemaInfo {
        version: schema.version.clone(),
        description: schema.description.clone(),
        groups,
        qualifications: schema
            .qualifications
            .iter()
            .map(|q| Qualification {
                code: q.code.clone(),
                label: q.label.clone(),
                issuer: q.issuer.clone(),
                validity_years: q.validity_years,
            })
            .collect(),
        qualification_levels: schema.qualification_levels.iter().map(|v| Choice { code: v.code.clone(), label: v.label.clone() }).collect(),
        derived: schema
            .derived
            .iter()
            .map(|d| Derived { name: d.name.clone(), label: d.label.clone(), description: d.description.clone() })
            .collect(),
        codes,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests assert by panicking")]
    use super::*;

    #[test]
    fn every_field_is_in_one_group() {
        let schema = Schema::embedded().unwrap();
        let info = schema_info(&schema);
        let n: usize = info.groups.iter().map(|g| g.fields.len()).sum();
        assert_eq!(n, schema.fields.len());
        let other = info.groups.iter().find(|g| g.id == "other").unwrap();
        assert_eq!(
            other.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["company_restructured", "restructured_on", "restructuring_subsidy_received", "tags"]
        );
        let hires = info.groups.iter().flat_map(|g| &g.fields).find(|f| f.name == "hires").unwrap();
        assert_eq!(hires.ty, "records");
        assert!(hires.fields.iter().any(|f| f.name == "group" && f.values.len() >= 6), "record fields with their enum values");
        let capital = info.groups.iter().flat_map(|g| &g.fields).find(|f| f.name == "registered_capital").unwrap();
        assert_eq!(capital.unit.as_deref(), Some("万元"));
        assert_eq!(capital.label, "注册资本");
        assert!(info.codes.iter().any(|c| c.system == "industry" && c.codes.len() > 100));
    }
}
