//! Writes the Parquet fixtures under `fixtures/parquet/` (committed; rerun with
//! `cargo run --release --example make_parquet_fixtures` after changing this file).
//! Every value is an obviously fake test value.
//!
//! # `nested.parquet` — the facts tests assert
//! 12 rows in 2 row groups of 6 rows (row group 0 = rows 0-5, 1 = rows 6-11),
//! snappy. Columns: `id` Int64 (100 + row), `text` Utf8,
//! `meta` Struct{`contact` Utf8, `tags` List<Utf8>}, `messages`
//! List<Struct{`role` Utf8, `content` LargeUtf8}>, `consent` Boolean,
//! `source` Utf8.
//!
//! - Consented (`consent` = true): rows 0, 3, 4, 6, 9, 10 → 6 rows (3 per row
//!   group). Rows 1, 5, 8, 11 are false; rows 2, 7 are null.
//! - Provenance (`source` non-null and not blank): rows 0, 3, 5, 6, 7, 9, 11
//!   → 7 rows (3 in row group 0, 4 in row group 1). Row 1 is "", row 4 is
//!   "   ", rows 2, 8, 10 are null.
//! - String values with the default field rules: 57 in all —
//!   `text` 11 (row 5 null; row 7 is ""), `meta.contact` 6 (rows 0, 2, 4, 7,
//!   8, 11; row 7 is ""; row 3 has a null `meta`), `meta.tags[]` 10,
//!   `messages[].role` 11, `messages[].content` 10 (row 4's first message has
//!   null content), `source` 9 (rows 0, 1, 3, 4, 5, 6, 7, 9, 11; `is_text`
//!   false). `id` and `consent` push nothing.
//! - PII / secrets (exact strings, each appearing inside the value):
//!   - `jane.doe@example.com`: row 0 `meta.contact` (the whole value), row 1 `text`
//!   - `john.roe@example.org`: row 4 `meta.contact` (the whole value),
//!     row 8 `messages[].content`
//!   - `4111 1111 1111 1111` (Visa test number, Luhn-valid): row 2 `text`,
//!     row 5 `messages[].content`
//!   - `AKIAZ7TESTFIXTURE234` (AWS access key id shape, not AWS's documented
//!     example key): row 3 `text`, row 9 `messages[].content`
//!
//!   No other value holds PII.
//!
//! # `hf/data/` — Hugging Face layout
//! `train-00000-of-00002.parquet` (4 rows, snappy), `train-00001-of-00002.parquet`
//! (3 rows, snappy), `test-00000-of-00001.parquet` (3 rows, zstd); one row group
//! each; columns `text` Utf8, `label` Int64. The only PII: `sam.poe@example.com`
//! in row 1 of the test split.
//!
//! # `truncated.parquet`
//! The first half of `nested.parquet`: no footer, so planning it must fail.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int64Builder, LargeStringBuilder, ListBuilder, StringBuilder, StructBuilder,
};
use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Fields, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

type Message = (&'static str, Option<&'static str>);
/// `meta`: `contact`, then `tags` (`None`: a null list).
type Meta = (
    Option<&'static str>,
    Option<&'static [Option<&'static str>]>,
);

struct Row {
    text: Option<&'static str>,
    /// `None`: the whole `meta` struct is null.
    meta: Option<Meta>,
    messages: Option<&'static [Message]>,
    consent: Option<bool>,
    source: Option<&'static str>,
}

