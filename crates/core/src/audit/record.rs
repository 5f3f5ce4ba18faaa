//! The audit log's three record formats: a log line, the manifest beside the
//! log, and a checkpoint kept elsewhere. Each is one JSON object serialised
//! as Python's `json.dumps(obj, sort_keys=True)` does (see
//! [`pyjson`](crate::report::pyjson)), with an `hmac` over the object
//! without `hmac`, so that standard-library Python can check all three.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::report::{pyjson, sign};

/// `format` of the genesis record.
pub const LOG_FORMAT: &str = "scour-audit-log/1";
/// `format` of the manifest.
pub const MANIFEST_FORMAT: &str = "scour-audit-manifest/1";
/// `format` of a checkpoint.
pub const CHECKPOINT_FORMAT: &str = "scour-audit-checkpoint/1";
const HMAC_FIELD: &str = "hmac";

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `obj` with its `hmac` set to the HMAC of its canonical text without it.
fn seal(mut obj: Map<String, Value>, key: &[u8]) -> Value {
    obj.remove(HMAC_FIELD);
    let mac = sign::mac_hex(key, &pyjson::to_string(&Value::Object(obj.clone())));
    obj.insert(HMAC_FIELD.into(), Value::String(mac));
    Value::Object(obj)
}

/// Whether `obj`'s `hmac` matches its other fields under `key`.
fn sealed_by(obj: &Map<String, Value>, key: &[u8]) -> bool {
    let Some(Value::String(tag)) = obj.get(HMAC_FIELD) else {
        return false;
    };
    let mut body = obj.clone();
    body.remove(HMAC_FIELD);
    sign::mac_matches(key, &pyjson::to_string(&Value::Object(body)), tag)
}

/// The record a log starts from; its hash is the first line's `prev_hash`,
/// so a log cannot be re-rooted under another id or creation time.
pub fn genesis(log_id: &str, created_at: &str) -> Value {
    json!({
        "format": LOG_FORMAT,
        "log_id": log_id,
        "created_at": created_at,
        "scour_version": env!("CARGO_PKG_VERSION"),
    })
}

/// The hash a genesis record is chained by.
pub fn genesis_hash(genesis: &Value) -> String {
    sha256_hex(pyjson::to_string(genesis).as_bytes())
}

/// The fields of one log line, before it is sealed.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub seq: u64,
    pub timestamp: &'a str,
    pub event: &'a str,
    pub actor: &'a str,
    pub payload: &'a Value,
    pub prev_hash: &'a str,
}

impl NewEntry<'_> {
    /// The line as written (without its newline).
    pub fn line(&self, key: &[u8]) -> String {
        let mut obj = Map::new();
        obj.insert("seq".into(), Value::from(self.seq));
        obj.insert("timestamp".into(), Value::from(self.timestamp));
        obj.insert("event".into(), Value::from(self.event));
        obj.insert("actor".into(), Value::from(self.actor));
        obj.insert(
            "scour_version".into(),
            Value::from(env!("CARGO_PKG_VERSION")),
        );
        obj.insert("payload".into(), self.payload.clone());
        obj.insert("prev_hash".into(), Value::from(self.prev_hash));
        pyjson::to_string(&seal(obj, key))
    }
}

/// What a log line says about its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub timestamp: String,
    pub event: String,
    pub prev_hash: String,
    /// The whole line, parsed (for `audit show`).
    pub value: Value,
}

/// Why a line is not a valid entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// Not JSON, not an object, or a required field missing or mistyped.
    Unparseable(String),
    /// Its `hmac` does not match (wrong key or edited), or its bytes are not
    /// the canonical serialisation the HMAC was taken over.
    BadHmac(String),
}

/// Parse and authenticate one line (without its newline).
pub fn parse_line(line: &[u8], key: &[u8]) -> Result<Entry, LineError> {
    let value: Value = serde_json::from_slice(line)
        .map_err(|e| LineError::Unparseable(format!("not JSON: {e}")))?;
    let Value::Object(obj) = &value else {
        return Err(LineError::Unparseable("not a JSON object".into()));
    };
    let text = |k: &str| -> Result<String, LineError> {
        match obj.get(k) {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(LineError::Unparseable(format!("no string field `{k}`"))),
        }
    };
    let seq = obj
        .get("seq")
        .and_then(Value::as_u64)
        .ok_or_else(|| LineError::Unparseable("no integer field `seq`".into()))?;
    let entry = Entry {
        seq,
        timestamp: text("timestamp")?,
        event: text("event")?,
        prev_hash: text("prev_hash")?,
        value: value.clone(),
    };
    text(HMAC_FIELD)?;
    if !sealed_by(obj, key) {
        return Err(LineError::BadHmac(
            "hmac does not match the line (edited, or another key)".into(),
        ));
    }
    if pyjson::to_string(&value).as_bytes() != line {
        return Err(LineError::BadHmac(
            "the line is not the canonical text its hmac was taken over".into(),
        ));
    }
    Ok(entry)
}

/// The last entry the manifest vouches for. An empty log's head is seq 0,
/// the genesis hash and length 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
    /// Bytes of the log up to and including the head line's newline.
    pub length: u64,
    pub timestamp: String,
}

/// The sidecar `FILE.manifest.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub genesis: Value,
    pub genesis_hash: String,
    pub head: Head,
}

impl Manifest {
    /// A fresh log's manifest.
    pub fn new(log_id: &str, created_at: &str) -> Manifest {
        let genesis = genesis(log_id, created_at);
        let genesis_hash = genesis_hash(&genesis);
        Manifest {
            head: Head {
                seq: 0,
                hash: genesis_hash.clone(),
                length: 0,
                timestamp: created_at.to_string(),
            },
            genesis,
            genesis_hash,
        }
    }

    pub fn log_id(&self) -> &str {
        self.genesis
            .get("log_id")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The manifest file's text, sealed under `key`.
    pub fn to_text(&self, key: &[u8]) -> String {
        let mut obj = Map::new();
        obj.insert("format".into(), Value::from(MANIFEST_FORMAT));
        obj.insert("genesis".into(), self.genesis.clone());
        obj.insert(
            "genesis_hash".into(),
            Value::from(self.genesis_hash.clone()),
        );
        obj.insert(
            "head".into(),
            json!({
                "seq": self.head.seq,
                "hash": self.head.hash,
                "length": self.head.length,
                "timestamp": self.head.timestamp,
            }),
        );
        let mut text = pyjson::to_string_pretty(&seal(obj, key));
        text.push('\n');
        text
    }

    /// Parse and authenticate a manifest; the error says what is wrong.
    pub fn parse(text: &str, key: &[u8]) -> Result<Manifest, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("manifest is not JSON: {e}"))?;
        let obj = value
            .as_object()
            .ok_or_else(|| "manifest is not a JSON object".to_string())?;
        if obj.get("format").and_then(Value::as_str) != Some(MANIFEST_FORMAT) {
            return Err(format!("manifest format is not {MANIFEST_FORMAT}"));
        }
        if !sealed_by(obj, key) {
            return Err("manifest hmac does not match (edited, or another key)".into());
        }
        let genesis = obj.get("genesis").cloned().unwrap_or(Value::Null);
        let genesis_hash = obj
            .get("genesis_hash")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if genesis_hash != self::genesis_hash(&genesis) {
            return Err("manifest genesis_hash is not the hash of its genesis".into());
        }
        let head = obj.get("head");
        let field = |k: &str| head.and_then(|h| h.get(k));
        let head = Head {
            seq: field("seq")
                .and_then(Value::as_u64)
                .ok_or("manifest head has no seq")?,
            hash: field("hash")
                .and_then(Value::as_str)
                .ok_or("manifest head has no hash")?
                .to_string(),
            length: field("length")
                .and_then(Value::as_u64)
                .ok_or("manifest head has no length")?,
            timestamp: field("timestamp")
                .and_then(Value::as_str)
                .ok_or("manifest head has no timestamp")?
                .to_string(),
        };
        Ok(Manifest {
            genesis,
            genesis_hash,
            head,
        })
    }
}

/// A signed statement that the log `log_id` held the entry with hash
/// `head_hash` at `seq` at `time`. Kept outside the log's machine, it proves
/// later that the log still holds exactly that entry: a log rolled back with
/// its manifest, or rewritten below the checkpoint, no longer does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub log_id: String,
    pub seq: u64,
    pub head_hash: String,
    pub time: String,
}

impl Checkpoint {
    /// One line of JSON, sealed under `key`.
    pub fn to_text(&self, key: &[u8]) -> String {
        let mut obj = Map::new();
        obj.insert("format".into(), Value::from(CHECKPOINT_FORMAT));
        obj.insert("log_id".into(), Value::from(self.log_id.clone()));
        obj.insert("seq".into(), Value::from(self.seq));
        obj.insert("head_hash".into(), Value::from(self.head_hash.clone()));
        obj.insert("time".into(), Value::from(self.time.clone()));
        pyjson::to_string(&seal(obj, key))
    }