const ROWS: &[Row] = &[
    // row group 0
    Row {
        text: Some("The quick brown fox jumps over the lazy dog."),
        meta: Some((
            Some("jane.doe@example.com"),
            Some(&[Some("prose"), Some("animals")]),
        )),
        messages: Some(&[
            ("user", Some("Hello there")),
            ("assistant", Some("Hi! How can I help?")),
        ]),
        consent: Some(true),
        source: Some("wiki-sample"),
    },
    Row {
        text: Some("Please write to jane.doe@example.com about the fixture."),
        meta: Some((None, Some(&[]))),
        messages: Some(&[]),
        consent: Some(false),
        source: Some(""),
    },
    Row {
        text: Some("Test card 4111 1111 1111 1111 is not a real card."),
        meta: Some((Some("support desk"), None)),
        messages: None,
        consent: None,
        source: None,
    },
    Row {
        text: Some("Leaked key AKIAZ7TESTFIXTURE234 in a config file."),
        meta: None,
        messages: Some(&[("user", Some("what is this key?"))]),
        consent: Some(true),
        source: Some("forum-dump"),
    },
    Row {
        text: Some("Rivers carry sediment to the sea over many years."),
        meta: Some((
            Some("john.roe@example.org"),
            Some(&[Some("geo"), None, Some("water")]),
        )),
        messages: Some(&[("system", None), ("user", Some("Tell me about rivers."))]),
        consent: Some(true),
        source: Some("   "),
    },
    Row {
        text: None,
        meta: Some((None, Some(&[Some("empty-text")]))),
        messages: Some(&[("user", Some("My card is 4111 1111 1111 1111, charge it."))]),
        consent: Some(false),
        source: Some("chat-logs"),
    },
    // row group 1
    Row {
        text: Some("Autumn leaves fall slowly in the quiet park."),
        meta: Some((None, Some(&[Some("poem")]))),
        messages: Some(&[
            ("user", Some("Write a haiku.")),
            ("assistant", Some("Leaves drift, cold wind hums.")),
        ]),
        consent: Some(true),
        source: Some("poetry-set"),
    },
    Row {
        text: Some(""),
        meta: Some((Some(""), Some(&[]))),
        messages: Some(&[]),
        consent: None,
        source: Some("poetry-set"),
    },
    Row {
        text: Some("The committee meets every second Tuesday."),
        meta: Some((Some("office hours"), Some(&[Some("minutes")]))),
        messages: Some(&[("user", Some("Forward this to john.roe@example.org please."))]),
        consent: Some(false),
        source: None,
    },
    Row {
        text: Some("Configuration notes for the staging cluster."),
        meta: Some((None, Some(&[Some("ops"), Some("config")]))),
        messages: Some(&[("user", Some("aws_access_key_id = AKIAZ7TESTFIXTURE234"))]),
        consent: Some(true),
        source: Some("ops-wiki"),
    },
    Row {
        text: Some("Bread needs flour, water, salt and time."),
        meta: Some((None, None)),
        messages: None,
        consent: Some(true),
        source: None,
    },
    Row {
        text: Some("Final row of the nested fixture."),
        meta: Some((Some("front desk"), Some(&[Some("end")]))),
        messages: Some(&[("assistant", Some("Goodbye."))]),
        consent: Some(false),
        source: Some("wiki-sample"),
    },
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/parquet");
    fs::create_dir_all(root.join("hf/data"))?;

    let nested = nested_batch();
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(6))
        .build();
    let bytes = write(&nested, props)?;
    fs::write(root.join("nested.parquet"), &bytes)?;
    fs::write(root.join("truncated.parquet"), &bytes[..bytes.len() / 2])?;

    let snappy = || {
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build()
    };
    let hf = [
        (
            "train-00000-of-00002.parquet",
            snappy(),
            &[
                ("A kind word costs nothing.", 1),
                ("The train was late again today.", 0),
                ("Fresh bread smells wonderful.", 1),
                ("The printer jammed twice this morning.", 0),
            ][..],
        ),
        (
            "train-00001-of-00002.parquet",
            snappy(),
            &[
                ("Sunlight through the window felt warm.", 1),
                ("The meeting ran an hour over.", 0),
                ("Our garden finally has tomatoes.", 1),
            ][..],
        ),
        (
            "test-00000-of-00001.parquet",
            WriterProperties::builder()
                .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
                .build(),
            &[
                ("The library opens at nine.", 1),
                ("Send the report to sam.poe@example.com by Friday.", 0),
                ("Rain is expected all weekend.", 0),
            ][..],
        ),
    ];
    for (name, props, rows) in hf {
        let schema = Arc::new(Schema::new(vec![
            Field::new("text", DataType::Utf8, true),
            Field::new("label", DataType::Int64, true),
        ]));
        let text: StringArray = rows.iter().map(|r| Some(r.0)).collect();
        let label: Int64Array = rows.iter().map(|r| Some(r.1)).collect();
        let batch = RecordBatch::try_new(schema, vec![Arc::new(text), Arc::new(label)])?;
        fs::write(root.join("hf/data").join(name), write(&batch, props)?)?;
    }
    println!("wrote fixtures under {}", root.display());
    Ok(())
}

fn write(batch: &RecordBatch, props: WriterProperties) -> parquet::errors::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(out)
}

fn nested_batch() -> RecordBatch {
    let tags_item = Arc::new(Field::new("item", DataType::Utf8, true));
    let meta_fields = Fields::from(vec![
        Field::new("contact", DataType::Utf8, true),
        Field::new("tags", DataType::List(tags_item.clone()), true),
    ]);
    let message_fields = Fields::from(vec![
        Field::new("role", DataType::Utf8, true),
        Field::new("content", DataType::LargeUtf8, true),
    ]);
    let message_item = Arc::new(Field::new(
        "item",
        DataType::Struct(message_fields.clone()),
        true,
    ));

    let mut id = Int64Builder::new();
    let mut text = StringBuilder::new();
    let mut meta = StructBuilder::new(
        meta_fields.clone(),
        vec![
            Box::new(StringBuilder::new()),
            Box::new(ListBuilder::new(StringBuilder::new()).with_field(tags_item)),
        ],
    );
    let mut messages = ListBuilder::new(StructBuilder::new(
        message_fields.clone(),
        vec![
            Box::new(StringBuilder::new()),
            Box::new(LargeStringBuilder::new()),
        ],
    ))
    .with_field(message_item.clone());
    let mut consent = BooleanBuilder::new();
    let mut source = StringBuilder::new();

    for (i, row) in ROWS.iter().enumerate() {
        id.append_value(100 + i as i64);
        text.append_option(row.text);

        let (contact, tags) = row.meta.unwrap_or((None, None));
        meta.field_builder::<StringBuilder>(0)
            .unwrap()
            .append_option(contact);
        let tag_list = meta.field_builder::<ListBuilder<StringBuilder>>(1).unwrap();
        match tags {
            Some(tags) => {
                for t in tags {
                    tag_list.values().append_option(*t);
                }
                tag_list.append(true);
            }
            None => tag_list.append(false),
        }
        meta.append(row.meta.is_some());

        match row.messages {
            Some(list) => {
                let items = messages.values();
                for (role, content) in list {
                    items
                        .field_builder::<StringBuilder>(0)
                        .unwrap()
                        .append_value(role);
                    items
                        .field_builder::<LargeStringBuilder>(1)
                        .unwrap()
                        .append_option(*content);
                    items.append(true);
                }
                messages.append(true);
            }
            None => messages.append(false),
        }
        consent.append_option(row.consent);
        source.append_option(row.source);
    }

    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("text", DataType::Utf8, true),
        Field::new("meta", DataType::Struct(meta_fields), true),
        Field::new("messages", DataType::List(message_item), true),
        Field::new("consent", DataType::Boolean, true),
        Field::new("source", DataType::Utf8, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(text.finish()),
        Arc::new(meta.finish()),
        Arc::new(messages.finish()),
        Arc::new(consent.finish()),
        Arc::new(source.finish()),
    ];
    RecordBatch::try_new(schema, columns).expect("fixture schema matches its columns")
}