    /// Parse and authenticate a checkpoint.
    pub fn parse(text: &str, key: &[u8]) -> Result<Checkpoint, String> {
        let value: Value = serde_json::from_str(text.trim())
            .map_err(|e| format!("checkpoint is not JSON: {e}"))?;
        let obj = value
            .as_object()
            .ok_or_else(|| "checkpoint is not a JSON object".to_string())?;
        if obj.get("format").and_then(Value::as_str) != Some(CHECKPOINT_FORMAT) {
            return Err(format!("checkpoint format is not {CHECKPOINT_FORMAT}"));
        }
        if !sealed_by(obj, key) {
            return Err("checkpoint hmac does not match (edited, or another key)".into());
        }
        let s = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
        Ok(Checkpoint {
            log_id: s("log_id").ok_or("checkpoint has no log_id")?,
            seq: obj
                .get("seq")
                .and_then(Value::as_u64)
                .ok_or("checkpoint has no seq")?,
            head_hash: s("head_hash").ok_or("checkpoint has no head_hash")?,
            time: s("time").ok_or("checkpoint has no time")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"audit key";

    #[test]
    fn a_line_round_trips_and_any_edit_is_caught() {
        let payload = json!({"scan_id": "01J", "files": 3, "ratio": 0.5});
        let line = NewEntry {
            seq: 7,
            timestamp: "2026-12-07T10:00:00.123Z",
            event: "scan.completed",
            actor: "ana@host",
            payload: &payload,
            prev_hash: &"ab".repeat(32),
        }
        .line(KEY);
        let e = parse_line(line.as_bytes(), KEY).unwrap();
        assert_eq!((e.seq, e.event.as_str()), (7, "scan.completed"));
        assert!(matches!(
            parse_line(line.as_bytes(), b"other key"),
            Err(LineError::BadHmac(_))
        ));
        let edited = line.replace("\"files\": 3", "\"files\": 4");
        assert!(matches!(
            parse_line(edited.as_bytes(), KEY),
            Err(LineError::BadHmac(_))
        ));
        let spaced = line.replacen(", ", ",  ", 1);
        assert!(matches!(
            parse_line(spaced.as_bytes(), KEY),
            Err(LineError::BadHmac(_))
        ));
        assert!(matches!(
            parse_line(&line.as_bytes()[..line.len() - 1], KEY),
            Err(LineError::Unparseable(_))
        ));
    }

    #[test]
    fn the_hmac_is_what_python_computes() {
        // python3: body = json.dumps({k: v for k, v in obj.items() if k != "hmac"},
        //                            sort_keys=True)
        //          hmac.new(b"audit key", body.encode(), hashlib.sha256).hexdigest()
        let payload = json!({"n": 1});
        let line = NewEntry {
            seq: 1,
            timestamp: "2026-12-07T10:00:00.000Z",
            event: "e",
            actor: "a",
            payload: &payload,
            prev_hash: "p",
        }
        .line(KEY);
        let v: Value = serde_json::from_str(&line).unwrap();
        let mut body = v.as_object().unwrap().clone();
        body.remove("hmac");
        let text = pyjson::to_string(&Value::Object(body));
        assert!(text.starts_with(r#"{"actor": "a", "event": "e", "payload": {"n": 1}, "prev_hash": "p", "scour_version": "#));
        assert_eq!(v["hmac"], Value::from(sign::mac_hex(KEY, &text)));
    }

    #[test]
    fn manifest_and_checkpoint_round_trip_and_reject_edits() {
        let m = Manifest::new("01JABCDEFGHJKMNPQRSTVWXYZ0", "2026-12-07T10:00:00.000Z");
        let text = m.to_text(KEY);
        assert_eq!(Manifest::parse(&text, KEY).unwrap(), m);
        assert!(Manifest::parse(&text, b"k2").is_err());
        assert!(Manifest::parse(&text.replace("\"seq\": 0", "\"seq\": 1"), KEY).is_err());
        let c = Checkpoint {
            log_id: m.log_id().into(),
            seq: 4,
            head_hash: "cd".repeat(32),
            time: "2026-12-07T10:00:01.000Z".into(),
        };
        let text = c.to_text(KEY);
        assert_eq!(Checkpoint::parse(&text, KEY).unwrap(), c);
        assert!(Checkpoint::parse(&text.replace("\"seq\": 4", "\"seq\": 3"), KEY).is_err());
    }
}
